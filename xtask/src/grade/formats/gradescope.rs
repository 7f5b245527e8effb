//! `gradescope`: Gradescope's `results.json` (its autograder specification: `score`,
//! `execution_time`, `output`, `tests[]`). One submission per file: with several, one file
//! per submission under `gradescope/<id>/`. Experiments show as tests worth 0 points; the
//! files that differ from the handout and a failed calibration as tests only instructors see
//! (`visibility: hidden`).

use serde::Serialize;

use super::super::model::{Check, CheckStatus, Report, Submission, SubmissionStatus};
use super::{FLAKY, Output, change, feedback, results_files, results_json};

#[derive(Debug, Serialize)]
struct Results {
    score: u32,
    /// Whole seconds, as Gradescope shows them.
    execution_time: u64,
    output: String,
    tests: Vec<Test>,
}

#[derive(Debug, Serialize)]
struct Test {
    name: String,
    number: String,
    score: u32,
    max_score: u32,
    status: &'static str,
    output: String,
    visibility: &'static str,
}

pub fn render(report: &Report) -> anyhow::Result<String> {
    results_json(report, |s| results(report, s))
}

pub fn files(report: &Report) -> anyhow::Result<Vec<Output>> {
    results_files(report, "gradescope", |s| {
        Ok(serde_json::to_string_pretty(&results(report, s))? + "\n")
    })
}

fn results(report: &Report, submission: &Submission) -> Results {
    let all = submission.checks.iter().chain(&submission.experiments);
    let seconds: f64 = all.map(|c| c.seconds).sum();
    let mut tests: Vec<Test> = submission.checks.iter().map(|c| test(c, "")).collect();
    tests.extend(
        submission
            .experiments
            .iter()
            .map(|c| test(c, "experiment (not counted): ")),
    );
    tests.extend(instructor_notes(report, submission));
    for (n, test) in tests.iter_mut().enumerate() {
        test.number = (n + 1).to_string();
    }
    Results {
        score: submission.score,
        execution_time: seconds.round() as u64,
        output: summary(submission),
        tests,
    }
}

/// The top of the page: the score in words, and why it is not a grade when it is not.
fn summary(submission: &Submission) -> String {
    let reason = submission.reason.as_deref().unwrap_or("");
    match submission.status {
        SubmissionStatus::Graded => format!(
            "{} of {} points. Each check below says what it expected and what came.",
            submission.score, submission.max_score
        ),
        SubmissionStatus::BuildFailed => format!("Your programs did not build: {reason}"),
        SubmissionStatus::GraderError => {
            format!("The grader itself failed, so this is no grade (and not your fault): {reason}")
        }
    }
}

fn test(check: &Check, prefix: &str) -> Test {
    let output = match check.status {
        CheckStatus::Pass => String::new(),
        CheckStatus::Flaky => FLAKY.to_string(),
        _ => feedback(check.reason.as_deref(), &check.output),
    };
    Test {
        name: format!("{prefix}{}", check.id),
        number: String::new(),
        score: check.points,
        max_score: check.max_points,
        status: if check.status.earns_points() {
            "passed"
        } else {
            "failed"
        },
        output,
        visibility: "visible",
    }
}

/// Tests only instructors see: the files that differ from the handout, a failed calibration.
fn instructor_notes(report: &Report, submission: &Submission) -> Vec<Test> {
    let mut notes = Vec::new();
    if !submission.tampered.is_empty() {
        let lines: Vec<String> = submission
            .tampered
            .iter()
            .map(|t| {
                let sha = t.sha256.as_deref().unwrap_or("-");
                format!("{} {} ({}), sha256 {sha}", change(t.change), t.path, t.what)
            })
            .collect();
        notes.push(note(
            "differs from the handout (reported, not punished)",
            lines,
        ));
    }
    if let Some(calibration) = report.calibration.as_ref().filter(|c| !c.ok) {
        notes.push(note(
            "calibration FAILED: the grader is broken here",
            calibration.problems.clone(),
        ));
    }
    notes
}

fn note(name: &str, lines: Vec<String>) -> Test {
    Test {
        name: name.to_string(),
        number: String::new(),
        score: 0,
        max_score: 0,
        status: "failed",
        output: lines.join("\n"),
        visibility: "hidden",
    }
}

//! `prairielearn`: PrairieLearn's external grader `results.json`: `score` as a fraction from
//! 0 to 1, `gradable`, `message`, `output`, and `tests[]` with `points`/`max_points`. One
//! submission per file, like Gradescope's. A grader error is not gradable (PrairieLearn then
//! does not count the attempt); a failed build is gradable and scores 0, with the reason.
//! Experiments show as tests worth 0 points.

use serde::Serialize;

use super::super::model::{Check, CheckStatus, Report, Submission, SubmissionStatus};
use super::{FLAKY, Output, feedback, results_files, results_json};

#[derive(Debug, Serialize)]
struct Results {
    score: f64,
    gradable: bool,
    message: String,
    output: String,
    tests: Vec<Test>,
}

#[derive(Debug, Serialize)]
struct Test {
    name: String,
    description: String,
    points: u32,
    max_points: u32,
    message: String,
    output: String,
}

pub fn render(report: &Report) -> anyhow::Result<String> {
    results_json(report, results)
}

pub fn files(report: &Report) -> anyhow::Result<Vec<Output>> {
    results_files(report, "prairielearn", |s| {
        Ok(serde_json::to_string_pretty(&results(s))? + "\n")
    })
}

fn results(submission: &Submission) -> Results {
    let score = match submission.max_score {
        0 => 0.0,
        max => f64::from(submission.score) / f64::from(max),
    };
    let reason = submission.reason.clone().unwrap_or_default();
    let message = match submission.status {
        SubmissionStatus::Graded => {
            format!("{} of {} points", submission.score, submission.max_score)
        }
        SubmissionStatus::BuildFailed => format!("Your programs did not build: {reason}"),
        SubmissionStatus::GraderError => {
            format!("The grader itself failed (not your fault): {reason}")
        }
    };
    let mut tests: Vec<Test> = submission
        .checks
        .iter()
        .map(|c| test(c, "exercise"))
        .collect();
    tests.extend(
        submission
            .experiments
            .iter()
            .map(|c| test(c, "experiment, not counted")),
    );
    Results {
        score,
        gradable: submission.status != SubmissionStatus::GraderError,
        message,
        output: String::new(),
        tests,
    }
}

fn test(check: &Check, kind: &str) -> Test {
    let status = super::check_status(check.status);
    let message = match check.status {
        CheckStatus::Pass => "passed".to_string(),
        CheckStatus::Flaky => FLAKY.to_string(),
        _ => check.reason.clone().unwrap_or_else(|| status.to_string()),
    };
    let output = match check.status {
        CheckStatus::Pass | CheckStatus::Flaky => String::new(),
        _ => feedback(None, &check.output),
    };
    Test {
        name: check.id.clone(),
        description: format!("lesson {}, {kind}: {status}", check.lesson),
        points: check.points,
        max_points: check.max_points,
        message,
        output,
    }
}

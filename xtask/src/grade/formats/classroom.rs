//! `classroom`: what GitHub Classroom's grading reporter reads, `result=<base64 JSON>`, the
//! step output its graders (`autograding-command-grader`) set: `{version: 1, status,
//! max_score, tests: [{name, status, score, message, test_code, filename, line_no,
//! duration}]}`. The reporter sums `tests[].score` against `max_score`. One submission per
//! run: Classroom grades one repository at a time. Only the exercise checks are tests here;
//! an experiment that fails would otherwise fail the student's workflow.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::super::model::{Check, CheckStatus, Report, Submission, SubmissionStatus};
use super::{FLAKY, feedback};

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Results {
    pub version: u32,
    /// `pass`, `fail` or `error`: the reporter fails the workflow on `fail` and `error`.
    pub status: String,
    pub max_score: u32,
    pub tests: Vec<Test>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Test {
    pub name: String,
    pub status: String,
    pub score: u32,
    pub message: String,
    /// What the reporter shows under "Test code": the command that reruns this check.
    pub test_code: String,
    pub filename: String,
    pub line_no: u32,
    /// Milliseconds.
    pub duration: u64,
}

/// `result=<base64 JSON>` and a newline, as a step writes it to `$GITHUB_OUTPUT`.
pub fn render(report: &Report) -> anyhow::Result<String> {
    let submission = match report.submissions.as_slice() {
        [one] => one,
        several => bail!(
            "the classroom format grades one submission (GitHub Classroom runs once per \
             repository), but this run has {}: grade one PATH",
            several.len()
        ),
    };
    let json = serde_json::to_string(&results(submission))?;
    Ok(format!("result={}\n", STANDARD.encode(json)))
}

/// Appends the `result=` line to `path`, GitHub's `$GITHUB_OUTPUT` file of step outputs.
pub fn append_to(report: &Report, path: &Path) -> anyhow::Result<()> {
    let line = render(report)?;
    let mut file = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .with_context(|| format!("could not open $GITHUB_OUTPUT ({})", path.display()))?;
    file.write_all(line.as_bytes())
        .with_context(|| format!("could not write to $GITHUB_OUTPUT ({})", path.display()))
}

fn results(submission: &Submission) -> Results {
    let status = match submission.status {
        SubmissionStatus::GraderError => "error",
        _ if submission.checks.iter().all(|c| c.status.earns_points()) => "pass",
        _ => "fail",
    };
    let mut tests: Vec<Test> = submission.checks.iter().map(test).collect();
    if submission.status != SubmissionStatus::Graded {
        let reason = submission.reason.clone().unwrap_or_default();
        let name = match submission.status {
            SubmissionStatus::BuildFailed => "build",
            _ => "grader",
        };
        tests.insert(0, whole_submission(name, status, reason));
    }
    Results {
        version: 1,
        status: status.to_string(),
        max_score: submission.max_score,
        tests,
    }
}

fn test(check: &Check) -> Test {
    let status = match check.status {
        CheckStatus::Pass | CheckStatus::Flaky => "pass",
        CheckStatus::Error => "error",
        CheckStatus::Fail | CheckStatus::Timeout | CheckStatus::Skipped => "fail",
    };
    let message = match check.status {
        CheckStatus::Pass => String::new(),
        CheckStatus::Flaky => FLAKY.to_string(),
        _ => feedback(check.reason.as_deref(), &check.output),
    };
    Test {
        name: check.id.clone(),
        status: status.to_string(),
        score: check.points,
        message,
        test_code: format!("cargo xtask grade --lesson {} PATH", check.lesson),
        filename: String::new(),
        line_no: 0,
        duration: (check.seconds * 1000.0).round() as u64,
    }
}

/// The row that says why a submission has no grade (its build failed, the grader broke).
fn whole_submission(name: &str, status: &str, reason: String) -> Test {
    Test {
        name: name.to_string(),
        status: status.to_string(),
        score: 0,
        message: reason,
        test_code: "cargo xtask grade PATH".to_string(),
        filename: String::new(),
        line_no: 0,
        duration: 0,
    }
}

//! Step 5: the report, as data. [`assemble`] turns what ran into the data model
//! ([`model::Report`]) that every output format (`formats/`) reads.

use super::checks::Check;
use super::model::{self, CheckStatus, Report, SubmissionStatus};
use super::run::Graded;
use super::submissions::{Kind, Submission};

/// The report of a grading run: one entry per submission, exercises and experiments apart.
pub fn assemble(
    submissions: &[Submission],
    checks: &[Check],
    graded: &[Graded],
    protections: Vec<String>,
) -> Report {
    let root = crate::tools::workspace_root();
    Report {
        schema: model::SCHEMA.into(),
        tool_version: format!(
            "xtask {} ({})",
            env!("CARGO_PKG_VERSION"),
            commit_of(&root).unwrap_or_else(|| "no commit".into())
        ),
        contract_version: env!("CARGO_PKG_VERSION").into(),
        graded_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        protections,
        calibration: None,
        submissions: submissions
            .iter()
            .enumerate()
            .map(|(s, submission)| one(s, submission, checks, graded))
            .collect(),
    }
}

fn one(
    s: usize,
    submission: &Submission,
    checks: &[Check],
    graded: &[Graded],
) -> model::Submission {
    let (mut exercise, mut experiments) = (Vec::new(), Vec::new());
    for g in graded.iter().filter(|g| g.submission == s) {
        let check = &checks[g.check];
        let points = u32::from(g.attempt.status.earns_points());
        let row = model::Check {
            id: check.id.clone(),
            lesson: check.lesson.number.clone(),
            status: g.attempt.status,
            points,
            max_points: 1,
            reason: g.attempt.reason.clone(),
            output: g.attempt.output.clone(),
            seconds: g.attempt.seconds,
        };
        if check.experiment {
            experiments.push(row)
        } else {
            exercise.push(row)
        }
    }
    let skipped = exercise.iter().find(|c| c.status == CheckStatus::Skipped);
    let (status, reason) = match &submission.kind {
        Kind::Unusable(reason) => (SubmissionStatus::BuildFailed, Some(reason.clone())),
        _ if skipped.is_some() => (
            SubmissionStatus::BuildFailed,
            skipped.and_then(|c| c.reason.clone()),
        ),
        _ if exercise.iter().any(|c| c.status == CheckStatus::Error) => (
            SubmissionStatus::GraderError,
            Some("a check could not run: see its reason".into()),
        ),
        _ => (SubmissionStatus::Graded, None),
    };
    model::Submission {
        id: submission.id.clone(),
        path: submission.path.clone(),
        kind: if submission.kind == Kind::Checkout {
            model::Kind::Checkout
        } else {
            model::Kind::Programs
        },
        commit: (submission.kind == Kind::Checkout)
            .then(|| commit_of(&submission.path))
            .flatten(),
        status,
        reason,
        score: exercise.iter().map(|c| c.points).sum(),
        max_score: exercise.iter().map(|c| c.max_points).sum(),
        tampered: Vec::new(),
        checks: exercise,
        experiments,
    }
}

/// `git rev-parse HEAD` in `dir`, when it is a git checkout.
fn commit_of(dir: &std::path::Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

//! Step 4: the report. [`assemble`] turns what ran into the data model ([`model::Report`]);
//! [`Format::write`] prints it as text, CSV or JSON.

use std::fmt::Write;

use super::checks::Check;
use super::model::{self, CheckStatus, Report, SubmissionStatus};
use super::run::Graded;
use super::submissions::{Kind, Submission};

/// How `grade` prints its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A scorecard to read: for a class, a table first, then what failed.
    Text,
    /// One row per submission and check, for a spreadsheet.
    Csv,
    /// `grade.json`: every submission with its checks, for a program.
    Json,
}

impl Format {
    pub fn write(self, report: &Report) -> String {
        match self {
            Format::Text => text(report),
            Format::Csv => csv(report),
            Format::Json => {
                serde_json::to_string_pretty(report).expect("a report is plain data") + "\n"
            }
        }
    }
}

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

fn status_word(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Pass => "pass",
        CheckStatus::Fail => "FAIL",
        CheckStatus::Timeout => "TIMEOUT",
        CheckStatus::Flaky => "flaky",
        CheckStatus::Error => "ERROR",
        CheckStatus::Skipped => "skipped",
    }
}

/// The scorecard: every check of one submission; for a class, one row per submission
/// first, then what did not pass.
fn text(report: &Report) -> String {
    let class = report.submissions.len() > 1;
    let mut out = if class {
        class_table(report)
    } else {
        String::new()
    };
    let all = report
        .submissions
        .iter()
        .flat_map(|s| s.checks.iter().chain(&s.experiments));
    let width = all.map(|c| c.id.len()).fold(5, usize::max);
    for submission in &report.submissions {
        let kind = if submission.kind == model::Kind::Checkout {
            "checkout"
        } else {
            "programs"
        };
        let _ = writeln!(
            out,
            "{} ({kind}, {})",
            submission.id,
            submission.path.display()
        );
        if let Some(reason) = &submission.reason {
            let _ = writeln!(out, "  {reason}");
        }
        for t in &submission.tampered {
            let sha = t
                .sha256
                .as_deref()
                .map_or(String::new(), |sha| format!(" sha256 {sha}"));
            let _ = writeln!(
                out,
                "  changed from the handout ({}): {:?} {}{sha}",
                t.what, t.change, t.path
            );
        }
        for (title, checks) in [
            ("check", &submission.checks),
            ("experiment", &submission.experiments),
        ] {
            let rows: Vec<_> = checks
                .iter()
                .filter(|c| !class || c.status != CheckStatus::Pass)
                .collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  {title:<width$}  result   reason");
            for c in rows {
                let line = format!(
                    "  {:<width$}  {:<7}  {}",
                    c.id,
                    status_word(c.status),
                    c.reason.as_deref().unwrap_or("")
                );
                let _ = writeln!(out, "{}", line.trim_end());
            }
        }
        let (score, max) = (submission.score, submission.max_score);
        let _ = writeln!(out, "  total: {score} of {max} exercise checks passed\n");
    }
    match &report.calibration {
        Some(c) if c.ok => {
            out.push_str("calibration: ok (the starter fails, the solution passes, here)\n")
        }
        Some(c) => {
            out.push_str("calibration: NOT OK, the grader itself is not to be trusted here:\n");
            c.problems
                .iter()
                .for_each(|p| out.push_str(&format!("  {p}\n")));
        }
        None => {}
    }
    let _ = writeln!(out, "protections: {}", report.protections.join("; "));
    out
}

/// One row per submission, one column per lesson, then the total; an empty line after.
fn class_table(report: &Report) -> String {
    let mut lessons: Vec<&str> = Vec::new();
    for check in report.submissions.iter().flat_map(|s| &s.checks) {
        if !lessons.contains(&check.lesson.as_str()) {
            lessons.push(&check.lesson);
        }
    }
    let width = report
        .submissions
        .iter()
        .map(|s| s.id.len())
        .fold(10, usize::max);
    let mut out = format!("{:<width$}", "submission");
    for lesson in &lessons {
        let _ = write!(out, "  {lesson:>7}");
    }
    out.push_str("    total\n");
    for submission in &report.submissions {
        let _ = write!(out, "{:<width$}", submission.id);
        for lesson in lessons.iter().map(|l| Some(*l)).chain([None]) {
            let checks = submission
                .checks
                .iter()
                .filter(|c| lesson.is_none_or(|l| c.lesson == l));
            let (points, max) = checks.fold((0, 0), |(p, m), c| (p + c.points, m + c.max_points));
            let _ = write!(out, "  {:>7}", format!("{points}/{max}"));
        }
        out.push('\n');
    }
    out.push('\n');
    out
}

/// One row per submission and check: `submission,path,lesson,check,result,reason,seconds`.
fn csv(report: &Report) -> String {
    let mut out = String::from("submission,path,lesson,check,result,reason,seconds\n");
    for submission in &report.submissions {
        let path = submission.path.display().to_string();
        for c in submission.checks.iter().chain(&submission.experiments) {
            let status = serde_json::to_value(c.status).expect("a status is a word");
            let (result, seconds) = (
                status.as_str().unwrap_or_default().to_string(),
                format!("{:.2}", c.seconds),
            );
            let reason = c.reason.as_deref().unwrap_or("");
            let fields: [&str; 7] = [
                &submission.id,
                &path,
                &c.lesson,
                &c.id,
                &result,
                reason,
                &seconds,
            ];
            out.push_str(&fields.map(csv_field).join(","));
            out.push('\n');
        }
    }
    out
}

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. A field
/// that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) gets a leading `'`.
fn csv_field(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@']) {
        format!("'{field}")
    } else {
        field.to_string()
    };
    if !field.contains([',', '"', '\n', '\r']) {
        return field;
    }
    format!("\"{}\"", field.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_escaped() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
        assert_eq!(csv_field("-1,5"), "\"'-1,5\"");
    }
}

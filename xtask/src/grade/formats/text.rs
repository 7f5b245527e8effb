//! `text`: the scorecard a person reads. The run (who graded, what protected the grader, its
//! calibration), for a class a table of submissions by lessons, then each submission: what
//! did not pass and why, its experiments apart, and the files that differ from the handout.

use std::fmt::Write;

use super::super::model::{Check, CheckStatus, Report, Submission, SubmissionStatus};
use super::{FLAKY, change, lessons};

pub fn render(report: &Report) -> String {
    let mut out = header(report);
    let class = report.submissions.len() > 1;
    if class {
        out += &table(report);
    }
    for submission in &report.submissions {
        out.push('\n');
        out += &scorecard(submission, class);
    }
    out
}

/// Who graded, when, under which protections, and whether the grader passed its own check.
fn header(report: &Report) -> String {
    let mut out = format!(
        "graded {} by {}, contract {}\n",
        report.graded_at, report.tool_version, report.contract_version
    );
    let protections = match report.protections.as_slice() {
        [] => "none".to_string(),
        list => list.join("; "),
    };
    let _ = writeln!(out, "protections: {protections}");
    match &report.calibration {
        None => out.push_str("calibration: not run\n"),
        Some(c) if c.ok => {
            out.push_str("calibration: ok (the starter fails, the solution gets full marks)\n");
        }
        Some(c) => {
            out.push_str("calibration: FAILED, the grader itself is broken on this machine:\n");
            for problem in &c.problems {
                let _ = writeln!(out, "  - {problem}");
            }
        }
    }
    out
}

/// One row per submission, one column per lesson (points of its exercise checks), the total.
fn table(report: &Report) -> String {
    let lessons = lessons(report);
    let width = report
        .submissions
        .iter()
        .map(|s| s.id.len())
        .fold(10, usize::max);
    let mut out = format!("\n{:<width$}", "submission");
    for lesson in &lessons {
        let _ = write!(out, "  {:>7}", format!("l{lesson}"));
    }
    out.push_str("    total\n");
    for submission in &report.submissions {
        let _ = write!(out, "{:<width$}", submission.id);
        for lesson in &lessons {
            let _ = write!(out, "  {:>7}", lesson_score(submission, lesson));
        }
        let _ = writeln!(out, "  {:>7}", total(submission));
    }
    out
}

/// `points/max` of one lesson's exercise checks, `-` when it has none.
fn lesson_score(submission: &Submission, lesson: &str) -> String {
    let checks = submission.checks.iter().filter(|c| c.lesson == lesson);
    let (points, max) = checks.fold((0, 0), |(p, m), c| (p + c.points, m + c.max_points));
    if max == 0 {
        "-".to_string()
    } else {
        format!("{points}/{max}")
    }
}

fn total(submission: &Submission) -> String {
    match submission.status {
        SubmissionStatus::Graded => format!("{}/{}", submission.score, submission.max_score),
        SubmissionStatus::BuildFailed => "build failed".to_string(),
        SubmissionStatus::GraderError => "GRADER ERROR".to_string(),
    }
}

/// One submission: a title line, its checks (for a class only those that did not pass),
/// its experiments, and what differs from the handout.
fn scorecard(submission: &Submission, class: bool) -> String {
    let commit = submission
        .commit
        .as_deref()
        .map(short)
        .unwrap_or("no commit");
    let mut out = format!(
        "{} ({}, {commit}): {}\n",
        submission.id,
        submission.path.display(),
        total(submission)
    );
    if let Some(reason) = &submission.reason {
        let _ = writeln!(out, "  {}", indent(reason, 2));
    }
    let shown = |c: &&Check| !class || c.status != CheckStatus::Pass;
    out += &checks(submission.checks.iter().filter(shown), !class);
    if !submission.experiments.is_empty() {
        out.push_str("  experiments (not counted):\n");
        out += &checks(submission.experiments.iter().filter(shown), !class);
    }
    if !submission.tampered.is_empty() {
        out.push_str("  differs from the handout (reported, not punished):\n");
        for t in &submission.tampered {
            let sha = t.sha256.as_deref().map(short).unwrap_or("-");
            let change = change(t.change);
            let _ = writeln!(out, "    {change:<7}  {:<16}  {sha:<8}  {}", t.what, t.path);
        }
    }
    out
}

/// One line per check (`id  status  reason`); with `output`, the programs' output below.
fn checks<'a>(checks: impl Iterator<Item = &'a Check>, output: bool) -> String {
    let checks: Vec<&Check> = checks.collect();
    let width = checks.iter().map(|c| c.id.len()).fold(5, usize::max);
    let mut out = String::new();
    for check in checks {
        let reason = match check.status {
            CheckStatus::Flaky => FLAKY,
            _ => check.reason.as_deref().unwrap_or(""),
        };
        let word = status_word(check.status);
        let line = format!(
            "    {:<width$}  {word:<7}  {}",
            check.id,
            indent(reason, width + 15)
        );
        let _ = writeln!(out, "{}", line.trim_end());
        let failed = !check.status.earns_points();
        if output && failed && !check.output.trim().is_empty() {
            let _ = writeln!(
                out,
                "      | {}",
                check.output.trim_end().replace('\n', "\n      | ")
            );
        }
    }
    out
}

/// Upper case for what costs points, so an eye finds it.
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

/// A multi-line text with its later lines indented by `by` spaces.
fn indent(text: &str, by: usize) -> String {
    text.trim_end()
        .replace('\n', &format!("\n{}", " ".repeat(by)))
}

/// The first 8 characters of a commit or a SHA-256.
fn short(hash: &str) -> &str {
    hash.get(..8).unwrap_or(hash)
}

//! Step 4: the report, in the format asked for. A new format is a variant of [`Format`] and
//! a function here that turns the graded checks into text.

use std::fmt::Write;

use serde::Serialize;

use super::run::Graded;
use super::submissions::Submission;

/// How `grade` prints its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A scorecard to read: for a class, a table first, then what failed.
    Text,
    /// One row per submission and check, for a spreadsheet.
    Csv,
    /// Every submission with its checks, for a program.
    Json,
}

impl Format {
    pub fn write(self, submissions: &[Submission], graded: &[Graded]) -> String {
        match self {
            Format::Text => text(submissions, graded),
            Format::Csv => csv(submissions, graded),
            Format::Json => json(submissions, graded),
        }
    }
}

/// (passed, total) of submission `s`, in `lesson` or in all lessons.
fn score(graded: &[Graded], s: usize, lesson: Option<&str>) -> (usize, usize) {
    let rows = graded
        .iter()
        .filter(|g| g.submission == s && lesson.is_none_or(|l| g.lesson == l));
    rows.fold((0, 0), |(passed, total), g| {
        (passed + usize::from(g.passed), total + 1)
    })
}

/// The scorecard: every check of one submission; for a class, one row per submission
/// first, then what failed.
fn text(submissions: &[Submission], graded: &[Graded]) -> String {
    let mut out = String::new();
    if submissions.len() > 1 {
        out = class_table(submissions, graded);
    }
    let width = graded.iter().map(|g| g.check.len()).fold(5, usize::max);
    for (s, submission) in submissions.iter().enumerate() {
        let rows: Vec<&Graded> = graded
            .iter()
            .filter(|g| g.submission == s && (submissions.len() == 1 || !g.passed))
            .collect();
        if submissions.len() > 1 && rows.is_empty() {
            continue;
        }
        let (name, kind) = (&submission.name, submission.kind.name());
        let _ = writeln!(out, "{name} ({kind}, {})", submission.path.display());
        let _ = writeln!(out, "  lesson  {:<width$}  result  reason", "check");
        for row in rows {
            let result = if row.passed { "pass" } else { "FAIL" };
            let (lesson, check) = (&row.lesson, &row.check);
            let reason = row.reason.as_deref().unwrap_or("");
            let line = format!("  {lesson:<6}  {check:<width$}  {result:<6}  {reason}");
            let _ = writeln!(out, "{}", line.trim_end());
        }
        let (passed, total) = score(graded, s, None);
        let _ = writeln!(out, "  total: {passed} of {total} checks passed\n");
    }
    out
}

/// One row per submission, one column per lesson, then the total; an empty line after.
fn class_table(submissions: &[Submission], graded: &[Graded]) -> String {
    let mut lessons: Vec<&str> = Vec::new();
    for g in graded {
        if !lessons.contains(&g.lesson.as_str()) {
            lessons.push(&g.lesson);
        }
    }
    let width = submissions
        .iter()
        .map(|s| s.name.len())
        .fold(10, usize::max);
    let mut out = format!("{:<width$}", "submission");
    for lesson in &lessons {
        let _ = write!(out, "  {lesson:>7}");
    }
    out.push_str("    total\n");
    for (s, submission) in submissions.iter().enumerate() {
        let _ = write!(out, "{:<width$}", submission.name);
        for lesson in lessons.iter().map(|l| Some(*l)).chain([None]) {
            let (passed, total) = score(graded, s, lesson);
            let _ = write!(out, "  {:>7}", format!("{passed}/{total}"));
        }
        out.push('\n');
    }
    out.push('\n');
    out
}

/// One row per submission and check: `submission,path,lesson,check,result,reason,seconds`.
fn csv(submissions: &[Submission], graded: &[Graded]) -> String {
    let mut out = String::from("submission,path,lesson,check,result,reason,seconds\n");
    for row in graded {
        let submission = &submissions[row.submission];
        let (path, seconds) = (
            submission.path.display().to_string(),
            format!("{:.2}", row.seconds),
        );
        let result = if row.passed { "pass" } else { "fail" };
        let reason = row.reason.as_deref().unwrap_or("");
        let fields: [&str; 7] = [
            &submission.name,
            &path,
            &row.lesson,
            &row.check,
            result,
            reason,
            &seconds,
        ];
        out.push_str(&fields.map(csv_field).join(","));
        out.push('\n');
    }
    out
}

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. A field
/// that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) gets a leading `'`.
fn csv_field(field: &str) -> String {
    let formula = field.starts_with(['=', '+', '-', '@']);
    let field = if formula {
        format!("'{field}")
    } else {
        field.to_string()
    };
    if !field.contains([',', '"', '\n', '\r']) {
        return field;
    }
    format!("\"{}\"", field.replace('"', "\"\""))
}

/// The JSON report: every submission with its checks.
#[derive(Debug, Serialize)]
struct JsonReport<'a> {
    submissions: Vec<JsonSubmission<'a>>,
}

#[derive(Debug, Serialize)]
struct JsonSubmission<'a> {
    #[serde(flatten)]
    submission: &'a Submission,
    passed: usize,
    total: usize,
    checks: Vec<&'a Graded>,
}

fn json(submissions: &[Submission], graded: &[Graded]) -> String {
    let submissions = submissions.iter().enumerate().map(|(s, submission)| {
        let (passed, total) = score(graded, s, None);
        let checks = graded.iter().filter(|g| g.submission == s).collect();
        JsonSubmission {
            submission,
            passed,
            total,
            checks,
        }
    });
    let report = JsonReport {
        submissions: submissions.collect(),
    };
    serde_json::to_string_pretty(&report).expect("a report is plain data") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::submissions::Kind;

    #[test]
    fn csv_fields_are_escaped() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
        assert_eq!(csv_field("-1,5"), "\"'-1,5\"");
    }

    fn sample() -> (Vec<Submission>, Vec<Graded>) {
        let submissions = vec![
            Submission {
                name: "alice".into(),
                path: "/class/alice".into(),
                kind: Kind::Checkout,
            },
            Submission {
                name: "bob \"b\"".into(),
                path: "/class/bob".into(),
                kind: Kind::Programs,
            },
        ];
        let row = |submission, check: &str, reason: Option<&str>| Graded {
            submission,
            lesson: "01".into(),
            check: check.into(),
            passed: reason.is_none(),
            reason: reason.map(str::to_string),
            seconds: 0.5,
        };
        let graded = vec![
            row(0, "one_call", None),
            row(0, "help", None),
            row(
                1,
                "one_call",
                Some("waited for \"listening on \", after 10s"),
            ),
            row(1, "help", None),
        ];
        (submissions, graded)
    }

    #[test]
    fn the_reports_say_the_same_thing_three_ways() {
        let (submissions, graded) = sample();
        let table = text(&submissions, &graded);
        assert!(table.contains("alice           2/2      2/2"), "{table}");
        assert!(table.contains("bob \"b\"         1/2      1/2"), "{table}");
        assert!(
            table.contains("FAIL    waited for \"listening on \", after 10s"),
            "{table}"
        );
        assert!(
            !table.contains("alice (checkout"),
            "a class table lists only failures:\n{table}"
        );

        let csv = csv(&submissions, &graded);
        assert_eq!(csv.lines().count(), 5);
        assert!(csv.contains("\"bob \"\"b\"\"\",/class/bob,01,one_call,fail,\"waited for \"\"listening on \"\", after 10s\",0.50"), "{csv}");

        let report: serde_json::Value = serde_json::from_str(&json(&submissions, &graded)).unwrap();
        let bob = &report["submissions"][1];
        assert_eq!(bob["name"], "bob \"b\"");
        assert_eq!(bob["passed"], 1);
        let reason = &bob["checks"][0]["reason"];
        assert_eq!(reason, "waited for \"listening on \", after 10s");
        assert_eq!(bob["checks"][1]["reason"], serde_json::Value::Null);

        // One submission: every check, passed or not.
        let one = text(&submissions[..1], &graded[..2]);
        assert!(one.contains("  01      one_call  pass"), "{one}");
        assert!(one.contains("total: 2 of 2 checks passed"), "{one}");
    }
}

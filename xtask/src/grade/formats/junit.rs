//! `junit`: JUnit XML (`junit.xml`) in the shape cargo-nextest writes and Jenkins reads, for
//! CI systems and LMS plug-ins (CodeGrade's unit-test step, for one). One `<testsuite>` per
//! lesson (named `<submission>.l03` when a run has several submissions), one `<testcase>` per
//! exercise check: `<failure>` with the reason for a failed or timed-out check, `<error>` for
//! the grader's own fault, `<skipped/>`, and `<flakyFailure/>` on a passed flaky one, as
//! nextest marks them. The programs' output goes in `<system-out>`, points in `<properties>`.
//! A submission that did not build gets one suite with one failed `build` case. Experiments
//! are left out: a CI system would count them as failures of the grade.

use std::borrow::Cow;
use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::super::model::{Check, CheckStatus, Report, Submission, SubmissionStatus};
use super::{FLAKY, lessons};

type Xml = Writer<Vec<u8>>;

/// One `<testsuite>`: a lesson's checks of one submission, or why it has none.
struct Suite<'a> {
    name: String,
    checks: Vec<&'a Check>,
    /// The submission did not build, or the grader broke: its status and reason.
    unbuilt: Option<(SubmissionStatus, &'a str)>,
}

impl Suite<'_> {
    /// (tests, failures, errors, skipped)
    fn counts(&self) -> (usize, usize, usize, usize) {
        let count = |wanted: &[CheckStatus]| {
            self.checks
                .iter()
                .filter(|c| wanted.contains(&c.status))
                .count()
        };
        let failed = count(&[CheckStatus::Fail, CheckStatus::Timeout]);
        let errors = count(&[CheckStatus::Error]);
        let (failed, errors) = match self.unbuilt {
            Some((SubmissionStatus::GraderError, _)) => (failed, errors + 1),
            Some(_) => (failed + 1, errors),
            None => (failed, errors),
        };
        let tests = self.checks.len() + usize::from(self.unbuilt.is_some());
        (tests, failed, errors, count(&[CheckStatus::Skipped]))
    }
}

pub fn render(report: &Report) -> anyhow::Result<String> {
    let suites = suites(report);
    let (mut tests, mut failures, mut errors) = (0, 0, 0);
    for suite in &suites {
        let (t, f, e, _) = suite.counts();
        (tests, failures, errors) = (tests + t, failures + f, errors + e);
    }
    let seconds: f64 = suites
        .iter()
        .flat_map(|s| &s.checks)
        .map(|c| c.seconds)
        .sum();
    let mut xml = Writer::new_with_indent(Vec::new(), b' ', 2);
    xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    xml.create_element("testsuites")
        .with_attributes([
            ("name", "sockets-by-phone grade"),
            ("tests", &tests.to_string()),
            ("failures", &failures.to_string()),
            ("errors", &errors.to_string()),
            ("timestamp", &report.graded_at),
            ("time", &format!("{seconds:.3}")),
        ])
        .write_inner_content(|xml| suites.iter().try_for_each(|s| write_suite(xml, s)))?;
    Ok(String::from_utf8(xml.into_inner())? + "\n")
}

/// Every submission's suites: one per lesson of its exercise checks.
fn suites(report: &Report) -> Vec<Suite<'_>> {
    let several = report.submissions.len() > 1;
    let mut suites = Vec::new();
    for submission in &report.submissions {
        let prefix = if several {
            format!("{}.", submission.id)
        } else {
            String::new()
        };
        if submission.status != SubmissionStatus::Graded {
            suites.push(unbuilt(submission, format!("{prefix}build")));
        }
        for lesson in lessons(report) {
            let checks: Vec<&Check> = submission
                .checks
                .iter()
                .filter(|c| c.lesson == lesson)
                .collect();
            if !checks.is_empty() {
                let name = format!("{prefix}l{lesson}");
                suites.push(Suite {
                    name,
                    checks,
                    unbuilt: None,
                });
            }
        }
    }
    suites
}

fn unbuilt(submission: &Submission, name: String) -> Suite<'_> {
    let reason = submission.reason.as_deref().unwrap_or("");
    Suite {
        name,
        checks: Vec::new(),
        unbuilt: Some((submission.status, reason)),
    }
}

fn write_suite(xml: &mut Xml, suite: &Suite) -> io::Result<()> {
    let (tests, failures, errors, skipped) = suite.counts();
    let seconds: f64 = suite.checks.iter().map(|c| c.seconds).sum();
    let points: u32 = suite.checks.iter().map(|c| c.points).sum();
    let max_points: u32 = suite.checks.iter().map(|c| c.max_points).sum();
    xml.create_element("testsuite")
        .with_attributes([
            ("name", suite.name.as_str()),
            ("tests", &tests.to_string()),
            ("failures", &failures.to_string()),
            ("errors", &errors.to_string()),
            ("skipped", &skipped.to_string()),
            ("time", &format!("{seconds:.3}")),
        ])
        .write_inner_content(|xml| {
            xml.create_element("properties")
                .write_inner_content(|xml| {
                    property(xml, "points", points)?;
                    property(xml, "max_points", max_points)
                })?;
            if let Some((status, reason)) = suite.unbuilt {
                write_unbuilt(xml, &suite.name, status, reason)?;
            }
            suite
                .checks
                .iter()
                .try_for_each(|c| write_case(xml, c, &suite.name))
        })?;
    Ok(())
}

fn property(xml: &mut Xml, name: &str, value: u32) -> io::Result<()> {
    let value = value.to_string();
    xml.create_element("property")
        .with_attributes([("name", name), ("value", &value)])
        .write_empty()?;
    Ok(())
}

/// The one case of a submission without a grade: `build` failed, or the grader broke.
fn write_unbuilt(
    xml: &mut Xml,
    suite: &str,
    status: SubmissionStatus,
    reason: &str,
) -> io::Result<()> {
    let (element, kind) = match status {
        SubmissionStatus::GraderError => ("error", "grader error"),
        _ => ("failure", "build failed"),
    };
    xml.create_element("testcase")
        .with_attributes([("name", "build"), ("classname", suite), ("time", "0.000")])
        .write_inner_content(|xml| outcome(xml, element, kind, reason))?;
    Ok(())
}

/// One `<testcase>`: empty when it passed, else what happened inside.
fn write_case(xml: &mut Xml, check: &Check, classname: &str) -> io::Result<()> {
    let time = format!("{:.3}", check.seconds);
    let case = xml.create_element("testcase").with_attributes([
        ("name", check.id.as_str()),
        ("classname", classname),
        ("time", &time),
    ]);
    if check.status == CheckStatus::Pass {
        case.write_empty()?;
        return Ok(());
    }
    let reason = check.reason.as_deref().unwrap_or("");
    case.write_inner_content(|xml| {
        match check.status {
            CheckStatus::Fail => outcome(xml, "failure", "check failed", reason)?,
            CheckStatus::Timeout => outcome(xml, "failure", "timeout", reason)?,
            CheckStatus::Error => outcome(xml, "error", "grader error", reason)?,
            CheckStatus::Flaky => outcome(xml, "flakyFailure", "check failed", FLAKY)?,
            CheckStatus::Skipped | CheckStatus::Pass => {
                let message = xml_safe(first_line(reason));
                xml.create_element("skipped")
                    .with_attribute(("message", message))
                    .write_empty()?;
            }
        }
        if !check.output.trim().is_empty() {
            let output = xml_safe(check.output.trim_end());
            xml.create_element("system-out")
                .write_text_content(BytesText::new(&output))?;
        }
        Ok(())
    })?;
    Ok(())
}

/// `<failure type message>reason</failure>` (or `<error>`, `<flakyFailure>`).
fn outcome(xml: &mut Xml, element: &str, kind: &str, reason: &str) -> io::Result<()> {
    let message = xml_safe(first_line(reason));
    let element = xml
        .create_element(element)
        .with_attributes([("type", kind), ("message", &message)]);
    if reason.contains('\n') {
        element.write_text_content(BytesText::new(&xml_safe(reason)))?;
    } else {
        element.write_empty()?;
    }
    Ok(())
}

/// An attribute holds one line: a reader turns the others into spaces.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// XML 1.0 cannot hold most control characters, even escaped: a program that printed one
/// (a terminal colour, a NUL) gets U+FFFD in its place.
fn xml_safe(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| !matches!(c, '\0'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '\u{fffe}' | '\u{ffff}');
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(
            text.chars()
                .map(|c| if allowed(c) { c } else { '\u{fffd}' })
                .collect(),
        )
    }
}

//! Golden tests: one hand-made [`Report`] in every format, compared with the files in
//! `xtask/tests/fixtures/formats/`, and parsed back with a real reader of each format.
//!
//! After a deliberate change: `GRADE_FORMATS_BLESS=1 cargo test -p xtask formats` rewrites
//! the golden files; read their diff before committing.

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use quick_xml::events::Event;

use super::super::model::*;
use super::{Format, classroom, outputs, render};

const TIMES: &str = "l03.timestamps_become_times_in_utc";
const LINES: &str = "l03.ten_thousand_lines_in_one_call";
const BAD_LINE: &str = "l03.a_bad_line_gets_an_error_line";
const REDIAL: &str = "l04.the_client_redials_for_every_message";

/// Two submissions, graded with a calibration that is ok.
fn report() -> Report {
    Report {
        schema: SCHEMA.to_string(),
        tool_version: "xtask 0.1.0 (806f443)".to_string(),
        contract_version: "1".to_string(),
        graded_at: "2026-12-03T08:00:00Z".to_string(),
        protections: vec!["cleared environment".into(), "a fresh target folder".into()],
        calibration: Some(Calibration {
            ok: true,
            problems: Vec::new(),
        }),
        submissions: vec![alice_submission(), bob_submission()],
    }
}

/// A check worth 1 point, run in a quarter of a second.
fn check(id: &str, status: CheckStatus, points: u32, reason: Option<&str>) -> Check {
    Check {
        id: id.to_string(),
        lesson: id[1..3].to_string(),
        status,
        points,
        max_points: 1,
        reason: reason.map(str::to_string),
        output: String::new(),
        seconds: 0.25,
    }
}

/// A pass, a flaky, a fail (with output), a timeout, an experiment, a changed test file.
fn alice_submission() -> Submission {
    let reason = "waited for \"error: \" on stderr, but <the program> & its peer ended first\n\
        it printed nothing";
    let failed = Check {
        output: "listening on 127.0.0.1:40001\n".to_string(),
        ..check(BAD_LINE, CheckStatus::Fail, 0, Some(reason))
    };
    let changed = Tampered {
        path: "lessons/03-timestamp/tests/behaviour.rs".to_string(),
        change: Change::Changed,
        what: "tests".to_string(),
        sha256: Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into()),
    };
    let glued = Some("the two lines came as one");
    Submission {
        id: "alice".to_string(),
        path: PathBuf::from("/class/alice"),
        kind: Kind::Checkout,
        commit: Some("4b825dc642cb6eb9a060e54bf8d69288fbee4904".to_string()),
        status: SubmissionStatus::Graded,
        reason: None,
        score: 2,
        max_score: 4,
        tampered: vec![changed],
        checks: vec![
            check(TIMES, CheckStatus::Pass, 1, None),
            check(
                LINES,
                CheckStatus::Flaky,
                1,
                Some("waited for line 7 of 10000"),
            ),
            failed,
            check(
                REDIAL,
                CheckStatus::Timeout,
                0,
                Some("no answer within 60 s: a hang?"),
            ),
        ],
        experiments: vec![Check {
            max_points: 0,
            ..check("l03.glued", CheckStatus::Fail, 0, glued)
        }],
    }
}

/// A name with a comma and quotes, a grader error (its output has a control character),
/// two passes, a skipped lesson, no commit.
fn bob_submission() -> Submission {
    let fault = Check {
        output: "colour \x1b[31mred\x1b[0m".to_string(),
        ..check(
            TIMES,
            CheckStatus::Error,
            0,
            Some("the grader failed (a PoisonError), not you"),
        )
    };
    Submission {
        id: "bob, \"the builder\"".to_string(),
        path: PathBuf::from("/class/bob"),
        kind: Kind::Programs,
        commit: None,
        status: SubmissionStatus::Graded,
        reason: None,
        score: 2,
        max_score: 4,
        tampered: Vec::new(),
        checks: vec![
            fault,
            check(LINES, CheckStatus::Pass, 1, None),
            check(BAD_LINE, CheckStatus::Pass, 1, None),
            check(
                REDIAL,
                CheckStatus::Skipped,
                0,
                Some("lesson 04 has no programs"),
            ),
        ],
        experiments: Vec::new(),
    }
}

/// Alice alone: what a platform that grades one submission per run sees.
fn alice() -> Report {
    let mut report = report();
    report.submissions.truncate(1);
    report
}

/// A roster as an instructor makes it from a Canvas gradebook export, plus `submission`.
const ROSTER: &str = include_str!("../../../tests/fixtures/formats/roster.csv");

/// Compares `text` with the golden file `name`, or rewrites it with GRADE_FORMATS_BLESS=1.
fn golden(name: &str, text: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/formats")
        .join(name);
    if std::env::var_os("GRADE_FORMATS_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (GRADE_FORMATS_BLESS=1 writes it)", path.display()));
    assert_eq!(
        text, expected,
        "{name} changed; if that was deliberate: GRADE_FORMATS_BLESS=1 cargo test -p xtask formats"
    );
}

fn rendered(report: &Report, format: Format) -> String {
    render(report, format, Some(ROSTER)).unwrap()
}

#[test]
fn text_is_a_scorecard_with_a_class_table_first() {
    let text = rendered(&report(), Format::Text);
    golden("grade.txt", &text);
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("submission"))
        .collect();
    assert_eq!(
        table[0].matches("l03").count(),
        1,
        "each lesson once:\n{text}"
    );
    assert!(
        table[1].starts_with("alice") && table[1].ends_with("2/4"),
        "{text}"
    );
    assert!(
        text.contains("experiments (not counted):\n    l03.glued"),
        "{text}"
    );
    assert!(text.contains("calibration: ok"), "{text}");
    assert!(text.contains("changed  tests"), "{text}");
    // A class lists only what did not pass; one submission lists every check, with output.
    assert!(
        !text.contains("l03.timestamps_become_times_in_utc  pass"),
        "{text}"
    );
    let one = rendered(&alice(), Format::Text);
    golden("alice.txt", &one);
    assert!(
        one.contains("l03.timestamps_become_times_in_utc        pass"),
        "{one}"
    );
    assert!(one.contains("| listening on 127.0.0.1:40001"), "{one}");
}

#[test]
fn json_is_the_report_and_reads_back_the_same() {
    let json = rendered(&report(), Format::Json);
    golden("grade.json", &json);
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report());
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["schema"], "sockets-by-phone/grade/v1");
    assert_eq!(value["submissions"][0]["checks"][1]["status"], "flaky");
}

/// A CSV read with the csv crate: its header, its rows.
fn read_csv(text: &str) -> (Vec<String>, Vec<::csv::StringRecord>) {
    let mut reader = ::csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    (header, reader.records().map(Result::unwrap).collect())
}

#[test]
fn csv_has_one_row_per_submission_and_one_column_per_check() {
    let text = rendered(&report(), Format::Csv);
    golden("grades.csv", &text);
    let (header, rows) = read_csv(&text);
    assert_eq!(header[..4], ["submission", "path", "commit", "status"]);
    assert_eq!(header[header.len() - 2..], ["total", "max"]);
    let ids = &header[4..header.len() - 2];
    let mut sorted = ids.to_vec();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids.len(), 4, "each check once, no experiments: {header:?}");
    assert_eq!(sorted, ids);
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[1][0], "bob, \"the builder\"");
    assert_eq!(&rows[1][2], "", "bob has no commit");
    let column = |id: &str| header.iter().position(|h| h == id).unwrap();
    assert_eq!(
        &rows[0][column("l03.ten_thousand_lines_in_one_call")],
        "1",
        "flaky earns"
    );
    assert_eq!(&rows[0][column("l03.a_bad_line_gets_an_error_line")], "0");
    assert_eq!(
        (&rows[0][column("total")], &rows[0][column("max")]),
        ("2", "4")
    );
}

#[test]
fn csv_cells_that_look_like_formulas_stay_text() {
    let mut report = alice();
    report.submissions[0].id = "=HYPERLINK(\"x\")".to_string();
    let text = rendered(&report, Format::Csv);
    let (_, rows) = read_csv(&text);
    let row = &rows[0];
    assert_eq!(&row[0], "'=HYPERLINK(\"x\")");
}

/// Gradescope's results.json: its fields, one file per submission for a class.
#[test]
fn gradescope_results_have_the_fields_gradescope_reads() {
    let text = rendered(&alice(), Format::Gradescope);
    golden("gradescope.json", &text);
    let results: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(results["score"], 2);
    let tests = results["tests"].as_array().unwrap();
    // 4 checks, 1 experiment, 1 hidden note about the changed test file.
    assert_eq!(tests.len(), 6);
    let statuses: Vec<&str> = tests
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["passed", "passed", "failed", "failed", "failed", "failed"]
    );
    assert_eq!(tests[2]["max_score"], 1);
    assert!(
        tests[2]["output"]
            .as_str()
            .unwrap()
            .contains("waited for \"error: \"")
    );
    assert_eq!(tests[4]["max_score"], 0, "an experiment is worth nothing");
    assert_eq!(tests[5]["visibility"], "hidden");
    assert_eq!(tests[0]["number"], "1");
    let files = outputs(&report(), Format::Gradescope, None).unwrap();
    let names: Vec<PathBuf> = files.iter().map(|o| o.file.clone()).collect();
    assert_eq!(
        names,
        [
            PathBuf::from("gradescope/alice/results.json"),
            PathBuf::from("gradescope/bob, \"the builder\"/results.json")
        ]
    );
    // On stdout, several submissions make one object of results by id.
    let class: serde_json::Value =
        serde_json::from_str(&rendered(&report(), Format::Gradescope)).unwrap();
    assert_eq!(class["bob, \"the builder\""]["score"], 2);
    let one = outputs(&alice(), Format::Gradescope, None).unwrap();
    assert_eq!(one[0].file, PathBuf::from("gradescope/results.json"));
    assert_eq!(one[0].text, text);
}

#[test]
fn classroom_result_is_base64_json_the_reporter_reads() {
    let line = rendered(&alice(), Format::Classroom);
    let encoded = line
        .strip_prefix("result=")
        .unwrap()
        .strip_suffix('\n')
        .unwrap();
    let json = String::from_utf8(STANDARD.decode(encoded).unwrap()).unwrap();
    let results: classroom::Results = serde_json::from_str(&json).unwrap();
    golden(
        "classroom.json",
        &(serde_json::to_string_pretty(&results).unwrap() + "\n"),
    );
    assert_eq!(
        (results.version, results.status.as_str(), results.max_score),
        (1, "fail", 4)
    );
    let statuses: Vec<&str> = results.tests.iter().map(|t| t.status.as_str()).collect();
    assert_eq!(statuses, ["pass", "pass", "fail", "fail"]);
    let score: u32 = results.tests.iter().map(|t| t.score).sum();
    assert_eq!(score, 2, "the reporter sums the tests' scores");
    assert_eq!(results.tests[3].duration, 250);
    let class = render(&report(), Format::Classroom, None)
        .unwrap_err()
        .to_string();
    assert!(class.contains("grades one submission"), "{class}");
}

#[test]
fn classroom_says_error_when_the_grader_broke() {
    let mut report = alice();
    report.submissions[0].status = SubmissionStatus::GraderError;
    report.submissions[0].reason = Some("a test executable changed".to_string());
    let line = rendered(&report, Format::Classroom);
    let json = STANDARD
        .decode(line.trim_end().strip_prefix("result=").unwrap())
        .unwrap();
    let results: classroom::Results = serde_json::from_slice(&json).unwrap();
    assert_eq!(results.status, "error");
    assert_eq!(results.tests[0].name, "grader");
    assert_eq!(results.tests[0].message, "a test executable changed");
}

/// Counts the elements of a JUnit file with a real XML reader (which also proves it parses).
fn junit_counts(xml: &str) -> std::collections::BTreeMap<String, usize> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut counts = std::collections::BTreeMap::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                *counts.entry(name).or_insert(0) += 1;
            }
            Event::Eof => return counts,
            _ => {}
        }
    }
}

#[test]
fn junit_has_a_suite_per_lesson_and_a_case_per_check() {
    let xml = rendered(&report(), Format::Junit);
    golden("junit.xml", &xml);
    let counts = junit_counts(&xml);
    let count = |name: &str| counts.get(name).copied().unwrap_or(0);
    assert_eq!(count("testsuites"), 1);
    assert_eq!(
        count("testsuite"),
        4,
        "2 submissions × lessons 03, 04: {counts:?}"
    );
    assert_eq!(count("testcase"), 8, "experiments are left out: {counts:?}");
    assert_eq!(count("failure"), 2, "a fail and a timeout: {counts:?}");
    assert_eq!(count("error"), 1);
    assert_eq!(count("skipped"), 1);
    assert_eq!(count("flakyFailure"), 1);
    assert!(xml.contains("<testsuite name=\"alice.l03\""), "{xml}");
    assert!(
        xml.contains("message=\"waited for &quot;error: &quot; on stderr, but &lt;the"),
        "{xml}"
    );
    assert!(
        xml.contains("colour \u{fffd}[31mred"),
        "a control character is replaced: {xml}"
    );
    let one = rendered(&alice(), Format::Junit);
    assert!(one.contains("<testsuite name=\"l03\""), "{one}");
}

#[test]
fn junit_reports_a_failed_build_as_one_failed_case() {
    let mut report = alice();
    let alice = &mut report.submissions[0];
    alice.status = SubmissionStatus::BuildFailed;
    alice.reason = Some("error[E0425]: cannot find value `x`".to_string());
    alice.checks.clear();
    let xml = rendered(&report, Format::Junit);
    let counts = junit_counts(&xml);
    assert_eq!(
        (counts["testsuite"], counts["testcase"], counts["failure"]),
        (1, 1, 1),
        "{xml}"
    );
    assert!(
        xml.contains("type=\"build failed\" message=\"error[E0425]"),
        "{xml}"
    );
}

#[test]
fn prairielearn_results_score_a_fraction() {
    let text = rendered(&alice(), Format::Prairielearn);
    golden("prairielearn.json", &text);
    let results: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(results["score"], 0.5);
    assert_eq!(results["gradable"], true);
    let tests = results["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 5);
    assert_eq!(
        (&tests[2]["points"], &tests[2]["max_points"]),
        (&0.into(), &1.into())
    );
    assert!(
        tests[4]["description"]
            .as_str()
            .unwrap()
            .contains("experiment")
    );
    let files = outputs(&report(), Format::Prairielearn, None).unwrap();
    assert_eq!(
        files[0].file,
        PathBuf::from("prairielearn/alice/results.json")
    );
}

#[test]
fn canvas_copies_the_roster_and_adds_the_assignment() {
    let text = rendered(&report(), Format::Canvas);
    golden("canvas.csv", &text);
    let (header, rows) = read_csv(&text);
    assert_eq!(
        header,
        [
            "Student",
            "ID",
            "SIS User ID",
            "SIS Login ID",
            "Section",
            "Sockets by Phone (lessons 03, 04)"
        ]
    );
    assert_eq!((&rows[0][0], &rows[0][5]), ("Lee, Alice", "2"));
    assert_eq!(
        (&rows[1][0], &rows[1][5]),
        ("Chen, Carol", ""),
        "no submission, no score"
    );
    let report = report();
    let unmatched = super::canvas::without_roster_row(&report, ROSTER).unwrap();
    assert_eq!(unmatched, ["bob, \"the builder\""]);
    let no_column = render(&report, Format::Canvas, Some("Student,ID\nx,1\n")).unwrap_err();
    assert!(
        no_column.to_string().contains("no `submission` column"),
        "{no_column}"
    );
    assert!(
        render(&report, Format::Canvas, None).is_err(),
        "canvas needs a roster"
    );
}

#[test]
fn out_writes_each_format_to_its_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let roster = dir.path().join("roster.csv");
    std::fs::write(&roster, ROSTER).unwrap();
    let all = [
        Format::Text,
        Format::Json,
        Format::Csv,
        Format::Gradescope,
        Format::Junit,
    ];
    let out = dir.path().join("out");
    let more = [Format::Prairielearn, Format::Canvas];
    super::write(
        &report(),
        &[all.as_slice(), &more].concat(),
        Some(&out),
        Some(&roster),
    )
    .unwrap();
    for file in [
        "grade.txt",
        "grade.json",
        "grades.csv",
        "gradescope/alice/results.json",
        "junit.xml",
        "prairielearn/alice/results.json",
        "canvas.csv",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
}

#[test]
fn folder_names_stay_inside_the_folder() {
    assert_eq!(super::folder_name("alice"), "alice");
    assert_eq!(super::folder_name("a/b"), "a_b");
    assert_eq!(super::folder_name(".."), "_..");
    assert_eq!(super::folder_name(""), "_");
}

#[test]
fn classroom_appends_to_the_github_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("github_output");
    std::fs::write(&path, "earlier=1\n").unwrap();
    classroom::append_to(&alice(), &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        format!("earlier=1\n{}", rendered(&alice(), Format::Classroom))
    );
}

#[test]
fn text_says_when_there_is_no_grade_and_when_the_grader_is_broken() {
    let mut report = report();
    report.calibration = Some(Calibration {
        ok: false,
        problems: vec!["the solution failed l03.glued".to_string()],
    });
    let bob = &mut report.submissions[1];
    bob.status = SubmissionStatus::BuildFailed;
    bob.reason = Some("error[E0425]: cannot find value `x`\n  --> src/main.rs:3".to_string());
    let text = rendered(&report, Format::Text);
    assert!(
        text.contains(
            "calibration: FAILED, the grader itself is broken on this machine:\n  \
            - the solution failed l03.glued\n"
        ),
        "{text}"
    );
    assert!(text.contains("2/3      0/1  build failed\n"), "{text}");
    assert!(
        text.contains("no commit): build failed\n  error[E0425]"),
        "{text}"
    );
}

//! `cargo xtask grade <PATH>...`: this repository's behavioural tests, run against other
//! implementations of the lessons.
//!
//! The tests come from *this* workspace (built here), so a student who edited their tests
//! cannot change their grade. What they test comes from each PATH, through the hook in
//! `test-support`: with `SOCKETS_BY_PHONE_PROGRAMS=<folder>`, `Lesson::program(name)` runs
//! `<folder>/<package>/<name>`. A PATH is one of:
//!
//! - a student's checkout of this workspace (a `Cargo.toml` and `lessons/`): built there,
//!   one lesson at a time, into a target folder of ours; each lesson's programs are copied
//!   into a programs folder right after its build, because every lesson names its programs
//!   `server` and `client` and the next build would overwrite them;
//! - a folder of programs, `<package>/<name>`: anything executable that keeps the contract
//!   (a build, or a script that starts a Python program);
//! - a folder of those (a class): each subfolder is one submission.
//!
//! Each check is one test, run in a process of its own with a time limit; a submission
//! that does not build, hangs or floods its output fails that check with the reason, and
//! the rest of the run goes on.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;

use crate::exercise::target_dir;
use crate::testrun::{self, Outcome, TestExe};
use crate::tools;

const USAGE: &str = "usage: cargo xtask grade [options] PATH...

PATH is a student's checkout of this workspace, a folder of programs laid out as
<package>/<program> (e.g. lesson-03-timestamp/server), or a folder holding several of
those (one per student).

options:
  --lesson NN        grade only this lesson (repeat for more); default: every lesson with tests
  --check TEXT       run only the checks whose name contains TEXT (repeat for more)
  --format FORMAT    text (default), csv or json
  --timeout SECS     time limit of one check (default 60)
  --jobs N           checks run at once (default: the number of cores, at most 8)
  --list             list the checks and exit";

/// What `grade` was asked to do.
#[derive(Debug)]
struct Options {
    lessons: Vec<String>,
    checks: Vec<String>,
    format: Format,
    timeout: Duration,
    jobs: usize,
    list: bool,
    paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Text,
    Csv,
    Json,
}

fn options(args: &[&str]) -> anyhow::Result<Options> {
    let mut options = Options {
        lessons: Vec::new(),
        checks: Vec::new(),
        format: Format::Text,
        timeout: Duration::from_secs(60),
        jobs: testrun::default_threads(),
        list: false,
        paths: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .map(|v| v.to_string())
                .with_context(|| format!("{name} needs a value\n\n{USAGE}"))
        };
        match *arg {
            "--lesson" => {
                let lesson = value("--lesson")?;
                let lesson = lesson
                    .parse::<u32>()
                    .map_or(lesson.clone(), |n| format!("{n:02}"));
                options.lessons.push(lesson);
            }
            "--check" => options.checks.push(value("--check")?),
            "--format" => {
                options.format = match value("--format")?.as_str() {
                    "text" => Format::Text,
                    "csv" => Format::Csv,
                    "json" => Format::Json,
                    other => bail!("--format {other}: use text, csv or json"),
                }
            }
            "--timeout" => {
                let secs: f64 = value("--timeout")?
                    .parse()
                    .ok()
                    .filter(|s: &f64| *s > 0.0 && s.is_finite())
                    .context("--timeout needs a number of seconds above 0")?;
                options.timeout = Duration::from_secs_f64(secs);
            }
            "--jobs" => {
                options.jobs = value("--jobs")?
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .context("--jobs needs a number above 0")?;
            }
            "--list" => options.list = true,
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            flag if flag.starts_with("--") => bail!("unknown option {flag}\n\n{USAGE}"),
            path => options.paths.push(PathBuf::from(path)),
        }
    }
    if options.paths.is_empty() && !options.list {
        bail!("name at least one PATH to grade\n\n{USAGE}");
    }
    Ok(options)
}

/// One lesson of this workspace: `01`, `lesson-01-phone-metaphor`.
#[derive(Debug, Clone)]
pub struct Lesson {
    pub number: String,
    pub package: String,
}

/// The lessons of the workspace at `root`, in order.
pub fn lessons(root: &Path) -> Vec<Lesson> {
    let mut lessons = Vec::new();
    for entry in std::fs::read_dir(root.join("lessons"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let folder = entry.file_name().to_string_lossy().into_owned();
        let manifest = std::fs::read_to_string(entry.path().join("Cargo.toml")).unwrap_or_default();
        let package = manifest.lines().find_map(|line| {
            let value = line.trim().strip_prefix("name")?.trim().strip_prefix('=')?;
            Some(value.trim().trim_matches('"').to_string())
        });
        if let (Some(package), Some((number, _))) = (package, folder.split_once('-')) {
            lessons.push(Lesson {
                number: number.to_string(),
                package,
            });
        }
    }
    lessons.sort_by(|a, b| a.number.cmp(&b.number));
    lessons
}

/// One check: one behavioural test of one lesson.
#[derive(Debug, Clone)]
struct Check {
    lesson: Lesson,
    exe: TestExe,
    test: String,
}

/// What a PATH turned out to be.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Checkout,
    Programs,
    /// Neither: every check fails with this reason.
    Unusable(String),
}

#[derive(Debug, Clone)]
struct Submission {
    name: String,
    path: PathBuf,
    kind: Kind,
}

fn kind_of(path: &Path) -> Kind {
    if !path.is_dir() {
        return Kind::Unusable(format!("{} is not a folder", path.display()));
    }
    if path.join("Cargo.toml").is_file() {
        return Kind::Checkout;
    }
    let has_programs = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| e.path().is_dir() && e.file_name().to_string_lossy().starts_with("lesson-"));
    if has_programs {
        Kind::Programs
    } else {
        Kind::Unusable(
            "neither a checkout (no Cargo.toml) nor a folder of programs (no lesson-* folder)"
                .into(),
        )
    }
}

/// The submissions the PATHs name: a class folder counts as its subfolders.
fn submissions(paths: &[PathBuf]) -> Vec<Submission> {
    let mut found = Vec::new();
    for path in paths {
        let kind = kind_of(path);
        let is_class = matches!(kind, Kind::Unusable(_)) && path.is_dir();
        if is_class {
            let mut members: Vec<PathBuf> = std::fs::read_dir(path)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.is_dir()
                        && !p
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            members.sort();
            if !members.is_empty() {
                for member in members {
                    let kind = kind_of(&member);
                    found.push(Submission {
                        name: name_of(&member),
                        path: member,
                        kind,
                    });
                }
                continue;
            }
        }
        found.push(Submission {
            name: name_of(path),
            path: path.clone(),
            kind,
        });
    }
    // Two submissions with one name (`a/alice`, `b/alice`) get a number each.
    let names: Vec<String> = found.iter().map(|s| s.name.clone()).collect();
    for (index, submission) in found.iter_mut().enumerate() {
        if names.iter().filter(|n| **n == submission.name).count() > 1 {
            submission.name = format!("{}#{}", submission.name, index + 1);
        }
    }
    found
}

fn name_of(path: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// One graded check.
#[derive(Debug)]
struct Graded {
    submission: usize,
    lesson: String,
    check: String,
    outcome: Outcome,
    seconds: f64,
}

const BUILD_LIMIT: Duration = Duration::from_secs(600);

pub fn run(args: &[&str]) -> anyhow::Result<()> {
    let options = options(args)?;
    let root = tools::workspace_root();
    let target = target_dir(&root);

    // This workspace's behavioural tests: the checks.
    let mut lessons = lessons(&root);
    if !options.lessons.is_empty() {
        for wanted in &options.lessons {
            if !lessons.iter().any(|l| l.number == *wanted) {
                bail!(
                    "there is no lesson {wanted} in {}",
                    root.join("lessons").display()
                );
            }
        }
        lessons.retain(|l| options.lessons.contains(&l.number));
    }
    let mut checks = Vec::new();
    for lesson in &lessons {
        eprintln!("grade: building the tests of {}", lesson.package);
        let exes =
            testrun::build_tests(&root, &target, &lesson.package, BUILD_LIMIT).map_err(|err| {
                anyhow::anyhow!("the tests of {} do not build: {err}", lesson.package)
            })?;
        let before = checks.len();
        for exe in exes.into_iter().filter(|e| e.behavioural) {
            let tests = testrun::list_tests(&exe, options.timeout).map_err(anyhow::Error::msg)?;
            let wanted = |test: &String| {
                options.checks.is_empty()
                    || options.checks.iter().any(|c| test.contains(c.as_str()))
            };
            for test in tests.into_iter().filter(wanted) {
                checks.push(Check {
                    lesson: lesson.clone(),
                    exe: exe.clone(),
                    test,
                });
            }
        }
        if checks.len() == before {
            eprintln!(
                "grade: {} has no behavioural tests yet; skipped",
                lesson.package
            );
        }
    }
    if checks.is_empty() {
        bail!("no checks to run: no lesson has behavioural tests that match");
    }
    if options.list {
        for check in &checks {
            println!("{} {}", check.lesson.number, check.test);
        }
        return Ok(());
    }

    // Each submission's programs.
    let submissions = submissions(&options.paths);
    let work = target.join("grade");
    let builds = work.join("builds");
    let mut programs: Vec<Result<PathBuf, String>> = Vec::new();
    let mut broken_lessons: Vec<Vec<(String, String)>> = Vec::new();
    for (index, submission) in submissions.iter().enumerate() {
        let mut broken = Vec::new();
        let folder = match &submission.kind {
            Kind::Unusable(reason) => Err(reason.clone()),
            Kind::Programs => Ok(submission
                .path
                .canonicalize()
                .unwrap_or_else(|_| submission.path.clone())),
            Kind::Checkout => {
                let folder = work
                    .join("programs")
                    .join(format!("{index}-{}", slug(&submission.name)));
                if folder.exists() {
                    std::fs::remove_dir_all(&folder)?;
                }
                let cleaned =
                    testrun::clean_workspace_packages(&submission.path, &builds, BUILD_LIMIT);
                for lesson in &lessons {
                    if !checks.iter().any(|c| c.lesson.package == lesson.package) {
                        continue;
                    }
                    if let Err(reason) = &cleaned {
                        broken.push((lesson.package.clone(), reason.clone()));
                        continue;
                    }
                    eprintln!("grade: building {} of {}", lesson.package, submission.name);
                    match build_lesson(&submission.path, &builds, &folder, &lesson.package) {
                        Ok(()) => {}
                        Err(reason) => broken.push((lesson.package.clone(), reason)),
                    }
                }
                Ok(folder)
            }
        };
        programs.push(folder);
        broken_lessons.push(broken);
    }

    // Every check of every submission, in parallel.
    let jobs: Vec<(usize, &Check)> = (0..submissions.len())
        .flat_map(|s| checks.iter().map(move |c| (s, c)))
        .collect();
    eprintln!(
        "grade: {} check(s) x {} submission(s), {} at a time, {}s each at most",
        checks.len(),
        submissions.len(),
        options.jobs,
        options.timeout.as_secs_f64()
    );
    let graded = testrun::in_parallel(jobs, options.jobs, |(s, check)| {
        let (outcome, seconds) = match &programs[s] {
            Err(reason) => (Outcome::Fail(reason.clone()), 0.0),
            Ok(folder) => {
                let broken = broken_lessons[s]
                    .iter()
                    .find(|(p, _)| *p == check.lesson.package);
                match broken {
                    Some((_, reason)) => (Outcome::Fail(format!("does not build: {reason}")), 0.0),
                    None => testrun::run_test(
                        &check.exe,
                        &check.test,
                        &[(PROGRAMS_ENV, folder.as_path())],
                        options.timeout,
                    ),
                }
            }
        };
        Graded {
            submission: s,
            lesson: check.lesson.number.clone(),
            check: check.test.clone(),
            outcome,
            seconds,
        }
    });

    let report = match options.format {
        Format::Text => text(&submissions, &graded),
        Format::Csv => csv(&submissions, &graded),
        Format::Json => json_report(&submissions, &graded),
    };
    print!("{report}");
    Ok(())
}

/// The variable `test-support` reads (`test_support::PROGRAMS_ENV`).
const PROGRAMS_ENV: &str = "SOCKETS_BY_PHONE_PROGRAMS";

/// Builds one lesson of a checkout and copies its programs to `<programs>/<package>/`.
fn build_lesson(
    checkout: &Path,
    builds: &Path,
    programs: &Path,
    package: &str,
) -> Result<(), String> {
    let built = testrun::build_programs(checkout, builds, package, BUILD_LIMIT)?;
    if built.is_empty() {
        return Err(format!("the package {package} has no programs"));
    }
    let folder = programs.join(package);
    std::fs::create_dir_all(&folder).map_err(|err| err.to_string())?;
    for (name, path) in built {
        std::fs::copy(&path, folder.join(&name))
            .map_err(|err| format!("could not copy {}: {err}", path.display()))?;
    }
    Ok(())
}

/// A name that is safe as a folder name.
fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn kind_text(kind: &Kind) -> &str {
    match kind {
        Kind::Checkout => "checkout",
        Kind::Programs => "programs",
        Kind::Unusable(_) => "unusable",
    }
}

/// The scorecard: every check of one submission; for a class, one row per submission
/// first, then what failed.
fn text(submissions: &[Submission], graded: &[Graded]) -> String {
    let mut out = String::new();
    let width = graded
        .iter()
        .map(|g| g.check.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let lessons: Vec<String> = {
        let mut lessons: Vec<String> = graded.iter().map(|g| g.lesson.clone()).collect();
        lessons.dedup();
        lessons
    };
    let count = |s: usize, lesson: Option<&str>| {
        let rows = graded
            .iter()
            .filter(|g| g.submission == s && lesson.is_none_or(|l| g.lesson == l));
        let (mut passed, mut total) = (0, 0);
        for row in rows {
            total += 1;
            passed += usize::from(row.outcome.passed());
        }
        (passed, total)
    };
    if submissions.len() > 1 {
        let name_width = submissions
            .iter()
            .map(|s| s.name.len())
            .max()
            .unwrap_or(4)
            .max(10);
        out.push_str(&format!("{:<name_width$}", "submission"));
        for lesson in &lessons {
            out.push_str(&format!("  {lesson:>7}"));
        }
        out.push_str("    total\n");
        for (s, submission) in submissions.iter().enumerate() {
            out.push_str(&format!("{:<name_width$}", submission.name));
            for lesson in &lessons {
                let (passed, total) = count(s, Some(lesson));
                out.push_str(&format!("  {:>7}", format!("{passed}/{total}")));
            }
            let (passed, total) = count(s, None);
            out.push_str(&format!("  {:>7}\n", format!("{passed}/{total}")));
        }
        out.push('\n');
    }
    for (s, submission) in submissions.iter().enumerate() {
        let rows: Vec<&Graded> = graded
            .iter()
            .filter(|g| g.submission == s && (submissions.len() == 1 || !g.outcome.passed()))
            .collect();
        let (passed, total) = count(s, None);
        if submissions.len() > 1 && rows.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "{} ({}, {})\n",
            submission.name,
            kind_text(&submission.kind),
            submission.path.display()
        ));
        out.push_str(&format!("  lesson  {:<width$}  result  reason\n", "check"));
        for row in rows {
            let result = if row.outcome.passed() { "pass" } else { "FAIL" };
            out.push_str(
                format!(
                    "  {:<6}  {:<width$}  {:<6}  {}",
                    row.lesson,
                    row.check,
                    result,
                    row.outcome.reason()
                )
                .trim_end(),
            );
            out.push('\n');
        }
        out.push_str(&format!("  total: {passed} of {total} checks passed\n\n"));
    }
    out
}

/// One row per submission and check: `submission,path,lesson,check,result,reason,seconds`.
fn csv(submissions: &[Submission], graded: &[Graded]) -> String {
    let mut out = String::from("submission,path,lesson,check,result,reason,seconds\n");
    for row in graded {
        let submission = &submissions[row.submission];
        let fields = [
            submission.name.clone(),
            submission.path.display().to_string(),
            row.lesson.clone(),
            row.check.clone(),
            if row.outcome.passed() { "pass" } else { "fail" }.to_string(),
            row.outcome.reason().to_string(),
            format!("{:.2}", row.seconds),
        ];
        let fields: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. A field
/// that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) gets a leading `'`.
pub fn csv_field(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@']) {
        format!("'{field}")
    } else {
        field.to_string()
    };
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

/// The JSON report: every submission with its checks.
#[derive(Debug, Serialize)]
struct JsonReport<'a> {
    submissions: Vec<JsonSubmission<'a>>,
}

#[derive(Debug, Serialize)]
struct JsonSubmission<'a> {
    name: &'a str,
    path: &'a Path,
    kind: &'a str,
    passed: usize,
    total: usize,
    checks: Vec<JsonCheck<'a>>,
}

#[derive(Debug, Serialize)]
struct JsonCheck<'a> {
    lesson: &'a str,
    check: &'a str,
    passed: bool,
    /// `null` when the check passed.
    reason: Option<&'a str>,
    seconds: f64,
}

fn json_report(submissions: &[Submission], graded: &[Graded]) -> String {
    let submissions = submissions.iter().enumerate().map(|(s, submission)| {
        let checks: Vec<JsonCheck> = graded
            .iter()
            .filter(|g| g.submission == s)
            .map(|g| JsonCheck {
                lesson: &g.lesson,
                check: &g.check,
                passed: g.outcome.passed(),
                reason: (!g.outcome.passed()).then(|| g.outcome.reason()),
                seconds: (g.seconds * 100.0).round() / 100.0,
            })
            .collect();
        JsonSubmission {
            name: &submission.name,
            path: &submission.path,
            kind: kind_text(&submission.kind),
            passed: checks.iter().filter(|c| c.passed).count(),
            total: checks.len(),
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
        let row = |submission, check: &str, outcome| Graded {
            submission,
            lesson: "01".into(),
            check: check.into(),
            outcome,
            seconds: 0.5,
        };
        let graded = vec![
            row(0, "one_call", Outcome::Pass),
            row(0, "help", Outcome::Pass),
            row(
                1,
                "one_call",
                Outcome::Fail("waited for \"listening on \", after 10s".into()),
            ),
            row(1, "help", Outcome::Pass),
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

        let report: serde_json::Value =
            serde_json::from_str(&json_report(&submissions, &graded)).unwrap();
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

    #[test]
    fn paths_are_sorted_into_kinds() {
        let dir = std::env::temp_dir().join(format!("xtask-grade-kinds-{}", std::process::id()));
        let class = dir.join("class");
        for folder in [
            "alice/lessons",
            "bob/lesson-01-phone-metaphor",
            "carol/notes",
        ] {
            std::fs::create_dir_all(class.join(folder)).unwrap();
        }
        std::fs::write(class.join("alice/Cargo.toml"), "[workspace]\n").unwrap();
        let found = submissions(&[class.clone(), class.join("bob"), dir.join("missing")]);
        std::fs::remove_dir_all(&dir).unwrap();
        let kinds: Vec<(&str, &str)> = found
            .iter()
            .map(|s| (s.name.as_str(), kind_text(&s.kind)))
            .collect();
        assert_eq!(
            kinds,
            [
                ("alice", "checkout"),
                ("bob#2", "programs"),
                ("carol", "unusable"),
                ("bob#4", "programs"),
                ("missing", "unusable")
            ]
        );
    }

    #[test]
    fn the_lessons_are_found_with_their_packages() {
        let lessons = lessons(&tools::workspace_root());
        assert_eq!(lessons[0].number, "01");
        assert_eq!(lessons[0].package, "lesson-01-phone-metaphor");
        assert!(
            lessons
                .iter()
                .any(|l| l.package == "lesson-04-reconnect-loop")
        );
    }
}

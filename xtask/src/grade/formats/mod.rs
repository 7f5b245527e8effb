//! The report of a grading run, in the files that instructors' platforms read.
//!
//! Every format reads one [`Report`] and writes text; nothing here grades. `--format` picks
//! the formats (repeat for more), and `--out DIR` sends each to its own file instead of
//! stdout. Each format is one module:
//!
//! | format         | file under `--out`                              | read by                  |
//! |----------------|-------------------------------------------------|--------------------------|
//! | `text`         | `grade.txt`                                     | a person                 |
//! | `json`         | `grade.json`                                    | a program (the superset) |
//! | `csv`          | `grades.csv`                                    | a spreadsheet            |
//! | `gradescope`   | `gradescope/results.json` (one per submission)  | Gradescope               |
//! | `classroom`    | `classroom.txt`, and `$GITHUB_OUTPUT` when set  | GitHub Classroom         |
//! | `junit`        | `junit.xml`                                     | CI systems, LMS plug-ins |
//! | `prairielearn` | `prairielearn/results.json` (one per submission)| PrairieLearn             |
//! | `canvas`       | `canvas.csv` (needs a roster)                   | Canvas's gradebook       |

#![allow(dead_code)] // the pipeline calls `write` next (issue 13)

mod canvas;
mod classroom;
mod csv;
mod gradescope;
mod json;
mod junit;
mod prairielearn;
mod text;

#[cfg(test)]
mod tests;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::model::{Change, CheckStatus, Report, Submission, SubmissionStatus};

/// The formats a grading run can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A scorecard to read: for a class, a table first, then what failed.
    Text,
    /// The whole report (grade.json), for a program: every other format is a part of it.
    Json,
    /// One row per submission, one column per check, for a spreadsheet.
    Csv,
    /// Gradescope's results.json (one per submission).
    Gradescope,
    /// GitHub Classroom's `result=<base64 JSON>`, also written to $GITHUB_OUTPUT.
    Classroom,
    /// JUnit XML: one testsuite per lesson, for CI systems and LMS plug-ins.
    Junit,
    /// PrairieLearn's results.json (one per submission).
    Prairielearn,
    /// A Canvas gradebook CSV, from a roster CSV.
    Canvas,
}

/// One file a format writes: its name under `--out DIR`, and what goes in it.
#[derive(Debug)]
struct Output {
    file: PathBuf,
    text: String,
}

impl Output {
    fn new(file: impl Into<PathBuf>, text: String) -> Output {
        Output {
            file: file.into(),
            text,
        }
    }
}

/// Writes `report` in every format asked for: to stdout, or under `out` one file each.
/// `roster` is the Canvas roster CSV (needed by `canvas` only).
pub fn write(
    report: &Report,
    formats: &[Format],
    out: Option<&Path>,
    roster: Option<&Path>,
) -> anyhow::Result<()> {
    let roster = roster.map(read_roster).transpose()?;
    for &format in formats {
        if format == Format::Canvas {
            let roster = roster.as_deref().context(NO_ROSTER)?;
            for unmatched in canvas::without_roster_row(report, roster)? {
                eprintln!("xtask: canvas: submission {unmatched} has no row in the roster");
            }
        }
        match out {
            None => print(&render(report, format, roster.as_deref())?)?,
            Some(dir) => {
                for output in outputs(report, format, roster.as_deref())? {
                    save(dir, &output)?;
                }
            }
        }
        if let (Format::Classroom, Some(path)) = (format, std::env::var_os("GITHUB_OUTPUT")) {
            classroom::append_to(report, Path::new(&path))?;
        }
    }
    Ok(())
}

const NO_ROSTER: &str = "the canvas format needs a roster: --roster FILE.csv, with a \
    `submission` column naming each submission's folder";

fn read_roster(path: &Path) -> anyhow::Result<String> {
    fs::read_to_string(path)
        .with_context(|| format!("could not read the roster {}", path.display()))
}

fn print(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

fn save(dir: &Path, output: &Output) -> anyhow::Result<()> {
    let path = dir.join(&output.file);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("could not create the folder {}", parent.display()))?;
    }
    fs::write(&path, &output.text).with_context(|| format!("could not write {}", path.display()))
}

/// `report` in one format, as printed to stdout. For tests, and for `write` without `--out`.
pub fn render(report: &Report, format: Format, roster: Option<&str>) -> anyhow::Result<String> {
    Ok(match format {
        Format::Text => text::render(report),
        Format::Json => json::render(report)?,
        Format::Csv => csv::render(report)?,
        Format::Gradescope => gradescope::render(report)?,
        Format::Classroom => classroom::render(report)?,
        Format::Junit => junit::render(report)?,
        Format::Prairielearn => prairielearn::render(report)?,
        Format::Canvas => canvas::render(report, roster.context(NO_ROSTER)?)?,
    })
}

/// The files one format writes under `--out DIR`.
fn outputs(report: &Report, format: Format, roster: Option<&str>) -> anyhow::Result<Vec<Output>> {
    let one = |file: &str| -> anyhow::Result<Vec<Output>> {
        Ok(vec![Output::new(file, render(report, format, roster)?)])
    };
    match format {
        Format::Text => one("grade.txt"),
        Format::Json => one("grade.json"),
        Format::Csv => one("grades.csv"),
        Format::Gradescope => gradescope::files(report),
        Format::Classroom => one("classroom.txt"),
        Format::Junit => one("junit.xml"),
        Format::Prairielearn => prairielearn::files(report),
        Format::Canvas => one("canvas.csv"),
    }
}

/// For the platforms that grade one submission per results file (Gradescope, PrairieLearn):
/// `<platform>/results.json` for one submission, `<platform>/<id>/results.json` for several.
fn results_files(
    report: &Report,
    platform: &str,
    results: impl Fn(&Submission) -> anyhow::Result<String>,
) -> anyhow::Result<Vec<Output>> {
    let several = report.submissions.len() > 1;
    let mut files = Vec::new();
    for submission in &report.submissions {
        let mut file = PathBuf::from(platform);
        if several {
            file.push(folder_name(&submission.id));
        }
        file.push("results.json");
        files.push(Output::new(file, results(submission)?));
    }
    Ok(files)
}

/// For stdout: one submission's results object, or for several an object of them by id.
fn results_json<T: serde::Serialize>(
    report: &Report,
    results: impl Fn(&Submission) -> T,
) -> anyhow::Result<String> {
    let text = match report.submissions.as_slice() {
        [one] => serde_json::to_string_pretty(&results(one))?,
        several => {
            let by_id: serde_json::Map<String, serde_json::Value> = several
                .iter()
                .map(|s| Ok((s.id.clone(), serde_json::to_value(results(s))?)))
                .collect::<anyhow::Result<_>>()?;
            serde_json::to_string_pretty(&by_id)?
        }
    };
    Ok(text + "\n")
}

/// A submission's id as one folder name: no separators, no `.` or `..`.
fn folder_name(id: &str) -> String {
    let name = id.replace(['/', '\\'], "_");
    if name.is_empty() || name.starts_with('.') {
        format!("_{name}")
    } else {
        name
    }
}

/// A check's status in grade.json's words.
fn check_status(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Pass => "pass",
        CheckStatus::Fail => "fail",
        CheckStatus::Timeout => "timeout",
        CheckStatus::Flaky => "flaky",
        CheckStatus::Error => "error",
        CheckStatus::Skipped => "skipped",
    }
}

/// A change to a handout file in grade.json's words.
fn change(change: Change) -> &'static str {
    match change {
        Change::Added => "added",
        Change::Changed => "changed",
        Change::Deleted => "deleted",
    }
}

/// A submission's status in grade.json's words.
fn submission_status(status: SubmissionStatus) -> &'static str {
    match status {
        SubmissionStatus::Graded => "graded",
        SubmissionStatus::BuildFailed => "build_failed",
        SubmissionStatus::GraderError => "grader_error",
    }
}

/// The lessons of a report's exercise checks, each once, in order (`["03", "04"]`).
fn lessons(report: &Report) -> Vec<&str> {
    let mut lessons: Vec<&str> = report
        .submissions
        .iter()
        .flat_map(|s| &s.checks)
        .map(|c| c.lesson.as_str())
        .collect();
    lessons.sort_unstable();
    lessons.dedup();
    lessons
}

/// What a student reads about a check that did not pass: the reason, then the output.
fn feedback(reason: Option<&str>, output: &str) -> String {
    match (reason, output.trim_end()) {
        (Some(reason), "") => reason.to_string(),
        (Some(reason), output) => format!("{reason}\n\n{output}"),
        (None, output) => output.to_string(),
    }
}

/// What a flaky check says, whatever its first failure was.
const FLAKY: &str =
    "failed once, passed when run again: the grader's noise, not counted against you";

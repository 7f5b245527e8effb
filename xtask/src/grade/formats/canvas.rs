//! `canvas`: a gradebook CSV that Canvas imports (`canvas.csv`), made from a roster CSV. The
//! roster has a `submission` column naming each student's submission (its folder's name, the
//! id in the report) and the columns Canvas matches students by (`Student, ID, SIS User ID,
//! SIS Login ID, Section`, from a gradebook export); those are copied through in their
//! order. Then one assignment column, `Sockets by Phone (lessons 03, 04)`, with the score.
//! A roster row without a submission gets an empty score (Canvas leaves it as it was); so
//! does a submission the grader could not grade. A submission without a roster row is
//! reported by `write` on stderr.

use ::csv::StringRecord;
use anyhow::{Context, bail};

use super::super::model::{Report, Submission, SubmissionStatus};
use super::lessons;

/// The roster's column that names the submission; every other column is copied through.
const SUBMISSION: &str = "submission";

pub fn render(report: &Report, roster: &str) -> anyhow::Result<String> {
    let roster = Roster::read(roster)?;
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let mut header = roster.copied(&roster.header);
    header.push(assignment(report));
    writer.write_record(&header)?;
    for row in &roster.rows {
        let submission = report.submissions.iter().find(|s| s.id == roster.id(row));
        // The roster's cells go through untouched: Canvas matches students by them.
        let mut fields = roster.copied(row);
        fields.push(submission.map(score).unwrap_or_default());
        writer.write_record(&fields)?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

/// The ids of the submissions that no roster row names.
pub fn without_roster_row<'a>(report: &'a Report, roster: &str) -> anyhow::Result<Vec<&'a str>> {
    let roster = Roster::read(roster)?;
    let named = |id: &str| roster.rows.iter().any(|row| roster.id(row) == id);
    let ids = report.submissions.iter().map(|s| s.id.as_str());
    Ok(ids.filter(|id| !named(id)).collect())
}

/// The roster CSV, read: its header, which column is `submission`, its rows.
struct Roster {
    header: StringRecord,
    column: usize,
    rows: Vec<StringRecord>,
}

impl Roster {
    fn read(text: &str) -> anyhow::Result<Roster> {
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let header = reader
            .headers()
            .context("could not read the roster's header")?
            .clone();
        let Some(column) = header.iter().position(|name| name.trim() == SUBMISSION) else {
            bail!(
                "the roster has no `{SUBMISSION}` column naming each student's submission folder"
            );
        };
        let mut rows = Vec::new();
        for (n, row) in reader.records().enumerate() {
            rows.push(row.with_context(|| format!("could not read line {} of the roster", n + 2))?);
        }
        Ok(Roster {
            header,
            column,
            rows,
        })
    }

    /// The submission a row names.
    fn id<'r>(&self, row: &'r StringRecord) -> &'r str {
        row.get(self.column).unwrap_or("").trim()
    }

    /// A row without its `submission` field: what goes to Canvas.
    fn copied(&self, row: &StringRecord) -> Vec<String> {
        let fields = row.iter().enumerate().filter(|(i, _)| *i != self.column);
        fields.map(|(_, field)| field.to_string()).collect()
    }
}

/// `Sockets by Phone (lessons 03, 04)`: a new assignment's name. (Canvas reads a column
/// ending in `(<number>)` as an existing assignment, so this never ends in a bare number.)
fn assignment(report: &Report) -> String {
    match lessons(report).as_slice() {
        [] => "Sockets by Phone".to_string(),
        [one] => format!("Sockets by Phone (lesson {one})"),
        several => format!("Sockets by Phone (lessons {})", several.join(", ")),
    }
}

/// The points, or nothing when the grader itself failed: no grade is better than a wrong 0.
fn score(submission: &Submission) -> String {
    match submission.status {
        SubmissionStatus::GraderError => String::new(),
        _ => submission.score.to_string(),
    }
}

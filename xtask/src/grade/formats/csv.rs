//! `csv`: the class in a spreadsheet (`grades.csv`). One row per submission: `submission,
//! path, commit, status`, then the points of each exercise check (one column per check id,
//! sorted, each once; empty where a submission has no such check), then `total, max`.
//! Experiments are left out: they are not part of the grade (grade.json has them).

use std::collections::BTreeSet;

use super::super::model::{Report, Submission};
use super::submission_status;

pub fn render(report: &Report) -> anyhow::Result<String> {
    let ids: BTreeSet<&str> = report
        .submissions
        .iter()
        .flat_map(|s| &s.checks)
        .map(|c| c.id.as_str())
        .collect();
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let header = ["submission", "path", "commit", "status"].into_iter();
    writer.write_record(header.chain(ids.iter().copied()).chain(["total", "max"]))?;
    for submission in &report.submissions {
        writer.write_record(row(submission, &ids))?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

fn row(submission: &Submission, ids: &BTreeSet<&str>) -> Vec<String> {
    let mut row = vec![
        cell(&submission.id),
        cell(&submission.path.display().to_string()),
        submission.commit.clone().unwrap_or_default(),
        submission_status(submission.status).to_string(),
    ];
    for id in ids {
        let check = submission.checks.iter().find(|c| c.id == *id);
        row.push(check.map(|c| c.points.to_string()).unwrap_or_default());
    }
    row.push(submission.score.to_string());
    row.push(submission.max_score.to_string());
    row
}

/// A text cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`: a folder can
/// be named `=HYPERLINK(...)`) gets a leading `'`, which spreadsheets show as text.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

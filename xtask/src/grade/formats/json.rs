//! `json`: the report itself (`grade.json`, schema `sockets-by-phone/grade/v1`), the superset
//! every other format takes a part of. It reads back into the same [`Report`].

use super::super::model::Report;

pub fn render(report: &Report) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(report)? + "\n")
}

//! The grader's check of itself, graded beside a class: the generated starter (a scratch copy
//! of this tree with every exercise's starter written in) and the solution (this tree) are
//! graded on this machine like any checkout. The starter must fail every exercise check but
//! those its exercise lists in `starter_may_pass`; the solution must pass every check. If
//! not, the report says the grader itself is not to be trusted here.

use std::path::{Path, PathBuf};

use super::model::{Calibration, Submission};
use super::submissions::{self, Kind};
use crate::exercise::{EXERCISES, copy_workspace, starter_files};

/// The ids of the two calibration submissions, in this order.
pub const IDS: [&str; 2] = ["calibration: starter", "calibration: solution"];

/// The two calibration submissions: the starter (written under `work`) and the solution.
pub fn submissions(root: &Path, work: &Path) -> anyhow::Result<Vec<submissions::Submission>> {
    let starter = work.join("calibration-starter");
    copy_workspace(root, &starter)?;
    for exercise in EXERCISES {
        for file in starter_files(root, exercise)? {
            std::fs::write(starter.join(&file.source), &file.text)?;
        }
    }
    let submission = |id: &str, path: PathBuf| submissions::Submission {
        id: id.into(),
        path,
        kind: Kind::Checkout,
    };
    Ok(vec![
        submission(IDS[0], starter),
        submission(IDS[1], root.to_path_buf()),
    ])
}

/// What the graded starter and solution say about the grader.
pub fn verdict(starter: &Submission, solution: &Submission) -> Calibration {
    let mut problems = Vec::new();
    for check in &starter.checks {
        let (lesson, test) = check.id.split_once('.').unwrap_or_default();
        let exercise = EXERCISES
            .iter()
            .find(|e| format!("l{}", e.number) == lesson);
        let may_pass = exercise.is_none_or(|e| e.may_pass(test));
        if check.status.earns_points() && !may_pass {
            problems.push(format!(
                "the starter passes {}: the check proves nothing",
                check.id
            ));
        }
    }
    for check in solution.checks.iter().chain(&solution.experiments) {
        if !check.status.earns_points() {
            let why = check.reason.as_deref().unwrap_or("no reason");
            problems.push(format!("the solution does not pass {}: {why}", check.id));
        }
    }
    Calibration {
        ok: problems.is_empty(),
        problems,
    }
}

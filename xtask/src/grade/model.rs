//! What grading found, as data: `grade.json`, schema `sockets-by-phone/grade/v1`.
//!
//! The pipeline (`mod.rs`) fills a [`Report`]; every output format (`formats/`) reads one and
//! writes its own file. This is the superset: each platform's format takes what it needs.

#![allow(dead_code)] // the pipeline fills it next (issue 13)

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The name and version of this file's layout.
pub const SCHEMA: &str = "sockets-by-phone/grade/v1";

/// One grading run: every submission, every check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: String,
    /// The grader's version: `xtask <cargo version>` and the commit of the grader's tree.
    pub tool_version: String,
    /// The contract the checks hold programs to (the book's appendix), by version.
    pub contract_version: String,
    /// When grading started, RFC 3339 in UTC.
    pub graded_at: String,
    /// What protected the grader while it ran submitted code, in words
    /// (`"cleared environment"`, `"no network but loopback (unshare)"`, ...).
    pub protections: Vec<String>,
    /// The grader's check of itself: the starter and the solution graded on this machine.
    pub calibration: Option<Calibration>,
    pub submissions: Vec<Submission>,
}

/// Whether the grader itself works here: the generated starter fails every check about
/// its missing parts, and the solution gets full marks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub ok: bool,
    /// What went wrong, one sentence each; empty when `ok`.
    pub problems: Vec<String>,
}

/// One student's work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// The folder's own name (not a link's target); two with one name get `#2`, `#3`.
    pub id: String,
    pub path: PathBuf,
    pub kind: Kind,
    /// The checkout's commit (`git rev-parse HEAD`), when it is a git checkout.
    pub commit: Option<String>,
    pub status: SubmissionStatus,
    /// Why the status is not `graded`, in words a student can act on.
    pub reason: Option<String>,
    /// Points of the exercise checks (experiments are not counted).
    pub score: u32,
    pub max_score: u32,
    /// Files that differ from the handout: reported, never punished here.
    pub tampered: Vec<Tampered>,
    /// The exercise checks: these make the score.
    pub checks: Vec<Check>,
    /// The experiments' checks (`glued`, `trap`, ...), reported on their own.
    pub experiments: Vec<Check>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A checkout of this workspace, built by the grader.
    Checkout,
    /// A folder of programs, `<package>/<program>`, in any language.
    Programs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    Graded,
    BuildFailed,
    /// The grader broke (a changed test executable, a harness fault): not the student's
    /// doing, and no grade.
    GraderError,
}

/// A file of the submission that differs from the handout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tampered {
    /// From the submission's root: `lessons/03-timestamp/tests/behaviour.rs`.
    pub path: String,
    pub change: Change,
    /// Why it matters: `tests`, `test support`, `xtask`, `contract`, `dependencies`,
    /// `build script`, `proc-macro crate`.
    pub what: String,
    /// The SHA-256 of the submission's file (none when deleted).
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Changed,
    Deleted,
}

/// One check against one submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// `l03.timestamps_become_times_in_utc`: `l` + the lesson + `.` + the test's name.
    pub id: String,
    /// `03`.
    pub lesson: String,
    pub status: CheckStatus,
    pub points: u32,
    pub max_points: u32,
    /// What was expected and what came, in words; `None` when it passed.
    pub reason: Option<String>,
    /// The last lines of what the check and the programs printed (capped).
    pub output: String,
    pub seconds: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    Fail,
    Timeout,
    /// Failed once, passed when run again: the grader's own noise, shown, not failed.
    Flaky,
    /// The grader could not run it (a harness fault): never the student's fault.
    Error,
    /// Not run (the lesson was not asked for, or the build failed).
    Skipped,
}

impl CheckStatus {
    /// Whether the check earns its points.
    pub fn earns_points(self) -> bool {
        matches!(self, CheckStatus::Pass | CheckStatus::Flaky)
    }
}

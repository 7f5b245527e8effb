//! Step 3: every check of every submission, in parallel. Each check is one test, run in a
//! process of its own with a time limit; a submission that does not build, hangs or floods
//! its output fails that check with the reason, and the rest of the run goes on.

use std::time::Duration;

use serde::Serialize;

use super::build::Programs;
use super::checks::Check;
use crate::testrun::{self, Outcome};

/// The variable `test-support` reads (`test_support::PROGRAMS_ENV`): with it,
/// `Lesson::program(name)` runs `<folder>/<package>/<name>`.
const PROGRAMS_ENV: &str = "SOCKETS_BY_PHONE_PROGRAMS";

/// One graded check, as the reports show it.
#[derive(Debug, Serialize)]
pub struct Graded {
    /// The index of the submission.
    #[serde(skip)]
    pub submission: usize,
    pub lesson: String,
    pub check: String,
    pub passed: bool,
    /// Why the check failed; `None` when it passed.
    pub reason: Option<String>,
    /// Rounded to hundredths.
    pub seconds: f64,
}

/// Runs every check against every submission's programs, `jobs` at a time.
pub fn every_check(
    programs: &[Programs],
    checks: &[Check],
    jobs: usize,
    limit: Duration,
) -> Vec<Graded> {
    let (count, submissions, secs) = (checks.len(), programs.len(), limit.as_secs_f64());
    eprintln!(
        "grade: {count} check(s) x {submissions} submission(s), {jobs} at a time, {secs}s each at most"
    );
    let all: Vec<(usize, &Check)> = (0..submissions)
        .flat_map(|s| checks.iter().map(move |check| (s, check)))
        .collect();
    testrun::in_parallel(all, jobs, |(s, check)| {
        let (outcome, seconds) = match programs[s].of(&check.lesson.package) {
            Err(reason) => (Outcome::Fail(reason), 0.0),
            Ok(folder) => {
                testrun::run_test(&check.exe, &check.test, &[(PROGRAMS_ENV, folder)], limit)
            }
        };
        Graded {
            submission: s,
            lesson: check.lesson.number.clone(),
            check: check.test.clone(),
            passed: outcome.passed(),
            reason: match outcome {
                Outcome::Pass => None,
                Outcome::Fail(reason) => Some(reason),
            },
            seconds: (seconds * 100.0).round() / 100.0,
        }
    })
}

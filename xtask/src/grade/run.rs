//! Step 3: every check of every submission, in parallel. Each check is one test, run in a
//! process group of its own with a time limit, with a cleared environment, a fresh `HOME`,
//! and the test executable's SHA-256 checked first. A failed check is run once more: one
//! that passes then is `flaky`. A submission that does not build, hangs or floods its
//! output fails that check with the reason, and the rest of the run goes on.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::bail;

use super::build::Programs;
use super::checks::{Check, sha256_of};
use super::model::CheckStatus;
use super::submissions::Submission;
use crate::testrun::{self, Ran};

/// The variable `test-support` reads (`test_support::PROGRAMS_ENV`): with it,
/// `Lesson::program(name)` runs `<folder>/<package>/<name>`.
const PROGRAMS_ENV: &str = "SOCKETS_BY_PHONE_PROGRAMS";

/// The variables a test executable keeps; `test_support::GRADED_ENV` passes them on to
/// the programs (with `HOME`, which we make fresh for each run).
const KEPT_ENV: [&str; 3] = ["PATH", "LANG", "TZ"];

/// How much of a check's output the report keeps: its last lines.
const OUTPUT_KEPT: usize = 4096;

/// One graded check: the indexes of the submission and of the check, and how it went.
#[derive(Debug)]
pub struct Graded {
    pub submission: usize,
    pub check: usize,
    pub attempt: Attempt,
}

/// How one check went (the first run, or the second of a flaky one).
#[derive(Debug, Clone)]
pub struct Attempt {
    pub status: CheckStatus,
    /// Why the check did not pass; `None` when it passed.
    pub reason: Option<String>,
    /// The end of what the test printed.
    pub output: String,
    pub seconds: f64,
    /// With `--keep`: all that the test printed, stdout and stderr.
    pub whole: String,
}

/// How the checks run.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    pub jobs: usize,
    pub limit: Duration,
    /// Where fresh `HOME` folders are made (outside the grader's tree).
    pub work: &'a Path,
    /// Run each test executable in a network namespace of its own (`unshare`).
    pub no_network: bool,
    /// Where to keep the whole output of each check that did not pass (`--keep DIR`).
    pub keep: Option<&'a Path>,
}

/// Runs every check against every submission's programs. An error is the grader's own
/// fault (a test executable that changed since it was built), never a grade.
pub fn every_check(
    submissions: &[Submission],
    programs: &[Programs],
    checks: &[Check],
    options: Options,
) -> anyhow::Result<Vec<Graded>> {
    let (count, graded, secs) = (checks.len(), programs.len(), options.limit.as_secs_f64());
    let jobs = options.jobs;
    eprintln!(
        "grade: {count} check(s) x {graded} submission(s), {jobs} at a time, {secs}s each at most"
    );
    // `--keep`: what an earlier run kept for these submissions goes first, so that a check
    // that passes now leaves no file of an old failure.
    if let Some(dir) = options.keep {
        for submission in submissions {
            let _ = std::fs::remove_dir_all(dir.join(&submission.id));
        }
    }
    let all: Vec<(usize, usize)> = (0..graded)
        .flat_map(|s| (0..count).map(move |c| (s, c)))
        .collect();
    let graded = testrun::in_parallel(all, jobs, |(s, c)| {
        let attempt = grade_one(&submissions[s], &programs[s], &checks[c], options)?;
        Ok(Graded {
            submission: s,
            check: c,
            attempt,
        })
    });
    graded.into_iter().collect()
}

impl Attempt {
    fn new(status: CheckStatus, reason: Option<String>) -> Attempt {
        let (output, seconds, whole) = (String::new(), 0.0, String::new());
        Attempt {
            status,
            reason,
            output,
            seconds,
            whole,
        }
    }
}

/// One check against one submission: run, and run again after a failure.
fn grade_one(
    submission: &Submission,
    programs: &Programs,
    check: &Check,
    options: Options,
) -> anyhow::Result<Attempt> {
    let folder = match programs.of(&check.lesson.package) {
        Ok(folder) => folder,
        Err(reason) => return Ok(Attempt::new(CheckStatus::Skipped, Some(reason))),
    };
    let first = run_once(check, folder, options)?;
    // A check that failed runs once more: if it passes then, it is flaky, not failed.
    let second = match first.status {
        CheckStatus::Fail => Some(run_once(check, folder, options)?),
        _ => None,
    };
    // The report keeps only `output`; `keep_output` writes the whole of each run.
    let mut graded = Attempt {
        whole: String::new(),
        ..first.clone()
    };
    if let Some(again) = second.as_ref().filter(|a| a.status == CheckStatus::Pass) {
        let why = first.reason.as_deref().unwrap_or_default();
        graded.status = CheckStatus::Flaky;
        graded.reason = Some(format!("failed once, then passed: {why}"));
        graded.seconds += again.seconds;
    }
    let runs: Vec<&Attempt> = std::iter::once(&first).chain(&second).collect();
    keep_output(submission, check, options, &graded, &runs)?;
    Ok(graded)
}

/// Runs the test of `check` once, with the programs in `folder`.
fn run_once(check: &Check, folder: &Path, options: Options) -> anyhow::Result<Attempt> {
    let exe = &check.exe;
    if !exe.path.is_file() {
        let why = format!(
            "the grader's test executable {} is missing: a fault of the grader, not of the program",
            exe.path.display()
        );
        return Ok(Attempt::new(CheckStatus::Error, Some(why)));
    }
    if sha256_of(&exe.path)? != check.sha256 {
        bail!(
            "the test executable {} changed after the grader built it (a submission's build \
             script may have written it): no grade is given; grade in a container or as a \
             throwaway user (see the instructors' chapter)",
            exe.path.display()
        );
    }
    let home = tempfile::tempdir_in(options.work)?;
    let command = test_command(check, folder, home.path(), options.no_network);
    let ran = match testrun::run(command, options.limit) {
        Ok(ran) => ran,
        Err(err) => {
            let why = format!(
                "the grader could not run the test executable {}: {err}",
                exe.path.display()
            );
            return Ok(Attempt::new(CheckStatus::Error, Some(why)));
        }
    };
    let (status, reason) = verdict(&ran, &check.test, options.limit);
    Ok(Attempt {
        status,
        reason,
        output: tail(&ran.stdout),
        seconds: (ran.seconds * 100.0).round() / 100.0,
        whole: match options.keep {
            Some(_) => format!("{}\n--- stderr ---\n{}", ran.stdout, ran.stderr),
            None => String::new(),
        },
    })
}

/// The command that runs the test of `check` alone, on the programs in `folder`, with a
/// cleared environment and a fresh `home`.
fn test_command(check: &Check, folder: &Path, home: &Path, no_network: bool) -> Command {
    let exe = &check.exe;
    let mut command = if no_network {
        let mut unshare = Command::new("unshare");
        unshare
            .args(["-rn", "sh", "-c", r#"ip link set lo up && exec "$@""#, "sh"])
            .arg(&exe.path);
        unshare
    } else {
        Command::new(&exe.path)
    };
    command.env_clear().current_dir(&exe.dir);
    for name in KEPT_ENV {
        command.envs(std::env::var_os(name).map(|value| (name, value)));
    }
    command
        .args(testrun::one_test(&check.test))
        .env("RUST_BACKTRACE", "0")
        .env("HOME", home)
        .env(PROGRAMS_ENV, folder);
    command
}

/// What one run of one test says: its status and, unless it passed, why.
pub fn verdict(ran: &Ran, test: &str, limit: Duration) -> (CheckStatus, Option<String>) {
    let out = &ran.stdout;
    if ran.status.is_none() {
        return (CheckStatus::Timeout, Some(testrun::stopped_after(limit)));
    }
    if ran.passed_one() {
        return (CheckStatus::Pass, None);
    }
    if ran.success() {
        let why =
            format!("the check ran no test (`{test}` passed nothing): it does not count as passed");
        return (CheckStatus::Fail, Some(why));
    }
    // A fault of the grader's own test support is no failure of the student.
    if out.contains("PoisonError") {
        let why = format!(
            "the grader's test support failed, not the program: {}",
            testrun::failure_reason(out)
        );
        return (CheckStatus::Error, Some(why));
    }
    if !out.contains("panicked at") && ran.status.and_then(|s| s.code()).is_none() {
        return (
            CheckStatus::Error,
            Some("the test executable crashed: a fault of the grader".into()),
        );
    }
    let mut why = testrun::failure_reason(out);
    if out.len() >= testrun::KEEP || out.contains(FLOODED) {
        why = format!("flooded output: {why}");
    }
    (CheckStatus::Fail, Some(why))
}

/// `--keep DIR`: for a check that did not pass (`graded`, as the report has it), writes
/// `DIR/<submission>/<check id>.txt`: all that each run printed (for a check of the wire,
/// the conversation), headed by the command that runs the same check again.
fn keep_output(
    submission: &Submission,
    check: &Check,
    options: Options,
    graded: &Attempt,
    runs: &[&Attempt],
) -> anyhow::Result<()> {
    let Some(dir) = options.keep else {
        return Ok(());
    };
    if graded.status == CheckStatus::Pass {
        return Ok(());
    }
    let path = std::fs::canonicalize(&submission.path).unwrap_or(submission.path.clone());
    let quoted = path.display().to_string().replace('\'', r"'\''");
    let mut again = format!(
        "cargo xtask grade --no-calibration --timeout {} --check {}",
        options.limit.as_secs_f64(),
        check.id
    );
    if options.no_network {
        again.push_str(" --no-network");
    }
    let mut text = format!(
        "check: {}\nsubmission: {} ({})\nstatus: {:?}\nreason: {}\n\
         run it again: {again} '{quoted}'\n",
        check.id,
        submission.id,
        path.display(),
        graded.status,
        graded.reason.as_deref().unwrap_or("-"),
    );
    for (number, run) in runs.iter().enumerate() {
        let (status, seconds) = (run.status, run.seconds);
        text.push_str(&format!(
            "\n--- run {} ({status:?}, {seconds} s): what the test and the programs printed ---\n{}",
            number + 1,
            run.whole
        ));
    }
    let folder = dir.join(&submission.id);
    std::fs::create_dir_all(&folder)?;
    std::fs::write(folder.join(format!("{}.txt", check.id)), text)?;
    Ok(())
}

/// What test-support says when a program printed more than it keeps.
const FLOODED: &str = "flooded output";

/// The last lines of `output`, at most [`OUTPUT_KEPT`] bytes.
fn tail(output: &str) -> String {
    let mut start = output.len().saturating_sub(OUTPUT_KEPT);
    while !output.is_char_boundary(start) {
        start += 1;
    }
    output[start..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn ran(code: Option<i32>, stdout: &str) -> Ran {
        use std::os::unix::process::ExitStatusExt;
        use std::process::ExitStatus;
        Ran {
            status: code.map(|code| ExitStatus::from_raw(code << 8)),
            stdout: stdout.into(),
            stderr: String::new(),
            seconds: 0.1,
        }
    }

    /// Each way a run can end has its status; none that ran nothing is a pass, and a fault
    /// of the test support is the grader's, not the student's.
    #[cfg(unix)]
    #[test]
    fn each_ending_has_its_status() {
        let limit = Duration::from_secs(5);
        let status = |ran: Ran| verdict(&ran, "t", limit).0;
        assert_eq!(
            status(ran(Some(0), "test result: ok. 1 passed; 0 failed")),
            CheckStatus::Pass
        );
        let nothing = verdict(
            &ran(
                Some(0),
                "test result: ok. 0 passed; 0 failed; 1 filtered out",
            ),
            "t",
            limit,
        );
        assert_eq!(nothing.0, CheckStatus::Fail);
        assert!(nothing.1.unwrap().contains("ran no test"));
        assert_eq!(status(ran(None, "")), CheckStatus::Timeout);
        let poisoned = "thread 't' panicked at test-support/src/lib.rs:9:9:\ncalled `Result::unwrap()` on an `Err` value: PoisonError { .. }\n";
        assert_eq!(status(ran(Some(101), poisoned)), CheckStatus::Error);
        let failed = "thread 't' panicked at tests/behaviour.rs:3:5:\nwaited for \"x\"\n";
        assert_eq!(status(ran(Some(101), failed)), CheckStatus::Fail);
        let flooded = format!("{failed}[flooded output: more than 1 MiB; the rest is dropped]\n");
        assert!(
            verdict(&ran(Some(101), &flooded), "t", limit)
                .1
                .unwrap()
                .starts_with("flooded output: ")
        );
    }
}

//! `cargo xtask grade <PATH>...`: this repository's behavioural tests, run against other
//! implementations of the lessons, in a way a student cannot fool.
//!
//! The tests come from *this* workspace (built here, each executable's SHA-256 checked
//! before every run), so a student who edited their tests cannot change their grade. What
//! they test comes from each PATH, through the hook in `test-support`: with
//! `SOCKETS_BY_PHONE_PROGRAMS=<folder>`, `Lesson::program(name)` runs
//! `<folder>/<package>/<name>`, with a cleared environment in a fresh folder. A PATH is one of:
//!
//! - a student's checkout of this workspace (a `Cargo.toml` and `lessons/`): only its lesson
//!   crates are built, apart from the grader (see `build`);
//! - a folder of programs, `<package>/<name>`: anything executable that keeps the contract
//!   (a build, or a script that starts a Python program);
//! - a folder of those (a class): each subfolder is one submission.
//!
//! Exit status: 0 when grading ran (failed checks are data), 2 for a bad command line, 3
//! when the grader itself broke (a test executable that changed, a build of its own tests
//! that failed).

mod assemble;
mod build;
mod calibrate;
mod checks;
pub mod formats;
pub mod model;
mod run;
mod submissions;
mod tamper;

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::exercise::target_dir;
use crate::testrun::{self, Cargo};
use crate::tools;

/// Grade checkouts, folders of programs or a class with this repository's tests.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Grade only lesson NN (repeat for more); default: every lesson with tests.
    #[arg(long = "lesson", value_name = "NN")]
    lessons: Vec<u32>,
    /// Run only the check with this id, e.g. l03.timestamps_become_times_in_utc, or those
    /// whose id starts with ID when it ends with a dot (l03.); repeat for more. `--list`
    /// shows the ids.
    #[arg(long = "check", value_name = "ID")]
    checks: Vec<String>,
    /// A format of the report (repeat for more): text, json (grade.json), csv, gradescope,
    /// classroom, junit, prairielearn, canvas.
    #[arg(
        long = "format",
        value_name = "FORMAT",
        value_enum,
        default_value = "text"
    )]
    formats: Vec<formats::Format>,
    /// Write each format to its own file in DIR (grade.json, grades.csv, junit.xml, ...)
    /// instead of stdout.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Keep the whole output of every check that did not pass in DIR/<submission>/<check>.txt,
    /// with the command that runs it again (the report keeps only its last lines).
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// The roster for the canvas format: a CSV whose `submission` column names each
    /// submission's folder; its other columns are copied through.
    #[arg(long, value_name = "CSV")]
    roster: Option<PathBuf>,
    /// Time limit of one check, in seconds.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = seconds)]
    timeout: Duration,
    /// Checks run at once: by default the number of cores, at most 8.
    #[arg(long, value_name = "N", default_value_t = default_jobs())]
    jobs: NonZeroUsize,
    /// Run each test in a network namespace of its own with only loopback (Linux `unshare`).
    #[arg(long)]
    no_network: bool,
    /// The handout that tamper evidence compares checkouts with: a commit of this
    /// repository (default: this tree as it is).
    #[arg(long, value_name = "REV")]
    handout: Option<String>,
    /// Grade the generated starter and the solution beside the submissions, as a check of
    /// the grader itself (the default for more than one submission).
    #[arg(long, conflicts_with = "no_calibration")]
    calibration: bool,
    /// Do not grade the starter and the solution (faster).
    #[arg(long)]
    no_calibration: bool,
    /// List the checks' ids and exit.
    #[arg(long)]
    list: bool,
    /// A student's checkout of this workspace, a folder of programs laid out as
    /// <package>/<program> (e.g. lesson-03-timestamp/server), or a folder holding several
    /// of those (one per student).
    #[arg(value_name = "PATH", required_unless_present = "list")]
    paths: Vec<PathBuf>,
}

/// A mistake of the command line (exit 2), found after clap.
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

fn seconds(text: &str) -> Result<Duration, String> {
    common::parse_seconds(text).map(Duration::from_secs_f64)
}

fn default_jobs() -> NonZeroUsize {
    NonZeroUsize::new(testrun::default_threads()).unwrap_or(NonZeroUsize::MIN)
}

/// `cargo xtask grade`: 0 when grading ran, 2 for a bad command line, 3 when the grader broke.
pub fn main(args: Args) -> ExitCode {
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.is::<Usage>() => {
            eprintln!("error: {err}");
            ExitCode::from(2)
        }
        Err(err) => {
            eprintln!("error: the grader itself broke, so nothing was graded: {err:#}");
            ExitCode::from(3)
        }
    }
}

/// The steps, in order.
fn run(args: Args) -> anyhow::Result<()> {
    let root = tools::workspace_root();
    let target = target_dir(&root);
    check_usage(&args, &root)?;
    // 0. The checks: this workspace's behavioural tests, built here, each with its SHA-256.
    let checks = checks::find(Cargo::new(&root, &target, build::BUILD_LIMIT), &args)?;
    if args.list {
        checks.iter().for_each(|check| println!("{}", check.id));
        return Ok(());
    }
    let protections = protections(args.no_network)?;
    // 1. The submissions the PATHs name; and the starter and the solution, to calibrate.
    let work = tempfile::Builder::new().prefix("xtask-grade-").tempdir()?;
    let mut submissions = submissions::find(&args.paths);
    let calibrating = !args.no_calibration && (args.calibration || submissions.len() > 1);
    if calibrating {
        submissions.extend(calibrate::submissions(&root, work.path())?);
    }
    // 2. Each submission's programs, in a work folder outside the grader's tree.
    let mut packages: Vec<&str> = checks.iter().map(|c| c.lesson.package.as_str()).collect();
    packages.sort();
    packages.dedup();
    let programs = build::each(&submissions, &packages, work.path())?;
    // 3. Every check against every submission's programs.
    let options = run::Options {
        jobs: args.jobs.get(),
        limit: args.timeout,
        work: work.path(),
        no_network: args.no_network,
        keep: args.keep.as_deref(),
    };
    let graded = run::every_check(&submissions, &programs, &checks, options)?;
    // 4. Tamper evidence: what each checkout changed of the handout, reported, not punished.
    let handout = tamper::Handout {
        root: &root,
        rev: args.handout.as_deref(),
    };
    let tampered = submissions.iter().map(|s| match s.kind {
        submissions::Kind::Checkout => tamper::of_checkout(&s.path, &handout),
        _ => Vec::new(),
    });
    // 5. The report.
    let mut report = assemble::assemble(&submissions, &checks, &graded, protections);
    for (submission, tampered) in report.submissions.iter_mut().zip(tampered) {
        submission.tampered = tampered;
    }
    if calibrating {
        let solution = report.submissions.pop().expect("the solution was graded");
        let starter = report.submissions.pop().expect("the starter was graded");
        report.calibration = Some(calibrate::verdict(&starter, &solution));
    }
    formats::write(
        &report,
        &args.formats,
        args.out.as_deref(),
        args.roster.as_deref(),
    )
}

/// The mistakes of the command line that clap cannot see: canvas without a roster, a
/// handout that names no commit.
fn check_usage(args: &Args, root: &std::path::Path) -> anyhow::Result<()> {
    if args.formats.contains(&formats::Format::Canvas) && args.roster.is_none() {
        return Err(Usage("--format canvas needs --roster FILE.csv".into()).into());
    }
    if let Some(rev) = &args.handout {
        let found = std::process::Command::new("git")
            .args([
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ])
            .current_dir(root)
            .output()
            .is_ok_and(|out| out.status.success());
        if !found {
            return Err(Usage(format!(
                "--handout {rev}: no such commit in {}",
                root.display()
            ))
            .into());
        }
    }
    Ok(())
}

/// What protects the grader while submitted code runs, in words for the report; with
/// `--no-network`, whether this system can take the network away.
fn protections(no_network: bool) -> anyhow::Result<Vec<String>> {
    let mut protections: Vec<String> = [
        "checkouts built apart: only their lesson crates, from outside, into their own target folder",
        "the grader's test executables checked by SHA-256 before every run",
        "programs run with a cleared environment in a fresh temporary folder",
        "a time limit that kills the process group of every check",
        "output capped",
    ]
    .map(String::from)
    .into();
    if no_network {
        let works = std::process::Command::new("unshare")
            .args(["-rn", "sh", "-c", "ip link set lo up"])
            .status()
            .is_ok_and(|status| status.success());
        if !works {
            return Err(Usage("--no-network needs `unshare -rn` and `ip` (Linux user namespaces), which do not work here".into()).into());
        }
        protections.push("no network but loopback (unshare -rn)".into());
    }
    eprintln!("grade: protections in force: {}", protections.join("; "));
    Ok(protections)
}

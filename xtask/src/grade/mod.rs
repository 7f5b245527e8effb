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
//! `run` below reads as the steps, one module each: the checks, the submissions, their
//! programs, the run, the report.

mod build;
mod checks;
pub mod formats;
pub mod model;
mod report;
mod run;
mod submissions;

use std::num::NonZeroUsize;
use std::path::PathBuf;
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
    /// Run only the checks whose name contains TEXT (repeat for more).
    #[arg(long = "check", value_name = "TEXT")]
    checks: Vec<String>,
    /// How to print the results.
    #[arg(long, value_enum, default_value = "text")]
    format: report::Format,
    /// Time limit of one check, in seconds.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = seconds)]
    timeout: Duration,
    /// Checks run at once: by default the number of cores, at most 8.
    #[arg(long, value_name = "N", default_value_t = default_jobs())]
    jobs: NonZeroUsize,
    /// List the checks and exit.
    #[arg(long)]
    list: bool,
    /// A student's checkout of this workspace, a folder of programs laid out as
    /// <package>/<program> (e.g. lesson-03-timestamp/server), or a folder holding several
    /// of those (one per student).
    #[arg(value_name = "PATH", required_unless_present = "list")]
    paths: Vec<PathBuf>,
}

fn seconds(text: &str) -> Result<Duration, String> {
    common::parse_seconds(text).map(Duration::from_secs_f64)
}

fn default_jobs() -> NonZeroUsize {
    NonZeroUsize::new(testrun::default_threads()).unwrap_or(NonZeroUsize::MIN)
}

/// `cargo xtask grade`: the steps, in order.
pub fn run(args: Args) -> anyhow::Result<()> {
    let root = tools::workspace_root();
    let target = target_dir(&root);
    // 0. The checks: this workspace's behavioural tests, built here.
    let checks = checks::find(Cargo::new(&root, &target, build::BUILD_LIMIT), &args)?;
    if args.list {
        for check in &checks {
            println!("{} {}", check.lesson.number, check.test);
        }
        return Ok(());
    }
    // 1. The submissions the PATHs name.
    let submissions = submissions::find(&args.paths);
    // 2. Each submission's programs, built when it is a checkout.
    let programs = build::each(&submissions, &checks, &target.join("grade"))?;
    // 3. Every check against every submission's programs.
    let graded = run::every_check(&programs, &checks, args.jobs.get(), args.timeout);
    // 4. The report.
    print!("{}", args.format.write(&submissions, &graded));
    Ok(())
}

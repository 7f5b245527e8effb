//! `cargo xtask bench`: how fast the lesson programs are, side by side with programs in the
//! original tutorial's Python shape and, where it makes the point, a plain std::net floor.
//!
//! The method (the book's "How fast is it?" chapter tells it for readers):
//! - Whole processes: every figure is a real client talking to a real server over loopback,
//!   started the way a student starts them, so it counts everything a student waits for.
//! - Interleaved: every round runs every program of every row once, in a rotating order, so
//!   that a busy moment of the machine falls on all of them alike.
//! - Ratios from the same run: a machine's speed changes from day to day; the ratio between
//!   two programs measured side by side changes much less.
//!
//! Each lesson has a file here with its rows (`lesson03.rs`, ...); [`rows`] lists them all.

mod lesson03;
mod lesson04;
mod lesson05;
mod lesson06;
mod process;
mod programs;
mod report;
mod run;

use std::ffi::OsString;
use std::time::Duration;

use anyhow::bail;
use clap::Args;

pub use programs::Programs;

/// The options of `cargo xtask bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A short run for CI: every row runs once with little work, and the bench fails if a
    /// row loses work (lines, calls, bytes). Its figures are too short to judge speed.
    #[arg(long)]
    quick: bool,
    /// How many rounds to run [default: 5, or 1 with --quick].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    rounds: Option<u32>,
}

impl BenchArgs {
    /// `cargo xtask bench --quick`, as `cargo xtask ci` runs it.
    pub fn quick() -> Self {
        BenchArgs {
            quick: true,
            rounds: None,
        }
    }
}

/// The name of the Python programs in `xtask/bench/`, in every row.
pub const PYTHON: &str = "Python, the original's shape";

/// How much work each run does: full figures, or a quick check that everything works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Full,
    Quick,
}

/// One row of the table: one piece of work, done by several programs in turn.
pub struct Row {
    /// What the work is, e.g. "lesson 03: 200000 timestamps, until the server printed all".
    pub title: String,
    /// The unit of one piece of work, e.g. "timestamp" or "call".
    pub unit: &'static str,
    /// The same unit for many pieces, e.g. "timestamps" or "MB".
    pub units: &'static str,
    /// The programs that do the work; the first one is the lesson's, the others are
    /// compared with it.
    pub contenders: Vec<Contender>,
    /// What the lesson's program should reach, where the project set goals.
    pub goals: Vec<Goal>,
}

/// One program doing a row's work: `run` does the work once and measures it.
pub struct Contender {
    pub name: &'static str,
    pub run: Box<dyn Fn() -> anyhow::Result<Sample>>,
}

/// How one run of the rows so far is made: a server command line, the client's command
/// line (without `--addr`), and how many pieces of work.
type OneRun = fn(&[OsString], &[OsString], u64) -> anyhow::Result<Sample>;

impl Contender {
    /// `name` runs `one_run(&server, client, count)` each round.
    pub fn new(
        name: &'static str,
        server: Vec<OsString>,
        client: &[OsString],
        count: u64,
        one_run: OneRun,
    ) -> Self {
        let client = client.to_vec();
        Contender {
            name,
            run: Box::new(move || one_run(&server, &client, count)),
        }
    }
}

/// What one run measured.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Pieces of work done per second of wall-clock time.
    pub rate: f64,
    /// The server's CPU time (user + system) per piece of work; `None` where the system
    /// does not tell (outside Linux).
    pub cpu_per_unit: Option<Duration>,
    /// The same for the client, over its whole life.
    pub client_cpu_per_unit: Option<Duration>,
    /// Pieces of work that never arrived (lines not printed, calls not answered).
    pub lost: u64,
    /// How long the pieces took to arrive, where a row measures that (lesson 06).
    pub delay: Option<Delay>,
}

/// How long a piece of work took to arrive, over the many pieces of one run.
#[derive(Debug, Clone, Copy)]
pub struct Delay {
    /// The middle value: what a typical piece took.
    pub median: Duration,
    /// The 99th percentile: one piece in a hundred took longer.
    pub p99: Duration,
}

/// A goal for the lesson's program, against another program of the same row (or, for a
/// delay, against the clock).
#[derive(Debug, Clone, Copy)]
pub enum Goal {
    /// The lesson's rate is at least `times` the rate of `versus`.
    RateAtLeast { versus: &'static str, times: f64 },
    /// The lesson's server CPU per unit is at most `times` that of `versus`.
    CpuAtMost { versus: &'static str, times: f64 },
    /// The 99th percentile of the lesson's delays is below `limit`.
    P99Below { limit: Duration },
}

/// Every row, lesson by lesson.
fn rows(programs: &Programs, size: Size) -> anyhow::Result<Vec<Row>> {
    Ok(vec![
        lesson03::timestamps(programs, size)?,
        lesson04::calls(programs, size)?,
        lesson05::transfer(programs, size)?,
        lesson06::delivery(programs, size, 8)?,
        lesson06::delivery(programs, size, 64)?,
    ])
}

/// `cargo xtask bench`: build, run every row for several rounds, print the table.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let size = if args.quick { Size::Quick } else { Size::Full };
    let rounds = args.rounds.unwrap_or(if args.quick { 1 } else { 5 });
    let programs = Programs::build()?;
    let rows = rows(&programs, size)?;
    report::print_machine();
    let samples = run_rounds(&rows, rounds)?;
    println!("xtask: the load after the runs: {}", report::load());
    let mut lost = false;
    for (row, samples) in rows.iter().zip(&samples) {
        lost |= report::print_row(row, samples, size);
    }
    if lost {
        bail!("a row lost work: see the lines marked LOST above");
    }
    Ok(())
}

/// Runs every contender of every row once per round. The order rotates from round to round,
/// so that no program always runs first (on a cold machine) or last.
/// Returns, for each row, the samples of each contender.
fn run_rounds(rows: &[Row], rounds: u32) -> anyhow::Result<Vec<Vec<Vec<Sample>>>> {
    let mut samples: Vec<Vec<Vec<Sample>>> = rows
        .iter()
        .map(|row| vec![Vec::new(); row.contenders.len()])
        .collect();
    for round in 0..rounds as usize {
        println!("xtask: bench round {} of {rounds}", round + 1);
        for (row, row_samples) in rows.iter().zip(&mut samples) {
            let count = row.contenders.len();
            for turn in 0..count {
                let which = (turn + round) % count;
                let contender = &row.contenders[which];
                let sample = (contender.run)()
                    .map_err(|err| err.context(format!("{}: {}", row.title, contender.name)))?;
                row_samples[which].push(sample);
            }
        }
    }
    Ok(samples)
}

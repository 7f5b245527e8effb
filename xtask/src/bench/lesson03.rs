//! Lesson 03's row: timestamps per second. The lesson 03 client sends timestamps as fast as
//! it can (`--interval 0 --count N`), and the clock stops when the server printed them all.

use std::ffi::OsString;
use std::process::Stdio;
use std::time::Instant;

use super::programs::{Programs, with_args};
use super::run::Run;
use super::{Contender, Goal, PYTHON, Row, Sample, Size};

const PACKAGE: &str = "lesson-03-timestamp";

/// The row: the lesson's server against the Python one, fed by the same client.
pub fn timestamps(programs: &Programs, size: Size) -> anyhow::Result<Row> {
    let count = match size {
        Size::Full => 200_000,
        Size::Quick => 2_000,
    };
    let client = with_args(&programs.lesson(PACKAGE, "client")?, &[]);
    let lesson = with_args(
        &programs.lesson(PACKAGE, "server")?,
        &["--addr", "127.0.0.1:0"],
    );
    let python = programs.python("timestamp_server.py", &["0"]);
    Ok(Row {
        title: format!(
            "lesson 03: {count} timestamps from the lesson 03 client (--interval 0), \
             until the server printed all"
        ),
        unit: "timestamp",
        units: "timestamps",
        contenders: vec![
            Contender::new("lesson 03 server", lesson, &client, count, one_run),
            Contender::new(PYTHON, python, &client, count, one_run),
        ],
        goals: vec![Goal::RateAtLeast {
            versus: PYTHON,
            times: 10.0,
        }],
    })
}

/// One run: start the server, let the client send `count` timestamps at once, and wait
/// until the server printed them all (each as `<timestamp> -> <date and time>`). Every
/// server prints a line with `hung up` when the client has gone: then no more will come.
fn one_run(server: &[OsString], client: &[OsString], count: u64) -> anyhow::Result<Sample> {
    let mut run = Run::server(server, " -> ", "hung up")?;
    let args = ["--interval", "0", "--count", &count.to_string()];
    let client = run.client(client, &args, Stdio::null(), Stdio::null())?;
    let printed = run.server.wait_for(count, run.deadline());
    let end = printed.last.unwrap_or_else(Instant::now);
    run.sample(client, printed.lines, count, end)
}

//! Lesson 04's row: calls per second, and the server's CPU time per call. The lesson 04
//! client reads N lines from its input and makes one call for each, against a server that
//! answers every caller with `ok`.

use std::ffi::OsString;
use std::io::Write;
use std::process::Stdio;
use std::time::Instant;

use super::process::{self, RUN_LIMIT};
use super::programs::{Programs, with_args};
use super::run::Run;
use super::{Contender, Goal, PYTHON, Row, Sample, Size};

const PACKAGE: &str = "lesson-04-reconnect-loop";
const PLAIN: &str = "plain std::net server";

/// The row: the lesson's server, the Python one and the plain std::net floor, all called
/// by the lesson's client.
pub fn calls(programs: &Programs, size: Size) -> anyhow::Result<Row> {
    // Every call leaves a TIME_WAIT entry for 60 s, and Linux keeps at most
    // net.ipv4.tcp_max_tw_buckets of them (131072 on a small machine); past that it skips
    // them, and the calls get cheaper. 5000 calls, times 3 programs and 5 rounds, stay below.
    let count = match size {
        Size::Full => 5_000,
        Size::Quick => 300,
    };
    let client = process::on_one_cpu(with_args(&programs.lesson(PACKAGE, "client")?, &[]));
    let server = programs.lesson(PACKAGE, "server")?;
    let lesson = process::on_one_cpu(with_args(
        &server,
        &["--addr", "127.0.0.1:0", "--reply", "ok"],
    ));
    let python = process::on_one_cpu(programs.python("reconnect_server.py", &["0"]));
    let plain = process::on_one_cpu(programs.plain_server());
    let pinned = if client[0] == "taskset" {
        "; client and server on CPU 0 (taskset -c 0)"
    } else {
        ""
    };
    Ok(Row {
        title: format!(
            "lesson 04: {count} calls from the lesson 04 client, one message each{pinned}"
        ),
        unit: "call",
        units: "calls",
        contenders: vec![
            Contender::new("lesson 04 server", lesson, &client, count, one_run),
            Contender::new(PYTHON, python, &client, count, one_run),
            Contender::new(PLAIN, plain, &client, count, one_run),
        ],
        goals: vec![Goal::CpuAtMost {
            versus: PLAIN,
            times: 1.10,
        }],
    })
}

/// One run: start the server, give the client `count` lines, and wait until it has made
/// its last call and ended. Every answered call prints `the server says: ok`.
fn one_run(server: &[OsString], client: &[OsString], count: u64) -> anyhow::Result<Sample> {
    // The server's own lines are read and dropped: no marker to count.
    let mut run = Run::server(server, "", "")?;
    let input = "hi\n".repeat(count as usize);
    let mut client = run.client(client, &[], Stdio::piped(), Stdio::piped())?;
    let mut stdin = client.stdin.take().expect("stdin is piped");
    // Dropping stdin at the end of the thread ends the client's input.
    std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = process::read_all(client.stdout.take().expect("stdout is piped"));
    let printed = output.recv_timeout(RUN_LIMIT).unwrap_or_default();
    let end = Instant::now();
    let answered = String::from_utf8_lossy(&printed)
        .matches("the server says: ok")
        .count() as u64;
    run.sample(client, answered, count, end)
}

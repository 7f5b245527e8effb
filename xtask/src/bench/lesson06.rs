//! Lesson 06's rows: how long one line takes from one speaker to every listener in the
//! room, with 8 and with 64 listeners. The bench itself is all the callers: it dials the
//! lesson's server over raw TCP and speaks its wire format (the contract: the first line
//! `NAME <name>`, then UTF-8 lines ending `\n`; a listener hears `<name>: <text>`). The
//! speaker says one line at a time; a line's time runs from just before the speaker's write
//! until the last listener has read it, as in the lesson's own measurement
//! (`lessons/06-group-call/tests/latency.rs`).

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::programs::{Programs, with_args};
use super::run::Run;
use super::{Contender, Delay, Goal, Row, Sample, Size};

const PACKAGE: &str = "lesson-06-group-call";
/// The longest the bench waits for anything: all callers to join, a line to reach all.
const WAIT: Duration = Duration::from_secs(10);

/// The row for `listeners` listeners.
pub fn delivery(programs: &Programs, size: Size, listeners: usize) -> anyhow::Result<Row> {
    // The first lines start the threads and fill the caches; they are checked, not timed.
    let (warm_up, lines) = match size {
        Size::Full => (100, 1_000),
        Size::Quick => (10, 50),
    };
    let seats = (listeners + 1).to_string();
    let server = with_args(
        &programs.lesson(PACKAGE, "server")?,
        &["--addr", "127.0.0.1:0", "--max-callers", &seats],
    );
    Ok(Row {
        title: format!(
            "lesson 06: {lines} lines from one speaker to {listeners} listeners, one at a time \
             (after {warm_up} untimed), until the last listener has read each"
        ),
        unit: "line",
        units: "lines",
        contenders: vec![Contender {
            name: "lesson 06 server",
            run: Box::new(move || one_run(&server, listeners, warm_up, lines)),
        }],
        goals: if listeners == 64 {
            vec![Goal::P99Below {
                limit: Duration::from_millis(10),
            }]
        } else {
            Vec::new()
        },
    })
}

/// One run: a room of `listeners` listeners and a speaker. A line is lost if one listener
/// does not hear it in time, or hears another instead; then the run stops there.
fn one_run(
    server: &[OsString],
    listeners: usize,
    warm_up: u64,
    lines: u64,
) -> anyhow::Result<Sample> {
    // The server prints `* <name> joined` once the room has been told.
    let mut run = Run::server(server, " joined", "")?;
    let addr = run.server.addr;
    let (heard, arrivals) = mpsc::channel::<(u64, Instant)>();
    let mut calls = Vec::new();
    for n in 0..listeners {
        let call = join(addr, &format!("l{n}"))?;
        let heard = heard.clone();
        let reader = BufReader::new(call.try_clone()?);
        std::thread::spawn(move || listen(reader, &heard));
        calls.push(call);
    }
    let mut speaker = join(addr, "speaker")?;
    // The speaker hears the others join, and nothing else: read it and drop it.
    let mut joins = speaker.try_clone()?;
    std::thread::spawn(move || std::io::copy(&mut joins, &mut std::io::sink()));
    calls.push(speaker.try_clone()?);
    let joined = run
        .server
        .wait_for(listeners as u64 + 1, Instant::now() + WAIT);
    if joined.lines <= listeners as u64 {
        bail!(
            "only {} of {} callers joined the room",
            joined.lines,
            listeners + 1
        );
    }

    let count = warm_up + lines;
    let mut times = Vec::new();
    let mut delivered = 0;
    run.start_clock();
    'lines: for index in 0..count {
        let sent = Instant::now();
        speaker.write_all(format!("{index}\n").as_bytes())?;
        let mut last = sent;
        for _ in 0..listeners {
            match arrivals.recv_timeout(WAIT) {
                Ok((got, at)) if got == index => last = last.max(at),
                // Nothing in time, or another line: this one went astray.
                _ => break 'lines,
            }
        }
        delivered += 1;
        if index >= warm_up {
            times.push(last - sent);
        }
    }
    let end = Instant::now();
    let mut sample = run.measured(delivered, count, end, run.server.cpu_time(), None);
    sample.delay = delay(times);
    // Hanging up ends the listening threads.
    for call in calls {
        let _ = call.shutdown(std::net::Shutdown::Both);
    }
    Ok(sample)
}

/// Dials the room and asks for `name` with the first line. The bench's own small writes
/// must not wait (Nagle's algorithm would hold a line until the previous one is
/// acknowledged), so it sets TCP_NODELAY; the server's sockets are as the lesson made them.
fn join(addr: SocketAddr, name: &str) -> anyhow::Result<TcpStream> {
    let mut call = TcpStream::connect_timeout(&addr, WAIT).context("could not dial the room")?;
    call.set_nodelay(true)?;
    call.write_all(format!("NAME {name}\n").as_bytes())?;
    Ok(call)
}

/// One listener: notes when each of the speaker's lines (`speaker: <index>`) arrives, until
/// the call ends.
fn listen(mut reader: BufReader<TcpStream>, heard: &mpsc::Sender<(u64, Instant)>) {
    let mut line = String::new();
    while matches!(reader.read_line(&mut line), Ok(1..)) {
        let now = Instant::now();
        let index = line.trim_end().strip_prefix("speaker: ");
        if let Some(index) = index.and_then(|index| index.parse().ok()) {
            if heard.send((index, now)).is_err() {
                return;
            }
        }
        line.clear();
    }
}

/// The median and the 99th percentile of `times`; `None` if there are none.
fn delay(mut times: Vec<Duration>) -> Option<Delay> {
    times.sort();
    let at = |share: usize| times.get(times.len() * share / 100).copied();
    Some(Delay {
        median: at(50)?,
        p99: at(99)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_99th_percentile_is_the_slowest_line_in_a_hundred() {
        let times: Vec<Duration> = (1..=200).rev().map(Duration::from_micros).collect();
        let delay = delay(times).unwrap();
        assert_eq!(delay.median, Duration::from_micros(101));
        assert_eq!(delay.p99, Duration::from_micros(199));
        assert!(super::delay(Vec::new()).is_none());
    }
}

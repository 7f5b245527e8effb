//! The chapter's figure: how long one line takes to reach every listener in the room.
//!
//! Not part of the usual test run (it measures, it does not check). To repeat it:
//!
//! ```text
//! cargo test --release -p lesson-06-group-call --test latency -- --ignored --nocapture
//! ```
//!
//! For 8 and then 64 listeners: a sender says 1,000 short lines, one at a time; each line's
//! time is from just before the sender's write to the moment the last listener has read
//! it. It prints the median and the 99th percentile of five runs.

use std::io::{BufRead, BufReader, Write};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use test_support::{TIMEOUT, dial, lesson};

const LINES: usize = 1_000;
const WARM_UP: usize = 100;
const RUNS: usize = 5;

#[test]
#[ignore = "a measurement for the chapter: run it by hand (see the top of this file)"]
fn time_for_a_line_to_reach_every_listener() {
    for listeners in [8, 64] {
        let mut medians = Vec::new();
        let mut p99s = Vec::new();
        for run in 1..=RUNS {
            let (median, p99) = one_run(listeners);
            println!(
                "{listeners} listeners, run {run}: median {}, 99th percentile {}",
                micros(median),
                micros(p99)
            );
            medians.push(median);
            p99s.push(p99);
        }
        medians.sort();
        p99s.sort();
        println!(
            "{listeners} listeners: median {} to {}, 99th percentile {} to {} ({RUNS} runs)",
            micros(medians[0]),
            micros(medians[RUNS - 1]),
            micros(p99s[0]),
            micros(p99s[RUNS - 1])
        );
    }
}

/// One room of `listeners` listeners and a sender: (median, 99th percentile).
fn one_run(listeners: usize) -> (Duration, Duration) {
    let seats = (listeners + 1).to_string();
    let server = lesson!().start(
        "server",
        &["--addr", "127.0.0.1:0", "--max-callers", &seats],
    );
    let (heard, arrivals) = mpsc::channel::<(usize, Instant)>();
    for n in 0..listeners {
        let mut line = dial(server.addr());
        line.write_all(format!("NAME l{n}\n").as_bytes()).unwrap();
        server.wait_for(&format!("* l{n} joined\n"));
        let heard = heard.clone();
        thread::spawn(move || {
            for text in BufReader::new(line).lines() {
                let Ok(text) = text else { return };
                let now = Instant::now();
                if let Some(index) = text.strip_prefix("sender: ") {
                    if heard.send((index.parse().unwrap(), now)).is_err() {
                        return;
                    }
                }
            }
        });
    }
    let mut sender = dial(server.addr());
    sender.set_nodelay(true).unwrap();
    sender.write_all(b"NAME sender\n").unwrap();
    server.wait_for("* sender joined\n");
    let mut times = Vec::new();
    for index in 0..WARM_UP + LINES {
        let sent = Instant::now();
        sender.write_all(format!("{index}\n").as_bytes()).unwrap();
        let mut last = sent;
        for _ in 0..listeners {
            let (got, at) = arrivals
                .recv_timeout(TIMEOUT)
                .expect("every listener hears it");
            assert_eq!(got, index, "lines arrive in order");
            last = last.max(at);
        }
        if index >= WARM_UP {
            times.push(last - sent);
        }
    }
    times.sort();
    (times[times.len() / 2], times[times.len() * 99 / 100])
}

/// A duration in whole microseconds, like `84 µs`.
fn micros(time: Duration) -> String {
    format!("{} µs", time.as_micros())
}

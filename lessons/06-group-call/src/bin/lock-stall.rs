//! Lesson 06, an experiment: a broadcast that writes while it holds the lock.
//!
//! The first room everyone writes: a `Mutex<Vec<TcpStream>>`, and to pass a line on,
//! take the lock and `write_all` it to every caller. It works while everybody reads.
//! Here one caller never reads. Its buffers fill up, one `write_all` waits for it,
//! and it waits holding the lock: the callers who do read get nothing more either.

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use lesson_06_group_call::{calls_on_loopback, listen_and_count, megabytes};

/// Lesson 06 experiment: one caller who never reads stalls a room that writes under
/// its lock.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// How many callers read everything (one more never reads).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    readers: u32,
    /// How long one write may wait before we give up, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 2.0, value_parser = common::parse_seconds)]
    wait: f64,
}

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(experiment(args))
}

fn experiment(args: Args) -> anyhow::Result<()> {
    let readers = args.readers as usize;
    let calls = calls_on_loopback(readers + 1)?;
    let heard: Vec<AtomicU64> = (0..readers).map(|_| AtomicU64::new(0)).collect();
    let done = AtomicBool::new(false);
    let mut room = Vec::new();
    let mut callers = Vec::new();
    for (caller, answered) in calls {
        answered.set_write_timeout(Some(Duration::from_secs_f64(args.wait)))?;
        room.push(answered);
        callers.push(caller);
    }
    let deaf = callers.pop().expect("one caller who never reads");
    println!(
        "{readers} callers who read, 1 who never reads; every line is written under the lock"
    );
    // ANCHOR: stall
    let room = Mutex::new(room);
    let started = Instant::now();
    thread::scope(|scope| -> anyhow::Result<()> {
        for (caller, count) in callers.iter().zip(&heard) {
            let caller = caller.try_clone()?;
            scope.spawn(move || listen_and_count(caller, count));
        }
        scope.spawn(|| report(&heard, &done, started));
        let line = format!("{}\n", "x".repeat(999));
        // At most a million lines (1 GB) per caller: if nothing stalls by then,
        // nothing will.
        let mut result = Ok(());
        for _ in 0..1_000_000 {
            // The broadcast: take the lock, write to every caller, let go of the
            // lock.
            let room = room.lock().unwrap();
            result = room.iter().try_for_each(|mut line_to: &TcpStream| {
                line_to.write_all(line.as_bytes())
            });
            if result.is_err() {
                break;
            }
        }
        done.store(true, Ordering::SeqCst);
        let Err(err) = result else {
            println!(
                "1 GB went to every caller and nothing stalled: did they all read?"
            );
            return Ok(());
        };
        println!(
            "{:.2} s: a write_all waited {} s for the caller who never reads, \
             holding the lock \
             ({}); the readers got nothing meanwhile",
            started.elapsed().as_secs_f64(),
            args.wait,
            common::short(&err)
        );
        for caller in &callers {
            let _ = caller.shutdown(Shutdown::Both);
        }
        Ok(())
    })?;
    // ANCHOR_END: stall
    drop(deaf);
    Ok(())
}

/// Every quarter of a second: how much each reader has heard.
fn report(heard: &[AtomicU64], done: &AtomicBool, started: Instant) {
    loop {
        thread::sleep(Duration::from_millis(250));
        if done.load(Ordering::SeqCst) {
            return;
        }
        let got: Vec<String> = heard
            .iter()
            .map(|count| megabytes(count.load(Ordering::Relaxed)))
            .collect();
        println!(
            "{:.2} s: the readers have heard {}",
            started.elapsed().as_secs_f64(),
            got.join(", ")
        );
    }
}

//! Lesson 06, an experiment: an outbox without a limit.
//!
//! The second room: the broadcast only queues each line (no writing under the lock,
//! so nobody stalls), and a thread per caller writes its queue out. Here one caller
//! never reads, and nothing limits its queue: it grows as long as anybody talks. The
//! experiment stops it at `--stop-at` megabytes, before your computer runs out of
//! memory.

use std::collections::VecDeque;
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use lesson_06_group_call::{calls_on_loopback, listen_and_count, megabytes};

/// Lesson 06 experiment: the queue of a caller who never reads grows without end.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Stop when that caller's queue holds this many megabytes (MB, millions of
    /// bytes; 1 to 4096).
    #[arg(long, value_name = "MB", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=4096))]
    stop_at: u64,
}

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(experiment(args))
}

/// Every caller's queue, without a limit.
type Queues = Mutex<Vec<VecDeque<Arc<str>>>>;

fn experiment(args: Args) -> anyhow::Result<()> {
    let calls = calls_on_loopback(2)?;
    let queues: Queues = Mutex::new(vec![VecDeque::new(), VecDeque::new()]);
    let changed = Condvar::new();
    let done = AtomicBool::new(false);
    let heard = AtomicU64::new(0);
    println!("1 caller who reads, 1 who never reads; the queues have no limit");
    let started = Instant::now();
    thread::scope(|scope| -> anyhow::Result<()> {
        let mut callers = Vec::new();
        for (index, (caller, answered)) in calls.into_iter().enumerate() {
            let (queues, changed, done) = (&queues, &changed, &done);
            scope.spawn(move || write_out(queues, changed, done, index, answered));
            callers.push(caller);
        }
        let reader = callers[0].try_clone()?;
        scope.spawn(|| listen_and_count(reader, &heard));
        // ANCHOR: grow
        let filler = "x".repeat(990);
        let mut next_report = Duration::ZERO;
        for n in 0u64.. {
            // Each line is new, as in a real chat; the queues share it (Arc).
            let line: Arc<str> = Arc::from(format!("{n:08} {filler}\n"));
            let waiting = {
                let mut queues = queues.lock().unwrap();
                for queue in queues.iter_mut() {
                    queue.push_back(Arc::clone(&line)); // no limit: it always fits
                }
                changed.notify_all();
                queues[1].len() as u64 * line.len() as u64
            };
            if started.elapsed() >= next_report || waiting >= args.stop_at * 1_000_000
            {
                println!(
                    "{:.2} s: waiting for the caller who never reads: {}; the reader has heard {}; {}",
                    started.elapsed().as_secs_f64(),
                    megabytes(waiting),
                    megabytes(heard.load(Ordering::Relaxed)),
                    memory()
                );
                next_report += Duration::from_millis(50);
            }
            if waiting >= args.stop_at * 1_000_000 {
                break;
            }
        }
        // ANCHOR_END: grow
        println!(
            "stopped at {}; nothing else would have stopped it",
            megabytes(args.stop_at * 1_000_000)
        );
        done.store(true, Ordering::SeqCst);
        changed.notify_all();
        for caller in &callers {
            let _ = caller.shutdown(Shutdown::Both);
        }
        Ok(())
    })
}

/// This program's memory in use, as Linux tells it (`VmRSS` in /proc/self/status,
/// whose "kB" are really KiB, 1024 bytes), in MB like the other figures.
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
    match kib {
        Some(kib) => format!("this program uses {}", megabytes(kib * 1024)),
        None => "memory use unknown on this system".to_string(),
    }
}

/// One caller's writing thread: takes what waits in its queue and writes it, without
/// the lock.
fn write_out(
    queues: &Queues,
    changed: &Condvar,
    done: &AtomicBool,
    index: usize,
    mut line: TcpStream,
) {
    loop {
        let batch: Vec<Arc<str>> = {
            let mut queues = queues.lock().unwrap();
            while queues[index].is_empty() && !done.load(Ordering::SeqCst) {
                queues = changed.wait(queues).unwrap();
            }
            if done.load(Ordering::SeqCst) {
                return;
            }
            queues[index].drain(..).collect()
        };
        for text in batch {
            if line.write_all(text.as_bytes()).is_err() {
                return;
            }
        }
    }
}

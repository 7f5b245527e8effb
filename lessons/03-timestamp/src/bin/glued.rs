//! Lesson 03, an experiment: do two sends arrive as two pieces?
//!
//! The original's programs send a timestamp without anything after it, and read with
//! one `recv(1024)`, trusting that one send arrives as one recv. This program tests
//! that trust. For each trial, a caller dials a listener on this machine and sends
//! two timestamps right after each other, in two writes, with no `\n`; the listener
//! reads once, up to 1024 bytes, as the original's server does. When both timestamps
//! come out of that one read, glued together, they are a "glued" piece (粘包): the
//! server could not tell them apart.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, SystemTime};

use clap::Parser;

/// Lesson 03 experiment: two quick sends, one recv(1024). How often do they arrive
/// glued?
#[derive(Parser)]
#[command(version)]
struct Args {
    /// How many times to try.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    trials: u32,
    /// How long the reader waits before its recv, in seconds (a busy server is late,
    /// too).
    #[arg(long, value_name = "SECS", default_value_t = 0.0, value_parser = common::parse_pause)]
    pause: f64,
    /// Print what every read got, not only the first few.
    #[arg(long)]
    all: bool,
}

/// The first few trials are shown in full; after that only the count.
const SHOWN: u32 = 5;

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(experiment(args))
}

fn experiment(args: Args) -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let pause = Duration::from_secs_f64(args.pause);
    println!(
        "{} trials: two sends of a timestamp each, no \\n, then one recv(1024) after a pause of {} s",
        args.trials, args.pause
    );
    let mut glued = 0;
    for trial in 1..=args.trials {
        let (first, got) = one_trial(&listener, addr, pause)?;
        let whole = got.len() > first.len();
        if whole {
            glued += 1;
        }
        if args.all || trial <= SHOWN {
            let text = String::from_utf8_lossy(&got);
            let verdict = if whole {
                "both sends in one piece (glued)"
            } else {
                "the first send alone"
            };
            println!("trial {trial}: recv got {text:?}: {verdict}");
        }
    }
    if !args.all && args.trials > SHOWN {
        println!("...");
    }
    println!(
        "glued: {glued} of {} trials (two sends arrived in one recv)",
        args.trials
    );
    Ok(())
}

// ANCHOR: trial
/// One trial: returns what the caller sent first, and what the one read got.
fn one_trial(
    listener: &TcpListener,
    addr: SocketAddr,
    pause: Duration,
) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    let first = timestamp();
    let second = timestamp();
    let to_send = (first.clone(), second);
    // The caller, in a thread of its own: dial, then two writes, right after each
    // other.
    let caller = thread::spawn(move || -> std::io::Result<()> {
        let mut line = TcpStream::connect(addr)?;
        line.write_all(&to_send.0)?;
        line.write_all(&to_send.1)?;
        // Stay on the line until the reader has read, so that its read sees no
        // hang-up. The reader hangs up with our second send maybe unread, which
        // resets the call: that is expected here, so the result of this wait does not
        // matter.
        let _ = line.read_to_end(&mut Vec::new());
        Ok(())
    });
    // The server: pick up, maybe pause, then one recv(1024), as the original does.
    let (mut line, _) = listener.accept()?;
    thread::sleep(pause);
    let mut buffer = [0u8; 1024];
    let size = line.read(&mut buffer)?;
    drop(line); // hang up: the caller's read_to_end ends
    caller
        .join()
        .map_err(|_| anyhow::anyhow!("the caller thread panicked"))??;
    Ok((first, buffer[..size].to_vec()))
}
// ANCHOR_END: trial

/// The current Unix time as the client sends it, but without the `\n`.
fn timestamp() -> Vec<u8> {
    let since_1970 = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:06}", since_1970.as_secs(), since_1970.subsec_micros()).into_bytes()
}

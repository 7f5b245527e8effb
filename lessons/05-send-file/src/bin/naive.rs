//! Lesson 05, an experiment: the naive file transfer, run for real.
//!
//! The sender does what `nc host port < file` does: send every byte, then hang up.
//! The receiver does what a beginner writes first: one `recv` with a buffer as big as
//! the file, as if one `send` arrived as one `recv`. This program runs both on
//! loopback, in one process, and prints how much the first `recv` really got.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;

use clap::Parser;

/// Lesson 05 experiment: does one recv get the whole file? (No.)
#[derive(Parser)]
#[command(version)]
struct Args {
    /// How many bytes the sender sends in one go.
    #[arg(long, value_name = "N", default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    bytes: u64,
    /// How many times to try.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = common::parse_count)]
    runs: u64,
}

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(experiment(args))
}

fn experiment(args: Args) -> anyhow::Result<()> {
    let size = args.bytes as usize;
    let mut firsts = Vec::new();
    for run in 1..=args.runs {
        let (first, calls, total) = one_transfer(size)?;
        println!(
            "run {run}: the first recv got {first} of {size} bytes; {total} bytes came in {} in all",
            common::count(calls, "recv call")
        );
        firsts.push(first);
    }
    let least = firsts.iter().min().unwrap_or(&0);
    let most = firsts.iter().max().unwrap_or(&0);
    println!(
        "the first recv got {least} to {most} bytes of {size}, over {}",
        common::count(args.runs, "run")
    );
    Ok(())
}

// ANCHOR: naive
/// One naive transfer: returns (bytes of the first recv, number of recv calls, total
/// bytes).
fn one_transfer(size: usize) -> anyhow::Result<(usize, u64, usize)> {
    let phone = TcpListener::bind("127.0.0.1:0")?;
    let number = phone.local_addr()?;

    // The sender: `nc 127.0.0.1 PORT < file`. Send it all, hang up. No name, no size,
    // no check: hanging up is the only "that was all".
    let sender = thread::spawn(move || -> std::io::Result<()> {
        let file = vec![b'x'; size];
        let mut line = TcpStream::connect(number)?;
        line.write_all(&file)
    });

    // The receiver: one recv, with room for the whole file.
    // Python: data = conn.recv(10_000_000)
    let (mut line, _) = phone.accept()?;
    let mut buffer = vec![0u8; size];
    let first = line.read(&mut buffer)?;

    // What the naive receiver never sees: the rest, in many more pieces.
    let mut calls = 1;
    let mut total = first;
    while total < size {
        let got = line.read(&mut buffer[total..])?;
        if got == 0 {
            break; // the sender hung up
        }
        calls += 1;
        total += got;
    }
    sender.join().expect("the sender does not panic")?;
    Ok((first, calls, total))
}
// ANCHOR_END: naive

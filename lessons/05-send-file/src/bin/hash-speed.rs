//! Lesson 05, an experiment: how fast can this computer compute a SHA-256, with no
//! network at all? The server and the client hash every byte they pass on, so this is
//! the speed a transfer cannot beat. It hashes one 64 KiB chunk over and over, as the
//! server does.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use lesson_05_send_file::{CHUNK, speed};
use sha2::{Digest, Sha256};

/// Lesson 05 experiment: the speed of SHA-256 (the sha2 crate) alone, in MB/s.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// How many MiB to hash in each run.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = common::parse_count)]
    mib: u64,
    /// How many times to try.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = common::parse_count)]
    runs: u64,
}

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    let chunk: Vec<u8> = (0..CHUNK).map(|i| (i * 31 % 251) as u8).collect();
    let bytes = args.mib << 20;
    let mut speeds = Vec::new();
    for run in 1..=args.runs {
        let started = Instant::now();
        let mut hasher = Sha256::new();
        for _ in 0..bytes / CHUNK as u64 {
            hasher.update(&chunk);
        }
        let digest = hasher.finalize();
        let seconds = started.elapsed().as_secs_f64();
        // Use the digest, so that the compiler cannot skip the work.
        let first = digest[0];
        println!(
            "run {run}: hashed {bytes} bytes in {seconds:.3} s ({}; digest starts {first:02x})",
            speed(bytes, seconds)
        );
        speeds.push(bytes as f64 / seconds / 1e6);
    }
    let least = speeds.iter().copied().fold(f64::INFINITY, f64::min);
    let most = speeds.iter().copied().fold(0.0, f64::max);
    println!(
        "sha256 hashed {least:.0} to {most:.0} MB/s, over {}",
        common::count(args.runs, "run")
    );
    ExitCode::SUCCESS
}

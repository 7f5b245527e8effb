//! The misbehaving relay as a program, to see with your own eyes what the tests do to the
//! lesson programs: put it between a client and a server, and watch every chunk go by.
//!
//! ```text
//! cargo run -p lesson-03-timestamp --bin server -- --addr 127.0.0.1:8003
//! cargo run -p test-support --bin relay -- --to 127.0.0.1:8003 --to-server bytes
//! cargo run -p lesson-03-timestamp --bin client -- --addr 127.0.0.1:9000
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use test_support::relay::{Relay, Shape};

/// A loopback relay that splits, merges, delays, stalls, half-closes or resets what passes.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Where callers dial: the relay's own address.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// The server the relay forwards to.
    #[arg(long)]
    to: SocketAddr,
    /// What happens to the bytes going to the server: whole, bytes, merge:50ms,
    /// delay:100ms, then any of ,stall:BYTES:2s ,half-close:BYTES ,reset:BYTES.
    #[arg(long, default_value = "whole")]
    to_server: Shape,
    /// What happens to the bytes going back to the client (same words).
    #[arg(long, default_value = "whole")]
    to_client: Shape,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 600)]
    seconds: u64,
}

fn main() {
    let args = Args::parse();
    let relay = match Relay::listen(args.listen, args.to, args.to_server, args.to_client) {
        Ok(relay) => relay,
        Err(err) => {
            eprintln!("error: cannot listen on {}: {err}", args.listen);
            std::process::exit(1);
        }
    };
    println!("listening on {}", relay.addr());
    println!(
        "forwarding to {}; every chunk that passes is shown below",
        args.to
    );
    let mut shown = 0;
    for _ in 0..args.seconds * 20 {
        std::thread::sleep(Duration::from_millis(50));
        let events = relay.events();
        for event in &events[shown..] {
            println!("{event}");
        }
        shown = events.len();
    }
}

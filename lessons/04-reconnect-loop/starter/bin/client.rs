// Generated from ../src/bin/client.rs by `cargo xtask exercise generate`: do not edit.
// To start the exercise, run `cargo xtask exercise start 04`.
//! Lesson 04, the client: one phone call for every message.
//!
//! For each line you type, the client dials the server, says that line, prints the reply and
//! hangs up. The next line is a new call, from a new port. The original's client dialed
//! first and then waited for you to type; this one asks first and dials when the message is
//! ready, so it never holds the server's line while you think.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;

use clap::Parser;

/// Lesson 04: for every line you type, call the server, send the line, print the reply.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The server's phone number, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8041", value_parser = common::parse_addr)]
    addr: SocketAddr,
}

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(call_for_every_line(args))
}

fn call_for_every_line(args: Args) -> anyhow::Result<()> {
    // ANCHOR: loop
    // The original's `while 1:`, with the question first: end of input (Ctrl-D) ends it.
    while let Some(message) = common::read_message("you> ")? {
        one_call(args.addr, &message)?;
    }
    Ok(())
    // ANCHOR_END: loop
}

// ANCHOR: one_call
/// One call: dial, say `message`, print the reply, hang up.
fn one_call(addr: SocketAddr, message: &str) -> anyhow::Result<()> {
    todo!("TcpStream::connect (errors through common::dial_error); write_all the message; one read of up to 1024 bytes; print `the server says: <reply>` (0 bytes: the server hung up without replying); hang up")
}
// ANCHOR_END: one_call

//! Lesson 02, the client: call the server, then chat in turns until somebody says
//! "bye".
//!
//! Lesson 01 showed the raw socket steps; here Rust's standard `TcpStream::connect`
//! does socket + connect in one call, and the lesson is about the loop.

use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;

use clap::Parser;
use lesson_02_chat_loop::{Chat, hear, speak};

/// Lesson 02: call the server and chat, in turns, until one of you says bye. You
/// speak first.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The server's phone number, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8001", value_parser = common::parse_addr)]
    addr: SocketAddr,
}

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(chat(args))
}

fn chat(args: Args) -> anyhow::Result<()> {
    // ANCHOR: call
    // socket() + connect(): dial.
    // Python: client = socket.socket(); client.connect(...)
    let mut line = TcpStream::connect(args.addr)
        .map_err(|err| common::dial_error(args.addr, err))?;
    println!("connected to {}: we are {}", args.addr, line.local_addr()?);
    // ANCHOR_END: call

    // ANCHOR: talk
    // The chat itself: the loop in take_turns, below (the exercise of this lesson).
    take_turns(&mut line)?;
    // Hang up politely, as lesson 01 does: "that was all", let the other side finish,
    // then close. Python: client.close()
    common::hang_up(line);
    Ok(())
    // ANCHOR_END: talk
}

// ANCHOR: loop
/// The chat: we speak first, then we take turns, one message each, until one side
/// says bye or hangs up (then `speak` or `hear` says `Chat::Over`).
fn take_turns(line: &mut TcpStream) -> anyhow::Result<()> {
    // EXERCISE: a loop: speak first, then hear ("server" is the other side); leave
    //           the loop (break) as soon as either one returns Chat::Over
    // Python: while True: ...
    loop {
        // Our turn, then theirs.
        if speak(line, "server")? == Chat::Over {
            break;
        }
        if hear(line, "server")? == Chat::Over {
            break;
        }
    }
    Ok(())
    // EXERCISE_END
}
// ANCHOR_END: loop

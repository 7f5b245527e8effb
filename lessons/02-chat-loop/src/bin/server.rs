//! Lesson 02, the server: answer one call, then chat in turns until somebody says
//! "bye".
//!
//! Lesson 01 made every socket call by hand (socket2: socket, bind, listen, accept),
//! to show each step. This lesson is about the loop, so it uses Rust's standard
//! library: `TcpListener::bind` does socket + bind + listen in one call.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;

use clap::Parser;
use lesson_02_chat_loop::{Chat, hear, speak};

/// Lesson 02: answer one call and chat with the caller, in turns, until one of you
/// says bye.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The phone number to listen on, HOST:PORT. Port 0 lets the system pick a free
    /// port.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8001", value_parser = common::parse_addr)]
    addr: SocketAddr,
}

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(chat(args))
}

fn chat(args: Args) -> anyhow::Result<()> {
    // ANCHOR: answer
    // socket() + bind() + listen() in one call. (Rust's std uses a backlog of 128,
    // not 5: lesson 01 showed how to choose it.)
    // Python: server = socket.socket(); server.bind(...); server.listen(5)
    let phone = TcpListener::bind(args.addr)
        .map_err(|err| common::listen_error(args.addr, err))?;
    common::announce_listening(phone.local_addr()?)?;
    println!("waiting for a caller...");
    std::io::stdout().flush()?;

    // accept(): blocks until somebody calls.
    // Python: conn, addr = server.accept()
    let (mut line, caller) = phone.accept()?;
    // We chat with one caller only, so we switch the phone off now. Anybody else who
    // dials hears "connection refused" at once, instead of waiting in the queue for
    // nothing.
    drop(phone);
    println!("a caller is on the line: {caller}");
    // ANCHOR_END: answer

    // ANCHOR: talk
    // The chat itself: the loop in take_turns, below (the exercise of this lesson).
    take_turns(&mut line)?;
    // Hang up politely, as lesson 01 does: "that was all", let the other side finish,
    // then close. Python: conn.close(); server.close()
    common::hang_up(line);
    Ok(())
    // ANCHOR_END: talk
}

// ANCHOR: loop
/// The chat: the client speaks first, then we take turns, one message each, until one
/// side says bye or hangs up (then `hear` or `speak` says `Chat::Over`).
fn take_turns(line: &mut TcpStream) -> anyhow::Result<()> {
    // EXERCISE: a loop: hear first, then speak ("client" is the other side); leave
    //           the loop (break) as soon as either one returns Chat::Over
    // Python: while True: ...
    loop {
        // Their turn, then ours.
        if hear(line, "client")? == Chat::Over {
            break;
        }
        if speak(line, "client")? == Chat::Over {
            break;
        }
    }
    Ok(())
    // EXERCISE_END
}
// ANCHOR_END: loop

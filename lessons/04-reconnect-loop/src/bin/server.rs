//! Lesson 04, the server: exercise 2 of the original tutorial, in the shape that
//! lasts.
//!
//! The original's server put `socket()`, `bind()` and `listen()` inside its `while
//! 1:` loop: it bought a new phone and put in the SIM card again for every caller. On
//! Linux that soon fails with "Address already in use" (the `trap` program of this
//! lesson shows why). This server switches the phone on once, before the loop, and
//! then answers the callers one after another: pick up, listen to one message, say
//! one line back, hang up, next caller. Callers who ring meanwhile wait in the queue.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use socket2::{Domain, Protocol, Socket, Type};

/// Lesson 04: answer callers one after another, one message and one reply per call.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The phone number to listen on, HOST:PORT. Port 0 lets the system pick a free
    /// port.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8041", value_parser = common::parse_addr)]
    addr: SocketAddr,
    /// Answer every caller with TEXT instead of a line typed for each one. The server
    /// then serves until you stop it (Ctrl-C).
    #[arg(long, value_name = "TEXT", value_parser = one_message)]
    reply: Option<String>,
    /// How long to wait for a caller's message, in seconds (fractions allowed, like
    /// 0.5). A caller who says nothing for that long is dropped, so that the next one
    /// gets a turn.
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = common::parse_seconds, allow_negative_numbers = true)]
    timeout: f64,
}

/// How many callers may wait in the queue while we serve one: the N of `listen(N)`.
/// The original called `listen()` with no number, and Python then picks 128; Rust's
/// `TcpListener::bind` uses 128 too. Lesson 01 showed that Linux lets N + 1 callers
/// wait, so 60 callers who dial at the same moment all fit.
const QUEUE: i32 = 128;

fn one_message(text: &str) -> Result<String, String> {
    if text.is_empty() {
        // An empty reply writes 0 bytes: nothing travels, and the caller waits for
        // ever.
        Err(
            "an empty reply sends nothing; give some text, like --reply ok"
                .to_string(),
        )
    } else if text.len() <= common::MESSAGE_LIMIT {
        Ok(text.to_string())
    } else {
        Err(format!(
            "the reply is {} bytes; one message can be at most {} bytes",
            text.len(),
            common::MESSAGE_LIMIT
        ))
    }
}

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(serve(args))
}

/// What became of one call.
enum Call {
    /// The call is over (answered, or dropped with a note): on to the next caller.
    Over,
    /// The typed input ended (Ctrl-D): no more replies, so the server stops.
    InputEnded,
}

fn serve(args: Args) -> anyhow::Result<()> {
    // ANCHOR: loop
    // Once, before the loop: buy the phone, put in the SIM card, switch it on.
    let phone = open_the_line(args.addr)?;
    common::announce_listening(phone.local_addr()?)?;

    // Then, for ever: one caller after another. The original's `while 1:` started
    // here too, but it began with socket() and bind(); ours begins with accept().
    let timeout = Duration::from_secs_f64(args.timeout);
    loop {
        println!("waiting for a caller... (anyone who dials now waits in the queue)");
        let (line, caller) = match phone.accept() {
            Ok(call) => call,
            // A caller who hung up while still in the queue: nothing to serve.
            Err(err) if common::is_hang_up(&err) => continue,
            Err(err) => return Err(err.into()),
        };
        println!("picked up a call from {caller}");
        match serve_one_caller(line, caller, args.reply.as_deref(), timeout)? {
            Call::Over => continue,
            Call::InputEnded => {
                println!("input ended: no more replies, so the server stops");
                return Ok(());
            }
        }
    }
    // ANCHOR_END: loop
}

// ANCHOR: open
/// socket(), bind() and listen(), once: the phone the server keeps for its whole
/// life.
fn open_the_line(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    // EXERCISE: socket2's Socket::new, set_reuse_address(true) on Unix, bind (errors
    //           through common::listen_error), listen(QUEUE), then .into() a
    //           TcpListener
    let phone =
        Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // SO_REUSEADDR lets the server start again right after you stop it, while the
    // calls it just hung up are still in TIME_WAIT (the chapter explains). Rust's
    // TcpListener::bind sets it too, on Unix only: on Windows it would let another
    // program take the port.
    if cfg!(unix) {
        phone.set_reuse_address(true)?;
    }
    phone
        .bind(&addr.into())
        .map_err(|err| common::listen_error(addr, err))?;
    phone
        .listen(QUEUE)
        .map_err(|err| common::listen_error(addr, err))?;
    Ok(phone.into())
    // EXERCISE_END
}
// ANCHOR_END: open

// ANCHOR: serve_one
/// One call: hear one message (waiting at most `timeout`), print it, send one reply
/// (TEXT, or the next typed line), hang up. Trouble with this caller is a note, never
/// an error: the next caller is waiting.
fn serve_one_caller(
    mut line: TcpStream,
    caller: SocketAddr,
    reply: Option<&str>,
    timeout: Duration,
) -> io::Result<Call> {
    // EXERCISE: set_read_timeout(timeout); one read of up to 1024 bytes (read again
    //           if it was Interrupted; 0 bytes, a timeout (common::is_timeout) or an
    //           error: print a note, return Call::Over); print `<caller> says:
    //           <text>` (from_utf8_lossy, common::printable); next_reply(reply) (None:
    //           return Call::InputEnded); write_all; hang up with common::hang_up
    // Without a timeout, a caller who never speaks would hold the line for ever, and
    // everybody in the queue behind them would wait too.
    line.set_read_timeout(Some(timeout))?;
    line.set_write_timeout(Some(timeout))?;

    // recv(1024): one read, as the original does. A read with a timeout that the
    // server's user stops and continues (Ctrl-Z, then fg) ends as Interrupted, before
    // any byte came: then we read again. (Python's recv does that by itself.)
    let mut buffer = [0u8; common::MESSAGE_LIMIT];
    let read = loop {
        match line.read(&mut buffer) {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            read => break read,
        }
    };
    let size = match read {
        Ok(0) => {
            println!("note: {caller} hung up without a word; next caller");
            return Ok(Call::Over);
        }
        Ok(size) => size,
        Err(err) if common::is_timeout(&err) => {
            println!(
                "note: {caller} said nothing for {} s; hanging up on them; next \
                 caller",
                timeout.as_secs_f64()
            );
            return Ok(Call::Over);
        }
        Err(err) => {
            println!(
                "note: the call with {caller} broke ({}); next caller",
                common::short(&err)
            );
            return Ok(Call::Over);
        }
    };
    // Bytes that are not UTF-8 become �: Python's .decode('utf-8') would crash here.
    // common::printable shows control characters as escapes (\r, \x1b), so that a
    // caller cannot play tricks with our terminal.
    let message = String::from_utf8_lossy(&buffer[..size]);
    println!("{caller} says: {}", common::printable(&message));

    let Some(answer) = next_reply(reply)? else {
        println!("note: no reply for {caller}; hanging up");
        return Ok(Call::InputEnded);
    };
    match line.write_all(answer.as_bytes()) {
        Ok(()) => println!("replied to {caller}: {answer}"),
        Err(err) => println!(
            "note: could not reply to {caller} ({}); next caller",
            common::short(&err)
        ),
    }
    // Hang up politely (lesson 01 tells why): say "that was all", let the caller
    // finish, then close (Python: conn.close()). The phone stays on.
    common::hang_up(line);
    Ok(Call::Over)
    // EXERCISE_END
}
// ANCHOR_END: serve_one

/// The reply for this caller: TEXT from `--reply`, or the next line typed. `None`
/// means the typed input ended.
fn next_reply(reply: Option<&str>) -> io::Result<Option<String>> {
    match reply {
        Some(text) => Ok(Some(text.to_string())),
        None => common::read_message("reply> "),
    }
}

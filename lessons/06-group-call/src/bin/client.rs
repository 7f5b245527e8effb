//! Lesson 06, the client: join the group call, say lines, and see what the others say
//! while you type.
//!
//! Until now a client did one thing at a time: send, then wait for the answer. In a
//! group call anyone may speak at any moment, so the client does two things at once:
//! a thread prints what arrives, and the main thread waits for your typing.

use std::io::{BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use clap::Parser;
use lesson_06_group_call::{Heard, LINE_LIMIT, hear, name_problem};

/// Lesson 06: join a group call. Type a line to say it to everyone; bye or Ctrl-D
/// leaves.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The phone number to call, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8061", value_parser = common::parse_addr)]
    addr: SocketAddr,
    /// The name the others see (1 to 32 characters, no spaces, ':' or control
    /// characters). Without it, the server names you by your address.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
}

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    if let Some(problem) = args.name.as_deref().and_then(bad_name) {
        eprintln!("{problem}");
        return ExitCode::from(2);
    }
    common::finish(join(args))
}

/// The server's rules for a name, checked before we call: a name with a newline in it
/// would otherwise make the room hear a line we never said. The error line is like
/// the other mistakes on the command line (the name shown escaped, `\n` as two
/// characters).
fn bad_name(name: &str) -> Option<String> {
    let problem = name_problem(name)?;
    Some(format!(
        "error: invalid value '{}' for '--name <NAME>': {problem} (see --help)",
        name.escape_debug()
    ))
}

fn join(args: Args) -> anyhow::Result<()> {
    // ANCHOR: dial
    let mut line = TcpStream::connect(args.addr)
        .map_err(|err| common::dial_error(args.addr, err))?;
    if let Some(name) = &args.name {
        // The first line may ask for a name; the server answers only if it refuses.
        line.write_all(format!("NAME {name}\n").as_bytes())?;
    }
    println!(
        "in the room at {}: type a line and press Enter to say it; bye or Ctrl-D \
         leaves",
        args.addr
    );
    // ANCHOR_END: dial

    // ANCHOR: reader
    // Two things at once: a listening thread prints every line that arrives, while
    // this thread waits for your typing. thread::scope lets the listening thread
    // borrow `leaving`; try_clone() gives a second handle on the same call, one for
    // each thread.
    let incoming = line.try_clone()?;
    let leaving = AtomicBool::new(false);
    thread::scope(|scope| {
        scope.spawn(|| {
            let mut reader = BufReader::new(incoming);
            loop {
                match hear(&mut reader) {
                    // The others' words, with control characters shown escaped, so
                    // that nobody in the room can clear your screen or rewrite a line
                    // you see.
                    Ok(Heard::Line(text)) => println!("{}", common::printable(&text)),
                    Ok(Heard::TooLong) => {
                        println!("(the server sent a line too long to show)")
                    }
                    Ok(Heard::HungUp) | Err(_) => break,
                }
            }
            if !leaving.load(Ordering::SeqCst) {
                // The server hung up while the main thread waits for your typing.
                // Nothing can interrupt a read from the keyboard, so this thread ends
                // the program.
                println!("the server hung up");
                std::process::exit(0);
            }
        });
        type_lines(&mut line, &leaving)
    })?;
    println!("you left the room");
    Ok(())
    // ANCHOR_END: reader
}

// ANCHOR: typing
/// The typing loop: every line you type is said to the room. `bye` or Ctrl-D leaves.
fn type_lines(line: &mut TcpStream, leaving: &AtomicBool) -> anyhow::Result<()> {
    // read_line blocks until you press Enter, while the listening thread goes on
    // printing what the others say. None is Ctrl-D: leave as if we said bye.
    while let Some(text) = common::read_line("")? {
        if text.len() > LINE_LIMIT {
            println!(
                "note: that line is {} bytes; a line can be at most {LINE_LIMIT} \
                 bytes. Please type a shorter one.",
                text.len()
            );
            continue;
        }
        if text == "bye" {
            break;
        }
        if line.write_all(format!("{text}\n").as_bytes()).is_err() {
            // The call broke. The listening thread finds that out too, says so, and
            // ends the program; the scope waits for it.
            return Ok(());
        }
    }
    // Say bye and stop sending. The server hangs up on us; the listening thread
    // prints what was still on its way, then ends, and the scope waits for it.
    leaving.store(true, Ordering::SeqCst);
    let _ = line.write_all(b"bye\n");
    let _ = line.shutdown(Shutdown::Write);
    Ok(())
}
// ANCHOR_END: typing

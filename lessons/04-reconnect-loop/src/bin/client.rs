//! Lesson 04, the client: one phone call for every message.
//!
//! For each line you type, the client dials the server, says that line, prints the
//! reply and hangs up. The next line is a new call, from a new port. The original's
//! client dialed first and then waited for you to type; this one asks first and dials
//! when the message is ready, so it never holds the server's line while you think.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;

use clap::Parser;

/// Lesson 04: for every line you type, call the server, send the line, print the
/// reply.
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
    // The original's `while 1:`, with the question first: end of input (Ctrl-D) ends
    // it.
    while let Some(message) = common::read_message("you> ")? {
        one_call(args.addr, &message)?;
    }
    Ok(())
    // ANCHOR_END: loop
}

// ANCHOR: one_call
/// One call: dial, say `message`, print the reply, hang up.
fn one_call(addr: SocketAddr, message: &str) -> anyhow::Result<()> {
    // EXERCISE: TcpStream::connect (errors through common::dial_error); write_all the
    //           message; one read of up to 1024 bytes; print `the server says:
    //           <reply>` (from_utf8_lossy, common::printable; 0 bytes: the server
    //           hung up without replying); hang up
    // socket() + connect(): a new call every time (Python: client = socket.socket()
    // and client.connect(...) inside the loop).
    let mut line =
        TcpStream::connect(addr).map_err(|err| common::dial_error(addr, err))?;
    println!("called {addr} from {}", line.local_addr()?);

    if let Err(err) = line.write_all(message.as_bytes()) {
        if common::is_hang_up(&err) {
            println!("the server hung up before we could speak");
            return Ok(());
        }
        return Err(err.into());
    }

    // recv(1024): wait for the reply. If we are in the queue, this waits for our
    // turn. common::receive counts a sudden hang-up (a reset) as 0 bytes, as in
    // lesson 01.
    let mut buffer = [0u8; common::MESSAGE_LIMIT];
    let size = common::receive(&mut line, &mut buffer)?;
    if size == 0 {
        println!("the server hung up without replying");
    } else {
        // common::printable shows control characters as escapes (\r, \x1b).
        let reply = String::from_utf8_lossy(&buffer[..size]);
        println!("the server says: {}", common::printable(&reply));
    }
    // Hang up (Python: client.close()). The next message is a new call.
    drop(line);
    Ok(())
    // EXERCISE_END
}
// ANCHOR_END: one_call

//! Lesson 01, the client: make one phone call, say one thing, hear the reply, hang
//! up.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;

use clap::Parser;

/// Lesson 01: call the server once, send one line you type, print the reply.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The server's phone number, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8001", value_parser = common::parse_addr)]
    addr: SocketAddr,
}

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(make_one_call(args))
}

fn make_one_call(args: Args) -> anyhow::Result<()> {
    // ANCHOR: connect
    // socket() + connect(): buy a phone and dial. Rust's TcpStream::connect does
    // both; Python needs two lines:
    //     client = socket.socket()
    //     client.connect(('127.0.0.1', 8001))
    let mut line = TcpStream::connect(args.addr)
        .map_err(|err| common::dial_error(args.addr, err))?;
    // connect() returns when the two systems have completed the handshake. The server
    // program may not have called accept() yet: our call can still be waiting in its
    // queue.
    println!(
        "[connect] the systems completed the handshake: we are {}",
        line.local_addr()?
    );
    println!(
        "[connect] (the server may not have picked up yet: we wait in its queue \
         until it does)"
    );
    // ANCHOR_END: connect

    // ANCHOR: send
    // send(): say one thing. End of input (Ctrl-D) means "bye".
    let message = common::read_message("you> ")?.unwrap_or_else(|| "bye".to_string());
    match line.write_all(message.as_bytes()) {
        Ok(()) => println!("[send]    sent: {message}"),
        Err(err) if common::is_hang_up(&err) => {
            println!("[send]    the server hung up before we could speak");
            return Ok(());
        }
        Err(err) => return Err(err.into()),
    }
    // ANCHOR_END: send

    // ANCHOR: recv
    // recv(): wait for the reply. This blocks until the server answers or hangs up.
    let mut buffer = [0u8; 1024];
    let size = common::receive(&mut line, &mut buffer)?;
    if size == 0 {
        println!("[recv]    the server hung up without replying");
    } else {
        // common::printable shows control characters as escapes (\r, \x1b).
        let reply = String::from_utf8_lossy(&buffer[..size]);
        println!("[recv]    the server says: {}", common::printable(&reply));
    }
    // ANCHOR_END: recv

    // ANCHOR: close
    // close(): hang up. Dropping the socket closes it (Python: client.close()).
    drop(line);
    println!("[close]   hung up");
    // ANCHOR_END: close
    Ok(())
}

//! Lesson 02, the client: call the server, then chat in turns until somebody says "bye".
//!
//! Lesson 01 showed the raw socket steps; here Rust's standard `TcpStream::connect` does
//! socket + connect in one call, and the lesson is about the loop.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;

use clap::Parser;
use common::MESSAGE_LIMIT;

/// Lesson 02: call the server and chat, in turns, until one of you says bye. You speak first.
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
    // socket() + connect(): dial. Python: client = socket.socket(); client.connect(...)
    let mut line =
        TcpStream::connect(args.addr).map_err(|err| common::dial_error(args.addr, err))?;
    println!("connected to {}: we are {}", args.addr, line.local_addr()?);
    // ANCHOR_END: call

    // ANCHOR: loop
    // The chat: we speak first, then we take turns. Python: while True: ...
    // Every way out of the loop returns from chat(), which drops `line` and so hangs up.
    // Python: client.close()
    let mut buffer = [0u8; MESSAGE_LIMIT];
    loop {
        // Our turn. Typing blocks: while we type, nobody reads the line.
        let message = lesson_02_chat_loop::type_message()?;
        // send(): one write of at most 1024 bytes. Python: client.send(message.encode('utf-8'))
        if let Err(err) = line.write_all(message.as_bytes()) {
            if common::is_hang_up(&err) {
                println!("the server hung up without saying bye");
                return Ok(());
            }
            return Err(err.into());
        }
        if message == "bye" {
            println!("we said bye: hanging up");
            return Ok(());
        }

        // Their turn. read() blocks until the server answers or hangs up.
        // Python: from_server_data = client.recv(1024)
        println!("waiting for the server...");
        std::io::stdout().flush()?;
        let size = common::receive(&mut line, &mut buffer)?;
        // 0 bytes: the server hung up (see the server for the whole story).
        if size == 0 {
            println!("the server hung up without saying bye");
            return Ok(());
        }
        // Bytes that are not UTF-8 are shown as �, never a crash.
        let reply = String::from_utf8_lossy(&buffer[..size]);
        let reply = reply.trim_end_matches(['\r', '\n']);
        println!("server says: {reply}");
        if reply == "bye" {
            println!("the server said bye: hanging up");
            return Ok(());
        }
    }
    // ANCHOR_END: loop
}

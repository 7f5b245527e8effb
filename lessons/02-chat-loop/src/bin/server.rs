//! Lesson 02, the server: answer one call, then chat in turns until somebody says "bye".
//!
//! Lesson 01 made every socket call by hand (socket2: socket, bind, listen, accept), to show
//! each step. This lesson is about the loop, so it uses Rust's standard library:
//! `TcpListener::bind` does socket + bind + listen in one call.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;

use clap::Parser;
use common::MESSAGE_LIMIT;

/// Lesson 02: answer one call and chat with the caller, in turns, until one of you says bye.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The phone number to listen on, HOST:PORT. Port 0 lets the system pick a free port.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8001", value_parser = common::parse_addr)]
    addr: SocketAddr,
}

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(chat(args))
}

fn chat(args: Args) -> anyhow::Result<()> {
    // ANCHOR: answer
    // socket() + bind() + listen() in one call. (Rust's std uses a backlog of 128, not 5:
    // lesson 01 showed how to choose it.)
    // Python: server = socket.socket(); server.bind(...); server.listen(5)
    let phone = TcpListener::bind(args.addr).map_err(|err| common::listen_error(args.addr, err))?;
    common::announce_listening(phone.local_addr()?)?;
    println!("waiting for a caller...");
    std::io::stdout().flush()?;

    // accept(): blocks until somebody calls.
    // Python: conn, addr = server.accept()
    let (mut line, caller) = phone.accept()?;
    // We chat with one caller only, so we switch the phone off now. Anybody else who dials
    // hears "connection refused" at once, instead of waiting in the queue for nothing.
    drop(phone);
    println!("a caller is on the line: {caller}");
    // ANCHOR_END: answer

    // ANCHOR: loop
    // The chat: the client speaks first, then we take turns. Python: while True: ...
    // Every way out of the loop returns from chat(), which drops `line` and so hangs up.
    // Python: conn.close(); server.close()
    let mut buffer = [0u8; MESSAGE_LIMIT];
    loop {
        // Their turn. read() blocks: the program stops here until the client sends
        // something or hangs up. One read of up to 1024 bytes, like Python's recv(1024).
        println!("waiting for the client...");
        std::io::stdout().flush()?;
        let size = common::receive(&mut line, &mut buffer)?;
        // ANCHOR: hung-up
        // 0 bytes is not an empty message: nobody can send 0 bytes. It means the client
        // hung up. (The original took it for an empty message: it printed a blank line and
        // asked us for a reply to nobody.)
        if size == 0 {
            println!("the client hung up without saying bye");
            return Ok(());
        }
        // ANCHOR_END: hung-up
        // ANCHOR: lossy
        // Python's .decode('utf-8') crashes on bytes that are not UTF-8, such as a Chinese
        // character cut in two at byte 1024. from_utf8_lossy shows them as � instead.
        let message = String::from_utf8_lossy(&buffer[..size]);
        // ANCHOR_END: lossy
        // A peer like netcat ends each message with a line ending: drop it, so that its
        // "bye" counts too.
        let message = message.trim_end_matches(['\r', '\n']);
        println!("client says: {message}");
        if message == "bye" {
            println!("the client said bye: hanging up");
            return Ok(());
        }

        // Our turn. Typing blocks too: while we type, nobody reads the line.
        let reply = lesson_02_chat_loop::type_message()?;
        // send(): one write of at most 1024 bytes. Python: conn.send(reply.encode('utf-8'))
        if let Err(err) = line.write_all(reply.as_bytes()) {
            if common::is_hang_up(&err) {
                println!("the client hung up without saying bye");
                return Ok(());
            }
            return Err(err.into());
        }
        if reply == "bye" {
            println!("we said bye: hanging up");
            return Ok(());
        }
    }
    // ANCHOR_END: loop
}

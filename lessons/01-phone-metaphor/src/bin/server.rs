//! Lesson 01, the server: one phone call, from buying the phone to hanging up.
//!
//! Each step is one socket call, in the order the original Python program makes them:
//! socket → bind → listen → accept → recv → send → close. We use the `socket2` crate
//! because it offers exactly these calls, one by one. (Rust's standard
//! `TcpListener::bind` does the first three in one go; the chapter shows it at the
//! end.)

use std::io::{self, Write};
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use socket2::{Domain, Protocol, Socket, Type};

/// Lesson 01: answer one phone call. Narrates every socket call in phone words.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The phone number to listen on, HOST:PORT. Port 0 lets the system pick a free
    /// port.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8001", value_parser = common::parse_addr)]
    addr: SocketAddr,
    /// How many callers may wait in the queue: the 5 in the original's `listen(5)`.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = common::parse_backlog, allow_negative_numbers = true)]
    backlog: i32,
}

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(answer_one_call(args))
}

fn answer_one_call(args: Args) -> anyhow::Result<()> {
    // ANCHOR: socket
    // socket(): buy a phone. A TCP socket (Type::STREAM) for an IPv4 or IPv6 address.
    // Python: server = socket.socket()
    let phone = Socket::new(
        Domain::for_address(args.addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    // ANCHOR_END: socket

    // ANCHOR: reuse
    // SO_REUSEADDR: let us take our number again at once after a restart, while the
    // calls we just hung up still linger in TIME_WAIT (lesson 04 explains). Without
    // it, starting the server again within a minute fails with "already in use". The
    // original's Python server does not set it, so its readers meet that error.
    // Rust's TcpListener::bind sets it on Unix; on Windows the option would let
    // another program share the port, so no.
    // Python: server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if cfg!(unix) {
        phone.set_reuse_address(true)?;
    }
    // ANCHOR_END: reuse

    // ANCHOR: bind
    // bind(): put in the SIM card. From now on the phone has a number: IP address +
    // port.
    // Python: server.bind(('127.0.0.1', 8001))
    phone
        .bind(&args.addr.into())
        .map_err(|err| common::listen_error(args.addr, err))?;
    // ANCHOR_END: bind

    // ANCHOR: listen
    // listen(): switch the phone on. Callers can ring now; the ones we have not
    // picked up yet wait in a queue, and the backlog says how long that queue may
    // grow.
    // Python: server.listen(5)
    phone
        .listen(args.backlog)
        .map_err(|err| common::listen_error(args.addr, err))?;
    // ANCHOR_END: listen

    // ANCHOR: ready
    // With port 0 the system chose the port: ask the socket which number it got.
    let number = phone
        .local_addr()?
        .as_socket()
        .expect("a TCP socket has an IP address");
    // The ready line comes first, so that scripts and tests know they may call now.
    common::announce_listening(number)?;
    println!("[socket] bought a phone");
    println!("[bind]   put in the SIM card: our number is {number}");
    println!(
        "[listen] switched the phone on: up to {} callers can wait in the queue",
        args.backlog
    );
    // ANCHOR_END: ready

    // ANCHOR: call
    // The call itself, from picking up to hanging up, is the function below (it is
    // the exercise of this lesson).
    take_the_call(&phone)?;
    // ANCHOR_END: call

    // ANCHOR: off
    // close(): switch the phone off. In Rust, dropping a socket closes it.
    // Python: server.close()
    drop(phone);
    println!("[close]  switched the phone off");
    // ANCHOR_END: off
    Ok(())
}

// ANCHOR: take_the_call
/// One phone call on the `phone` that is switched on: wait for it to ring and pick
/// up, listen to the caller, answer, hang up. Each step prints one line in phone
/// words.
fn take_the_call(phone: &Socket) -> anyhow::Result<()> {
    // EXERCISE: pick up with phone.accept() and print the caller's number; read at
    //           most 1024 bytes (common::receive; 0 bytes: the caller hung up without
    //           a word) and print them (from_utf8_lossy, common::printable); type a
    //           reply (common::read_message; end of input means "bye") and write_all
    //           it; hang up (common::hang_up). The lines to print are in the contract
    //           appendix.
    // ANCHOR: accept
    // accept(): wait for the phone to ring, and pick up. This call *blocks*: the
    // program stops on this line until somebody calls. The original printed '11111'
    // before and '22222' after to show it; we say what is happening instead.
    // Python: conn, addr = server.accept()
    println!(
        "[accept] waiting for the phone to ring... (accept blocks until someone \
         calls)"
    );
    io::stdout().flush()?;
    let (mut line, caller) = phone.accept()?;
    let caller = caller.as_socket().expect("a TCP caller has an IP address");
    println!("[accept] picked up! the caller's number is {caller}");
    // ANCHOR_END: accept

    // ANCHOR: recv
    // recv(): listen to what the caller says, at most 1024 bytes at once. This blocks
    // too, until bytes arrive. common::receive is `line.read(&mut buffer)`, plus one
    // rule: a caller who hangs up abruptly ("connection reset") counts as hanging up.
    // Python: data = conn.recv(1024)
    let mut buffer = [0u8; 1024];
    let size = common::receive(&mut line, &mut buffer)?;
    // 0 bytes means the caller hung up without a word.
    if size == 0 {
        println!("[recv]   the caller hung up without saying anything");
        return Ok(());
    }
    // Python's .decode('utf-8') crashes on bytes that are not UTF-8; from_utf8_lossy
    // shows them as � instead. common::printable shows control characters as escapes
    // (\r, \x1b), so that the caller cannot play tricks with our terminal.
    let message = String::from_utf8_lossy(&buffer[..size]);
    println!("[recv]   the caller says: {}", common::printable(&message));
    // ANCHOR_END: recv

    // ANCHOR: send
    // send(): say something back. The user types the reply; end of input means "bye".
    // Python: conn.send(input('reply> ').encode('utf-8'))
    let reply =
        common::read_message("your reply> ")?.unwrap_or_else(|| "bye".to_string());
    match line.write_all(reply.as_bytes()) {
        Ok(()) => println!("[send]   replied: {reply}"),
        Err(err) if common::is_hang_up(&err) => {
            println!("[send]   the caller hung up before hearing the reply")
        }
        Err(err) => return Err(err.into()),
    }
    // ANCHOR_END: send

    // ANCHOR: close
    // close(): hang up. We hang up politely: common::hang_up says "that was all"
    // (shutdown), lets the caller finish (it reads and drops what is still arriving,
    // for a second at most), then closes. The original closed at once, and its
    // callers sometimes lost the reply (the chapter explains).
    // Python: conn.close()
    common::hang_up(line.into());
    println!("[close]  hung up");
    // ANCHOR_END: close
    Ok(())
    // EXERCISE_END
}
// ANCHOR_END: take_the_call

//! The floor for `cargo xtask bench`: lesson 04's server with nothing but the phone calls.
//!
//! std::net only: no printing, no timeouts, every caller gets `ok`. It hangs up the same
//! polite way as the lesson (`common::hang_up`: shutdown, a bounded wait, close), so that
//! the bench compares what the lesson adds, not a different way of closing.
//! Run: `cargo run --release -p lesson-04-reconnect-loop --example plain_server`.

use std::io::{self, Read, Write};
use std::net::TcpListener;

fn main() -> io::Result<()> {
    // Rust's bind also listens, with a queue of 128 callers, like the lesson's server.
    let phone = TcpListener::bind("127.0.0.1:0")?;
    common::announce_listening(phone.local_addr()?)?;
    let mut buffer = [0u8; common::MESSAGE_LIMIT];
    for call in phone.incoming() {
        let Ok(mut line) = call else { continue };
        // One read, one reply, as the lesson does; a caller who is gone gets nothing.
        if matches!(line.read(&mut buffer), Ok(size) if size > 0) {
            let _ = line.write_all(b"ok");
        }
        common::hang_up(line);
    }
    Ok(())
}

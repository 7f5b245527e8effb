//! Lesson 03, the client (exercise 1): report the time to the server, again and
//! again.
//!
//! The original exercise: every 10 seconds, send `time.time()` to the server. Each
//! timestamp goes out with a `\n` after it, in one write, so that the server can tell
//! where one ends and the next begins.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::Parser;

/// Lesson 03: send the current Unix time to the server, one line every few seconds.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The server's phone number, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8001", value_parser = common::parse_addr)]
    addr: SocketAddr,
    /// Seconds between two sends. Fractions work (0.5); 0 sends as fast as possible.
    #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = common::parse_seconds_or_zero, allow_negative_numbers = true)]
    interval: f64,
    /// Stop after N sends [default: send until stopped with Ctrl-C].
    #[arg(long, value_name = "N", value_parser = common::parse_count, allow_negative_numbers = true)]
    count: Option<u64>,
}

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(report_the_time(args))
}

fn report_the_time(args: Args) -> anyhow::Result<()> {
    // ANCHOR: connect
    // Dial once; every timestamp goes over this one call.
    let mut line = TcpStream::connect(args.addr)
        .map_err(|err| common::dial_error(args.addr, err))?;
    println!(
        "connected to {}: sending the time every {} s",
        args.addr, args.interval
    );
    // ANCHOR_END: connect

    // ANCHOR: loop
    let pause = Duration::from_secs_f64(args.interval);
    let mut sent: u64 = 0;
    // Python: while True: ... time.sleep(10)
    while args.count.is_none_or(|count| sent < count) {
        if sent > 0 {
            std::thread::sleep(pause);
        }
        match send_timestamp(&mut line) {
            Ok(text) => println!("sent {text}"),
            Err(err) if common::is_hang_up(&err) => {
                println!(
                    "the server hung up after {}",
                    common::count(sent, "timestamp")
                );
                return Ok(());
            }
            Err(err) => return Err(err.into()),
        }
        sent += 1;
    }
    // ANCHOR_END: loop

    // Dropping the socket hangs up (Python: client.close()).
    drop(line);
    println!("sent {}; hung up", common::count(sent, "timestamp"));
    Ok(())
}

// ANCHOR: send_timestamp
/// Sends the current Unix time, like `1732470000.123456`, and a `\n`, in one write.
/// Returns the text that was sent, without the `\n`.
fn send_timestamp(line: &mut TcpStream) -> io::Result<String> {
    // EXERCISE: take the time since 1970 (SystemTime::now, duration_since
    //           UNIX_EPOCH), write it like 1732470000.123456 plus a newline, send
    //           both in one write_all
    // Python: str(time.time()). Unix time counts seconds since 1970-01-01 00:00:00
    // UTC.
    let since_1970 = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| io::Error::other("this computer's clock is set before 1970"))?;
    let text = format!("{}.{:06}", since_1970.as_secs(), since_1970.subsec_micros());
    // The timestamp and its '\n' together, in one write: the '\n' tells the server
    // where this timestamp ends.
    line.write_all(format!("{text}\n").as_bytes())?;
    Ok(text)
    // EXERCISE_END
}
// ANCHOR_END: send_timestamp

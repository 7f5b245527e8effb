//! Lesson 01, an experiment: how many callers really wait in the queue of
//! `listen(N)`?
//!
//! The original tutorial says that with `listen(5)` one caller is connected, four
//! wait, and the sixth caller's phone "reports an error". This program checks that
//! claim on your own system: it opens a listener with backlog N that never picks up,
//! lets M callers dial it one after another, and reports which ones got into the
//! queue.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// Lesson 01 experiment: a listener that never answers, and callers that dial it.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The backlog of the listener: the N in listen(N).
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = common::parse_backlog, allow_negative_numbers = true)]
    backlog: i32,
    /// How many callers dial, one after another [default: backlog + 3].
    #[arg(long, value_name = "M")]
    callers: Option<usize>,
    /// How long each caller waits for an answer before giving up, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 1.0, value_parser = common::parse_seconds)]
    wait: f64,
}

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(experiment(args))
}

fn experiment(args: Args) -> anyhow::Result<()> {
    let callers = args.callers.unwrap_or(args.backlog.max(0) as usize + 3);
    let wait = Duration::from_secs_f64(args.wait);

    // ANCHOR: listener
    // A phone that is switched on but never picked up: socket, bind, listen(N), and
    // no accept. Port 0 lets the system choose a free port on this machine only.
    let loopback: SocketAddr = "127.0.0.1:0".parse()?;
    let phone = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    phone.bind(&loopback.into())?;
    phone.listen(args.backlog)?;
    let number: SockAddr = phone.local_addr()?;
    let shown = number.as_socket().expect("an IPv4 address");
    common::announce_listening(shown)?;
    println!(
        "listen({}) done; nobody calls accept() until all {callers} callers have \
         dialed",
        args.backlog
    );
    // ANCHOR_END: listener

    // ANCHOR: dial
    // The callers dial one after another. A caller whose connect() completes is in
    // the queue: the system finished the handshake for us, although nobody picked up.
    // The others wait up to `wait` seconds for an answer, then give up.
    let mut queued = Vec::new();
    let mut no_answer = 0;
    for caller in 1..=callers {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))
            .map_err(|err| out_of_sockets(caller, err))?;
        let started = Instant::now();
        match socket.connect_timeout(&number, wait) {
            Ok(()) => {
                println!(
                    "caller {caller}: in the queue (connected, nobody has picked up \
                     yet)"
                );
                queued.push(socket);
            }
            Err(err) => {
                no_answer += 1;
                // No "connection refused" here: the system dropped the call silently,
                // and connect() kept trying until we gave up (`err` is our own
                // time-out).
                println!(
                    "caller {caller}: no answer within {:.1} s, and no error \
                     either: we gave up ({})",
                    started.elapsed().as_secs_f64(),
                    common::short(&err)
                );
            }
        }
    }
    // ANCHOR_END: dial

    // ANCHOR: answer
    // Now the server finally picks up, once for every caller in the queue.
    for _ in 0..queued.len() {
        let (_line, caller) = phone.accept()?;
        let caller = caller.as_socket().expect("an IPv4 address");
        println!("accept: picked up the caller from {caller}");
    }
    println!("queued: {}, no answer: {no_answer}", queued.len());
    // ANCHOR_END: answer
    Ok(())
}

/// A socket we could not open for `caller`. Every caller in the queue keeps its
/// socket open, and each open socket is one "file descriptor": a system allows a
/// program only so many (`ulimit -n` shows the number, often 1024).
fn out_of_sockets(caller: usize, err: std::io::Error) -> anyhow::Error {
    if common::is_out_of_files(&err) {
        anyhow::anyhow!(
            "caller {caller} could not get a socket: out of file descriptors ({}). Each caller in the queue holds one; raise the limit in this shell, e.g. `ulimit -n 8192`, or use fewer --callers.",
            common::short(&err)
        )
    } else {
        anyhow::anyhow!(
            "caller {caller} could not get a socket ({})",
            common::short(&err)
        )
    }
}

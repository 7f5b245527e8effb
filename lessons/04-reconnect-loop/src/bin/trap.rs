//! Lesson 04, an experiment: the original's server, which binds the port again every
//! round.
//!
//! The original exercise's server runs socket(), bind() and listen() at the top of
//! its `while 1:` loop, and closes everything at the bottom. Its client dials again
//! for every message. This program plays both, in one process, for a fixed number of
//! rounds:
//!
//! - the server (a thread) makes exactly the original's calls, with the raw socket
//!   calls of `socket2`: no SO_REUSEADDR unless `--reuseaddr` asks for it. (Rust's
//!   own `TcpListener::bind` always sets SO_REUSEADDR on Unix, so it would hide the
//!   trap.)
//! - the caller (the main thread) sends `message 1`, `message 2`, ..., one call
//!   each, and dials again as soon as a call is over, as a script would.
//!
//! It prints what each side sees, and a summary line at the end.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use socket2::{Domain, Protocol, Socket, Type};

/// Lesson 04 experiment: the original's server (a new socket and bind() every round)
/// and a caller that dials again at once. Shows "Address already in use", and what
/// fixes it.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Where the server listens. Port 0 lets the system pick a free port in round 1;
    /// the later rounds bind that same port again, as the original does with 8041.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:0", value_parser = common::parse_addr)]
    addr: SocketAddr,
    /// How many rounds the server tries to serve (one caller each).
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    rounds: u32,
    /// Which listeners get SO_REUSEADDR before bind(): `none` (the original), `all`
    /// (the fix), `first` (only round 1's, the old one), `later` (only the new ones,
    /// from round 2 on). `--reuseaddr` alone means `all`.
    #[arg(long, value_enum, value_name = "WHICH", default_value = "none", num_args = 0..=1, default_missing_value = "all")]
    reuseaddr: Which,
    /// Who hangs up first after the reply: the `server` (the caller waits for it),
    /// the `caller` (the server waits for it), or `race`: both hang up at once, as in
    /// the original, and who is first changes from call to call.
    #[arg(long, value_enum, value_name = "SIDE", default_value = "server")]
    first_to_hang_up: Side,
    /// How long the caller waits before dialing again, in seconds (0: at once, like a
    /// script; 0.2: more like a person).
    #[arg(long, value_name = "SECS", default_value_t = 0.0, value_parser = common::parse_pause, allow_negative_numbers = true)]
    pause: f64,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    None,
    All,
    First,
    Later,
}

impl Which {
    /// Does the listener of `round` get SO_REUSEADDR?
    fn sets(self, round: u32) -> bool {
        match self {
            Which::None => false,
            Which::All => true,
            Which::First => round == 1,
            Which::Later => round > 1,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Side {
    Server,
    Caller,
    Race,
}

/// The whole experiment gives up after this long (it normally takes milliseconds).
const DEADLINE: Duration = Duration::from_secs(20);

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(experiment(args))
}

/// How the server's rounds ended.
struct Served {
    rounds: u32,
    bind_failed: Option<(u32, io::Error)>,
}

fn experiment(args: Args) -> anyhow::Result<()> {
    let (ready_tx, ready_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let server_done = Arc::new(AtomicBool::new(false));
    let flag = server_done.clone();
    let (addr, rounds, which, first) = (
        args.addr,
        args.rounds,
        args.reuseaddr,
        args.first_to_hang_up,
    );
    thread::spawn(move || {
        let served = original_server(addr, rounds, which, first, ready_tx);
        flag.store(true, Ordering::SeqCst);
        let _ = done_tx.send(served);
    });

    // Round 1 tells us the port it got; every later round binds that same port again.
    let Ok(addr) = ready_rx.recv_timeout(DEADLINE) else {
        // The server could not even start. Why comes with its end.
        return match done_rx.recv_timeout(DEADLINE)? {
            Ok(Served {
                bind_failed: Some((_, err)),
                ..
            }) => Err(common::listen_error(args.addr, err)),
            Ok(_) => Err(anyhow::anyhow!("the server did not start")),
            Err(err) => Err(err),
        };
    };

    let (lost, failed) = redialing_caller(addr, args.pause, first, &server_done)?;

    let served = done_rx.recv_timeout(DEADLINE)??;
    // ANCHOR: summary
    let bind = match &served.bind_failed {
        Some((round, err)) => {
            format!("bind failed in round {round} ({})", common::short(err))
        }
        None => "bind never failed".to_string(),
    };
    println!(
        "summary: served {} of {rounds} rounds; {bind}; messages lost: {lost}; failed dials: {failed}",
        served.rounds
    );
    // ANCHOR_END: summary
    if served.bind_failed.is_some() && cfg!(target_os = "linux") {
        println!(
            "the port is held by the calls the server hung up first: they wait in TIME_WAIT for 60 s. See them: ss -tan state time-wait '( sport = :{} )'",
            addr.port()
        );
    }
    Ok(())
}

// ANCHOR: original_server
/// The original's server loop, step by step, for at most `rounds` rounds.
fn original_server(
    mut addr: SocketAddr,
    rounds: u32,
    which: Which,
    first: Side,
    ready: mpsc::Sender<SocketAddr>,
) -> anyhow::Result<Served> {
    for round in 1..=rounds {
        // while 1:
        //     server = socket.socket()
        let phone = Socket::new(
            Domain::for_address(addr),
            Type::STREAM,
            Some(Protocol::TCP),
        )?;
        let reuse = which.sets(round);
        if reuse {
            phone.set_reuse_address(true)?;
        }
        //     server.bind(('127.0.0.1', 8041))
        if let Err(err) = phone.bind(&addr.into()) {
            if round > 1 {
                println!("server, round {round}: bind({addr}) failed: {err}");
            }
            return Ok(Served {
                rounds: round - 1,
                bind_failed: Some((round, err)),
            });
        }
        //     server.listen()   (Python's default backlog is 128)
        phone.listen(128)?;
        if round == 1 {
            addr = phone.local_addr()?.as_socket().expect("an IP address");
            common::announce_listening(addr)?;
            let _ = ready.send(addr);
        }
        let flag = if reuse { "on" } else { "off" };
        println!(
            "server, round {round}: a new socket is listening (SO_REUSEADDR {flag})"
        );
        //     conn, addr = server.accept()
        let (line, _) = phone.accept()?;
        let mut line = TcpStream::from(line);
        line.set_read_timeout(Some(DEADLINE))?;
        //     data = conn.recv(1024)
        //     print(data.decode('utf-8'))
        let mut buffer = [0u8; 1024];
        let size = line.read(&mut buffer).unwrap_or(0);
        let message = String::from_utf8_lossy(&buffer[..size]);
        println!("server, round {round}: got {message:?}");
        //     conn.send(reply.encode('utf-8'))
        let reply = format!("reply {round}");
        let sent = line.write_all(reply.as_bytes());
        if first == Side::Caller {
            // Not in the original: see --first-to-hang-up.
            wait_for_hang_up(&mut line);
        }
        //     conn.close()
        drop(line);
        //     server.close()
        drop(phone);
        match sent {
            Ok(()) => {
                println!(
                    "server, round {round}: replied {reply:?}, hung up, closed the \
                     socket"
                )
            }
            Err(err) => println!(
                "server, round {round}: could not reply ({}), hung up, closed the \
                 socket",
                common::short(&err)
            ),
        }
    }
    Ok(Served {
        rounds,
        bind_failed: None,
    })
}
// ANCHOR_END: original_server

// ANCHOR: caller
/// The original's client loop: a new call for every message, dialed at once (or after
/// `pause` seconds), until the server stops. Returns (messages lost, dials that
/// failed).
fn redialing_caller(
    addr: SocketAddr,
    pause: f64,
    first: Side,
    server_done: &AtomicBool,
) -> anyhow::Result<(u32, u32)> {
    let (mut lost, mut failed) = (0, 0);
    let mut number = 1;
    let deadline = Instant::now() + DEADLINE;
    while !server_done.load(Ordering::SeqCst) && Instant::now() < deadline {
        thread::sleep(Duration::from_secs_f64(pause));
        let message = format!("message {number}");
        let mut line = match TcpStream::connect(addr) {
            Ok(line) => line,
            Err(err) if dial_failed_at_a_bad_moment(&err) => {
                thread::sleep(Duration::from_millis(1));
                if server_done.load(Ordering::SeqCst) {
                    break; // the server has stopped for good
                }
                // Between server.close() and the next listen(), nobody answers:
                // refused. Or the old listener closed while our call was being put
                // through: reset.
                failed += 1;
                println!(
                    "caller: dial for {message:?} failed ({}): no listener at that \
                     moment; dialing again",
                    common::short(&err)
                );
                continue;
            }
            Err(err) => return Err(common::dial_error(addr, err)),
        };
        line.set_read_timeout(Some(DEADLINE))?;
        let sent = line.write_all(message.as_bytes());
        let mut buffer = [0u8; 1024];
        match sent.and_then(|()| line.read(&mut buffer)) {
            Ok(size) if size > 0 => {
                let reply = String::from_utf8_lossy(&buffer[..size]);
                println!("caller: {message:?} answered with {reply:?}");
                if first == Side::Server {
                    wait_for_hang_up(&mut line);
                }
            }
            outcome => {
                // We got through to the old listener's queue just before it closed:
                // the call was cut off, and the message is gone.
                lost += 1;
                let why = match outcome {
                    Err(err) => common::short(&err),
                    Ok(_) => "hung up".to_string(),
                };
                println!(
                    "caller: {message:?} was LOST: the call was cut off without a \
                     reply ({why})"
                );
            }
        }
        number += 1;
        // client.close(): `line` is dropped here.
    }
    Ok((lost, failed))
}
// ANCHOR_END: caller

/// A dial that found no listener (refused), or one whose listener closed during the
/// dial (reset).
fn dial_failed_at_a_bad_moment(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
    )
}

/// Reads until the other side hangs up (a read of 0 bytes), so that it is the first
/// to close.
fn wait_for_hang_up(line: &mut TcpStream) {
    let mut buffer = [0u8; 64];
    while matches!(line.read(&mut buffer), Ok(size) if size > 0) {}
}

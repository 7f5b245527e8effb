//! A loopback relay that misbehaves on purpose.
//!
//! Real networks split and merge what programs write; loopback almost never does, so a
//! program that assumes "one `send` is one `recv`" passes every test on one machine and fails
//! on the next. The relay sits between a client and a server and forwards each direction in
//! a [`Shape`]: one byte per segment, several writes merged into one, late, stalled for a
//! while, half-closed or reset after some bytes. It keeps a log of every chunk it forwarded,
//! in order and with its time ([`Relay::wire`]), which a failed check prints.
//!
//! ```no_run
//! # use test_support::relay::{Relay, Shape};
//! # let server: std::net::SocketAddr = "127.0.0.1:8003".parse().unwrap();
//! let relay = Relay::start(server, Shape::bytes(), Shape::whole());
//! // dial relay.addr() instead of the server: every byte the client sends arrives alone.
//! ```
//!
//! The same relay is a program for a reader to try: `cargo run -p test-support --bin relay
//! -- --to 127.0.0.1:8003 --to-server bytes`.

use std::fmt;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// What the relay does to the bytes of one direction. [`Shape::whole`] passes them on as
/// they come; the other constructors and the `after_*` methods add one misbehaviour each.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Shape {
    /// Forward every byte in a segment of its own, this long apart.
    pub one_byte_gap: Option<Duration>,
    /// Gather what arrives for this long, then forward it in one write.
    pub merge: Option<Duration>,
    /// Wait this long before forwarding each chunk.
    pub delay: Option<Duration>,
    /// After this many bytes, stop forwarding for a while.
    pub stall: Option<(u64, Duration)>,
    /// After this many bytes, end this direction: a half-close or a reset.
    pub end: Option<(u64, End)>,
}

/// How the relay ends a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// `shutdown(SHUT_WR)`: the receiver reads the end of the stream; the other way stays open.
    HalfClose,
    /// A reset (RST) to both sides, as when a machine on the way gives up.
    Reset,
}

impl Shape {
    /// Bytes pass on as they come.
    pub fn whole() -> Self {
        Shape::default()
    }
    /// Every byte in a segment of its own (a write and a flush per byte, 1 ms apart).
    pub fn bytes() -> Self {
        Shape {
            one_byte_gap: Some(Duration::from_millis(1)),
            ..Shape::default()
        }
    }
    /// What arrives within `window` is forwarded in one write: separate sends arrive glued.
    pub fn merged(window: Duration) -> Self {
        Shape {
            merge: Some(window),
            ..Shape::default()
        }
    }
    /// Every chunk is forwarded `delay` late.
    pub fn delayed(delay: Duration) -> Self {
        Shape {
            delay: Some(delay),
            ..Shape::default()
        }
    }
    /// After `bytes` bytes, nothing moves for `pause`.
    pub fn stall_after(self, bytes: u64, pause: Duration) -> Self {
        Shape {
            stall: Some((bytes, pause)),
            ..self
        }
    }
    /// After `bytes` bytes, this direction is half-closed.
    pub fn half_close_after(self, bytes: u64) -> Self {
        Shape {
            end: Some((bytes, End::HalfClose)),
            ..self
        }
    }
    /// After `bytes` bytes, the whole connection is reset.
    pub fn reset_after(self, bytes: u64) -> Self {
        Shape {
            end: Some((bytes, End::Reset)),
            ..self
        }
    }
}

/// `whole`, `bytes`, `merge:50ms`, `delay:100ms`, then any of `,stall:10:2s`,
/// `,half-close:5`, `,reset:5`: the relay program's way to write a [`Shape`].
impl FromStr for Shape {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let mut shape = Shape::whole();
        for part in text.split(',') {
            let words: Vec<&str> = part.split(':').collect();
            shape = match words.as_slice() {
                ["whole"] => shape,
                ["bytes"] => Shape {
                    one_byte_gap: Shape::bytes().one_byte_gap,
                    ..shape
                },
                ["merge", time] => Shape {
                    merge: Some(duration(time)?),
                    ..shape
                },
                ["delay", time] => Shape {
                    delay: Some(duration(time)?),
                    ..shape
                },
                ["stall", bytes, time] => shape.stall_after(count(bytes)?, duration(time)?),
                ["half-close", bytes] => shape.half_close_after(count(bytes)?),
                ["reset", bytes] => shape.reset_after(count(bytes)?),
                _ => {
                    return Err(format!(
                        "{part:?}: use whole, bytes, merge:50ms, delay:100ms, stall:BYTES:2s, half-close:BYTES or reset:BYTES, joined by commas"
                    ));
                }
            };
        }
        Ok(shape)
    }
}

fn duration(text: &str) -> Result<Duration, String> {
    let (number, scale) = match text.strip_suffix("ms") {
        Some(ms) => (ms, 0.001),
        None => (text.strip_suffix('s').unwrap_or(text), 1.0),
    };
    match number.parse::<f64>() {
        Ok(n) if (0.0..=60.0).contains(&(n * scale)) => Ok(Duration::from_secs_f64(n * scale)),
        _ => Err(format!(
            "{text:?} is not a time from 0 to 60 s, like 50ms or 2s"
        )),
    }
}

fn count(text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not a number of bytes"))
}

/// Which way a chunk went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    ToServer,
    ToClient,
}

/// One thing the relay saw, at a time since it started.
#[derive(Debug, Clone)]
pub struct Event {
    pub at: Duration,
    pub direction: Direction,
    pub what: What,
}

#[derive(Debug, Clone, PartialEq)]
pub enum What {
    Bytes(Vec<u8>),
    /// The sender hung up (its side of the stream ended), and the relay passed that on.
    HungUp,
    /// The relay ended the direction on purpose ([`Shape::half_close_after`]).
    HalfClosed,
    /// The relay reset the connection on purpose ([`Shape::reset_after`]).
    Reset,
    /// Reading or writing failed, e.g. the other side reset the connection.
    Failed(String),
}

type Log = Arc<Mutex<Vec<Event>>>;

/// A running relay; it stops when dropped.
#[derive(Debug)]
pub struct Relay {
    addr: SocketAddr,
    log: Log,
    stop: Arc<AtomicBool>,
}

impl Relay {
    /// Listens on a free loopback port and forwards every caller to `server`.
    pub fn start(server: SocketAddr, to_server: Shape, to_client: Shape) -> Relay {
        Relay::listen("127.0.0.1:0".parse().unwrap(), server, to_server, to_client)
            .expect("a free loopback port for the relay")
    }

    /// Like [`Relay::start`], on a chosen address.
    pub fn listen(
        at: SocketAddr,
        server: SocketAddr,
        to_server: Shape,
        to_client: Shape,
    ) -> std::io::Result<Relay> {
        let listener = TcpListener::bind(at)?;
        listener.set_nonblocking(true)?;
        let relay = Relay {
            addr: listener.local_addr()?,
            log: Log::default(),
            stop: Arc::default(),
        };
        let (log, stop, started) = (
            Arc::clone(&relay.log),
            Arc::clone(&relay.stop),
            Instant::now(),
        );
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let _ = client.set_nonblocking(false);
                        let pipe = Pipe {
                            log: Arc::clone(&log),
                            stop: Arc::clone(&stop),
                            started,
                            reset: AtomicBool::new(false),
                        };
                        thread::spawn(move || pipe.connect(client, server, to_server, to_client));
                    }
                    Err(err) if err.kind() == ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(2));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Ok(relay)
    }

    /// Where to dial instead of the server.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Everything the relay forwarded so far.
    pub fn events(&self) -> Vec<Event> {
        self.log.lock().unwrap().clone()
    }

    /// The conversation as text, one line per chunk, with unprintable bytes escaped:
    /// `+0.013s client -> server "hello\n"`.
    pub fn wire(&self) -> String {
        self.events().iter().map(|e| format!("{e}\n")).collect()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let way = match self.direction {
            Direction::ToServer => "client -> server",
            Direction::ToClient => "server -> client",
        };
        write!(f, "+{:.3}s {way} ", self.at.as_secs_f64())?;
        match &self.what {
            What::Bytes(bytes) => write!(f, "\"{}\"", escape(bytes)),
            What::HungUp => write!(f, "(hung up)"),
            What::HalfClosed => write!(f, "(the relay half-closed this direction)"),
            What::Reset => write!(f, "(the relay reset the connection)"),
            What::Failed(err) => write!(f, "(failed: {err})"),
        }
    }
}

/// Text as it is, with control characters, quotes, backslashes and bytes that are not UTF-8
/// escaped (`\n`, `\x00`, `\u{9b}`), so a log line is one line and cannot move the cursor.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' | '\\' => out.extend(['\\', c]),
                c if c.is_control() => out.extend(c.escape_default()),
                c => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}

/// One caller's connection through the relay: two pumps, one per direction.
struct Pipe {
    log: Log,
    stop: Arc<AtomicBool>,
    started: Instant,
    /// Set when one pump resets the connection: the other then leaves without a FIN.
    reset: AtomicBool,
}

impl Pipe {
    fn connect(self, client: TcpStream, server: SocketAddr, to_server: Shape, to_client: Shape) {
        let Ok(upstream) = TcpStream::connect(server) else {
            return; // the client sees the relay hang up, as if nobody answered
        };
        let (Ok(client_too), Ok(upstream_too)) = (client.try_clone(), upstream.try_clone()) else {
            return;
        };
        // Each pump owns its two handles, so the connection closes when both pumps end.
        let pipe = Arc::new(self);
        let back = Arc::clone(&pipe);
        thread::spawn(move || back.pump(upstream_too, client_too, Direction::ToClient, to_client));
        pipe.pump(client, upstream, Direction::ToServer, to_server);
    }

    fn note(&self, direction: Direction, what: What) {
        let at = self.started.elapsed();
        self.log.lock().unwrap().push(Event {
            at,
            direction,
            what,
        });
    }

    /// Forwards one direction until its sender hangs up, something fails, or the relay stops.
    fn pump(&self, mut from: TcpStream, mut to: TcpStream, direction: Direction, shape: Shape) {
        let _ = to.set_nodelay(shape.one_byte_gap.is_some());
        let _ = from.set_read_timeout(Some(Duration::from_millis(100)));
        let mut sent: u64 = 0;
        let mut buffer = vec![0u8; 64 * 1024];
        while !self.stop.load(Ordering::Relaxed) {
            let size = match from.read(&mut buffer) {
                Ok(0) if self.reset.load(Ordering::SeqCst) => return,
                Ok(0) => {
                    let _ = to.shutdown(Shutdown::Write);
                    return self.note(direction, What::HungUp);
                }
                Ok(size) => size,
                Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    continue;
                }
                Err(err) => {
                    let _ = to.shutdown(Shutdown::Both);
                    return self.note(direction, What::Failed(err.to_string()));
                }
            };
            let mut chunk = buffer[..size].to_vec();
            if let Some(window) = shape.merge {
                gather(&mut from, &mut chunk, window);
            }
            if let Err(what) = self.forward(&chunk, &mut to, &mut sent, direction, shape) {
                if what == What::Reset {
                    // Linger 0: closing sends a reset instead of a FIN. Shutting the reading
                    // side wakes the other pump, and once both have ended the sockets close.
                    self.reset.store(true, Ordering::SeqCst);
                    for stream in [&from, &to] {
                        let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
                        let _ = stream.shutdown(Shutdown::Read);
                    }
                }
                return self.note(direction, what);
            }
        }
    }

    /// Writes `chunk` in the shape's pieces; `Err` when the direction ends here.
    fn forward(
        &self,
        chunk: &[u8],
        to: &mut TcpStream,
        sent: &mut u64,
        direction: Direction,
        shape: Shape,
    ) -> Result<(), What> {
        let piece = if shape.one_byte_gap.is_some() {
            1
        } else {
            chunk.len()
        };
        for piece in chunk.chunks(piece) {
            let mut piece = piece;
            if let Some((limit, end)) = shape.end {
                let room = limit.saturating_sub(*sent) as usize;
                if room == 0 {
                    if end == End::HalfClose {
                        let _ = to.shutdown(Shutdown::Write);
                        return Err(What::HalfClosed);
                    }
                    return Err(What::Reset);
                }
                piece = &piece[..piece.len().min(room)];
            }
            if let Some(delay) = shape.delay.or(shape.one_byte_gap) {
                thread::sleep(delay);
            }
            if let Some((after, pause)) = shape.stall {
                if *sent < after && *sent + piece.len() as u64 >= after {
                    thread::sleep(pause);
                }
            }
            if let Err(err) = to.write_all(piece).and_then(|()| to.flush()) {
                return Err(What::Failed(err.to_string()));
            }
            *sent += piece.len() as u64;
            self.note(direction, What::Bytes(piece.to_vec()));
        }
        match shape.end {
            Some((limit, End::HalfClose)) if *sent >= limit => {
                let _ = to.shutdown(Shutdown::Write);
                Err(What::HalfClosed)
            }
            Some((limit, End::Reset)) if *sent >= limit => Err(What::Reset),
            _ => Ok(()),
        }
    }
}

/// Reads whatever else arrives within `window` onto `chunk` (at most 64 KiB in all).
fn gather(from: &mut TcpStream, chunk: &mut Vec<u8>, window: Duration) {
    let deadline = Instant::now() + window;
    let mut buffer = [0u8; 4096];
    while chunk.len() < 64 * 1024 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || from.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(size) => chunk.extend_from_slice(&buffer[..size]),
        }
    }
    let _ = from.set_read_timeout(Some(Duration::from_millis(100)));
}

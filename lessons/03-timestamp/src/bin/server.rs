//! Lesson 03, the server (exercise 1): receive timestamps, print them as dates and
//! times.
//!
//! The original exercise: the client sends `time.time()` every 10 seconds, and the
//! server turns each one into a formatted time, `%Y-%m-%d %H:%M:%S`. TCP carries a
//! stream of bytes, not messages, so each timestamp ends with `\n` and the server
//! reads lines: that is how it knows where one timestamp ends and the next begins.

use std::io::{self, BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::{Local, Utc};
use clap::Parser;
use lesson_03_timestamp::{LINE_LIMIT, format_timestamp, glued_timestamps};

/// Lesson 03: receive Unix timestamps, one per line, and print each as a date and
/// time.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The phone number to listen on, HOST:PORT. Port 0 lets the system pick a free
    /// port.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8001", value_parser = common::parse_addr)]
    addr: SocketAddr,
    /// Show the times in UTC instead of this computer's time zone (the TZ variable,
    /// if set).
    #[arg(long)]
    utc: bool,
    /// How long a caller may say nothing, in seconds (fractions allowed, like 0.5). A
    /// caller silent for that long is dropped, so that the callers waiting behind get
    /// their turn.
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = common::parse_seconds, allow_negative_numbers = true)]
    idle: f64,
}

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(serve(args))
}

fn serve(args: Args) -> anyhow::Result<()> {
    // ANCHOR: listen
    // socket + bind + listen in one call (lesson 01 made them one by one).
    let phone = TcpListener::bind(args.addr)
        .map_err(|err| common::listen_error(args.addr, err))?;
    common::announce_listening(phone.local_addr()?)?;
    println!("waiting for callers (Ctrl-C stops the server)");
    // ANCHOR_END: listen

    // ANCHOR: callers
    // One caller after another, until the server is stopped. Whatever goes wrong with
    // one caller ends that call only; the next caller is served.
    let idle = Duration::from_secs_f64(args.idle);
    loop {
        let (line, caller) = match phone.accept() {
            Ok(call) => call,
            Err(err) => {
                // Say so, and wait a moment: if this keeps failing (too many open
                // files, say), the loop must not spin.
                common::could_not_pick_up(&err);
                continue;
            }
        };
        println!("picked up a call from {caller}");
        match serve_one_caller(line, caller, args.utc, idle) {
            Ok(()) => println!("{caller} hung up; waiting for the next caller"),
            // A caller who says nothing must not keep the others waiting for ever.
            Err(err) if common::is_timeout(&err) => println!(
                "note: {caller} said nothing for {} s; hanging up on them; \
                 waiting for the next caller",
                idle.as_secs_f64()
            ),
            Err(err) if err.kind() == io::ErrorKind::InvalidData => eprintln!(
                "error: {caller} sent {err}; hung up on that caller, \
                 waiting for the next one"
            ),
            Err(err) => eprintln!(
                "error: lost the call with {caller} ({}); waiting for the next one",
                common::short(&err)
            ),
        }
    }
    // ANCHOR_END: callers
}

// ANCHOR: serve_one_caller
/// Reads timestamps from one caller, a line at a time, until the caller hangs up, or
/// says nothing for `idle` (a timeout error).
fn serve_one_caller(
    line: TcpStream,
    caller: SocketAddr,
    utc: bool,
    idle: Duration,
) -> io::Result<()> {
    // BufReader asks the socket for bigger pieces (recv) and hands them out line by
    // line. It reads through CallerLine, which keeps the server's two clocks (see
    // below).
    let mut reader = BufReader::new(CallerLine::new(line, caller, idle));
    // Each println! is one write to the terminal: a system call, a trip into the
    // operating system, for every line. So the lines wait in `printed` and go out
    // together, in one print!, as soon as no whole line is left in `reader`: before
    // the server can wait for the caller, everything is printed, so no line is ever
    // held back. (Python's print in a terminal writes each line at once, as println!
    // does.)
    let mut printed = String::new();
    loop {
        if !reader.buffer().contains(&b'\n') {
            print!("{}", std::mem::take(&mut printed));
        }
        let received = match receive_line(&mut reader) {
            Ok(Some(received)) => received,
            Ok(None) => return Ok(()), // 0 bytes: the caller hung up
            // A caller that resets the connection has hung up too, only less
            // politely.
            Err(err) if common::is_hang_up(&err) => return Ok(()),
            Err(err) => {
                print!("{printed}"); // the lines before the bad one come first
                return Err(err);
            }
        };
        // Bytes that are not UTF-8 become �, instead of a crash as in Python's
        // .decode().
        let text = String::from_utf8_lossy(&received);
        let time = if utc {
            format_timestamp(&text, &Utc)
        } else {
            format_timestamp(&text, &Local)
        };
        match time {
            // common::printable shows control characters as escapes (\x1b, \u{85}),
            // so that a caller cannot play tricks with our terminal.
            Some(time) => {
                printed += &format!("{} -> {time}\n", common::printable(&text))
            }
            None => {
                // The lines before the bad one come first.
                print!("{}", std::mem::take(&mut printed));
                // {:?} puts the line in quotes and shows hidden characters, like \t,
                // visibly.
                eprintln!("error: not a timestamp: {text:?}");
                // A client that, like the original tutorial's, sends no \n: all it
                // sent arrives as one line when it hangs up.
                if let Some(count) = glued_timestamps(&text) {
                    eprintln!(
                        "hint: that looks like {count} timestamps glued \
                         together; end each one with \\n \
                         (see \"{FRAMING_SECTION}\" in lesson 03)"
                    );
                }
            }
        }
    }
}
// ANCHOR_END: serve_one_caller

// ANCHOR: caller_line
/// The chapter's section on framing, which the server's note and hint point to.
const FRAMING_SECTION: &str = "Why the newline: glued messages";

/// How long a piece of a line may wait for its `\n` before the server says why it
/// waits.
const UNFINISHED_NOTE_AFTER: Duration = Duration::from_millis(1500);

/// The caller's end of the line, with the server's two clocks on it.
///
/// - The idle clock: a caller who sends nothing for `idle` is dropped. A read that
///   waits that long ends with a timeout error.
/// - The unfinished-line clock: when part of a line has waited 1.5 s for its `\n`,
///   the server says once why it prints nothing. The original tutorial's client sends
///   no `\n` at all, so without this note its student would look at a silent server.
///
/// The two clocks share one alarm: each read from the socket waits until the sooner
/// of them (`set_read_timeout`). The note comes at 1.5 s, or when the idle clock runs
/// out if that is sooner (`--idle 0.5`), so a caller dropped with half a line hears
/// why first.
struct CallerLine {
    stream: TcpStream,
    caller: SocketAddr,
    idle: Duration,
    /// When the last bytes came.
    last_heard: Instant,
    /// When the line that has no `\n` yet began; `None` when no such piece waits.
    unfinished_since: Option<Instant>,
    /// The note is said once per call.
    noted: bool,
}

impl CallerLine {
    fn new(stream: TcpStream, caller: SocketAddr, idle: Duration) -> Self {
        CallerLine {
            stream,
            caller,
            idle,
            last_heard: Instant::now(),
            unfinished_since: None,
            noted: false,
        }
    }

    /// When the idle clock runs out.
    fn idle_ends(&self) -> Instant {
        self.last_heard + self.idle
    }

    /// When the note is due, if it is to come: a piece of a line waits, and it was
    /// not said yet.
    fn note_due(&self) -> Option<Instant> {
        let since = self.unfinished_since.filter(|_| !self.noted)?;
        Some((since + UNFINISHED_NOTE_AFTER).min(self.idle_ends()))
    }

    /// Bytes came: the idle clock starts again, and the unfinished-line clock starts
    /// when a line begins and stops at its `\n`.
    fn heard(&mut self, bytes: &[u8]) {
        let now = Instant::now();
        self.last_heard = now;
        match bytes.iter().rposition(|&byte| byte == b'\n') {
            // Whole lines, then perhaps the start of the next one.
            Some(end) => {
                self.unfinished_since = (end + 1 < bytes.len()).then_some(now)
            }
            None => {
                self.unfinished_since.get_or_insert(now);
            }
        }
    }
}

impl Read for CallerLine {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let alarm = self.note_due().unwrap_or(self.idle_ends());
            // A read timeout of zero is refused (it would mean "no timeout"): at
            // least 1 ms.
            let wait = alarm.saturating_duration_since(Instant::now());
            let wait = wait.max(Duration::from_millis(1));
            self.stream.set_read_timeout(Some(wait))?;
            match self.stream.read(buf) {
                Ok(size) => {
                    self.heard(&buf[..size]);
                    return Ok(size);
                }
                Err(err) if common::is_timeout(&err) => {
                    let now = Instant::now();
                    if self.note_due().is_some_and(|due| now >= due) {
                        println!(
                            "note: {} sent a message without a line ending (\\n), \
                             and it waits for one; the original tutorial's \
                             client sends none \
                             (see \"{FRAMING_SECTION}\" in lesson 03)",
                            self.caller
                        );
                        self.noted = true;
                    }
                    if now >= self.idle_ends() {
                        return Err(err);
                    }
                }
                Err(err) => return Err(err),
            }
        }
    }
}
// ANCHOR_END: caller_line

// ANCHOR: receive_line
/// Reads one line from the caller, without its line ending (`\n`, or `\r\n` as
/// Windows programs send it).
///
/// - `Ok(None)`: the caller hung up; nothing was left.
/// - A last line without `\n` before the caller hangs up counts as a line.
/// - A line longer than [`LINE_LIMIT`] bytes (its line ending not counted) is an
///   `InvalidData` error, read no further than the limit: whatever a caller sends,
///   the server keeps at most that much of it.
fn receive_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    // EXERCISE: read up to the next newline, but never more than LINE_LIMIT + 2
    //           bytes (Read::take, BufRead::read_until); 0 bytes means the caller
    //           hung up; drop the \n or \r\n; longer than LINE_LIMIT is an
    //           InvalidData error
    let mut line = Vec::new();
    // take() stops reading after the limit: a line of LINE_LIMIT bytes plus its
    // '\r\n'.
    let size = reader
        .take(LINE_LIMIT as u64 + 2)
        .read_until(b'\n', &mut line)?;
    if size == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    // Without its line ending, the line must fit. (A line that did not end within the
    // limit is longer still: we stopped reading it.)
    if line.len() > LINE_LIMIT {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a line longer than {LINE_LIMIT} bytes"),
        ));
    }
    // Here the line ended with '\n', or the caller hung up after it: it counts either
    // way.
    Ok(Some(line))
    // EXERCISE_END
}
// ANCHOR_END: receive_line

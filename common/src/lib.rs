//! What every lesson program needs but no lesson is about.
//!
//! The socket calls live in the lessons, where a student reads them top to bottom.
//! This crate holds the plumbing around them, written once: reading the command line,
//! turning an error into one line that says what to do, and reading what the user
//! types.

use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// One message is at most this many bytes, because the other side reads it with one
/// `recv(1024)`, as the original tutorial does. A longer message would arrive in
/// pieces.
pub const MESSAGE_LIMIT: usize = 1024;

/// Reads the command line. `--help` and `--version` print and exit 0; a mistake
/// prints one `error:` line and exits 2.
pub fn parse_args<T: clap::Parser>() -> T {
    end_quietly_when_output_closes();
    match T::try_parse() {
        Ok(args) => args,
        Err(err) if !err.use_stderr() => err.exit(), // --help, --version
        Err(err) => {
            let text = err.render().to_string();
            let mut lines = text.lines();
            let first = lines.next().unwrap_or("error: bad command line");
            // "error: the following required arguments were not provided:" names them
            // on the next line: keep it, on the same line.
            match lines.next().map(str::trim) {
                Some(what) if first.ends_with(':') && !what.is_empty() => {
                    eprintln!("{first} {what} (see --help)")
                }
                _ => eprintln!("{first} (see --help)"),
            }
            std::process::exit(2);
        }
    }
}

/// When the reader of our output goes away (`server | head -1`, or a closed
/// terminal), the next `println!` fails. Rust ignores the SIGPIPE signal that would
/// stop a C or Python program, so `println!` panics instead ("failed printing to
/// stdout"). This hook turns that one panic into a quiet end: no message, no
/// backtrace; exit status 0 when stdout closed (nobody is reading any more, which is
/// no fault of ours), 1 when stderr closed. Every other panic is reported as usual.
/// `parse_args` installs it, so every program has it.
pub fn end_quietly_when_output_closes() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let text = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.starts_with("failed printing to stdout") {
            std::process::exit(0);
        }
        if text.starts_with("failed printing to stderr") {
            std::process::exit(1);
        }
        report(info);
    }));
}

/// Parses `--addr HOST:PORT`, e.g. `127.0.0.1:8001`, `[::1]:8001` or
/// `localhost:8001`. A host name is looked up (in `/etc/hosts`, then DNS); a name
/// nobody knows gets its own message, so that a student does not hunt for a mistake
/// in the format.
pub fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    parse_addr_with(text, |host, port| (host, port).to_socket_addrs())
}

/// [`parse_addr`], with the name lookup given as `look_up`, so that a unit test can
/// try a name that does not exist without asking a DNS server.
fn parse_addr_with<A: Iterator<Item = SocketAddr>>(
    text: &str,
    look_up: impl Fn(&str, u16) -> io::Result<A>,
) -> Result<SocketAddr, String> {
    let hint = "expected HOST:PORT, like 127.0.0.1:8001 or [::1]:8001";
    // An IP address and a port need no lookup.
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    // Otherwise it must look like NAME:PORT before we ask anybody about NAME.
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(hint.to_string());
    };
    let Ok(port) = port.parse::<u16>() else {
        return Err(hint.to_string());
    };
    if host.is_empty() || host.contains([':', '[', ']', ' ']) {
        return Err(hint.to_string());
    }
    match look_up(host, port) {
        Ok(mut addrs) => addrs.next().ok_or_else(|| name_not_found(host, None)),
        Err(err) => Err(name_not_found(host, Some(&err))),
    }
}

/// The sentence for a host name that the lookup did not find.
fn name_not_found(host: &str, err: Option<&io::Error>) -> String {
    let why = match err {
        // The system's words, without the "failed to lookup address information: "
        // prefix.
        Some(err) => {
            let text = short(err);
            let text = text.rsplit(": ").next().unwrap_or(&text).to_string();
            format!(" ({text})")
        }
        None => String::new(),
    };
    format!(
        "could not find the host name `{host}`{why}: check its spelling, or give an IP address like 127.0.0.1:8001"
    )
}

/// The shortest and longest durations a program accepts, in seconds: one millisecond
/// and one day. Below a millisecond a socket timeout rounds to zero, which the system
/// refuses (it would mean "no timeout" to some systems and an error to Rust).
pub const SHORTEST_SECS: f64 = 0.001;
pub const LONGEST_SECS: f64 = 86_400.0;

/// Parses a duration like `30` or `0.5` (seconds): from one millisecond to one day.
/// Zero, negative numbers, `nan` and `inf` are refused with the allowed range.
pub fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(secs) if (SHORTEST_SECS..=LONGEST_SECS).contains(&secs) => Ok(secs),
        _ => Err(format!(
            "expected a number of seconds from {SHORTEST_SECS} to {LONGEST_SECS} (one day), like 30 or 0.5"
        )),
    }
}

/// Like [`parse_seconds`], where `0` has a meaning of its own ("no pause": as fast as
/// possible).
pub fn parse_seconds_or_zero(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(0.0) => Ok(0.0),
        Ok(secs) if (SHORTEST_SECS..=LONGEST_SECS).contains(&secs) => Ok(secs),
        _ => Err(format!(
            "expected 0 (no pause) or a number of seconds from {SHORTEST_SECS} to {LONGEST_SECS} (one day), like 10 or 0.5"
        )),
    }
}

/// Parses the pause of an experiment (lesson 03's `glued`, lesson 04's `trap`): a
/// number of seconds from 0 (no pause) to 10, like `0` or `0.2`.
pub fn parse_pause(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(secs) if (0.0..=10.0).contains(&secs) => Ok(secs),
        _ => {
            Err("expected a number of seconds from 0 to 10, like 0 or 0.2"
                .to_string())
        }
    }
}

/// The largest backlog a program accepts. Linux caps `listen(N)` at
/// `net.core.somaxconn` (4096 by default) anyway.
pub const LARGEST_BACKLOG: i32 = 4096;

/// Parses the N of `listen(N)`: a whole number from 0 to [`LARGEST_BACKLOG`].
pub fn parse_backlog(text: &str) -> Result<i32, String> {
    match text.trim().parse::<i32>() {
        Ok(n) if (0..=LARGEST_BACKLOG).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a whole number from 0 to {LARGEST_BACKLOG}, the N of listen(N), like 5"
        )),
    }
}

/// Parses a count of things to do: a whole number of 1 or more.
pub fn parse_count(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("expected a whole number of 1 or more, like 3".to_string()),
    }
}

/// Parses a number of bytes: a whole number from 0 to the largest `u64`.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    text.trim().parse::<u64>().map_err(|_| {
        format!(
            "expected a whole number of bytes from 0 to {}, like 1048576",
            u64::MAX
        )
    })
}

/// `1 timestamp`, `3 timestamps`: a count with its noun, singular or plural.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

// ANCHOR: finish
/// The end of every `main`: success is exit 0, an error is one `error:` line and
/// exit 1.
pub fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` puts the causes on the same line: "what happened: why".
            // The line is made first, then written in one go, so it arrives whole.
            let line = format!("error: {err:#}\n");
            let _ = io::stderr().write_all(line.as_bytes());
            ExitCode::FAILURE
        }
    }
}
// ANCHOR_END: finish

// ANCHOR: dial_error
/// A failed `connect`, explained: who we could not reach, why, and what to try.
pub fn dial_error(addr: SocketAddr, err: io::Error) -> anyhow::Error {
    let (why, advice) = match err.kind() {
        ErrorKind::ConnectionRefused => (
            "connection refused".to_string(),
            "is the server running? Start it first.".to_string(),
        ),
        ErrorKind::TimedOut | ErrorKind::WouldBlock => (
            "no answer".to_string(),
            "is the address right? Is the server's queue full?".to_string(),
        ),
        ErrorKind::AddrNotAvailable
        | ErrorKind::NetworkUnreachable
        | ErrorKind::HostUnreachable => {
            let advice = "check the address in --addr.";
            (short(&err), advice.to_string())
        }
        _ => (short(&err), "check the address and try again.".to_string()),
    };
    anyhow::anyhow!("could not reach {addr} ({why}): {advice}")
}
// ANCHOR_END: dial_error

/// A failed `bind` or `listen`, explained.
pub fn listen_error(addr: SocketAddr, err: io::Error) -> anyhow::Error {
    let free_port = SocketAddr::new(addr.ip(), 0);
    match err.kind() {
        ErrorKind::AddrInUse => anyhow::anyhow!(
            "{addr} is already in use: is another server still running? --addr {free_port} picks a free port."
        ),
        ErrorKind::AddrNotAvailable => anyhow::anyhow!(
            "cannot listen on {addr}: that is not an address of this machine. Use 127.0.0.1 (this machine only) or one of this machine's own addresses."
        ),
        ErrorKind::PermissionDenied => anyhow::anyhow!(
            "cannot listen on {addr}: permission denied. Ports below 1024 need admin rights; pick a port above 1024."
        ),
        _ => anyhow::anyhow!(
            "cannot listen on {addr} ({}): check --addr.",
            short(&err)
        ),
    }
}

/// True when an error only means "the other side hung up" (suddenly, or while we
/// wrote). That is not our program's failure: it is the end of the call.
pub fn is_hang_up(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
            | ErrorKind::UnexpectedEof
            | ErrorKind::NotConnected
    )
}

// ANCHOR: receive
/// One `recv(1024)`: waits for bytes, then reads what has arrived, at most
/// `buffer.len()`. Returns how many bytes it read; 0 means the other side hung up.
/// A sudden hang-up (a "connection reset", which Python reports as an error too)
/// also gives 0 here.
pub fn receive(line: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    match line.read(buffer) {
        Err(err) if is_hang_up(&err) => Ok(0),
        result => result,
    }
}
// ANCHOR_END: receive

/// True when the error says that the program may open no more files (sockets are
/// files too): EMFILE, too many in this program (24 on Linux, macOS and the BSDs),
/// ENFILE (23), too many in the whole system, or WSAEMFILE (10024) on Windows.
/// `ulimit -n` shows the limit.
pub fn is_out_of_files(err: &io::Error) -> bool {
    matches!(err.raw_os_error(), Some(23 | 24 | 10024))
}

/// True when a read gave up because its timeout passed (Unix says "would block",
/// Windows "timed out").
pub fn is_timeout(err: &io::Error) -> bool {
    matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

// ANCHOR: hang_up
/// How long [`hang_up`] listens for the rest of what the caller still sends.
pub const HANG_UP_WAIT: Duration = Duration::from_secs(1);
/// How many bytes [`hang_up`] reads and throws away at most, while it waits.
pub const HANG_UP_LIMIT: usize = 64 * 1024;

/// Hangs up politely, after our last word: "I have nothing more to say" (shutdown of
/// our sending side), then listen until the caller hangs up too (a read gives 0
/// bytes), but at most [`HANG_UP_WAIT`] and [`HANG_UP_LIMIT`] bytes, and only then
/// close.
///
/// Why not just close? A socket closed while some of the caller's bytes are still
/// unread (the `\r\n` that netcat sends on its own, the rest of a long line) does not
/// say goodbye (FIN): it says "reset" (RST), as RFC 1122, section 4.2.2.13, asks. The
/// caller's system may then throw away our reply before the caller has read it. The
/// original's Python programs close at once, and have the same bug.
pub fn hang_up(mut line: TcpStream) {
    // shutdown(SHUT_WR): the caller reads our reply, then "0 bytes", the end of the
    // call. An error here means the caller is gone already: nothing left to be polite
    // to.
    if line.shutdown(Shutdown::Write).is_err() {
        return;
    }
    let deadline = Instant::now() + HANG_UP_WAIT;
    let mut buffer = [0u8; 1024];
    let mut thrown_away = 0;
    while thrown_away < HANG_UP_LIMIT {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || line.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match line.read(&mut buffer) {
            // Stopped and continued (Ctrl-Z, then fg): the loop reads again.
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Ok(0) | Err(_) => break, // the caller hung up, or the time is over
            Ok(size) => thrown_away += size,
        }
    }
    // Dropping `line` closes the socket (Python: conn.close()).
}
// ANCHOR_END: hang_up

// ANCHOR: printable
/// Text from the other side, made safe to print: control characters are shown as
/// escapes, so that a peer cannot move the cursor, clear the screen or change the
/// colours of our terminal. A carriage return is shown as the two characters `\r`,
/// the other C0 controls and DEL as `\x1b` (ESC) and so on, the C1 controls (U+0080
/// to U+009F) as `\u{9b}` and so on. Tabs and line breaks (`\n`) stay as they are:
/// they only move to the next column or line.
pub fn printable(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' | '\n' => shown.push(c),
            '\r' => shown.push_str("\\r"),
            // C0 controls and DEL (0x7f): one byte, shown as \xNN.
            c if c.is_ascii_control() => {
                shown.push_str(&format!("\\x{:02x}", c as u32))
            }
            // C1 controls, U+0080 to U+009F.
            c if c.is_control() => shown.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => shown.push(c),
        }
    }
    shown
}
// ANCHOR_END: printable

/// An io error as a few plain words, without "(os error 111)".
pub fn short(err: &io::Error) -> String {
    let text = err.to_string();
    let text = match text.find(" (os error") {
        Some(end) => &text[..end],
        None => &text,
    };
    text.to_lowercase()
}

/// Prints `prompt` (no newline), then reads one line typed by the user, without its
/// line ending. `None` means the input ended (Ctrl-D, or a closed pipe).
pub fn read_line(prompt: &str) -> io::Result<Option<String>> {
    print!("{prompt}");
    io::stdout().flush()?;
    let mut bytes = Vec::new();
    if io::stdin().lock().read_until(b'\n', &mut bytes)? == 0 {
        if !prompt.is_empty() {
            // The prompt gets its line ending, so the next output starts on a new
            // line. Without a prompt there is nothing to end (lesson 06's client).
            println!();
        }
        return Ok(None);
    }
    while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        bytes.pop();
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Like [`read_line`], for one message: a line that does not fit in one `recv(1024)`
/// on the other side, or an empty line, gets a note and the user types again.
/// (Sending an empty line writes 0 bytes: nothing travels, and both sides would wait
/// for each other forever.)
pub fn read_message(prompt: &str) -> io::Result<Option<String>> {
    loop {
        let Some(line) = read_line(prompt)? else {
            return Ok(None);
        };
        if line.is_empty() {
            println!("note: an empty message sends nothing. Please type something.");
        } else if line.len() > MESSAGE_LIMIT {
            println!(
                "note: that message is {} bytes; one message can be at most {MESSAGE_LIMIT} bytes. Please type a shorter one.",
                line.len()
            );
        } else {
            return Ok(Some(line));
        }
    }
}

/// The ready line: printed as soon as a server listens, before anything else on
/// stdout.
pub fn announce_listening(addr: SocketAddr) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "listening on {addr}")?;
    out.flush()
}

/// True for one of Unicode's invisible "format" characters (general category Cf, from
/// the Unicode data file). They change how the text around them is shown, or are not
/// shown at all: a zero-width space (U+200B), a byte order mark (U+FEFF), the
/// right-to-left override (U+202E) that shows `report\u{202E}txt.exe` as
/// "reportexe.txt" and `\u{202E}ecila` as "alice". Two names that look the same can
/// be different, so lesson 05 refuses them in file names and lesson 06 in the names
/// of callers. Rust's standard library has no table of categories, so here is this
/// one.
pub fn is_format_character(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{600}'..='\u{605}'
            | '\u{61c}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{890}'..='\u{891}'
            | '\u{8e2}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}'
            | '\u{110cd}'
            | '\u{13430}'..='\u{1343f}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

/// accept() failed: say so on stderr, and wait a moment before the next try. The call
/// that failed is lost, not the server: it keeps serving. The wait matters when the
/// error comes back at once every time (no more files may be opened, say): without
/// it, the loop would spin and fill the screen.
pub fn could_not_pick_up(err: &io::Error) {
    eprintln!(
        "error: could not pick up a call ({}); waiting for the next one",
        short(err)
    );
    std::thread::sleep(Duration::from_millis(100));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_parse_from_zero_to_the_largest_u64() {
        assert_eq!(parse_bytes("0"), Ok(0));
        assert_eq!(parse_bytes("18446744073709551615"), Ok(u64::MAX));
        for bad in ["-1", "1e9", "18446744073709551616", ""] {
            assert!(parse_bytes(bad).unwrap_err().contains("from 0 to"), "{bad}");
        }
    }

    #[test]
    fn addresses_parse() {
        assert_eq!(parse_addr("127.0.0.1:8001").unwrap().port(), 8001);
        assert!(parse_addr("[::1]:0").unwrap().is_ipv6());
        assert!(parse_addr("127.0.0.1").is_err());
        assert!(parse_addr("nonsense").is_err());
    }

    #[test]
    fn errors_are_short() {
        let err = io::Error::from(ErrorKind::ConnectionRefused);
        let line =
            format!("{:#}", dial_error("127.0.0.1:8001".parse().unwrap(), err));
        assert_eq!(
            line,
            "could not reach 127.0.0.1:8001 (connection refused): is the server running? Start it first."
        );
        let err = io::Error::from(ErrorKind::AddrInUse);
        let line = format!("{:#}", listen_error("[::1]:8001".parse().unwrap(), err));
        assert!(
            line.ends_with("--addr [::1]:0 picks a free port."),
            "{line}"
        );
    }

    #[test]
    fn durations_between_a_millisecond_and_a_day() {
        for good in ["0.001", "0.5", "30", "86400"] {
            assert!(parse_seconds(good).is_ok(), "{good}");
            assert!(parse_seconds_or_zero(good).is_ok(), "{good}");
        }
        for bad in [
            "0", "-1", "nan", "inf", "1e-10", "1e-300", "1e300", "86400.5", "soon",
        ] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_seconds_or_zero("0"), Ok(0.0));
        for bad in ["-0.5", "nan", "1e-10", "0.0009", "1e300"] {
            assert!(parse_seconds_or_zero(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_host_name_nobody_knows_is_not_a_bad_format() {
        let nobody_knows =
            |_: &str, _: u16| -> io::Result<std::vec::IntoIter<SocketAddr>> {
                Err(io::Error::other(
                    "failed to lookup address information: Name or service not known",
                ))
            };
        assert_eq!(
            parse_addr_with("nosuch.invalid:8001", nobody_knows),
            Err("could not find the host name `nosuch.invalid` (name or service not known): check its spelling, or give an IP address like 127.0.0.1:8001".to_string())
        );
        // A name that is found gives its first address.
        let found =
            |_: &str, port: u16| -> io::Result<std::vec::IntoIter<SocketAddr>> {
                Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))].into_iter())
            };
        assert_eq!(
            parse_addr_with("localhost:8001", found),
            Ok("127.0.0.1:8001".parse().unwrap())
        );
        // Text without the shape of HOST:PORT is never looked up.
        let never =
            |host: &str, _: u16| -> io::Result<std::vec::IntoIter<SocketAddr>> {
                panic!("looked up {host}")
            };
        for bad in [
            "nonsense",
            "127.0.0.1",
            "host:port",
            "host:99999",
            ":8001",
            "a b:80",
        ] {
            assert_eq!(
                parse_addr_with(bad, never),
                Err("expected HOST:PORT, like 127.0.0.1:8001 or [::1]:8001"
                    .to_string()),
                "{bad}"
            );
        }
    }

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(printable("hello"), "hello");
        assert_eq!(printable("你好\t世界\nline two"), "你好\t世界\nline two");
        assert_eq!(printable("hello\r\n"), "hello\\r\n");
        assert_eq!(printable("\x1b[2Jgone"), "\\x1b[2Jgone");
        assert_eq!(printable("a\0b\x07c\x7f"), "a\\x00b\\x07c\\x7f");
        assert_eq!(
            printable("\u{9b}31m\u{85}\u{80}\u{9f}"),
            "\\u{9b}31m\\u{85}\\u{80}\\u{9f}"
        );
        // U+00A0 (no-break space) and U+FFFD are no controls.
        assert_eq!(printable("\u{a0}\u{fffd}"), "\u{a0}\u{fffd}");
        // Nothing printed contains a control character but a tab or a line break.
        let all: String = (0..=0x10ffu32).filter_map(char::from_u32).collect();
        assert!(
            printable(&all)
                .chars()
                .all(|c| !c.is_control() || c == '\t' || c == '\n')
        );
    }

    #[test]
    fn every_kind_of_dial_and_listen_error_gets_its_own_advice() {
        let addr: SocketAddr = "127.0.0.1:8001".parse().unwrap();
        let dial = |kind| format!("{:#}", dial_error(addr, io::Error::from(kind)));
        let no_answer = "could not reach 127.0.0.1:8001 (no answer): is the address right? \
                         Is the server's queue full?";
        assert_eq!(dial(ErrorKind::TimedOut), no_answer);
        assert_eq!(dial(ErrorKind::WouldBlock), no_answer);
        for kind in [
            ErrorKind::AddrNotAvailable,
            ErrorKind::NetworkUnreachable,
            ErrorKind::HostUnreachable,
        ] {
            let why = short(&io::Error::from(kind));
            assert_eq!(
                dial(kind),
                format!(
                    "could not reach 127.0.0.1:8001 ({why}): check the address in --addr."
                )
            );
        }
        assert_eq!(
            dial(ErrorKind::PermissionDenied),
            "could not reach 127.0.0.1:8001 (permission denied): check the address and try again."
        );
        let listen =
            |kind| format!("{:#}", listen_error(addr, io::Error::from(kind)));
        assert!(listen(ErrorKind::AddrNotAvailable).starts_with(
            "cannot listen on 127.0.0.1:8001: that is not an address of this machine."
        ));
        assert!(listen(ErrorKind::PermissionDenied).starts_with(
            "cannot listen on 127.0.0.1:8001: permission denied. Ports below 1024"
        ));
        assert_eq!(
            listen(ErrorKind::InvalidInput),
            "cannot listen on 127.0.0.1:8001 (invalid input parameter): check --addr."
        );
    }

    #[test]
    fn hang_ups_and_timeouts_are_told_apart() {
        for kind in [
            ErrorKind::ConnectionReset,
            ErrorKind::ConnectionAborted,
            ErrorKind::BrokenPipe,
            ErrorKind::UnexpectedEof,
            ErrorKind::NotConnected,
        ] {
            assert!(is_hang_up(&io::Error::from(kind)), "{kind:?}");
            assert!(!is_timeout(&io::Error::from(kind)), "{kind:?}");
        }
        for kind in [ErrorKind::WouldBlock, ErrorKind::TimedOut] {
            assert!(is_timeout(&io::Error::from(kind)), "{kind:?}");
            assert!(!is_hang_up(&io::Error::from(kind)), "{kind:?}");
        }
        assert!(!is_hang_up(&io::Error::from(ErrorKind::PermissionDenied)));
        // The system's words, without "(os error 111)".
        assert_eq!(
            short(&io::Error::from_raw_os_error(111)),
            "connection refused"
        );
    }

    #[test]
    fn pauses_from_0_to_10_seconds() {
        assert_eq!(parse_pause("0"), Ok(0.0));
        assert_eq!(parse_pause(" 0.2 "), Ok(0.2));
        assert_eq!(parse_pause("10"), Ok(10.0));
        for bad in ["-0.5", "10.5", "nan", "soon"] {
            assert!(
                parse_pause(bad).unwrap_err().contains("from 0 to 10"),
                "{bad}"
            );
        }
    }

    #[test]
    fn backlogs_from_0_to_4096_and_counts_from_1() {
        assert_eq!(parse_backlog("0"), Ok(0));
        assert_eq!(parse_backlog(" 4096 "), Ok(4096));
        assert!(parse_backlog("4097").is_err());
        assert!(parse_backlog("-1").is_err());
        assert_eq!(parse_count("1"), Ok(1));
        assert!(parse_count("0").is_err());
    }

    #[test]
    fn counts_are_singular_or_plural() {
        assert_eq!(count(0, "timestamp"), "0 timestamps");
        assert_eq!(count(1, "timestamp"), "1 timestamp");
        assert_eq!(count(2, "timestamp"), "2 timestamps");
    }

    #[test]
    fn format_characters_are_found_and_letters_are_not() {
        for c in ['\u{200B}', '\u{202E}', '\u{FEFF}', '\u{E0041}', '\u{00AD}'] {
            assert!(is_format_character(c), "{c:?}");
        }
        for c in ['a', '报', ' ', '-', '\u{00E9}', '\u{0301}', '\u{1F600}'] {
            assert!(!is_format_character(c), "{c:?}");
        }
    }
}

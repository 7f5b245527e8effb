//! What every lesson program needs but no lesson is about.
//!
//! The socket calls live in the lessons, where a student reads them top to bottom. This crate
//! holds the plumbing around them, written once: reading the command line, turning an error
//! into one line that says what to do, and reading what the user types.

use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

/// One message is at most this many bytes, because the other side reads it with one
/// `recv(1024)`, as the original tutorial does. A longer message would arrive in pieces.
pub const MESSAGE_LIMIT: usize = 1024;

/// Reads the command line. `--help` and `--version` print and exit 0; a mistake prints one
/// `error:` line and exits 2.
pub fn parse_args<T: clap::Parser>() -> T {
    end_quietly_when_output_closes();
    match T::try_parse() {
        Ok(args) => args,
        Err(err) if !err.use_stderr() => err.exit(), // --help, --version
        Err(err) => {
            let text = err.render().to_string();
            let first = text.lines().next().unwrap_or("error: bad command line");
            eprintln!("{first} (see --help)");
            std::process::exit(2);
        }
    }
}

/// When the reader of our output goes away (`server | head -1`, or a closed terminal), the
/// next `println!` fails. Rust ignores the SIGPIPE signal that would stop a C or Python
/// program, so `println!` panics instead ("failed printing to stdout"). This hook turns that
/// one panic into a quiet end: no message, no backtrace; exit status 0 when stdout closed
/// (nobody is reading any more, which is no fault of ours), 1 when stderr closed. Every other
/// panic is reported as usual. `parse_args` installs it, so every program has it.
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

/// Parses `--addr HOST:PORT`, e.g. `127.0.0.1:8001`, `[::1]:8001` or `localhost:8001`.
pub fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    let hint = "expected HOST:PORT, like 127.0.0.1:8001 or [::1]:8001";
    match text.to_socket_addrs() {
        Ok(mut addrs) => addrs.next().ok_or_else(|| hint.to_string()),
        Err(_) => Err(hint.to_string()),
    }
}

// ANCHOR: finish
/// The shortest and longest durations a program accepts, in seconds: one millisecond and
/// one day. Below a millisecond a socket timeout rounds to zero, which the system refuses
/// (it would mean "no timeout" to some systems and an error to Rust).
pub const SHORTEST_SECS: f64 = 0.001;
pub const LONGEST_SECS: f64 = 86_400.0;

/// Parses a duration like `30` or `0.5` (seconds): from one millisecond to one day. Zero,
/// negative numbers, `nan` and `inf` are refused with the allowed range.
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

/// The largest backlog a program accepts. Linux caps `listen(N)` at `net.core.somaxconn`
/// (4096 by default) anyway.
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

/// `1 timestamp`, `3 timestamps`: a count with its noun, singular or plural.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The end of every `main`: success is exit 0, an error is one `error:` line and exit 1.
pub fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` puts the causes on the same line: "what happened: why".
            eprintln!("error: {err:#}");
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
        | ErrorKind::HostUnreachable => (short(&err), "check the address in --addr.".to_string()),
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
        _ => anyhow::anyhow!("cannot listen on {addr} ({}): check --addr.", short(&err)),
    }
}

/// True when an error only means "the other side hung up" (suddenly, or while we wrote).
/// That is not our program's failure: it is the end of the call.
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
/// One `recv(1024)`: waits for bytes, then reads what has arrived, at most `buffer.len()`.
/// Returns how many bytes it read; 0 means the other side hung up. A sudden hang-up (a
/// "connection reset", which Python reports as an error too) also gives 0 here.
pub fn receive(line: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    match line.read(buffer) {
        Err(err) if is_hang_up(&err) => Ok(0),
        result => result,
    }
}
// ANCHOR_END: receive

/// An io error as a few plain words, without "(os error 111)".
pub fn short(err: &io::Error) -> String {
    let text = err.to_string();
    let text = match text.find(" (os error") {
        Some(end) => &text[..end],
        None => &text,
    };
    text.to_lowercase()
}

/// Prints `prompt` (no newline), then reads one line typed by the user, without its line
/// ending. `None` means the input ended (Ctrl-D, or a closed pipe).
pub fn read_line(prompt: &str) -> io::Result<Option<String>> {
    print!("{prompt}");
    io::stdout().flush()?;
    let mut bytes = Vec::new();
    if io::stdin().lock().read_until(b'\n', &mut bytes)? == 0 {
        println!(); // the prompt gets its line ending, so the next output starts on a new line
        return Ok(None);
    }
    while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        bytes.pop();
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Like [`read_line`], for one message: a line that does not fit in one `recv(1024)` on the
/// other side, or an empty line, gets a note and the user types again. (Sending an empty
/// line writes 0 bytes: nothing travels, and both sides would wait for each other forever.)
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

// ANCHOR: escape_controls
/// Text from the other side, made safe to print: control characters are shown escaped
/// (`\x1b`, `\r`, `\u{9b}`) so that a peer cannot move the cursor, clear the screen or
/// rewrite a line we printed. Tabs and line breaks stay. Escaped are the C0 codes
/// (U+0000–U+001F), DEL (U+007F) and the C1 codes (U+0080–U+009F); a backslash stays as it is.
pub fn escape_controls(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' | '\n' => shown.push(c),
            '\r' => shown.push_str("\\r"),
            '\u{0}'..='\u{1f}' | '\u{7f}' => shown.push_str(&format!("\\x{:02x}", c as u32)),
            '\u{80}'..='\u{9f}' => shown.push_str(&format!("\\u{{{:x}}}", c as u32)),
            _ => shown.push(c),
        }
    }
    shown
}
// ANCHOR_END: escape_controls

/// The ready line: printed as soon as a server listens, before anything else on stdout.
pub fn announce_listening(addr: SocketAddr) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "listening on {addr}")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let line = format!("{:#}", dial_error("127.0.0.1:8001".parse().unwrap(), err));
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
    fn counts_are_singular_or_plural() {
        assert_eq!(count(0, "timestamp"), "0 timestamps");
        assert_eq!(count(1, "timestamp"), "1 timestamp");
        assert_eq!(count(2, "timestamp"), "2 timestamps");
    }

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(
            escape_controls("plain 你好\ttab\nnext"),
            "plain 你好\ttab\nnext"
        );
        assert_eq!(escape_controls("\x1b[2J\r"), "\\x1b[2J\\r");
        assert_eq!(escape_controls("\0\x07\x7f"), "\\x00\\x07\\x7f");
        assert_eq!(escape_controls("\u{9b}31m\u{85}"), "\\u{9b}31m\\u{85}");
        assert_eq!(escape_controls("a\\b \u{a0}"), "a\\b \u{a0}");
    }
}

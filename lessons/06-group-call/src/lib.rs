//! Lesson 06: what the group call's server and client share (both read lines with a
//! cap), and the loopback calls its experiments set up.

use std::io::{self, BufRead, Read};
use std::net::{TcpListener, TcpStream};

/// The longest line anyone may say, in bytes, without its `\n`. A caller who sends a
/// longer one gets a note and stays; the line is not passed on.
pub const LINE_LIMIT: usize = 4096;

/// What one read of a line gave.
#[derive(Debug, PartialEq)]
pub enum Heard {
    /// A line, without its `\n` (and without a `\r` before it, as `nc` on Windows
    /// sends). Bytes that are not UTF-8 are shown as �.
    Line(String),
    /// A line longer than [`LINE_LIMIT`]: it was read to its end and thrown away.
    TooLong,
    /// The other side hung up (or the call broke).
    HungUp,
}

// ANCHOR: hear
/// Reads the next line, never holding more than [`LINE_LIMIT`] + 1 bytes of it: a
/// caller who never sends `\n` cannot fill our memory. A last line without `\n`
/// before the other side hangs up still counts as a line.
pub fn hear(reader: &mut impl BufRead) -> io::Result<Heard> {
    let mut line = Vec::new();
    let size = match reader
        .take(LINE_LIMIT as u64 + 1)
        .read_until(b'\n', &mut line)
    {
        Ok(size) => size,
        Err(err) if common::is_hang_up(&err) => return Ok(Heard::HungUp),
        Err(err) => return Err(err),
    };
    if size == 0 {
        return Ok(Heard::HungUp);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
    } else if line.len() > LINE_LIMIT {
        // Too long: skip the rest of it, up to its `\n`, a bounded piece at a time.
        skip_to_line_end(reader)?;
        return Ok(Heard::TooLong);
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Heard::Line(String::from_utf8_lossy(&line).into_owned()))
}
// ANCHOR_END: hear

// ANCHOR: name_problem
/// Why `name` cannot be a name, if it cannot. The server refuses such a name, and the
/// client does not even ask for it: 1 to 32 characters, no white space, no `:` (that
/// would look like `name: text`), no control characters, and no invisible format
/// characters, which would let `al\u{200b}ice` pass for `alice`.
pub fn name_problem(name: &str) -> Option<&'static str> {
    let length = name.chars().count();
    let bad = |c: char| c.is_whitespace() || c == ':' || c.is_control();
    if !(1..=32).contains(&length) || name.chars().any(bad) {
        Some(
            "a name is 1 to 32 characters, without spaces, ':' or control characters",
        )
    } else if name.chars().any(common::is_format_character) {
        Some(
            "a name may not contain invisible format characters, like U+200B or \
             U+202E",
        )
    } else {
        None
    }
}
// ANCHOR_END: name_problem

/// Reads and drops bytes up to the next `\n` (or the end of the call).
fn skip_to_line_end(reader: &mut impl BufRead) -> io::Result<()> {
    loop {
        let (found, used) = {
            let buffer = match reader.fill_buf() {
                Ok(buffer) => buffer,
                Err(err) if common::is_hang_up(&err) => return Ok(()),
                Err(err) => return Err(err),
            };
            if buffer.is_empty() {
                return Ok(());
            }
            match buffer.iter().position(|b| *b == b'\n') {
                Some(at) => (true, at + 1),
                None => (false, buffer.len()),
            }
        };
        reader.consume(used);
        if found {
            return Ok(());
        }
    }
}

/// For the experiments: `n` calls on this machine's loopback. Each pair is (the
/// caller's end, the server's end) of one call.
pub fn calls_on_loopback(n: usize) -> io::Result<Vec<(TcpStream, TcpStream)>> {
    let phone = TcpListener::bind("127.0.0.1:0")?;
    let number = phone.local_addr()?;
    let mut calls = Vec::new();
    for _ in 0..n {
        let caller = TcpStream::connect(number)?;
        let (answered, _) = phone.accept()?;
        calls.push((caller, answered));
    }
    Ok(calls)
}

/// Reads and drops everything that arrives on `line`, adding the bytes to `count`,
/// until the call ends: a caller who listens.
pub fn listen_and_count(mut line: TcpStream, count: &std::sync::atomic::AtomicU64) {
    let mut buffer = [0u8; 64 * 1024];
    while let Ok(size @ 1..) = line.read(&mut buffer) {
        count.fetch_add(size as u64, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Bytes as megabytes with one decimal, like `2.6 MB`.
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8]) -> Vec<Heard> {
        let mut reader = io::BufReader::with_capacity(100, bytes);
        let mut heard = Vec::new();
        loop {
            match hear(&mut reader).unwrap() {
                Heard::HungUp => return heard,
                other => heard.push(other),
            }
        }
    }

    #[test]
    fn lines_up_to_the_limit_pass_and_longer_ones_are_skipped_whole() {
        let fits = "a".repeat(LINE_LIMIT);
        let long = "b".repeat(LINE_LIMIT + 1);
        let text = format!("hi\r\n{fits}\n{long}\nafter\nlast");
        assert_eq!(
            all(text.as_bytes()),
            [
                Heard::Line("hi".into()),
                Heard::Line(fits),
                Heard::TooLong,
                Heard::Line("after".into()),
                Heard::Line("last".into()),
            ]
        );
    }

    #[test]
    fn a_last_line_of_exactly_the_limit_without_newline_is_a_line() {
        let fits = "c".repeat(LINE_LIMIT);
        assert_eq!(all(fits.as_bytes()), [Heard::Line(fits)]);
    }

    /// A reader whose every read fails with `kind`.
    struct Failing(io::ErrorKind);

    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(self.0.into())
        }
    }

    /// A reader that gives `bytes`, then fails with `kind`.
    struct Then(io::Cursor<Vec<u8>>, io::ErrorKind);

    impl Read for Then {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            match self.0.read(buffer)? {
                0 => Err(self.1.into()),
                size => Ok(size),
            }
        }
    }

    #[test]
    fn a_reset_in_the_middle_of_a_long_line_ends_it_and_other_errors_are_errors() {
        let long = vec![b'x'; LINE_LIMIT + 500];
        let reset = Then(
            io::Cursor::new(long.clone()),
            io::ErrorKind::ConnectionReset,
        );
        assert_eq!(
            hear(&mut io::BufReader::new(reset)).unwrap(),
            Heard::TooLong
        );
        let timed_out = Then(io::Cursor::new(long), io::ErrorKind::TimedOut);
        assert!(hear(&mut io::BufReader::new(timed_out)).is_err());
    }

    #[test]
    fn a_reset_is_a_hang_up_and_other_errors_are_errors() {
        let mut reset = io::BufReader::new(Failing(io::ErrorKind::ConnectionReset));
        assert_eq!(hear(&mut reset).unwrap(), Heard::HungUp);
        let mut timed_out = io::BufReader::new(Failing(io::ErrorKind::TimedOut));
        assert!(hear(&mut timed_out).is_err());
    }

    #[test]
    fn bytes_that_are_not_utf8_become_replacement_characters() {
        assert_eq!(all(b"a\xffb\n"), [Heard::Line("a\u{fffd}b".into())]);
    }
}

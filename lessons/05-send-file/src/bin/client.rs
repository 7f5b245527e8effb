//! Lesson 05, the client: call a server and send it one file.
//!
//! The call goes like this: "may I send you 报告.txt, 10240 bytes?" (the header), wait
//! for `GO` or a refusal, then the file itself and its SHA-256, then wait for `OK`
//! and the digest the server computed. The file is read and sent a chunk at a time,
//! so a file much bigger than the memory of the computer goes through just as well.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use lesson_05_send_file::{
    CHUNK, MAGIC, NAME_LIMIT, REPLY_LIMIT, VERSION, hex, speed,
};
use sha2::{Digest, Sha256};

/// Lesson 05: send one file to a server.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The file to send.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The phone number to call, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8051", value_parser = common::parse_addr)]
    addr: SocketAddr,
    /// Send the file under this name instead of its own. (The server decides whether
    /// it takes the name: try `--name ../x` and see.)
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// How long to wait for each answer of the server (`GO`, then `OK`), in seconds.
    /// A program that takes the call but never answers (not a file server) is given
    /// up then.
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = common::parse_seconds, allow_negative_numbers = true)]
    answer_timeout: f64,
    /// Show a progress bar on stderr while the file is sent (only when stderr is a
    /// terminal).
    #[arg(long)]
    progress: bool,
}

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(send(args))
}

fn send(args: Args) -> anyhow::Result<()> {
    // ANCHOR: open
    let shown = args.file.display();
    let mut file = File::open(&args.file).map_err(|err| {
        anyhow::anyhow!(
            "cannot open {shown} ({}): check the path",
            common::short(&err)
        )
    })?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        bail!("{shown} is not a file: give the path of a file to send");
    }
    let size = metadata.len();
    let name = match args.name {
        Some(name) => name,
        None => args
            .file
            .file_name()
            .and_then(|name| name.to_str())
            .map(str::to_string)
            .with_context(|| {
                format!("{shown} has no UTF-8 file name: give one with --name")
            })?,
    };
    // The header gives the name's length in 2 bytes, and the server takes at most
    // 255: say so now, before we dial.
    if name.len() > NAME_LIMIT {
        bail!(
            "the name is {} bytes of UTF-8; SBPF/1 allows at most {NAME_LIMIT}: choose a shorter one with --name",
            name.len()
        );
    }
    // ANCHOR_END: open

    // ANCHOR: ask
    let mut line = TcpStream::connect(args.addr)
        .map_err(|err| common::dial_error(args.addr, err))?;
    // Wait for an answer no longer than --answer-timeout: whoever took the call may
    // never say a word (lesson 06's server, for one, waits for us to speak first).
    line.set_read_timeout(Some(Duration::from_secs_f64(args.answer_timeout)))?;
    let waiting = Waiting {
        addr: args.addr,
        seconds: args.answer_timeout,
    };
    println!(
        "calling {}: may I send you {name:?}, {}?",
        args.addr,
        common::count(size, "byte")
    );
    send_header(&mut line, &name, size)?;
    let answer = read_reply(&line, &waiting)?;
    if answer != "GO" {
        return Err(refused(&answer));
    }
    println!("the server says GO");
    // ANCHOR_END: ask

    // ANCHOR: body
    let bar = if args.progress {
        progress_bar(size)
    } else {
        ProgressBar::hidden()
    };
    let started = Instant::now();
    let sent = send_body(&mut file, &mut line, size, &bar).and_then(|digest| {
        line.write_all(&digest)?;
        Ok(digest)
    });
    bar.finish_and_clear();
    let digest = match sent {
        Ok(digest) => digest,
        // Our own trouble, not the call's: the file had fewer bytes than it said
        // (something changed it, or it is one of the files in /proc or /sys, whose
        // sizes are made up). Say so now; hanging up tells the server.
        Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => {
            bail!("{err}: send it again once nothing changes it")
        }
        // The server may have hung up with a reason (a timeout, a full disk): show
        // it.
        Err(err) => match read_reply(&line, &waiting) {
            Ok(answer) => return Err(refused(&answer)),
            Err(_) => bail!(
                "the call broke while sending ({}): is the server still running?",
                common::short(&err)
            ),
        },
    };
    // ANCHOR_END: body

    // ANCHOR: check
    let ours = hex(&digest);
    let answer = read_reply(&line, &waiting)?;
    match answer.strip_prefix("OK ") {
        Some(theirs) if theirs == ours => {
            let seconds = started.elapsed().as_secs_f64();
            println!("the server saved {name:?}, sha256 {ours}");
            println!(
                "sent {} in {seconds:.3} s ({})",
                common::count(size, "byte"),
                speed(size, seconds)
            );
            Ok(())
        }
        Some(theirs) => {
            bail!(
                "the server got sha256 {theirs}, we sent {ours}: the file changed on the way"
            )
        }
        None => Err(refused(&answer)),
    }
    // ANCHOR_END: check
}

// ANCHOR: send_header
/// The header: "SBPF", version 1, the name's length in bytes (big-endian u16), the
/// name in UTF-8, the size in bytes (big-endian u64). One write_all of the whole
/// header.
fn send_header(line: &mut impl Write, name: &str, size: u64) -> io::Result<()> {
    // EXERCISE: MAGIC, VERSION, name.len() (bytes, not chars!) as a big-endian u16
    //           (to_be_bytes; too long: an InvalidInput error), the name's bytes,
    //           size as a big-endian u64; write_all
    // len() counts bytes: "报告.txt".len() is 10. (Python's len() of the str would
    // say 6.)
    let length = u16::try_from(name.len()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the name is longer than 65535 bytes",
        )
    })?;
    let mut header = Vec::with_capacity(4 + 1 + 2 + name.len() + 8);
    header.extend_from_slice(MAGIC);
    header.push(VERSION);
    header.extend_from_slice(&length.to_be_bytes());
    header.extend_from_slice(name.as_bytes());
    header.extend_from_slice(&size.to_be_bytes());
    line.write_all(&header)
    // EXERCISE_END
}
// ANCHOR_END: send_header

// ANCHOR: send_body
/// Sends exactly `size` bytes of `file`, a chunk at a time, and returns their
/// SHA-256.
fn send_body(
    file: &mut impl Read,
    line: &mut impl Write,
    size: u64,
    bar: &ProgressBar,
) -> io::Result<[u8; 32]> {
    // EXERCISE: read file.take(size) into a CHUNK-sized buffer until 0 bytes; hash
    //           each piece (Sha256::update), write_all it to line, bar.inc; fewer
    //           than size bytes: an error; return the finalized digest
    // take(size): send what we announced, even if the file grows meanwhile.
    let mut body = file.take(size);
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK];
    let mut sent: u64 = 0;
    loop {
        let got = match body.read(&mut buffer) {
            Ok(0) => break,
            Ok(got) => got,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        hasher.update(&buffer[..got]);
        line.write_all(&buffer[..got])?;
        sent += got as u64;
        bar.inc(got as u64);
    }
    if sent < size {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the file shrank while it was sent: {sent} of {size} bytes"),
        ));
    }
    Ok(hasher.finalize().into())
    // EXERCISE_END
}
// ANCHOR_END: send_body

// ANCHOR: read_reply
/// Whom we wait for, and how long: for the error line when no answer comes.
struct Waiting {
    addr: SocketAddr,
    seconds: f64,
}

/// Reads one reply line (`GO`, `OK <hex>` or `ERR <CODE> <words>`), without its `\n`.
fn read_reply(line: &TcpStream, waiting: &Waiting) -> anyhow::Result<String> {
    let mut reply = Vec::new();
    let read = BufReader::new(line)
        .take(REPLY_LIMIT)
        .read_until(b'\n', &mut reply);
    match read {
        Ok(_) => {}
        Err(err) if common::is_timeout(&err) => bail!(
            "no answer from {} in {} s: is it an SBPF/1 file server (lesson 05)?",
            waiting.addr,
            waiting.seconds
        ),
        Err(err) => bail!("no answer from the server ({})", common::short(&err)),
    }
    if reply.pop() != Some(b'\n') {
        bail!(
            "the server hung up without an answer: is it an SBPF/1 file server (lesson 05)?"
        );
    }
    // Show hidden characters visibly: a server cannot rewrite our terminal.
    Ok(common::printable(&String::from_utf8_lossy(&reply)))
}
// ANCHOR_END: read_reply

/// An `ERR` line from the server, as our error, with what to do about it.
fn refused(answer: &str) -> anyhow::Error {
    let code = answer.split(' ').nth(1).unwrap_or_default();
    let advice = match code {
        "BAD_NAME" | "EXISTS" => "choose another name with --name",
        "TOO_BIG" => "the server takes smaller files (its --max-bytes)",
        "CHECKSUM" | "SHORT" | "TIMEOUT" => "try again",
        _ => "see the server's terminal",
    };
    anyhow::anyhow!("the server refused the file: {answer}: {advice}")
}

/// A bar of bytes sent, on stderr. indicatif hides it when stderr is not a terminal.
fn progress_bar(size: u64) -> ProgressBar {
    let style = ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
    )
    .expect("a valid template");
    ProgressBar::new(size).with_style(style)
}

//! Lesson 05, the server: answer calls that ask "may I send you 报告.txt, 10240
//! bytes?".
//!
//! The original tutorial promised that sockets let two programs send each other
//! files, but it only ever sent short text. Here the promise is kept. One call
//! carries one file, in the protocol SBPF/1 (see the lesson's `lib.rs`): the caller
//! first says who the file is and how big it is, the server says `GO` (or why not),
//! the file follows with its SHA-256, and the server answers `OK` with the digest it
//! computed. A file appears under its name only when every byte has arrived and the
//! digest matches.

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use lesson_05_send_file::{CHUNK, MAGIC, NAME_LIMIT, VERSION, hex};
use sha2::{Digest, Sha256};

/// Lesson 05: receive files, one per call, into a folder.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The phone number to listen on, HOST:PORT. Port 0 lets the system pick a free
    /// port.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8051", value_parser = common::parse_addr)]
    addr: SocketAddr,
    /// The folder to save the files in. It is created if it is missing.
    #[arg(long, value_name = "DIR", default_value = "received")]
    dir: PathBuf,
    /// The largest file the server takes, in bytes. A caller who announces a bigger
    /// one gets `ERR TOO_BIG` before sending anything. The default is 1 GiB.
    #[arg(long, value_name = "N", default_value_t = 1 << 30, value_parser = common::parse_bytes, allow_negative_numbers = true)]
    max_bytes: u64,
    /// How long a caller may take to send the whole header, in seconds (fractions
    /// allowed).
    #[arg(long, value_name = "SECS", default_value_t = 5.0, value_parser = common::parse_seconds, allow_negative_numbers = true)]
    header_timeout: f64,
    /// How long the body may stall (no byte at all arrives), in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = common::parse_seconds, allow_negative_numbers = true)]
    idle: f64,
}

/// The slowest average speed of a body, in bytes per second, once we have waited for
/// it for more than `--idle` seconds in all. Callers wait in a queue behind the one
/// we serve, so a caller who sends one byte a second (never silent long enough for
/// `--idle`) must not hold the line for weeks. 16 KiB/s is slow even for a phone
/// line; a 1 GiB file may take up to 18 hours.
const SLOWEST_BODY: u64 = 16 * 1024;

/// After an `ERR`, how long we keep reading (and dropping) what the caller still
/// sends, so that our last line is not destroyed by a reset. See
/// [`hang_up_gracefully`].
const DRAIN_TIME: Duration = Duration::from_millis(500);

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(serve(args))
}

/// Why a call ends without a file: the code and the words of the `ERR` line.
struct Refusal {
    code: &'static str,
    words: String,
}

fn refuse(code: &'static str, words: impl Into<String>) -> Refusal {
    let words = words.into();
    Refusal { code, words }
}

/// A failed read or write becomes an `ERR` line too, so that `?` works in every step
/// below.
impl From<io::Error> for Refusal {
    fn from(err: io::Error) -> Refusal {
        match err.kind() {
            // A read waited longer than its timeout (Unix says "would block").
            // An error we made ourselves (see Steady) carries its own words.
            io::ErrorKind::TimedOut if err.get_ref().is_some() => {
                refuse("TIMEOUT", err.to_string())
            }
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                refuse("TIMEOUT", "nothing arrived in time; hanging up")
            }
            // The caller hung up (or the connection broke) before all was sent.
            _ if common::is_hang_up(&err) => {
                refuse("SHORT", "the call ended before all was sent")
            }
            _ => refuse(
                "IO",
                format!(
                    "the server could not save the file ({})",
                    common::short(&err)
                ),
            ),
        }
    }
}

/// What the caller asks: "may I send you `name`, `size` bytes?".
struct Header {
    name: String,
    size: u64,
}

fn serve(args: Args) -> anyhow::Result<()> {
    // ANCHOR: listen
    let phone = TcpListener::bind(args.addr)
        .map_err(|err| common::listen_error(args.addr, err))?;
    // Files in progress go to DIR/.partial/. A name that starts with a dot is a fine
    // file name, but ".partial" is a folder, so no file can ever be saved under it.
    let partial = args.dir.join(".partial");
    make_partial_folder(&partial)?;
    remove_leftovers(&partial)?;
    common::announce_listening(phone.local_addr()?)?;
    // ANCHOR_END: listen

    // ANCHOR: callers
    // One caller after another, as in lesson 04. While a file arrives, the next
    // callers wait in the queue. Our process id and the call number name the `.part`
    // files (4242-1.part, 4242-2.part, ...): two servers that share a folder never
    // pick the same name.
    for number in 1u64.. {
        let (line, caller) = match phone.accept() {
            Ok(call) => call,
            Err(err) => {
                common::could_not_pick_up(&err);
                continue;
            }
        };
        println!("picked up a call from {caller}");
        let part = partial.join(format!("{}-{number}.part", std::process::id()));
        let outcome = serve_one_caller(&line, caller, &args, &part);
        if let Err(refusal) = outcome {
            println!("refused {caller}: ERR {} {}", refusal.code, refusal.words);
            // The caller may be gone already; then nobody hears this line, and that
            // is fine.
            let _ = say(&line, &format!("ERR {} {}\n", refusal.code, refusal.words));
        }
        hang_up_gracefully(line);
    }
    Ok(())
    // ANCHOR_END: callers
}

// ANCHOR: serve_one
/// One call: the header, the question "may I?", the body, the digest, the file.
fn serve_one_caller(
    line: &TcpStream,
    caller: SocketAddr,
    args: &Args,
    part: &Path,
) -> Result<(), Refusal> {
    // 1. The header must arrive whole within --header-timeout, however it trickles
    //    in.
    let mut header_reader =
        Deadline::new(line, Duration::from_secs_f64(args.header_timeout));
    let header = read_header(&mut header_reader)?;
    // {:?} puts the name in quotes and shows hidden characters, like \n, visibly.
    println!(
        "{caller} asks: may I send you {:?}, {}?",
        header.name,
        common::count(header.size, "byte")
    );

    // 2. Answer before the body comes: a refusal sent now is read for sure. Sent
    //    after a body we did not read, it could be lost to a reset (the chapter
    //    shows why).
    check_name(&header.name)?;
    if header.size > args.max_bytes {
        return Err(refuse(
            "TOO_BIG",
            format!("at most {} bytes", args.max_bytes),
        ));
    }
    let target = args.dir.join(&header.name);
    // symlink_metadata, not exists(): a link that points nowhere is still taken.
    if target.symlink_metadata().is_ok() {
        return Err(refuse("EXISTS", "a file with this name is there already"));
    }
    // create_new: fail if the file is there, never truncate anything.
    let file = OpenOptions::new().write(true).create_new(true).open(part)?;
    // From here on the `.part` file is ours. Whatever goes wrong, it goes before we
    // answer; a file we did not make (another server's, say) we never remove.
    let saved = receive_and_save(line, args, file, part, &target, header.size);
    if saved.is_err() {
        let _ = fs::remove_file(part);
    }
    let digest = saved?;
    println!(
        "saved {:?} in {} ({}, sha256 {})",
        header.name,
        args.dir.display(),
        common::count(header.size, "byte"),
        hex(&digest)
    );
    Ok(())
}

/// Says `GO`, receives the body into `file` and checks its digest, then gives the
/// file its name and answers `OK`. Returns the digest.
fn receive_and_save(
    line: &TcpStream,
    args: &Args,
    mut file: File,
    part: &Path,
    target: &Path,
    size: u64,
) -> Result<[u8; 32], Refusal> {
    line.set_write_timeout(Some(Duration::from_secs_f64(args.idle)))?;
    say(line, "GO\n")?;

    // 3. The body, at most --idle seconds between two pieces and never slower than
    //    SLOWEST_BODY on average, then the caller's digest.
    line.set_read_timeout(Some(Duration::from_secs_f64(args.idle)))?;
    let mut body_reader = Steady::new(line, Duration::from_secs_f64(args.idle));
    let digest = receive_body(&mut body_reader, &mut file, size)?;
    let mut theirs = [0u8; 32];
    body_reader.read_exact(&mut theirs)?;
    if theirs != digest {
        return Err(refuse(
            "CHECKSUM",
            "the SHA-256 of the body does not match; nothing saved",
        ));
    }

    // 4. The file appears under its name in one step, and only if the name is still
    //    free.
    save(file, part, target)?;
    say(line, &format!("OK {}\n", hex(&digest)))?;
    Ok(digest)
}
// ANCHOR_END: serve_one

// ANCHOR: read_header
/// Reads "SBPF", the version, the name's length and the name, and the size.
/// `read_exact` waits until it has exactly that many bytes, however many pieces they
/// come in.
fn read_header(line: &mut impl Read) -> Result<Header, Refusal> {
    // EXERCISE: read_exact the 4-byte MAGIC (else ERR BAD_MAGIC), 1 VERSION byte
    //           (else BAD_VERSION), a big-endian u16 name length (over NAME_LIMIT:
    //           BAD_NAME), the name (UTF-8, else BAD_NAME), a big-endian u64 size
    let mut magic = [0u8; 4];
    line.read_exact(&mut magic)?;
    if magic != *MAGIC {
        return Err(refuse(
            "BAD_MAGIC",
            "this is an SBPF/1 file server; a call starts with SBPF",
        ));
    }
    let mut version = [0u8; 1];
    line.read_exact(&mut version)?;
    if version[0] != VERSION {
        return Err(refuse(
            "BAD_VERSION",
            format!("this server speaks SBPF version {VERSION}"),
        ));
    }
    // Python: struct.unpack('>H', ...), '>' for big-endian.
    let mut length = [0u8; 2];
    line.read_exact(&mut length)?;
    let length = usize::from(u16::from_be_bytes(length));
    if length > NAME_LIMIT {
        return Err(refuse(
            "BAD_NAME",
            format!("a name is at most {NAME_LIMIT} bytes"),
        ));
    }
    // At most 255 bytes: safe to make room for them, whatever the caller says.
    let mut name = vec![0u8; length];
    line.read_exact(&mut name)?;
    let mut size = [0u8; 8];
    line.read_exact(&mut size)?;
    let size = u64::from_be_bytes(size);
    let name = String::from_utf8(name)
        .map_err(|_| refuse("BAD_NAME", "a name must be UTF-8"))?;
    Ok(Header { name, size })
    // EXERCISE_END
}
// ANCHOR_END: read_header

// ANCHOR: check_name
/// A name is a plain file name, or it is refused. We never "clean" a name (drop the
/// `../`, swap `/` for `_`): the caller would get a file under a name they did not
/// ask for, and every cleaning rule has a hole someone finds.
fn check_name(name: &str) -> Result<(), Refusal> {
    let why = if name.is_empty() {
        "a name may not be empty"
    } else if name == "." || name == ".." {
        "a name may not be . or .."
    } else if name.contains(['/', '\\']) {
        "a name may not contain / or \\"
    } else if name.chars().any(char::is_control) {
        "a name may not contain control characters (NUL, line breaks, escapes)"
    } else if name.chars().any(common::is_format_character) {
        // Invisible characters make look-alikes: "\u{200B}report.txt" is not
        // "report.txt".
        "a name may not contain invisible format characters (like U+200B or U+202E)"
    } else if name.starts_with('-') {
        // `rm -rf` saved as a file: `rm *` in that folder would read it as an option.
        "a name may not start with - (programs read it as an option)"
    } else if name.starts_with(' ') || name.ends_with(' ') {
        // "report.txt " and "report.txt" look the same in a list of files.
        "a name may not start or end with a space"
    } else if Path::new(name).file_name() != Some(OsStr::new(name)) {
        // The last safety net: Rust itself must see one plain file name. (Remember
        // that dir.join("/etc/x") is "/etc/x": an absolute path replaces the folder.)
        "a name must be a plain file name"
    } else {
        return Ok(());
    };
    Err(refuse("BAD_NAME", why))
}
// ANCHOR_END: check_name

// ANCHOR: receive_body
/// Copies exactly `size` bytes from the caller into `file`, one chunk at a time, and
/// returns their SHA-256. Memory stays one chunk, whatever `size` says: never a
/// buffer of `size` bytes, which a caller could set to 16 EiB (u64::MAX).
fn receive_body(
    line: &mut impl Read,
    file: &mut impl Write,
    size: u64,
) -> Result<[u8; 32], Refusal> {
    // EXERCISE: read from line.take(size) into a CHUNK-sized buffer until 0 bytes;
    //           hash each piece (Sha256::update) and write_all it to file; fewer than
    //           size bytes: ERR SHORT; return the finalized digest
    // take(size) stops after the body: the 32 bytes of the digest stay in the socket.
    let mut body = line.take(size);
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK];
    let mut received: u64 = 0;
    loop {
        let got = match body.read(&mut buffer) {
            Ok(0) => break, // all `size` bytes, or the caller stopped sending
            Ok(got) => got,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err.into()),
        };
        hasher.update(&buffer[..got]);
        file.write_all(&buffer[..got])?;
        received += got as u64;
    }
    if received < size {
        return Err(refuse("SHORT", format!("got {received} of {size} bytes")));
    }
    Ok(hasher.finalize().into())
    // EXERCISE_END
}
// ANCHOR_END: receive_body

// ANCHOR: save
/// Makes the finished `.part` file appear under its final name. `hard_link` gives the
/// same file a second name, in one step, and fails if that name is taken: nothing is
/// ever overwritten, and nobody ever sees half a file under the final name.
/// (`fs::rename` would replace an existing file on Unix.) Then the `.part` name goes.
fn save(file: File, part: &Path, target: &Path) -> Result<(), Refusal> {
    // Flush what the system still holds for this file to the disk before it gets its
    // name.
    file.sync_all()?;
    drop(file);
    match fs::hard_link(part, target) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
            // Someone saved a file under this name while our body came.
            return Err(refuse("EXISTS", "a file with this name is there already"));
        }
        Err(err) => return Err(err.into()),
    }
    fs::remove_file(part)?;
    Ok(())
}
// ANCHOR_END: save

/// Sends one reply line.
fn say(mut line: &TcpStream, text: &str) -> io::Result<()> {
    line.write_all(text.as_bytes())
}

// ANCHOR: hang_up
/// Hangs up without losing our last line. Closing a socket while the caller's bytes
/// still wait unread makes the system send a reset (RST, RFC 1122 §4.2.2.13), and a
/// reset can throw away our `ERR` line before the caller reads it. So: shut our
/// sending side (the caller reads our line, then the end), read and drop whatever
/// still comes for a short, bounded time, then close.
fn hang_up_gracefully(line: TcpStream) {
    let _ = line.shutdown(Shutdown::Write);
    let mut rest = Deadline::new(&line, DRAIN_TIME).take(64 * CHUNK as u64);
    let _ = io::copy(&mut rest, &mut io::sink());
}
// ANCHOR_END: hang_up

// ANCHOR: deadline
/// Reads from a call until a deadline. A plain read timeout counts from each read, so
/// a caller sending one byte every 4 seconds would never time out; here every read
/// waits at most for the time that is left.
struct Deadline<'a> {
    line: &'a TcpStream,
    until: Instant,
}

impl<'a> Deadline<'a> {
    fn new(line: &'a TcpStream, within: Duration) -> Self {
        let until = Instant::now() + within;
        Deadline { line, until }
    }
}

impl Read for Deadline<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.line.set_read_timeout(Some(left))?;
        let mut line = self.line;
        line.read(buffer)
    }
}
// ANCHOR_END: deadline

// ANCHOR: steady
/// Reads the body, and gives up on a caller who sends slower than SLOWEST_BODY on
/// average, once we have waited for them for more than `grace` (`--idle`) in all. The
/// read timeout alone catches a caller who goes silent, not one who sends a byte now
/// and then. The clock runs only while a read waits for the caller: the time we spend
/// hashing and writing (or waiting for a busy machine's CPU) is not the caller's
/// fault.
struct Steady<'a> {
    line: &'a TcpStream,
    grace: Duration,
    waited: Duration,
    received: u64,
}

impl<'a> Steady<'a> {
    fn new(line: &'a TcpStream, grace: Duration) -> Self {
        let (waited, received) = (Duration::ZERO, 0);
        Steady {
            line,
            grace,
            waited,
            received,
        }
    }
}

impl Read for Steady<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let mut line = self.line;
        let started = Instant::now();
        let got = line.read(buffer)?;
        self.waited += started.elapsed();
        self.received += got as u64;
        let expected = SLOWEST_BODY as f64 * self.waited.as_secs_f64();
        if self.waited > self.grace && (self.received as f64) < expected {
            let words = format!(
                "the body came slower than {} KiB/s on average; hanging up",
                SLOWEST_BODY / 1024
            );
            return Err(io::Error::new(io::ErrorKind::TimedOut, words));
        }
        Ok(got)
    }
}
// ANCHOR_END: steady

/// Makes DIR and DIR/.partial, and makes sure `.partial` is a real folder. We remove
/// files in it, so it must not be a link that leads to someone else's files.
fn make_partial_folder(partial: &Path) -> anyhow::Result<()> {
    let shown = partial.display();
    // symlink_metadata looks at the link itself; metadata would follow it.
    match fs::symlink_metadata(partial) {
        Ok(found) if found.file_type().is_symlink() => {
            bail!(
                "{shown} is a link, not a folder: remove it, or choose another --dir"
            )
        }
        Ok(found) if !found.is_dir() => {
            bail!("{shown} is not a folder: remove it, or choose another --dir")
        }
        Ok(_) => Ok(()),
        Err(_) => fs::create_dir_all(partial).with_context(|| {
            format!("cannot create the folder {shown}: check --dir")
        }),
    }
}

/// Removes the `.part` files left by a server that was stopped during a call. Several
/// servers may share a folder, so we remove only files named like ours,
/// `<pid>-<call>.part`, whose process is gone: on Linux, a running process `<pid>`
/// has a folder `/proc/<pid>`. Elsewhere we cannot tell, so we keep them all and say
/// so.
fn remove_leftovers(partial: &Path) -> anyhow::Result<()> {
    let proc_exists = Path::new("/proc/self").exists();
    let (mut removed, mut kept) = (0, 0);
    let entries = fs::read_dir(partial).with_context(|| {
        format!("cannot read the folder {}: check --dir", partial.display())
    })?;
    for entry in entries.flatten() {
        // file_type does not follow links: a link or a folder is never "a .part
        // file".
        let is_file = entry.file_type().is_ok_and(|kind| kind.is_file());
        let Some(pid) = part_owner(&entry.file_name()) else {
            continue;
        };
        if !is_file {
            continue;
        }
        // Our own pid cannot be another running server: an earlier process had it.
        let stopped = pid == std::process::id()
            || (proc_exists && !Path::new("/proc").join(pid.to_string()).exists());
        if !proc_exists {
            kept += 1;
        } else if stopped && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        eprintln!(
            "note: removed {} left in {} by a server that was stopped during a call",
            common::count(removed, "unfinished .part file"),
            partial.display()
        );
    }
    if kept > 0 {
        eprintln!(
            "note: kept {} in {}: this system cannot tell whether the servers that wrote them still run; remove them by hand when no server uses --dir",
            common::count(kept, ".part file"),
            partial.display()
        );
    }
    Ok(())
}

/// The process id in a name like `4242-7.part`, or `None` for any other name.
fn part_owner(name: &OsStr) -> Option<u32> {
    let (pid, call) = name.to_str()?.strip_suffix(".part")?.split_once('-')?;
    let all_digits =
        |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(pid) || !all_digits(call) {
        return None;
    }
    pid.parse().ok()
}

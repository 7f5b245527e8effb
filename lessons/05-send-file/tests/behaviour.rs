//! Lesson 05 from the outside: the real programs, over real loopback TCP. Tests that play a
//! caller by hand speak SBPF/1 byte for byte over a plain `TcpStream`.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::assert::OutputAssertExt;
use lesson_05_send_file::hex;
use predicates::str::contains;
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use test_support::{Running, TIMEOUT, dial, error_line, lesson, python};

const SEND_FILE_PY: &str = include_str!("../python/send_file.py");
const RECV_FILE_PY: &str = include_str!("../python/recv_file.py");

/// The SHA-256 of nothing at all, as `sha256sum /dev/null` prints it.
const EMPTY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// A scratch folder; the server saves into `<scratch>/received`, so that the scratch folder
/// itself is the "parent" a bad name must not reach.
struct Scratch {
    root: TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            root: tempfile::tempdir().unwrap(),
        }
    }

    fn received(&self) -> PathBuf {
        self.root.path().join("received")
    }

    fn received_arg(&self) -> String {
        self.received().display().to_string()
    }

    /// Writes a file to send, outside `received`; returns its path.
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let outbox = self.root.path().join("outbox");
        std::fs::create_dir_all(&outbox).unwrap();
        let path = outbox.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Starts the server on port 0, saving into `received`, with `more` options.
    fn server(&self, more: &[&str]) -> Running {
        let dir = self.received_arg();
        let mut args = vec!["--addr", "127.0.0.1:0", "--dir", &dir];
        args.extend_from_slice(more);
        lesson!().start("server", &args)
    }

    /// Every path under the scratch folder (but the client's outbox), with its size: what a
    /// refused call must leave unchanged.
    fn snapshot(&self) -> Vec<(String, u64)> {
        let mut found = Vec::new();
        let mut folders = vec![self.root.path().to_path_buf()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap().flatten() {
                let path = entry.path();
                let meta = entry.metadata().unwrap();
                let shown = path.strip_prefix(self.root.path()).unwrap();
                if shown.starts_with("outbox") {
                    continue;
                }
                found.push((shown.display().to_string(), meta.len()));
                if meta.is_dir() {
                    folders.push(path);
                }
            }
        }
        found.sort();
        found
    }

    /// Waits (at most [`TIMEOUT`]) until a `.part` file is in `received/.partial`.
    #[track_caller]
    fn wait_for_a_part(&self) {
        let deadline = Instant::now() + TIMEOUT;
        while self.saved_and_partial().1.is_empty() {
            assert!(
                Instant::now() < deadline,
                "no .part file in received/.partial"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The names in `received`, and the names in `received/.partial`.
    fn saved_and_partial(&self) -> (Vec<String>, Vec<String>) {
        (
            names_in(&self.received(), true),
            names_in(&self.received().join(".partial"), false),
        )
    }
}

fn names_in(folder: &Path, skip_partial: bool) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !(skip_partial && name == ".partial"))
        .collect();
    names.sort();
    names
}

/// `n` bytes that look random, the same every run for the same seed (xorshift64).
fn seeded_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut bytes = Vec::with_capacity(n);
    while bytes.len() < n {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(n);
    bytes
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The SBPF/1 header, byte for byte: "SBPF", 1, name length (u16 BE), name, size (u64 BE).
fn header(name: &[u8], size: u64) -> Vec<u8> {
    let mut bytes = b"SBPF\x01".to_vec();
    bytes.extend_from_slice(&(name.len() as u16).to_be_bytes());
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(&size.to_be_bytes());
    bytes
}

/// One reply line from the server, without its `\n` (read a byte at a time, at most 1024).
#[track_caller]
fn reply(line: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut byte = [0u8; 1];
    let deadline = Instant::now() + TIMEOUT;
    while bytes.len() < 1024 && Instant::now() < deadline {
        match line.read(&mut byte) {
            Ok(0) => panic!(
                "the server hung up before ending its line; it said {:?}",
                String::from_utf8_lossy(&bytes)
            ),
            Ok(_) if byte[0] == b'\n' => {
                return String::from_utf8_lossy(&bytes).into_owned();
            }
            Ok(_) => bytes.push(byte[0]),
            // A signal woke the read up before any byte came: read again (read_exact would).
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => panic!(
                "no reply line from the server ({err}); it said {:?}",
                String::from_utf8_lossy(&bytes)
            ),
        }
    }
    panic!(
        "no reply line within {TIMEOUT:?} and 1024 bytes; the server said {:?}",
        String::from_utf8_lossy(&bytes)
    )
}

/// Dials the server, sends a header, returns the call and the first reply.
#[track_caller]
fn ask(addr: SocketAddr, name: &[u8], size: u64) -> (TcpStream, String) {
    let mut line = dial(addr);
    line.write_all(&header(name, size)).unwrap();
    let answer = reply(&mut line);
    (line, answer)
}

/// A whole upload by hand: header, GO, body, digest; returns the last reply.
#[track_caller]
fn upload(addr: SocketAddr, name: &str, body: &[u8]) -> String {
    let (mut line, answer) = ask(addr, name.as_bytes(), body.len() as u64);
    assert_eq!(answer, "GO");
    line.write_all(body).unwrap();
    line.write_all(&sha256(body)).unwrap();
    reply(&mut line)
}

/// Runs the client to its end: `client FILE --addr ADDR more...`.
fn client(
    addr: SocketAddr,
    file: &Path,
    more: &[&str],
) -> assert_cmd::assert::Assert {
    lesson!()
        .command("client")
        .arg(file)
        .args(["--addr", &addr.to_string()])
        .args(more)
        .assert()
}

/// Starts the server on `dir` and sees it refuse to: exit 1, one `error:` line.
fn server_cannot_start(dir: &Path, why: &'static str) {
    lesson!()
        .command("server")
        .args(["--addr", "127.0.0.1:0", "--dir"])
        .arg(dir)
        .assert()
        .code(1)
        .stdout("")
        .stderr(error_line(why));
}

/// After a refused or broken call, the next caller is served: a whole upload gets OK.
#[track_caller]
fn assert_next_caller_is_served(addr: SocketAddr) {
    assert_eq!(
        upload(addr, "next.txt", b"next"),
        format!("OK {}", hex(&sha256(b"next")))
    );
}

/// The peak memory ("high water mark") of a process, in KiB, from /proc on Linux.
fn peak_memory_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The server's peak memory stayed under 16 MiB (on Linux; elsewhere nothing is
/// checked): it did not grow with a size, whatever the size was.
#[track_caller]
fn assert_memory_stayed_small(server: &Running, after: &str) {
    if let Some(peak) = peak_memory_kib(server.id()) {
        assert!(
            peak < 16 * 1024,
            "the server's memory should not grow with the size: its peak was \
             {peak} KiB after {after}"
        );
    }
}

/// True when `python3` runs; else it says on stderr that the test is skipped.
fn has_python() -> bool {
    let found = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if !found {
        eprintln!("skipped: no python3");
    }
    found
}

// ---- the common contract ----

#[test]
fn the_programs_are_this_lessons_own() {
    lesson!().assert_own_programs(&["server", "client", "naive"]);
}

#[test]
fn help_describes_every_option() {
    lesson!().assert_help(&[
        (
            "server",
            &[
                "--addr",
                "--dir",
                "--max-bytes",
                "--header-timeout",
                "--idle",
                "--version",
            ],
        ),
        (
            "client",
            &["FILE", "--addr", "--name", "--answer-timeout", "--progress"],
        ),
        ("naive", &["--bytes", "--runs"]),
    ]);
}

#[test]
fn a_bad_command_line_is_one_line_and_exit_2() {
    lesson!().assert_bad_addresses(&["server", "client"]);
    lesson!().assert_bad_command_lines(&[
        ("server", &["--max-bytes", "-1"], "--max-bytes"),
        ("server", &["--max-bytes", "lots"], "--max-bytes"),
        ("server", &["--header-timeout", "0"], "--header-timeout"),
        ("server", &["--idle", "nan"], "--idle"),
        ("client", &[], "FILE"),
        (
            "client",
            &["x", "--answer-timeout", "0"],
            "--answer-timeout",
        ),
        ("naive", &["--runs", "0"], "--runs"),
    ]);
}

#[test]
fn nobody_listening_is_a_refused_call() {
    let scratch = Scratch::new();
    let file = scratch.file("a.txt", b"hello");
    lesson!().assert_refused(&[file.to_str().unwrap()], "", "");
}

#[test]
fn a_busy_port_is_explained() {
    let scratch = Scratch::new();
    let server = scratch.server(&[]);
    lesson!().assert_port_in_use("server", &server.addr_arg());
}

#[test]
fn a_closed_stdout_ends_the_server_quietly() {
    let scratch = Scratch::new();
    let dir = scratch.received_arg();
    lesson!().assert_quiet_when_stdout_closes_with(
        "server",
        &["--dir", &dir],
        b"SBPF",
    );
}

// ---- files that arrive ----

#[test]
fn a_file_with_a_chinese_name_arrives_whole() {
    let scratch = Scratch::new();
    let body = seeded_bytes(10_240, 5);
    let file = scratch.file("报告.txt", &body);
    let server = scratch.server(&[]);
    let digest = hex(&sha256(&body));
    client(server.addr(), &file, &[])
        .success()
        .stderr("")
        .stdout(contains(format!(
            "calling {}: may I send you \"报告.txt\", 10240 bytes?\n",
            server.addr()
        )))
        .stdout(contains("the server says GO\n"))
        .stdout(contains(format!(
            "the server saved \"报告.txt\", sha256 {digest}\n"
        )))
        .stdout(contains("sent 10240 bytes in "));
    server.wait_for(&format!(
        "saved \"报告.txt\" in {} (10240 bytes, sha256 {digest})\n",
        scratch.received_arg()
    ));
    assert_eq!(
        std::fs::read(scratch.received().join("报告.txt")).unwrap(),
        body
    );
    assert_eq!(
        scratch.saved_and_partial(),
        (vec!["报告.txt".to_string()], vec![])
    );
    let out = server.kill();
    assert!(
        out.stdout
            .contains("asks: may I send you \"报告.txt\", 10240 bytes?\n")
    );
}

#[test]
fn an_empty_file_arrives_too() {
    let scratch = Scratch::new();
    let file = scratch.file("empty", b"");
    let server = scratch.server(&[]);
    client(server.addr(), &file, &[])
        .success()
        .stdout(contains(format!("sha256 {EMPTY_SHA256}\n")));
    assert_eq!(
        std::fs::read(scratch.received().join("empty")).unwrap(),
        b""
    );
}

#[test]
fn a_64_mib_file_arrives_and_the_servers_memory_stays_small() {
    let scratch = Scratch::new();
    let body = seeded_bytes(64 << 20, 64);
    let file = scratch.file("big.bin", &body);
    let server = scratch.server(&[]);
    let digest = hex(&sha256(&body));
    client(server.addr(), &file, &[])
        .success()
        .stdout(contains(format!("sha256 {digest}\n")));
    server.wait_for(&format!("sha256 {digest})"));
    let saved = std::fs::read(scratch.received().join("big.bin")).unwrap();
    assert_eq!(hex(&sha256(&saved)), digest);
    assert_memory_stayed_small(&server, "a 64 MiB file");
}

#[test]
fn a_header_sent_one_byte_at_a_time_is_understood() {
    let scratch = Scratch::new();
    let server = scratch.server(&[]);
    let body = b"one byte at a time";
    let mut line = dial(server.addr());
    line.set_nodelay(true).unwrap();
    for byte in header("慢.txt".as_bytes(), body.len() as u64) {
        line.write_all(&[byte]).unwrap();
        line.flush().unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(reply(&mut line), "GO");
    line.write_all(body).unwrap();
    line.write_all(&sha256(body)).unwrap();
    assert_eq!(reply(&mut line), format!("OK {}", hex(&sha256(body))));
    assert_eq!(
        std::fs::read(scratch.received().join("慢.txt")).unwrap(),
        body
    );
}

#[test]
fn two_uploads_at_once_both_succeed() {
    let scratch = Scratch::new();
    let one = seeded_bytes(4 << 20, 1);
    let two = seeded_bytes(4 << 20, 2);
    let (file_one, file_two) = (scratch.file("one", &one), scratch.file("two", &two));
    let server = scratch.server(&[]);
    let addr = server.addr_arg();
    let first =
        lesson!().spawn("client", &[file_one.to_str().unwrap(), "--addr", &addr]);
    let second =
        lesson!().spawn("client", &[file_two.to_str().unwrap(), "--addr", &addr]);
    first.finish().output().assert().success();
    second.finish().output().assert().success();
    assert_eq!(std::fs::read(scratch.received().join("one")).unwrap(), one);
    assert_eq!(std::fs::read(scratch.received().join("two")).unwrap(), two);
    assert_eq!(scratch.saved_and_partial().1, Vec::<String>::new());
}

// ---- calls that fail, and leave nothing behind ----

#[test]
fn an_interrupted_upload_leaves_neither_the_file_nor_a_part() {
    let scratch = Scratch::new();
    let server = scratch.server(&[]);
    let (mut line, answer) = ask(server.addr(), b"half.bin", 1 << 20);
    assert_eq!(answer, "GO");
    line.write_all(&seeded_bytes(100 << 10, 3)).unwrap();
    // While the body arrives, it is written to a .part file in received/.partial.
    scratch.wait_for_a_part();
    assert_eq!(scratch.saved_and_partial().0, Vec::<String>::new());
    drop(line); // hang up in the middle
    server.wait_for("ERR SHORT got 102400 of 1048576 bytes\n");
    assert_eq!(scratch.saved_and_partial(), (vec![], vec![]));
}

#[test]
fn a_reset_in_the_middle_of_the_body_gets_short_and_no_file() {
    let scratch = Scratch::new();
    let server = scratch.server(&[]);
    let (mut line, answer) = ask(server.addr(), b"cut.bin", 1 << 20);
    assert_eq!(answer, "GO");
    line.write_all(&seeded_bytes(100 << 10, 12)).unwrap();
    scratch.wait_for_a_part();
    test_support::reset(line); // the call breaks, with no polite hang-up
    // The contract has two SHORT lines; either says what happened.
    server.wait_for("ERR SHORT ");
    assert_eq!(scratch.saved_and_partial(), (vec![], vec![]));
    assert_next_caller_is_served(server.addr());
}

/// Starts the server, asks to send a body of 200,000 bytes named `name`, sends the first
/// half, and waits until its `.part` is there: the server now waits for the rest.
fn half_an_upload(
    scratch: &Scratch,
    name: &[u8],
    seed: u64,
) -> (Running, TcpStream, Vec<u8>) {
    let server = scratch.server(&[]);
    let body = seeded_bytes(200_000, seed);
    let (mut line, answer) = ask(server.addr(), name, body.len() as u64);
    assert_eq!(answer, "GO");
    line.write_all(&body[..100_000]).unwrap();
    scratch.wait_for_a_part();
    (server, line, body)
}

#[test]
fn a_part_removed_during_the_body_gets_io_and_the_server_goes_on() {
    let scratch = Scratch::new();
    let (server, mut line, body) = half_an_upload(&scratch, b"gone.bin", 13);
    // Somebody cleans the folder while the body comes (another server's clean-up, or a
    // person): the server cannot give the file its name.
    let part = scratch.saved_and_partial().1.remove(0);
    std::fs::remove_file(scratch.received().join(".partial").join(part)).unwrap();
    line.write_all(&body[100_000..]).unwrap();
    line.write_all(&sha256(&body)).unwrap();
    let answer = reply(&mut line);
    assert!(
        answer.starts_with("ERR IO the server could not save the file ("),
        "{answer:?}"
    );
    assert_eq!(scratch.saved_and_partial(), (vec![], vec![]));
    assert_next_caller_is_served(server.addr());
}

#[test]
fn a_server_stopped_and_continued_during_the_body_still_saves_it() {
    let scratch = Scratch::new();
    let (server, mut line, body) = half_an_upload(&scratch, b"paused.bin", 16);
    // Ctrl-Z, then `fg`, while the server waits for the rest: its read is interrupted,
    // and it must read again, not give up.
    test_support::stop_and_continue(server.id());
    line.write_all(&body[100_000..]).unwrap();
    line.write_all(&sha256(&body)).unwrap();
    assert_eq!(reply(&mut line), format!("OK {}", hex(&sha256(&body))));
}

#[test]
fn a_file_of_exactly_max_bytes_is_taken() {
    let scratch = Scratch::new();
    let server = scratch.server(&["--max-bytes", "1000"]);
    let body = seeded_bytes(1000, 14);
    assert_eq!(
        upload(server.addr(), "full.bin", &body),
        format!("OK {}", hex(&sha256(&body)))
    );
}

#[test]
fn a_declared_size_of_u64_max_gets_too_big_before_any_body() {
    let scratch = Scratch::new();
    let server = scratch.server(&["--max-bytes", "1048576"]);
    let before = scratch.snapshot();
    let (_line, answer) = ask(server.addr(), b"huge.bin", u64::MAX);
    assert_eq!(answer, "ERR TOO_BIG at most 1048576 bytes");
    assert_eq!(scratch.snapshot(), before);
    // The next caller is served.
    assert_next_caller_is_served(server.addr());
    // The client says so too, in one line.
    let file = scratch.file("big.bin", &seeded_bytes((1 << 20) + 1, 9));
    client(server.addr(), &file, &[]).code(1).stderr(error_line(
        "the server refused the file: ERR TOO_BIG at most 1048576 bytes",
    ));
    assert_memory_stayed_small(&server, "a u64::MAX size");
}

#[test]
fn a_refusal_ends_with_a_clean_hang_up_not_a_reset() {
    let scratch = Scratch::new();
    let server = scratch.server(&["--max-bytes", "1000"]);
    // A caller that does not wait for GO: header and body in one go.
    let mut line = dial(server.addr());
    let mut call = header(b"eager.bin", 100_000);
    call.extend_from_slice(&seeded_bytes(100_000, 10));
    line.write_all(&call).unwrap();
    assert_eq!(reply(&mut line), "ERR TOO_BIG at most 1000 bytes");
    // The server read what we sent before it closed, so the end of the call is a plain
    // hang-up (0 bytes), not "connection reset".
    let mut rest = [0u8; 16];
    let mut end = line.read(&mut rest);
    if end
        .as_ref()
        .is_err_and(|err| err.kind() == std::io::ErrorKind::Interrupted)
    {
        end = line.read(&mut rest); // a signal woke the read up: once more
    }
    match end {
        Ok(0) => {}
        other => panic!(
            "after its ERR line the server should hang up cleanly, got {other:?}"
        ),
    }
    // A reset that comes after the server's end of the call is not seen by a read (Linux
    // keeps the line and the end), but the system notes it as an error of the socket.
    // The server drains for up to 0.5 s: watch for 0.3 s that no reset comes. (A server
    // that closed without reading our 100 KB resets at once.)
    let watch = Instant::now();
    while watch.elapsed() < Duration::from_millis(300) {
        if let Some(err) = line.take_error().unwrap() {
            panic!(
                "the server reset the call after its ERR line ({err}): it closed without reading what the caller sent"
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_corrupted_byte_gets_checksum_and_no_file() {
    let scratch = Scratch::new();
    let server = scratch.server(&[]);
    let body = seeded_bytes(200_000, 4);
    let (mut line, answer) = ask(server.addr(), b"bent.bin", body.len() as u64);
    assert_eq!(answer, "GO");
    let mut bent = body.clone();
    bent[123_456] ^= 0x01;
    line.write_all(&bent).unwrap();
    line.write_all(&sha256(&body)).unwrap();
    assert_eq!(
        reply(&mut line),
        "ERR CHECKSUM the SHA-256 of the body does not match; nothing saved"
    );
    assert_eq!(scratch.saved_and_partial(), (vec![], vec![]));
}

#[test]
fn a_size_smaller_than_the_body_gets_checksum_and_no_file() {
    let scratch = Scratch::new();
    let server = scratch.server(&[]);
    let body = b"twelve bytes";
    // Declare 8 bytes: the server takes 8, then reads the next 32 (4 of the body, 28 of the
    // digest) as the digest.
    let (mut line, answer) = ask(server.addr(), b"small.txt", 8);
    assert_eq!(answer, "GO");
    line.write_all(body).unwrap();
    line.write_all(&sha256(body)).unwrap();
    assert!(reply(&mut line).starts_with("ERR CHECKSUM "));
    assert_eq!(scratch.saved_and_partial(), (vec![], vec![]));
}

#[test]
fn a_short_body_then_a_half_close_gets_short_and_no_file() {
    let scratch = Scratch::new();
    let server = scratch.server(&[]);
    let (mut line, answer) = ask(server.addr(), b"short.bin", 1000);
    assert_eq!(answer, "GO");
    line.write_all(&[7u8; 500]).unwrap();
    // "I am done sending", while still listening: Python's shutdown(SHUT_WR).
    line.shutdown(Shutdown::Write).unwrap();
    assert_eq!(reply(&mut line), "ERR SHORT got 500 of 1000 bytes");
    assert_eq!(scratch.saved_and_partial(), (vec![], vec![]));
}

#[test]
fn every_bad_name_gets_bad_name_and_nothing_changes() {
    let scratch = Scratch::new();
    let server = scratch.server(&[]);
    let before = scratch.snapshot();
    let long = "a".repeat(256);
    let slash = "a name may not contain / or \\";
    let dots = "a name may not be . or ..";
    let control =
        "a name may not contain control characters (NUL, line breaks, escapes)";
    let bad: [(&[u8], &str); 13] = [
        (b"../x", slash),
        (b"/etc/x", slash),
        (b"a/b", slash),
        (b"..", dots),
        (b".", dots),
        (b"", "a name may not be empty"),
        (b"a\\b", slash),
        (b"..\\x", slash),
        (b"x\0y", control),
        (b"x\ny", control),
        (b"\x1b[2J", control),
        (long.as_bytes(), "a name is at most 255 bytes"),
        (b"\xff\xfe.txt", "a name must be UTF-8"),
    ];
    for (name, why) in bad {
        let (_line, answer) = ask(server.addr(), name, 4);
        assert_eq!(
            answer,
            format!("ERR BAD_NAME {why}"),
            "the name {:?}",
            String::from_utf8_lossy(name)
        );
        assert_eq!(
            scratch.snapshot(),
            before,
            "the name {:?} changed the folders",
            String::from_utf8_lossy(name)
        );
    }
    // Through the client, as a student tries it.
    let file = scratch.file("x", b"data");
    client(server.addr(), &file, &["--name", "../x"])
        .code(1)
        .stderr(error_line(
            "the server refused the file: ERR BAD_NAME a name may not contain / or \\: choose another name with --name",
        ));
    assert_eq!(scratch.snapshot(), before);
}

#[test]
fn look_alike_and_option_like_names_get_bad_name_with_the_reason() {
    let scratch = Scratch::new();
    let server = scratch.server(&[]);
    let before = scratch.snapshot();
    let invisible =
        "a name may not contain invisible format characters (like U+200B or U+202E)";
    let cases = [
        ("\u{200B}report.txt", invisible), // a zero-width space in front
        ("report\u{202E}txt.exe", invisible), // right-to-left: shows as "reportexe.txt"
        ("\u{FEFF}x", invisible),
        (
            "-rf",
            "a name may not start with - (programs read it as an option)",
        ),
        (" report.txt", "a name may not start or end with a space"),
        ("report.txt ", "a name may not start or end with a space"),
    ];
    for (name, why) in cases {
        let (_line, answer) = ask(server.addr(), name.as_bytes(), 4);
        assert_eq!(answer, format!("ERR BAD_NAME {why}"), "the name {name:?}");
        assert_eq!(scratch.snapshot(), before, "the name {name:?}");
    }
    // A space inside a name, and a dash inside, are fine.
    assert_eq!(
        upload(server.addr(), "my report-1.txt", b"ok"),
        format!("OK {}", hex(&sha256(b"ok")))
    );
}

#[test]
fn an_existing_name_gets_exists_and_the_original_stays() {
    let scratch = Scratch::new();
    std::fs::create_dir_all(scratch.received()).unwrap();
    std::fs::write(scratch.received().join("a.txt"), "the original").unwrap();
    let server = scratch.server(&[]);
    let file = scratch.file("a.txt", b"an impostor");
    client(server.addr(), &file, &[])
        .code(1)
        .stdout(contains("may I send you \"a.txt\", 11 bytes?\n"))
        .stderr(error_line(
            "the server refused the file: ERR EXISTS a file with this name is there already: choose another name with --name",
        ));
    assert_eq!(
        std::fs::read_to_string(scratch.received().join("a.txt")).unwrap(),
        "the original"
    );
    assert_eq!(scratch.saved_and_partial().1, Vec::<String>::new());
}

#[test]
fn a_name_taken_during_the_body_gets_exists_and_the_first_file_stays() {
    let scratch = Scratch::new();
    let server = scratch.server(&[]);
    let (mut line, answer) = ask(server.addr(), b"race.txt", 5);
    assert_eq!(answer, "GO");
    // Someone else saves a file under the same name while our body is on its way.
    std::fs::write(scratch.received().join("race.txt"), "first").unwrap();
    line.write_all(b"later").unwrap();
    line.write_all(&sha256(b"later")).unwrap();
    assert_eq!(
        reply(&mut line),
        "ERR EXISTS a file with this name is there already"
    );
    assert_eq!(
        std::fs::read_to_string(scratch.received().join("race.txt")).unwrap(),
        "first"
    );
    assert_eq!(
        scratch.saved_and_partial(),
        (vec!["race.txt".to_string()], vec![])
    );
}

#[test]
fn a_silent_caller_is_dropped_after_the_header_timeout_and_the_next_is_served() {
    let scratch = Scratch::new();
    let server = scratch.server(&["--header-timeout", "0.3"]);
    let mut silent = dial(server.addr());
    // A caller that sends half a header, then nothing.
    silent.write_all(b"SBPF\x01\x00").unwrap();
    let started = Instant::now();
    assert_eq!(
        reply(&mut silent),
        "ERR TIMEOUT nothing arrived in time; hanging up"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_next_caller_is_served(server.addr());
}

#[test]
fn a_stalled_body_is_dropped_after_the_idle_time_and_leaves_nothing() {
    let scratch = Scratch::new();
    let server = scratch.server(&["--idle", "0.3"]);
    let (mut line, answer) = ask(server.addr(), b"stalled.bin", 1000);
    assert_eq!(answer, "GO");
    line.write_all(&[1u8; 10]).unwrap();
    assert_eq!(
        reply(&mut line),
        "ERR TIMEOUT nothing arrived in time; hanging up"
    );
    assert_eq!(scratch.saved_and_partial(), (vec![], vec![]));
}

#[test]
fn a_body_that_trickles_is_dropped_when_it_falls_below_the_slowest_rate() {
    let scratch = Scratch::new();
    let server = scratch.server(&["--idle", "0.3"]);
    let (line, answer) = ask(server.addr(), b"trickle.bin", 1 << 20);
    assert_eq!(answer, "GO");
    // One byte every 50 ms: never silent for --idle, but far below 16 KiB/s.
    let mut writer = line.try_clone().unwrap();
    let trickle = std::thread::spawn(move || {
        for _ in 0..100 {
            if writer.write_all(b"x").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let started = Instant::now();
    let mut line = line;
    assert_eq!(
        reply(&mut line),
        "ERR TIMEOUT the body came slower than 16 KiB/s on average; hanging up"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    drop(line);
    trickle.join().unwrap();
    assert_eq!(scratch.saved_and_partial(), (vec![], vec![]));
    // The next caller is served.
    assert_next_caller_is_served(server.addr());
}

#[test]
fn a_body_with_pauses_but_fast_enough_is_saved() {
    let scratch = Scratch::new();
    let server = scratch.server(&["--idle", "0.5"]);
    let body = seeded_bytes(30 * 16_384, 15);
    let (mut line, answer) = ask(server.addr(), b"pauses.bin", body.len() as u64);
    assert_eq!(answer, "GO");
    // 16 KiB every 50 ms: about 320 KiB/s, well above 16 KiB/s; the server waits for
    // the caller about 1.5 s in all, longer than --idle, but never 0.5 s at once.
    for piece in body.chunks(16_384) {
        line.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    line.write_all(&sha256(&body)).unwrap();
    assert_eq!(reply(&mut line), format!("OK {}", hex(&sha256(&body))));
}

#[test]
fn a_quick_start_does_not_excuse_a_trickle_after_it() {
    let scratch = Scratch::new();
    let server = scratch.server(&["--idle", "0.6"]);
    // The server's clock starts when it says GO: start ours before.
    let started = Instant::now();
    let (line, answer) = ask(server.addr(), b"burst.bin", 1 << 20);
    assert_eq!(answer, "GO");
    // 20 KiB at once, then 100 bytes every 50 ms (2 KB/s). On average that falls
    // below 16 KiB/s after about 1.4 s of waiting.
    let mut writer = line.try_clone().unwrap();
    let trickle = std::thread::spawn(move || {
        let mut sent = writer.write_all(&[b'x'; 20 * 1024]);
        for _ in 0..100 {
            if sent.is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
            sent = writer.write_all(&[b'x'; 100]);
        }
    });
    let mut line = line;
    assert_eq!(
        reply(&mut line),
        "ERR TIMEOUT the body came slower than 16 KiB/s on average; hanging up"
    );
    // Not before: until then, the 20 KiB kept the average above 16 KiB/s.
    let elapsed = started.elapsed();
    assert!(
        elapsed > Duration::from_secs(1),
        "dropped after {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(4),
        "dropped after {elapsed:?}"
    );
    drop(line);
    trickle.join().unwrap();
}

#[test]
fn a_caller_that_speaks_another_protocol_gets_bad_magic_or_bad_version() {
    let scratch = Scratch::new();
    let server = scratch.server(&[]);
    // Lesson 02's chat client would send a line of text.
    let mut chat = dial(server.addr());
    chat.write_all(b"hello, is anyone there?").unwrap();
    assert_eq!(
        reply(&mut chat),
        "ERR BAD_MAGIC this is an SBPF/1 file server; a call starts with SBPF"
    );
    let mut future = dial(server.addr());
    future.write_all(b"SBPF\x02").unwrap();
    assert_eq!(
        reply(&mut future),
        "ERR BAD_VERSION this server speaks SBPF version 1"
    );
    server.wait_for("ERR BAD_VERSION");
}

#[test]
fn control_characters_in_a_refusal_are_shown_escaped() {
    let scratch = Scratch::new();
    let file = scratch.file("x", b"data");
    // A server of our own that refuses with a line that would clear the client's
    // screen and overwrite its error line, were it printed as it came.
    let (listener, addr) = test_support::listen();
    let refusing = std::thread::spawn(move || {
        let mut line = test_support::accept(&listener);
        line.write_all(b"ERR ODD \x1b[2J\rall fine\x7f\n").unwrap();
        test_support::read_to_end(&mut line);
    });
    client(addr, &file, &[]).code(1).stderr(error_line(
        "the server refused the file: ERR ODD \\x1b[2J\\rall fine\\x7f: see the server's terminal",
    ));
    refusing.join().unwrap();
}

#[test]
fn a_one_byte_file_is_one_byte_not_one_bytes() {
    let scratch = Scratch::new();
    let file = scratch.file("x", b"!");
    let server = scratch.server(&[]);
    client(server.addr(), &file, &[])
        .success()
        .stdout(contains("may I send you \"x\", 1 byte?\n"))
        .stdout(contains("sent 1 byte in "));
    server.wait_for(" asks: may I send you \"x\", 1 byte?\n");
    server.wait_for(" (1 byte, sha256 ");
}

#[test]
fn a_name_over_255_bytes_is_refused_before_dialing() {
    let scratch = Scratch::new();
    let file = scratch.file("x", b"data");
    let long = "报".repeat(100); // 100 characters, 300 bytes
    // Nobody listens at this address: a client that dialed would say the call was refused.
    client(test_support::unused_addr(), &file, &["--name", &long])
        .code(1)
        .stdout("")
        .stderr(error_line(
            "the name is 300 bytes of UTF-8; SBPF/1 allows at most 255: choose a shorter one with --name",
        ));
}

#[test]
fn a_name_of_exactly_255_bytes_is_sent() {
    let scratch = Scratch::new();
    let file = scratch.file("x", b"data");
    let server = scratch.server(&[]);
    let longest = "a".repeat(255);
    client(server.addr(), &file, &["--name", &longest])
        .success()
        .stdout(contains("the server saved \"aaa"));
    assert_eq!(scratch.saved_and_partial(), (vec![longest], vec![]));
}

/// A server of our own: it takes the call, reads the header of `name` and `size`, and then
/// does what `then` does with the call.
fn scripted_server(
    name: &'static str,
    size: u64,
    then: impl FnOnce(TcpStream) + Send + 'static,
) -> (SocketAddr, std::thread::JoinHandle<()>) {
    let (listener, addr) = test_support::listen();
    let server = std::thread::spawn(move || {
        let mut line = test_support::accept(&listener);
        let mut got = vec![0u8; header(name.as_bytes(), size).len()];
        line.read_exact(&mut got).unwrap();
        assert_eq!(got, header(name.as_bytes(), size));
        then(line);
    });
    (addr, server)
}

#[test]
fn each_refusal_comes_with_what_to_do() {
    let scratch = Scratch::new();
    let file = scratch.file("x", b"data");
    let cases: [(&[u8], &'static str); 7] = [
        (
            b"ERR BAD_NAME no\n",
            "ERR BAD_NAME no: choose another name with --name",
        ),
        (
            b"ERR EXISTS no\n",
            "ERR EXISTS no: choose another name with --name",
        ),
        (
            b"ERR TOO_BIG at most 3 bytes\n",
            "ERR TOO_BIG at most 3 bytes: the server takes smaller files (its --max-bytes)",
        ),
        (b"ERR CHECKSUM no\n", "ERR CHECKSUM no: try again"),
        (b"ERR SHORT no\n", "ERR SHORT no: try again"),
        (b"ERR TIMEOUT no\n", "ERR TIMEOUT no: try again"),
        (b"ERR IO no\n", "ERR IO no: see the server's terminal"),
    ];
    for (answer, expected) in cases {
        let (addr, server) = scripted_server("x", 4, move |mut line| {
            line.write_all(answer).unwrap();
        });
        client(addr, &file, &[])
            .code(1)
            .stderr(error_line(expected));
        server.join().unwrap();
    }
}

#[test]
fn a_digest_that_differs_is_told_apart_from_a_refusal() {
    let scratch = Scratch::new();
    let file = scratch.file("x", b"data");
    let (addr, server) = scripted_server("x", 4, |mut line| {
        line.write_all(b"GO\n").unwrap();
        let mut body_and_digest = [0u8; 4 + 32];
        line.read_exact(&mut body_and_digest).unwrap();
        line.write_all(format!("OK {}\n", "0".repeat(64)).as_bytes())
            .unwrap();
    });
    let expected = format!(
        "the server got sha256 {}, we sent {}: the file changed on the way",
        "0".repeat(64),
        hex(&sha256(b"data"))
    );
    client(addr, &file, &[])
        .code(1)
        .stderr(error_line(Box::leak(expected.into_boxed_str())));
    server.join().unwrap();
}

#[test]
fn a_file_that_shrinks_while_it_is_sent_is_an_error() {
    let scratch = Scratch::new();
    let file = scratch.file("x", &seeded_bytes(1_000_000, 11));
    let shrinking = file.clone();
    // After the header (the client measured the file before it dialed), the file shrinks
    // to 100 bytes; the server takes those and hangs up.
    let (addr, server) = scripted_server("x", 1_000_000, move |mut line| {
        std::fs::OpenOptions::new()
            .write(true)
            .open(&shrinking)
            .unwrap()
            .set_len(100)
            .unwrap();
        line.write_all(b"GO\n").unwrap();
        let mut body = [0u8; 100];
        line.read_exact(&mut body).unwrap();
    });
    client(addr, &file, &[]).code(1).stderr(
        "error: the file shrank while it was sent: 100 of 1000000 bytes: send it again once nothing changes it\n",
    );
    server.join().unwrap();
}

#[test]
fn a_refusal_in_the_middle_of_the_body_is_shown() {
    let scratch = Scratch::new();
    // 32 MiB: more than the systems' buffers hold, so the client is still sending when the
    // server hangs up.
    let size = 32 << 20;
    let file = scratch.file("big.bin", &seeded_bytes(size, 17));
    let (addr, server) = scripted_server("big.bin", size as u64, |mut line| {
        line.write_all(b"GO\n").unwrap();
        let mut some = vec![0u8; 64 << 10];
        line.read_exact(&mut some).unwrap();
        // Refuse, and hang up at once, with the rest of the body unread (a reset): the
        // client's next send fails, and it reads why.
        line.write_all(b"ERR TIMEOUT too slow\n").unwrap();
    });
    client(addr, &file, &[]).code(1).stderr(error_line(
        "the server refused the file: ERR TIMEOUT too slow: try again",
    ));
    server.join().unwrap();
}

#[test]
fn a_reset_instead_of_an_answer_is_not_called_a_timeout() {
    let scratch = Scratch::new();
    let file = scratch.file("x", b"data");
    let (addr, server) = scripted_server("x", 4, test_support::reset);
    client(addr, &file, &["--answer-timeout", "30"])
        .code(1)
        .stderr(error_line("no answer from the server ("));
    server.join().unwrap();
}

#[test]
fn a_bad_max_bytes_says_the_range() {
    for bad in ["-1", "lots", "1e9"] {
        lesson!()
            .command("server")
            .args(["--max-bytes", bad])
            .assert()
            .code(2)
            .stderr(contains(
                "expected a whole number of bytes from 0 to 18446744073709551615",
            ));
    }
}

#[test]
fn a_missing_file_is_one_error_line() {
    let scratch = Scratch::new();
    let server = scratch.server(&[]);
    let missing = scratch.root.path().join("no-such-file.txt");
    client(server.addr(), &missing, &[])
        .code(1)
        .stdout("")
        .stderr(error_line("(no such file or directory): check the path"));
}

#[test]
fn the_progress_bar_stays_hidden_when_stderr_is_no_terminal() {
    let scratch = Scratch::new();
    let file = scratch.file("p.bin", &seeded_bytes(1 << 20, 6));
    let server = scratch.server(&[]);
    client(server.addr(), &file, &["--progress"])
        .success()
        .stderr("")
        .stdout(contains("the server says GO\n"));
}

#[test]
fn a_folder_that_cannot_be_made_is_one_error_line() {
    let scratch = Scratch::new();
    let in_the_way = scratch.file("a-file", b"not a folder");
    server_cannot_start(&in_the_way, "cannot create the folder");
}

// ---- the .partial folder: only this server's own work ----

/// The pid of a process that has ended: a `.part` named after it was left by a stopped
/// server.
fn a_pid_that_has_ended() -> u32 {
    let mut child = std::process::Command::new(lesson!().program("client"))
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[cfg(unix)]
#[test]
fn a_partial_folder_that_is_a_link_is_refused_and_nothing_it_points_to_is_removed() {
    let scratch = Scratch::new();
    let elsewhere = scratch.root.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("thesis.part"), "keep").unwrap();
    std::fs::create_dir_all(scratch.received()).unwrap();
    std::os::unix::fs::symlink(&elsewhere, scratch.received().join(".partial"))
        .unwrap();
    server_cannot_start(
        &scratch.received(),
        "is a link, not a folder: remove it, or choose another --dir",
    );
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("thesis.part")).unwrap(),
        "keep"
    );
}

#[test]
fn a_partial_that_is_a_file_is_refused() {
    let scratch = Scratch::new();
    std::fs::create_dir_all(scratch.received()).unwrap();
    std::fs::write(scratch.received().join(".partial"), "a file").unwrap();
    server_cannot_start(
        &scratch.received(),
        "is not a folder: remove it, or choose another --dir",
    );
}

#[test]
fn two_servers_on_one_folder_leave_each_others_parts_alone() {
    let scratch = Scratch::new();
    let first = scratch.server(&[]);
    let body = seeded_bytes(200_000, 11);
    let (mut line, answer) = ask(first.addr(), b"slow.bin", body.len() as u64);
    assert_eq!(answer, "GO");
    line.write_all(&body[..100_000]).unwrap();
    scratch.wait_for_a_part();
    // A second server starts on the same folder, and refuses a call of its own.
    let second = scratch.server(&[]);
    let (_refused, answer) = ask(second.addr(), b"../x", 4);
    assert!(answer.starts_with("ERR BAD_NAME "), "{answer}");
    second.wait_for("refused ");
    assert_eq!(
        scratch.saved_and_partial().1.len(),
        1,
        "the first server's .part is gone"
    );
    // The first server's call goes on to the end.
    line.write_all(&body[100_000..]).unwrap();
    line.write_all(&sha256(&body)).unwrap();
    assert_eq!(reply(&mut line), format!("OK {}", hex(&sha256(&body))));
    assert_eq!(
        std::fs::read(scratch.received().join("slow.bin")).unwrap(),
        body
    );
    assert_eq!(second.kill().stderr, "");
}

#[test]
fn a_part_left_by_a_stopped_server_is_removed_at_the_next_start() {
    let scratch = Scratch::new();
    let partial = scratch.received().join(".partial");
    std::fs::create_dir_all(&partial).unwrap();
    let stopped = format!("{}-3.part", a_pid_that_has_ended());
    std::fs::write(partial.join(&stopped), "half a file").unwrap();
    // Not ours to remove: a running server's part (this test's own pid is alive), and
    // files of another naming.
    let running = format!("{}-1.part", std::process::id());
    // Named almost like ours, but the call is not a number: somebody else's file.
    let look_alike = format!("{}-notes.part", a_pid_that_has_ended());
    for keep in [running.as_str(), &look_alike, "thesis.part", "notes.txt"] {
        std::fs::write(partial.join(keep), "keep").unwrap();
    }
    let server = scratch.server(&[]);
    if std::path::Path::new("/proc/self").exists() {
        server.wait_for_stderr("note: removed 1 unfinished .part file left in ");
        let mut kept = vec![
            running,
            look_alike,
            "notes.txt".to_string(),
            "thesis.part".to_string(),
        ];
        kept.sort();
        assert_eq!(scratch.saved_and_partial(), (vec![], kept));
    } else {
        server.wait_for_stderr("note: kept 2 .part files in ");
    }
}

// ---- the experiment ----

#[test]
fn the_naive_experiment_shows_a_big_file_arrives_in_pieces() {
    let output = lesson!()
        .command("naive")
        .args(["--bytes", "10000000", "--runs", "3"])
        .output()
        .unwrap();
    output.clone().assert().success().stderr("");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let firsts: Vec<u64> = stdout
        .lines()
        .filter_map(|line| line.split("the first recv got ").nth(1))
        .filter_map(|rest| rest.split(' ').next()?.parse().ok())
        .collect();
    assert_eq!(firsts.len(), 4, "{stdout}"); // 3 runs and the summary
    assert!(
        firsts.iter().all(|&first| first > 0 && first < 10_000_000),
        "the first recv of 10 MB should get only a part:\n{stdout}"
    );
    // Every run got the whole 10 MB in the end, in more than one recv.
    let wholes = stdout
        .lines()
        .filter_map(|line| line.split("; 10000000 bytes came in ").nth(1))
        .filter_map(|rest| {
            rest.strip_suffix(" recv calls in all")?.parse::<u64>().ok()
        })
        .filter(|&calls| calls > 1)
        .count();
    assert_eq!(wholes, 3, "{stdout}");
    // The summary names the smallest and the largest first recv of the runs.
    let (runs, summary) = (&firsts[..3], firsts[3]);
    let least = runs.iter().min().unwrap();
    let most = runs.iter().max().unwrap();
    assert_eq!(summary, *least, "{stdout}");
    assert!(
        stdout.contains(&format!(
            "got {least} to {most} bytes of 10000000, over 3 runs\n"
        )),
        "{stdout}"
    );
}

#[test]
fn the_hash_speed_experiment_hashes_what_it_says() {
    let output = lesson!()
        .command("hash-speed")
        .args(["--mib", "4", "--runs", "3"])
        .output()
        .unwrap();
    output.clone().assert().success().stderr("");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "3 runs and the summary:\n{stdout}");
    // Each run: "run k: hashed 4194304 bytes in S s (N MB/s; digest starts xx)".
    let mut speeds = Vec::new();
    for (k, line) in lines[..3].iter().enumerate() {
        let rest = line
            .strip_prefix(&format!("run {}: hashed 4194304 bytes in ", k + 1))
            .unwrap_or_else(|| panic!("run {}: {line:?}", k + 1));
        let speed: u64 = (|| {
            rest.split(" (")
                .nth(1)?
                .split(" MB/s;")
                .next()?
                .parse()
                .ok()
        })()
        .unwrap_or_else(|| panic!("a speed in MB/s: {line:?}"));
        // No processor hashes SHA-256 at 100 GB/s: a speed like that means the work was
        // skipped.
        assert!(speed > 0 && speed < 100_000, "{line:?}");
        speeds.push(speed);
    }
    let least = speeds.iter().min().unwrap();
    let most = speeds.iter().max().unwrap();
    assert_eq!(
        lines[3],
        format!("sha256 hashed {least} to {most} MB/s, over 3 runs")
    );
}

// ---- Python peers ----

/// Starts `python/recv_file.py` on port 0, saving into `received`; returns it and its address.
fn python_receiver(scratch: &Scratch) -> (Running, SocketAddr) {
    let receiver = python(RECV_FILE_PY, &["0", &scratch.received_arg()]);
    let out = receiver.wait_for("listening on ");
    let addr = out
        .lines()
        .find_map(|line| line.strip_prefix("listening on "))
        .expect("the Python receiver says where it listens")
        .parse()
        .unwrap();
    (receiver, addr)
}

/// The Python receiver ended with status 1 and no traceback.
#[track_caller]
fn assert_python_refused(receiver: Running) {
    let out = receiver.finish();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(!out.stderr.contains("Traceback"), "{}", out.stderr);
}

#[test]
fn the_python_sender_talks_to_the_rust_server() {
    if !has_python() {
        return; // has_python said "skipped"
    }
    let scratch = Scratch::new();
    let body = seeded_bytes(300_000, 7);
    let file = scratch.file("来自Python.bin", &body);
    let server = scratch.server(&[]);
    let port = server.addr().port().to_string();
    let sender = python(SEND_FILE_PY, &[file.to_str().unwrap(), &port]).finish();
    assert!(sender.status.success(), "{sender:?}");
    assert_eq!(sender.stdout, format!("OK {}\n", hex(&sha256(&body))));
    assert_eq!(
        std::fs::read(scratch.received().join("来自Python.bin")).unwrap(),
        body
    );
}

#[test]
fn the_rust_client_talks_to_the_python_receiver() {
    if !has_python() {
        return; // has_python said "skipped"
    }
    let scratch = Scratch::new();
    let body = seeded_bytes(300_000, 8);
    let file = scratch.file("给Python.bin", &body);
    std::fs::create_dir_all(scratch.received()).unwrap();
    let (receiver, addr) = python_receiver(&scratch);
    client(addr, &file, &[])
        .success()
        .stdout(contains(format!("sha256 {}\n", hex(&sha256(&body)))));
    let receiver = receiver.finish();
    assert!(receiver.status.success(), "{receiver:?}");
    assert_eq!(
        std::fs::read(scratch.received().join("给Python.bin")).unwrap(),
        body
    );
    assert_eq!(
        scratch.saved_and_partial(),
        (vec!["给Python.bin".to_string()], vec![])
    );
}

#[test]
fn the_python_receiver_keeps_its_part_in_partial_and_answers_short() {
    if !has_python() {
        return; // has_python said "skipped"
    }
    let scratch = Scratch::new();
    let (receiver, addr) = python_receiver(&scratch);
    let (mut line, answer) = ask(addr, b"short.bin", 200_000);
    assert_eq!(answer, "GO");
    line.write_all(&seeded_bytes(100_000, 12)).unwrap();
    scratch.wait_for_a_part();
    assert_eq!(scratch.saved_and_partial().0, Vec::<String>::new());
    line.shutdown(Shutdown::Write).unwrap();
    assert_eq!(reply(&mut line), "ERR SHORT got 100000 of 200000 bytes");
    assert_python_refused(receiver);
    assert_eq!(scratch.saved_and_partial(), (vec![], vec![]));
}

#[test]
fn the_python_receiver_answers_checksum_and_exits_1() {
    if !has_python() {
        return; // has_python said "skipped"
    }
    let scratch = Scratch::new();
    let (receiver, addr) = python_receiver(&scratch);
    let (mut line, answer) = ask(addr, b"bent.bin", 5);
    assert_eq!(answer, "GO");
    line.write_all(b"hello").unwrap();
    line.write_all(&sha256(b"HELLO")).unwrap();
    assert_eq!(
        reply(&mut line),
        "ERR CHECKSUM the SHA-256 of the body does not match; nothing saved"
    );
    assert_python_refused(receiver);
    assert_eq!(scratch.saved_and_partial(), (vec![], vec![]));
}

#[test]
fn the_python_receiver_refuses_bad_names_like_the_rust_server() {
    if !has_python() {
        return; // has_python said "skipped"
    }
    let scratch = Scratch::new();
    std::fs::create_dir_all(scratch.received().join(".partial")).unwrap();
    let before = scratch.snapshot();
    let long = "a".repeat(256);
    let raw: [&[u8]; 8] = [
        b"x\0y",
        b"\x1b[2J",
        long.as_bytes(),
        b"\xff\xfe.txt",
        b"../x",
        "\u{200B}x".as_bytes(),
        b"-rf",
        b"x ",
    ];
    for name in raw {
        let (receiver, addr) = python_receiver(&scratch);
        let (_line, answer) = ask(addr, name, 4);
        assert!(
            answer.starts_with("ERR BAD_NAME "),
            "the name {:?} got {answer:?}",
            String::from_utf8_lossy(name)
        );
        assert_python_refused(receiver);
        assert_eq!(scratch.snapshot(), before);
    }
    // The Rust client, as a student tries it.
    let file = scratch.file("x", b"data");
    let (receiver, addr) = python_receiver(&scratch);
    client(addr, &file, &["--name", "x\ny"])
        .code(1)
        .stderr(error_line(
            "the server refused the file: ERR BAD_NAME a name may not contain control characters (NUL, line breaks, escapes): choose another name with --name",
        ));
    assert_python_refused(receiver);
    assert_eq!(scratch.snapshot(), before);
}

#[test]
fn a_server_that_never_answers_is_given_up_after_the_answer_timeout() {
    let scratch = Scratch::new();
    let file = scratch.file("hi.txt", b"hi");
    // A listener that never speaks (a lesson 06 server would be silent too): the call is
    // put through by the system, and nobody says GO.
    let (_listener, addr) = test_support::listen();
    let started = Instant::now();
    let expected = format!(
        "no answer from {addr} in 0.3 s: is it an SBPF/1 file server (lesson 05)?"
    );
    client(addr, &file, &["--answer-timeout", "0.3"])
        .code(1)
        .stderr(error_line(Box::leak(expected.into_boxed_str())));
    assert!(started.elapsed() < Duration::from_secs(5));
}

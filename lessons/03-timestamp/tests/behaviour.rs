//! Lesson 03 from the outside: the real programs, over real loopback TCP.
//!
//! These tests grade the exercise: any server and client that keep the contract pass them.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, SystemTime};

use test_support::{
    Running, accept, assert_printable, dial, lesson, listen, python, random_messages,
    read_some,
};

const ANY_PORT: [&str; 2] = ["--addr", "127.0.0.1:0"];

/// A server that shows UTC, so that the expected times do not depend on this machine.
fn utc_server() -> Running {
    lesson!().start("server", &["--addr", "127.0.0.1:0", "--utc"])
}

/// Waits for the server's line about `sent` and checks that it reads `<sent> -> <time>`.
fn expect_time(server: &Running, sent: &str, time: &str) {
    let out = server.wait_for_expected(
        &format!("{sent} -> "),
        &format!("`{sent} -> {time}`, that is `<line> -> YYYY-MM-DD HH:MM:SS`"),
    );
    let got = out
        .lines()
        .find(|line| line.starts_with(&format!("{sent} -> ")))
        .unwrap_or_default();
    assert_eq!(
        got,
        format!("{sent} -> {time}"),
        "for the line {sent:?} the server printed {got:?}; expected `{sent} -> {time}` \
         (YYYY-MM-DD HH:MM:SS)\n--- all stdout ---\n{out}"
    );
}

/// The lines on stdout that look like `<line> -> <time>`.
fn time_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|line| line.contains(" -> "))
        .collect()
}

/// True for `1732470000.123456`-like text: digits, a dot, six digits.
fn looks_like_a_timestamp(text: &str) -> bool {
    match text.split_once('.') {
        Some((secs, micros)) => {
            !secs.is_empty()
                && secs.bytes().all(|b| b.is_ascii_digit())
                && micros.len() == 6
                && micros.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn the_programs_are_this_lessons_own() {
    // `cargo test` at the root builds every lesson's `server` into one target/debug/server:
    // make sure the tests run this lesson's own programs, not the last one built.
    lesson!().assert_own_programs(&["server", "client", "glued"]);
}

#[test]
fn timestamps_become_times_in_utc() {
    let server = utc_server();
    let mut caller = dial(server.addr());
    caller
        .write_all(b"0\n1732470000.123456\n-1\n1732470000.999999\n253402300799\n")
        .unwrap();
    expect_time(&server, "0", "1970-01-01 00:00:00");
    expect_time(&server, "1732470000.123456", "2024-11-24 17:40:00");
    expect_time(&server, "-1", "1969-12-31 23:59:59");
    // The fraction is rounded down, as Python's time.localtime does.
    expect_time(&server, "1732470000.999999", "2024-11-24 17:40:00");
    expect_time(&server, "253402300799", "9999-12-31 23:59:59");
    let server = server.kill();
    assert_eq!(server.stderr, "", "no errors for good timestamps");
}

#[test]
fn local_time_follows_the_tz_variable() {
    // Asia/Shanghai is UTC+8, with no summer time since 1991.
    let server = lesson!()
        .with_env(&[("TZ", "Asia/Shanghai")])
        .start("server", &ANY_PORT);
    let mut caller = dial(server.addr());
    caller.write_all(b"0\n1732470000.5\n").unwrap();
    expect_time(&server, "0", "1970-01-01 08:00:00");
    expect_time(&server, "1732470000.5", "2024-11-25 01:40:00");

    // A POSIX TZ string works without the time zone files: UTC-8 means 8 hours *ahead*.
    let server = lesson!()
        .with_env(&[("TZ", "UTC-8")])
        .start("server", &ANY_PORT);
    dial(server.addr()).write_all(b"0\n").unwrap();
    expect_time(&server, "0", "1970-01-01 08:00:00");

    // A zone west of Greenwich, with summer time: New York in July is UTC-4.
    let server = lesson!()
        .with_env(&[("TZ", "America/New_York")])
        .start("server", &ANY_PORT);
    dial(server.addr()).write_all(b"1720000000\n").unwrap();
    expect_time(&server, "1720000000", "2024-07-03 05:46:40");
}

#[test]
fn utc_ignores_the_tz_variable() {
    let server = lesson!()
        .with_env(&[("TZ", "Asia/Shanghai")])
        .start("server", &["--addr", "127.0.0.1:0", "--utc"]);
    dial(server.addr()).write_all(b"0\n").unwrap();
    expect_time(&server, "0", "1970-01-01 00:00:00");
}

#[test]
fn the_client_sends_timestamps_and_a_newline_each_in_one_write() {
    let (listener, addr) = listen();
    let addr = addr.to_string();
    let interval = 0.2;
    let client = lesson!().spawn(
        "client",
        &["--addr", &addr, "--interval", "0.2", "--count", "3"],
    );
    let mut line = accept(&listener);
    let mut sent: Vec<String> = Vec::new();
    // At most 3 reads: each one must bring at least one whole line.
    for _ in 0..3 {
        if sent.len() == 3 {
            break;
        }
        // A timestamp written together with its \n arrives whole. (If this test was slow to
        // read, several can arrive together; that is fine, they are still lines.)
        let piece = read_some(&mut line);
        let text = String::from_utf8_lossy(&piece).into_owned();
        let Some(lines) = text.strip_suffix('\n') else {
            panic!(
                "send {} arrived as {text:?}: expected a timestamp and \\n together, in one write",
                sent.len() + 1
            );
        };
        for timestamp in lines.split('\n') {
            assert!(
                looks_like_a_timestamp(timestamp),
                "the client sent {timestamp:?}; expected seconds and six digits of fraction, like \"1732470000.123456\\n\""
            );
            let value: f64 = timestamp.parse().unwrap();
            assert!(
                (value - now()).abs() < 5.0,
                "the client sent {timestamp}, but the time now is {:.6}: send the current time",
                now()
            );
            sent.push(timestamp.to_string());
        }
    }
    assert_eq!(sent.len(), 3, "with --count 3, send 3 timestamps: {sent:?}");
    // Then the client hangs up.
    assert!(
        read_some(&mut line).is_empty(),
        "after --count 3 sends, the client should hang up"
    );
    let client = client.finish();
    assert!(client.status.success(), "{client:?}");
    for timestamp in &sent {
        assert!(
            client.stdout.contains(&format!("sent {timestamp}\n")),
            "the client should print what it sent (`sent {timestamp}`):\n{}",
            client.stdout
        );
    }
    // The sends are spaced by --interval: the timestamps themselves say when each was sent.
    // Generous bounds: a busy machine can be late, never early.
    let times: Vec<f64> = sent.iter().map(|text| text.parse().unwrap()).collect();
    for pair in 0..2 {
        let gap = times[pair + 1] - times[pair];
        assert!(
            gap >= interval * 0.9 && gap < interval + 0.4,
            "sends {} and {} were {gap:.3} s apart; with --interval {interval} they should be about {interval} s apart",
            pair + 1,
            pair + 2
        );
    }
}

#[test]
fn the_first_timestamp_goes_at_once_the_pause_comes_between() {
    let (listener, addr) = listen();
    let addr = addr.to_string();
    let client = lesson!().spawn(
        "client",
        &["--addr", &addr, "--interval", "5", "--count", "1"],
    );
    let mut line = accept(&listener);
    let started = std::time::Instant::now();
    let piece = read_some(&mut line);
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(2),
        "the first timestamp came {waited:?} after the call, {piece:?}: the --interval pause \
         is between two sends, not before the first"
    );
    let text = String::from_utf8_lossy(&piece);
    let sent: f64 = text.trim_end().parse().unwrap_or_default();
    assert!((sent - now()).abs() < 5.0, "{text:?} is not the time now");
    let client = client.finish();
    assert!(
        client.stdout.ends_with("sent 1 timestamp; hung up\n"),
        "{client:?}"
    );
}

#[test]
fn ten_thousand_timestamps_make_ten_thousand_lines() {
    let server = utc_server();
    lesson!()
        .command("client")
        .args([
            "--addr",
            &server.addr_arg(),
            "--interval",
            "0",
            "--count",
            "10000",
        ])
        .assert()
        .success();
    // The server says "hung up" after the caller's last line.
    server.wait_for("hung up");
    let server = server.kill();
    let lines = time_lines(&server.stdout);
    assert_eq!(
        lines.len(),
        10_000,
        "10,000 timestamps sent with --interval 0 must give exactly 10,000 `<line> -> <time>` lines: none lost, none glued together\n--- stderr ---\n{}",
        server.stderr
    );
    for line in &lines {
        let (sent, time) = line.split_once(" -> ").unwrap();
        assert!(
            looks_like_a_timestamp(sent) && time.len() == "YYYY-MM-DD HH:MM:SS".len(),
            "a line that is not `<timestamp> -> YYYY-MM-DD HH:MM:SS`: {line:?}"
        );
    }
    assert_eq!(server.stderr, "", "no errors for good timestamps");
}

#[test]
fn a_timestamp_that_arrives_one_byte_at_a_time_is_read_whole() {
    let server = utc_server();
    let mut caller = dial(server.addr());
    caller.set_nodelay(true).unwrap();
    for byte in b"1732470000.5\n" {
        if let Err(err) = caller.write_all(&[*byte]) {
            panic!(
                "the server hung up before the whole line had arrived ({err}): it should keep \
                 reading until the `\\n`.\n--- server stderr ---\n{}",
                server.stderr()
            );
        }
        // A pause, so that every byte travels on its own.
        std::thread::sleep(Duration::from_millis(3));
    }
    expect_time(&server, "1732470000.5", "2024-11-24 17:40:00");
    let server = server.kill();
    assert_eq!(
        time_lines(&server.stdout).len(),
        1,
        "pieces of a line are not lines:\n{}",
        server.stdout
    );
}

#[test]
fn a_last_line_without_newline_counts() {
    let server = utc_server();
    let mut caller = dial(server.addr());
    caller.write_all(b"1\n2").unwrap();
    caller.shutdown(Shutdown::Write).unwrap();
    expect_time(&server, "1", "1970-01-01 00:00:01");
    expect_time(&server, "2", "1970-01-01 00:00:02");
}

#[test]
fn a_line_is_printed_before_the_server_waits_for_the_rest_of_the_next() {
    // A whole line and the start of the next arrive together. A server may collect its
    // lines to print them in one go, but it must print the whole one before it waits for
    // the rest: the caller may send that much later.
    let server = utc_server();
    let mut caller = dial(server.addr());
    caller.write_all(b"1\n2").unwrap();
    expect_time(&server, "1", "1970-01-01 00:00:01");
    caller.write_all(b"\n").unwrap();
    expect_time(&server, "2", "1970-01-01 00:00:02");
}

/// The original's client, boiled down: `str(time.time())`, no newline, then hang up.
const ORIGINAL_CLIENT: &str = r#"
import socket, sys, time
client = socket.socket()
client.connect(('127.0.0.1', int(sys.argv[1])))
t = time.time()
client.send(str(t).encode('utf-8'))
print(t)
client.close()
"#;

#[test]
fn talks_with_the_originals_python_client() {
    let server = utc_server();
    let port = server.addr().port().to_string();
    let client = python(ORIGINAL_CLIENT, &[&port]).finish();
    assert!(client.status.success(), "{client:?}");
    let sent = client.stdout.trim();
    server.wait_for(&format!("{sent} -> "));
    server.wait_for("hung up");
}

/// The original's exercise-1 client as it really is: one call, then a timestamp every few
/// seconds, each with nothing after it (no `\n`). Arguments: port, seconds between, count.
const ORIGINAL_EXERCISE_CLIENT: &str = include_str!("../python/client_repeating.py");

/// The server's note about a piece of a line that waits for its `\n` (the contract's line).
fn unfinished_note(caller: &str) -> String {
    format!(
        "note: {caller} sent a message without a line ending (\\n), and it waits for one; the \
         original tutorial's client sends none (see \"Why the newline: glued messages\" in \
         lesson 03)\n"
    )
}

/// The server's hint after a line that looks like `count` timestamps glued together.
fn glued_hint(count: usize) -> String {
    format!(
        "hint: that looks like {count} timestamps glued together; end each one with \\n (see \
         \"Why the newline: glued messages\" in lesson 03)\n"
    )
}

/// The caller's address, from the server's `picked up a call from <addr>` line.
fn picked_up(stdout: &str) -> &str {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("picked up a call from "))
        .unwrap_or_else(|| {
            panic!("no `picked up a call from <addr>` line:\n{stdout}")
        })
}

#[test]
fn the_originals_exercise_client_hears_why_nothing_is_printed() {
    let server = utc_server();
    let port = server.addr().port().to_string();
    // 10 timestamps, 0.2 s apart, over one call: the first waits 1.8 s for a `\n`.
    let client = python(ORIGINAL_EXERCISE_CLIENT, &[&port, "0.2", "10"]).finish();
    assert!(client.status.success(), "{client:?}");
    let sent: String = client
        .stdout
        .lines()
        .filter_map(|line| line.strip_prefix("sent "))
        .collect();
    let stdout = server.wait_for("hung up; waiting for the next caller");
    let caller = picked_up(&stdout);
    let note = unfinished_note(caller);
    assert_eq!(
        stdout.matches(&note).count(),
        1,
        "expected the note once, before the hang-up:\n{note}\n--- stdout ---\n{stdout}"
    );
    assert!(
        stdout.find(&note) < stdout.find("hung up"),
        "the note comes while the caller is still on the line:\n{stdout}"
    );
    assert_eq!(time_lines(&stdout), Vec::<&str>::new(), "no line, no time");
    let stderr = server.wait_for_stderr("hint:");
    assert_eq!(
        stderr,
        format!("error: not a timestamp: {sent:?}\n{}", glued_hint(10)),
        "at the hang-up: the contract's error, then the hint"
    );
}

#[test]
fn a_piece_of_a_line_waits_a_second_and_a_half_before_the_note() {
    let server = utc_server();
    let mut caller = dial(server.addr());
    let caller_addr = caller.local_addr().unwrap().to_string();
    let started = std::time::Instant::now();
    caller.write_all(b"1732470000.5").unwrap();
    let stdout = server.wait_for("without a line ending");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1400),
        "the note came after {waited:?}; it waits about 1.5 s for the `\\n`:\n{stdout}"
    );
    assert!(stdout.contains(&unfinished_note(&caller_addr)), "{stdout}");
    // The `\n` comes at last: the line is served as usual.
    caller.write_all(b"\n").unwrap();
    expect_time(&server, "1732470000.5", "2024-11-24 17:40:00");
}

#[test]
fn several_timestamps_in_one_line_get_a_hint_and_other_bad_lines_do_not() {
    let server = utc_server();
    let mut caller = dial(server.addr());
    caller
        .write_all(b"1732470000.51732470001.5\n1.2.3\nhello\n1.23.45.6\n0\n")
        .unwrap();
    expect_time(&server, "0", "1970-01-01 00:00:00");
    server.wait_for_stderr(&glued_hint(3));
    assert_eq!(
        server.stderr(),
        format!(
            "error: not a timestamp: \"1732470000.51732470001.5\"\n{}\
             error: not a timestamp: \"1.2.3\"\n\
             error: not a timestamp: \"hello\"\n\
             error: not a timestamp: \"1.23.45.6\"\n{}",
            glued_hint(2),
            glued_hint(3)
        )
    );
}

#[test]
fn a_caller_dropped_with_half_a_line_hears_the_note_first() {
    let server = lesson!().start(
        "server",
        &["--addr", "127.0.0.1:0", "--utc", "--idle", "0.3"],
    );
    // A whole line, then silence: only the idle note.
    let mut whole = dial(server.addr());
    let whole_addr = whole.local_addr().unwrap().to_string();
    whole.write_all(b"0\n").unwrap();
    wait_for_hang_up(&mut whole);
    // A piece of a line, then silence: the note, then the idle note, at 0.3 s.
    let mut half = dial(server.addr());
    let half_addr = half.local_addr().unwrap().to_string();
    half.write_all(b"1\n2").unwrap();
    wait_for_hang_up(&mut half);
    let stdout = server.wait_for_count("said nothing for 0.3 s", 2);
    let expected = format!(
        "picked up a call from {whole_addr}\n\
         0 -> 1970-01-01 00:00:00\n\
         note: {whole_addr} said nothing for 0.3 s; hanging up on them; waiting for the next caller\n\
         picked up a call from {half_addr}\n\
         1 -> 1970-01-01 00:00:01\n\
         {}\
         note: {half_addr} said nothing for 0.3 s; hanging up on them; waiting for the next caller\n",
        unfinished_note(&half_addr)
    );
    assert!(
        stdout.ends_with(&expected),
        "expected, at the end of stdout:\n{expected}--- stdout ---\n{stdout}"
    );
}

#[test]
fn a_line_that_is_not_a_timestamp_is_an_error_and_serving_goes_on() {
    let server = utc_server();
    let mut caller = dial(server.addr());
    caller
        .write_all(b"hello\n1e400\nnan\n99999999999999999999\n\xff\xfe\n\n0\n")
        .unwrap();
    // The good line after the bad ones is still served.
    expect_time(&server, "0", "1970-01-01 00:00:00");
    let stderr = server.wait_for_stderr("not a timestamp: \"\"");
    for shown in [
        "hello",
        "1e400",
        "nan",
        "99999999999999999999",
        "\u{fffd}\u{fffd}",
    ] {
        let expected = format!("error: not a timestamp: \"{shown}\"\n");
        assert!(
            stderr.contains(&expected),
            "expected `{}` on stderr (bytes that are not UTF-8 shown as \u{fffd}):\n{stderr}",
            expected.trim_end()
        );
    }
    // The same caller goes on.
    caller.write_all(b"60\n").unwrap();
    expect_time(&server, "60", "1970-01-01 00:01:00");
    assert_eq!(
        time_lines(&server.stdout()).len(),
        2,
        "bad lines get no `->` line on stdout:\n{}",
        server.stdout()
    );
}

/// Reads until the server hangs up; a reset counts as hanging up too.
fn wait_for_hang_up(caller: &mut TcpStream) {
    let mut rest = Vec::new();
    match caller.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty(), "the server sends nothing back: {rest:?}"),
        Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(err) => {
            panic!("expected the server to hang up on this caller, got: {err}")
        }
    }
}

#[test]
fn a_line_of_1024_bytes_is_fine_and_a_longer_one_drops_the_caller() {
    let server = utc_server();
    // 1024 bytes: 1023 zeros and a 1.
    let mut fits = "0".repeat(1023);
    fits.push('1');
    let mut caller = dial(server.addr());
    caller.write_all(format!("{fits}\n").as_bytes()).unwrap();
    expect_time(&server, &fits, "1970-01-01 00:00:01");

    // 1025 bytes: one too many. The server hangs up on this caller.
    let too_long = format!("0{fits}\n");
    let caller_addr = caller.local_addr().unwrap();
    caller.write_all(too_long.as_bytes()).unwrap();
    wait_for_hang_up(&mut caller);
    let stderr = server.wait_for_stderr("longer than 1024 bytes");
    assert_eq!(
        stderr,
        format!(
            "error: {caller_addr} sent a line longer than 1024 bytes; hung up on that caller, \
             waiting for the next one\n"
        ),
        "one error line, the contract's"
    );

    // The next caller is served.
    dial(server.addr()).write_all(b"2\n").unwrap();
    expect_time(&server, "2", "1970-01-01 00:00:02");
}

#[test]
fn a_caller_who_never_sends_a_newline_cannot_fill_the_servers_memory() {
    let server = utc_server();
    let mut caller = dial(server.addr());
    // 64 KiB and no '\n'. The server stops reading after 1025 bytes and hangs up; the rest
    // of our write may fail with "connection reset", which is fine.
    let _ = caller.write_all(&[b'7'; 64 * 1024]);
    wait_for_hang_up(&mut caller);
    server.wait_for_stderr("longer than 1024 bytes");
    dial(server.addr()).write_all(b"3\n").unwrap();
    expect_time(&server, "3", "1970-01-01 00:00:03");
}

#[test]
fn a_caller_who_resets_the_call_has_just_hung_up() {
    let server = utc_server();
    let caller = dial(server.addr());
    (&caller).write_all(b"4\n").unwrap();
    expect_time(&server, "4", "1970-01-01 00:00:04");
    // SO_LINGER with 0 seconds: closing sends a reset (RST) instead of a polite goodbye.
    let caller = socket2::Socket::from(caller);
    caller.set_linger(Some(Duration::ZERO)).unwrap();
    drop(caller);
    server.wait_for_count("hung up", 1);
    // The server goes on with the next caller, and a reset is no error.
    dial(server.addr()).write_all(b"5\n").unwrap();
    expect_time(&server, "5", "1970-01-01 00:00:05");
    let server = server.kill();
    assert_eq!(server.stderr, "", "a reset is just a hang-up, not an error");
}

#[test]
fn callers_are_served_one_after_another() {
    let server = utc_server();
    for n in 0..3 {
        let mut caller = dial(server.addr());
        caller.write_all(format!("{n}\n").as_bytes()).unwrap();
        expect_time(&server, &n.to_string(), &format!("1970-01-01 00:00:0{n}"));
        drop(caller);
        server.wait_for_count("hung up", n + 1);
    }
}

#[test]
fn the_client_and_server_together() {
    let server = utc_server();
    let client_out = run_client(&server, "0.05", "3");
    server.wait_for("hung up");
    let server_out = server.kill().stdout;
    let sent: Vec<&str> = client_out
        .lines()
        .filter_map(|line| line.strip_prefix("sent "))
        .filter(|text| looks_like_a_timestamp(text))
        .collect();
    assert_eq!(
        sent.len(),
        3,
        "the client prints `sent <timestamp>` for every send:\n{client_out}"
    );
    for text in sent {
        assert!(
            server_out.contains(&format!("{text} -> ")),
            "the client sent {text}, but the server printed no `{text} -> ...` line:\n{server_out}"
        );
    }
}

#[test]
fn the_client_stops_when_the_server_hangs_up() {
    let (listener, addr) = listen();
    let client = lesson!().spawn(
        "client",
        &["--addr", &addr.to_string(), "--interval", "0.02"],
    );
    let mut line = accept(&listener);
    assert!(
        !read_some(&mut line).is_empty(),
        "the client should send a timestamp"
    );
    drop(line);
    let client = client.finish();
    assert!(
        client.status.success(),
        "when the server hangs up, the client says so and exits 0: {client:?}"
    );
    assert!(client.stdout.contains("hung up"), "{client:?}");
    assert_eq!(client.stderr, "", "{client:?}");
}

#[test]
fn ipv6_loopback_works_too() {
    if !test_support::has_ipv6_loopback() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    }
    let server = lesson!().start("server", &["--addr", "[::1]:0", "--utc"]);
    assert!(server.addr().is_ipv6());
    lesson!()
        .command("client")
        .args(["--addr", &server.addr_arg(), "--count", "1"])
        .assert()
        .success();
    server.wait_for(" -> ");
}

#[test]
fn nobody_listening_is_a_refused_call() {
    lesson!().assert_refused(&["--count", "1"], "", "");
}

#[test]
fn a_busy_port_is_explained() {
    let first = utc_server();
    lesson!().assert_port_in_use("server", &first.addr_arg());
}

#[test]
fn a_bad_command_line_is_one_line_and_exit_2() {
    lesson!().assert_bad_addresses(&["server", "client"]);
    let client =
        |option, value| ("client", ["--addr", "127.0.0.1:0", option, value], option);
    let cases = [
        client("--interval", "-1"),
        client("--interval", "soon"),
        client("--interval", "nan"),
        client("--interval", "1e-300"),
        client("--interval", "1e300"),
        client("--interval", "inf"),
        client("--count", "-1"),
        client("--count", "three"),
    ];
    let cases: Vec<(&str, &[&str], &str)> = cases
        .iter()
        .map(|(program, args, option)| (*program, &args[..], *option))
        .collect();
    lesson!().assert_bad_command_lines(&cases);
    lesson!().assert_bad_command_lines(&[
        ("client", &["--count", "-3"], "a whole number of 1 or more"),
        ("client", &["--count", "0"], "a whole number of 1 or more"),
    ]);
}

#[test]
fn help_describes_every_option() {
    lesson!().assert_help(&[
        ("server", &["--addr", "--utc", "--version"]),
        ("client", &["--addr", "--interval", "--count", "--version"]),
    ]);
}

/// The experiment: with the reader late, two sends always come out of one read glued.
#[test]
fn glued_shows_two_sends_in_one_read() {
    // With a pause before the read, both sends are always there: every trial is glued.
    let run = |args: &[&str]| {
        let done = lesson!().command("glued").args(args).assert().success();
        String::from_utf8_lossy(&done.get_output().stdout).into_owned()
    };
    let out = run(&["--trials", "7", "--pause", "0.1"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some(
            "7 trials: two sends of a timestamp each, no \\n, then one recv(1024) after a pause of 0.1 s"
        ),
        "{out}"
    );
    // The first five trials are shown, each with what its one read got: two timestamps.
    for (index, line) in lines[1..6].iter().enumerate() {
        let prefix = format!("trial {}: recv got \"", index + 1);
        let got = line
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix("\": both sends in one piece (glued)"))
            .unwrap_or_else(|| {
                panic!(
                    "expected `{prefix}<two timestamps>\": both sends in one piece (glued)`:\n{out}"
                )
            });
        // `1795675651.1347591795675651.134763`: each timestamp has 6 digits after its dot.
        let first_dot = got.find('.').unwrap_or(0);
        let (first, second) = got.split_at((first_dot + 7).min(got.len()));
        assert!(
            looks_like_a_timestamp(first)
                && looks_like_a_timestamp(second)
                && first <= second,
            "trial {} got {got:?}: expected two timestamps glued together\n{out}",
            index + 1
        );
    }
    assert_eq!(
        &lines[6..],
        [
            "...",
            "glued: 7 of 7 trials (two sends arrived in one recv)"
        ],
        "{out}"
    );
    // --all shows every trial, and five trials need no `...`.
    let out = run(&["--trials", "6", "--pause", "0.05", "--all"]);
    assert_eq!(
        out.matches(": both sends in one piece (glued)\n").count(),
        6,
        "{out}"
    );
    assert!(
        !out.contains("\n...\n")
            && out
                .ends_with("glued: 6 of 6 trials (two sends arrived in one recv)\n"),
        "{out}"
    );
    let out = run(&["--trials", "5", "--pause", "0.05"]);
    assert_eq!(
        out.matches(": both sends in one piece (glued)\n").count(),
        5,
        "{out}"
    );
    assert!(!out.contains("\n...\n"), "{out}");
    // Without a pause, the count is whatever happened, but each verdict must match what
    // its read got (one timestamp or two), and the count must match the verdicts.
    let out = run(&["--trials", "40", "--all"]);
    let mut glued = 0;
    for line in out.lines().filter(|line| line.starts_with("trial ")) {
        let got = line.split('"').nth(1).unwrap_or_default();
        let one = looks_like_a_timestamp(got);
        let expected = if one {
            "\": the first send alone"
        } else {
            glued += 1;
            "\": both sends in one piece (glued)"
        };
        assert!(line.ends_with(expected), "{line}\n{out}");
    }
    assert!(
        out.ends_with(&format!(
            "glued: {glued} of 40 trials (two sends arrived in one recv)\n"
        )),
        "{out}"
    );
    // A pause is from 0 to 10 seconds.
    lesson!().assert_bad_command_lines(&[
        ("glued", &["--pause", "11"], "from 0 to 10"),
        ("glued", &["--pause=-0.5"], "from 0 to 10"),
    ]);
}

#[test]
fn a_closed_stdout_ends_the_server_quietly() {
    // `server | head -1`: the pipe closes after the ready line; the next line must not panic.
    lesson!().assert_quiet_when_stdout_closes("server", b"1732470000.5\n");
}

/// Runs the lesson's client against `server` until it ends by itself; returns its stdout.
fn run_client(server: &Running, interval: &str, count: &str) -> String {
    let client = lesson!()
        .command("client")
        .args([
            "--addr",
            &server.addr_arg(),
            "--interval",
            interval,
            "--count",
            count,
        ])
        .assert()
        .success();
    String::from_utf8_lossy(&client.get_output().stdout).into_owned()
}

#[test]
fn one_timestamp_is_counted_in_the_singular() {
    let server = utc_server();
    let stdout = run_client(&server, "0", "1");
    assert!(
        stdout.ends_with("sent 1 timestamp; hung up\n"),
        "the client's last line should be `sent 1 timestamp; hung up`, it printed:\n{stdout}"
    );
}

#[test]
fn a_line_ending_crlf_counts_and_the_limit_is_for_the_text_alone() {
    let server = utc_server();
    let mut caller = dial(server.addr());
    // A Windows program ends its lines with \r\n.
    caller.write_all(b"8\r\n").unwrap();
    expect_time(&server, "8", "1970-01-01 00:00:08");
    // 1024 bytes of text, then \r\n: 1026 bytes in all, and still fine.
    let fits = format!("{}9", "0".repeat(1023));
    caller.write_all(format!("{fits}\r\n").as_bytes()).unwrap();
    expect_time(&server, &fits, "1970-01-01 00:00:09");
    // 1025 bytes of text, then \r\n: too long.
    caller.write_all(format!("0{fits}\r\n").as_bytes()).unwrap();
    wait_for_hang_up(&mut caller);
    server.wait_for_stderr("longer than 1024 bytes");
}

#[test]
fn a_silent_caller_is_dropped_after_the_idle_limit_and_the_next_is_served() {
    let server = lesson!().start(
        "server",
        &["--addr", "127.0.0.1:0", "--utc", "--idle", "0.2"],
    );
    // The first caller says nothing; the second waits in the queue behind it.
    let mut silent = dial(server.addr());
    let silent_addr = silent.local_addr().unwrap();
    let mut next = dial(server.addr());
    next.write_all(b"10\n").unwrap();
    expect_time(&server, "10", "1970-01-01 00:00:10");
    let out = server.stdout();
    assert!(
        out.contains(&format!(
            "note: {silent_addr} said nothing for 0.2 s; hanging up on them; waiting for the next caller\n"
        )),
        "{out}"
    );
    wait_for_hang_up(&mut silent);
    assert_eq!(
        server.stderr(),
        "",
        "a silent caller is a note, not an error"
    );
    lesson!().assert_bad_command_lines(&[
        ("server", &["--idle", "0"], "from 0.001 to 86400"),
        ("server", &["--idle", "-1"], "from 0.001 to 86400"),
        ("server", &["--idle", "1e-10"], "from 0.001 to 86400"),
    ]);
}

#[test]
fn the_idle_limit_counts_from_the_last_bytes_not_from_the_pickup() {
    let server = lesson!().start(
        "server",
        &["--addr", "127.0.0.1:0", "--utc", "--idle", "0.4"],
    );
    let mut caller = dial(server.addr());
    // A line every 0.2 s, for 1 s in all: never 0.4 s of silence, so never dropped.
    for second in 1..=5 {
        caller.write_all(format!("{second}\n").as_bytes()).unwrap();
        expect_time(
            &server,
            &second.to_string(),
            &format!("1970-01-01 00:00:0{second}"),
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    caller.write_all(b"6\n").unwrap();
    expect_time(&server, "6", "1970-01-01 00:00:06");
    assert!(
        !server.stdout().contains("said nothing"),
        "a caller who keeps talking is not dropped:\n{}",
        server.stdout()
    );
}

#[test]
fn control_characters_in_a_timestamp_line_are_shown_escaped() {
    let server = utc_server();
    let mut caller = dial(server.addr());
    // Vertical tab, form feed and NEL (U+0085) are white space to the number parser, so
    // this is a good timestamp; its line is shown with the controls escaped.
    caller.write_all("\u{85}\x0b11\x0c\n".as_bytes()).unwrap();
    expect_time(&server, "\\u{85}\\x0b11\\x0c", "1970-01-01 00:00:11");
    assert_printable("the server", &server.stdout());
}

#[test]
fn random_bytes_from_callers_do_not_break_the_server() {
    let server = utc_server();
    // 300 messages, in 10 calls of 30: the server reads them as lines, complains about the
    // ones that are no timestamps, drops a caller whose line is too long.
    for call in random_messages(3, 300, 600).chunks(30) {
        let mut caller = dial(server.addr());
        // A write may fail when the server has hung up on a too long line already.
        let _ = caller.write_all(&call.concat());
        let _ = caller.shutdown(Shutdown::Write);
        wait_for_hang_up(&mut caller);
    }
    // The next caller is served as if nothing had happened.
    dial(server.addr()).write_all(b"12\n").unwrap();
    expect_time(&server, "12", "1970-01-01 00:00:12");
    let done = server.kill();
    assert!(!done.stderr.contains("panicked"), "{}", done.stderr);
    assert_printable("the server", &done.stdout);
    assert_printable("the server", &done.stderr);
}

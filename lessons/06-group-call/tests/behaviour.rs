//! Lesson 06: the group call, tested from outside over real loopback TCP.
//!
//! Most tests play the callers with raw sockets (a caller is a line-based `nc`), so that
//! they control exactly what is sent and when, and read exactly what the server sends.

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use assert_cmd::prelude::*;
use socket2::{Domain, Protocol, Socket, Type};
use test_support::{
    Running, TIMEOUT, cpu_ticks_during, dial, lesson, python, thread_count,
};

/// The group call's Python peer, which the book shows.
const PYTHON_CLIENT: &str = include_str!("../python/client.py");

/// A server on a free port, with `args` besides `--addr`.
fn server(args: &[&str]) -> Running {
    let mut all = vec!["--addr", "127.0.0.1:0"];
    all.extend_from_slice(args);
    lesson!().start("server", &all)
}

/// A caller played by the test: a raw socket that speaks and reads lines.
struct Caller {
    line: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Caller {
    /// Dials the room; with a name, asks for it in the first line.
    fn call(addr: SocketAddr, name: Option<&str>) -> Caller {
        let line = dial(addr);
        line.set_nodelay(true).unwrap();
        let reader = BufReader::new(line.try_clone().unwrap());
        let mut caller = Caller { line, reader };
        if let Some(name) = name {
            caller.say(&format!("NAME {name}"));
        }
        caller
    }

    /// The caller's own address, `127.0.0.1:PORT`: the name the room knows it by
    /// when it has no name (no `NAME` line, a refused one, or one sent too late).
    fn address(&self) -> String {
        self.line.local_addr().unwrap().to_string()
    }

    fn say(&mut self, text: &str) {
        self.line
            .write_all(format!("{text}\n").as_bytes())
            .unwrap_or_else(|err| panic!("could not say {text:?}: {err}"));
    }

    /// The next line from the server, without `\n`; `None` when the server hung up.
    #[track_caller]
    fn next_line(&mut self) -> Option<String> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => None,
            Ok(_) => Some(line.trim_end_matches('\n').to_string()),
            Err(err)
                if matches!(
                    err.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut
                ) =>
            {
                panic!("no line came from the server within {TIMEOUT:?}")
            }
            Err(err) => panic!("waited for a line from the server: {err}"),
        }
    }

    /// The next line must be `expected`.
    #[track_caller]
    fn expect(&mut self, expected: &str) {
        let got = self.next_line();
        assert_eq!(
            got.as_deref(),
            Some(expected),
            "the next line from the server"
        );
    }

    /// The server must hang up now: no more lines, then the end of the call.
    #[track_caller]
    fn expect_hang_up(&mut self) {
        let got = self.next_line();
        assert_eq!(got, None, "the server should have hung up");
    }
}

/// Callers named `names`, who join one after another: each is in the room (the server
/// says it joined) before the next one dials, so every caller hears the later ones join.
fn room_of(server: &Running, names: &[&str]) -> Vec<Caller> {
    let mut callers: Vec<Caller> = Vec::new();
    for name in names {
        callers.push(join(server, name));
    }
    for (at, caller) in callers.iter_mut().enumerate() {
        for later in &names[at + 1..] {
            caller.expect(&format!("* {later} joined"));
        }
    }
    callers
}

/// A caller named `name`, in the room: the server has announced it.
fn join(server: &Running, name: &str) -> Caller {
    let caller = Caller::call(server.addr(), Some(name));
    server.wait_for(&format!("* {name} joined\n"));
    caller
}

/// Waits (a bounded time) until `pid` has `expected` threads or fewer; returns the count.
fn threads_settle_at(pid: u32, expected: usize) -> usize {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let count = thread_count(pid).expect("Linux shows the threads in /proc");
        if count <= expected || Instant::now() >= deadline {
            return count;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_programs_are_this_lessons_own() {
    lesson!().assert_own_programs(&["server", "client"]);
}

#[test]
fn eight_callers_each_line_reaches_the_other_seven_in_order() {
    let server = server(&[]);
    let names = ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"];
    let callers = room_of(&server, &names);
    const LINES: usize = 100;
    thread::scope(|scope| {
        for (me, mut caller) in callers.into_iter().enumerate() {
            let names = &names;
            scope.spawn(move || {
                let mut writer = caller.line.try_clone().unwrap();
                let mut text = String::new();
                for n in 0..LINES {
                    text.push_str(&format!("line {n} from {}\n", names[me]));
                }
                let speaking =
                    thread::spawn(move || writer.write_all(text.as_bytes()).unwrap());
                // Everybody else's lines, each sender's in the order sent; never our own.
                let mut next = [0usize; 8];
                for _ in 0..LINES * 7 {
                    let line = caller.next_line().expect("a line from the room");
                    let (name, text) = line.split_once(": ").expect("`name: text`");
                    let from =
                        names.iter().position(|n| *n == name).expect("a caller");
                    assert_ne!(
                        from, me,
                        "{} heard its own line back: {line}",
                        names[me]
                    );
                    let n = next[from];
                    assert_eq!(text, format!("line {n} from {name}"), "out of order");
                    next[from] += 1;
                }
                speaking.join().unwrap();
            });
        }
    });
}

#[test]
fn a_caller_who_never_reads_is_removed_and_does_not_delay_the_others() {
    let server = server(&[]);
    let addr = server.addr();
    let mut reader = join(&server, "reader");
    let mut sender = join(&server, "sender");
    reader.expect("* sender joined");
    // The slow caller: a small receive buffer, and it never reads a byte.
    let slow = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).unwrap();
    slow.set_recv_buffer_size(4096).unwrap();
    slow.connect_timeout(&addr.into(), TIMEOUT).unwrap();
    let mut slow: TcpStream = slow.into();
    slow.write_all(b"NAME slow\n").unwrap();
    server.wait_for("* slow joined\n");
    reader.expect("* slow joined");
    sender.expect("* slow joined");

    // The sender pushes rounds of 128 lines of 1000 bytes (up to 32 MiB in all), until the
    // reader hears that the slow caller was removed. After each round it waits until the
    // reader has heard every line: the room must not wait for the slow caller meanwhile.
    let removed = AtomicBool::new(false);
    let heard = AtomicUsize::new(0);
    let mut sent = 0;
    let started = Instant::now();
    thread::scope(|scope| {
        scope.spawn(|| {
            loop {
                let line =
                    reader.next_line().expect("the reader is still in the room");
                if line == "* slow left: too slow" {
                    removed.store(true, Ordering::SeqCst);
                } else if line == "sender: the end" {
                    return;
                } else {
                    let n = heard.load(Ordering::SeqCst);
                    assert!(
                        line.starts_with(&format!("sender: {n:08} ")),
                        "expected line {n}, got {line:.40}"
                    );
                    heard.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        let filler = "x".repeat(990);
        for _round in 0..256 {
            if removed.load(Ordering::SeqCst) {
                break;
            }
            let mut round = String::new();
            for _ in 0..128 {
                round.push_str(&format!("{sent:08} {filler}\n"));
                sent += 1;
            }
            sender.line.write_all(round.as_bytes()).unwrap();
            let deadline = Instant::now() + TIMEOUT;
            while heard.load(Ordering::SeqCst) < sent {
                assert!(
                    Instant::now() < deadline,
                    "the reader heard {} of {sent} lines: the room stalled",
                    heard.load(Ordering::SeqCst)
                );
                thread::sleep(Duration::from_millis(1));
            }
        }
        sender.say("the end");
    });
    assert!(
        removed.load(Ordering::SeqCst),
        "the caller who never reads was not removed after {sent} lines"
    );
    assert_eq!(
        heard.load(Ordering::SeqCst),
        sent,
        "the reader missed lines"
    );
    // The chapter quotes this (`-- --nocapture` shows it).
    println!(
        "the slow caller was removed after {sent} lines of 1000 bytes, in {:?}",
        started.elapsed()
    );
    // A room that waited for the slow caller would have stalled for TIMEOUT at least.
    assert!(
        started.elapsed() < TIMEOUT / 2,
        "took {:?}",
        started.elapsed()
    );
    // The slow caller was hung up on: after what was already on its way, the call ends.
    slow.set_read_timeout(Some(TIMEOUT)).unwrap();
    let ended = io::copy(&mut (&mut slow).take(256 << 20), &mut io::sink());
    assert!(
        !ended.is_err_and(|err| err.kind() == ErrorKind::WouldBlock
            || err.kind() == ErrorKind::TimedOut),
        "the slow caller's call did not end"
    );
}

#[test]
fn a_caller_who_reads_is_never_removed_by_a_burst_of_thousands_of_lines() {
    let server = server(&[]);
    let mut reader = join(&server, "reader");
    let mut sender = join(&server, "sender");
    reader.expect("* sender joined");
    // 20,000 lines of 100 bytes in one write: the server reads hundreds of them at once.
    const LINES: usize = 20_000;
    let mut burst = String::new();
    for n in 0..LINES {
        burst.push_str(&format!("{n:08} {}\n", "y".repeat(91)));
    }
    let mut writer = sender.line.try_clone().unwrap();
    let writing = thread::spawn(move || writer.write_all(burst.as_bytes()).unwrap());
    for n in 0..LINES {
        let line = reader.next_line().expect("the reader stays in the room");
        assert!(
            line.starts_with(&format!("sender: {n:08} ")),
            "line {n}: {line:.40}"
        );
    }
    writing.join().unwrap();
    sender.say("still here?");
    reader.expect("sender: still here?");
}

#[test]
fn a_killed_caller_is_announced_as_gone_and_its_threads_end() {
    let server = server(&[]);
    let mut stayer = join(&server, "stayer");
    let Some(before) = thread_count(server.pid()) else {
        return; // not Linux: no /proc to count threads with
    };
    let mut client = lesson!().spawn(
        "client",
        &["--addr", &server.addr_arg(), "--name", "doomed"],
    );
    stayer.expect("* doomed joined");
    client.type_line("last words");
    stayer.expect("doomed: last words");
    assert!(thread_count(server.pid()).unwrap() > before);
    client.kill();
    stayer.expect("* doomed left");
    let after = threads_settle_at(server.pid(), before);
    assert_eq!(after, before, "the server's thread count did not return");
}

#[test]
fn with_a_cap_of_4_the_fifth_hears_room_full_at_once_and_a_sixth_may_join_later() {
    let server = server(&["--max-callers", "4"]);
    let mut callers = room_of(&server, &["a", "b", "c", "d"]);
    let started = Instant::now();
    let mut fifth = Caller::call(server.addr(), Some("fifth"));
    fifth.expect("ROOM FULL");
    fifth.expect_hang_up();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "ROOM FULL took {:?}",
        started.elapsed()
    );
    server.wait_for("called, but the room is full");
    // Somebody leaves: a seat is free again.
    callers[0].say("bye");
    callers[0].expect_hang_up();
    callers[1].expect("* a left");
    let _sixth = join(&server, "f");
    callers[1].expect("* f joined");
}

/// A room where nobody speaks costs no processor time: each thread waits (for a read, or
/// for the room to change), none goes round a loop with nothing to do.
#[test]
fn a_quiet_room_uses_no_processor_time() {
    let server = server(&[]);
    let _room = room_of(&server, &["a", "b", "c"]);
    let Some(used) = cpu_ticks_during(server.pid(), Duration::from_millis(500))
    else {
        return; // not Linux: no /proc to ask
    };
    // One thread that spins would use the whole half second: about 50 ticks.
    assert!(
        used <= 10,
        "a quiet room used {used} ticks of processor time in 0.5 s"
    );
}

#[test]
fn fifty_calls_at_once_keep_the_threads_bounded() {
    let server = server(&[]);
    let mut calls: Vec<Caller> =
        (0..50).map(|_| Caller::call(server.addr(), None)).collect();
    // Eight are in the room (default --max-callers 8); the other 42 hear ROOM FULL.
    let mut full = 0;
    for call in calls.iter_mut().skip(8) {
        call.expect("ROOM FULL");
        full += 1;
    }
    assert_eq!(full, 42);
    // The thread that accepts calls, and two for each of the 8 in the room: 17.
    if let Some(count) = thread_count(server.pid()) {
        assert!(count <= 2 * 8 + 1, "{count} threads for a room of 8");
    }
}

#[test]
fn a_silent_caller_hears_nothing_until_it_is_announced_under_its_address() {
    let server = server(&["--first-line", "0.3"]);
    // The silent caller dials first, so its seat is taken before the host's.
    let mut silent = Caller::call(server.addr(), None);
    let silent_name = silent.address();
    let mut host = join(&server, "host");
    host.say("before you were announced");
    // After --first-line seconds without a line, the room hears that it joined.
    host.expect(&format!("* {silent_name} joined"));
    server.wait_for(&format!("* {silent_name} joined\n"));
    host.say("now you hear me");
    // Nothing said before it was announced reached it, not even `* host joined`.
    silent.expect("host: now you hear me");
    silent.say("hello");
    host.expect(&format!("{silent_name}: hello"));
}

#[test]
fn a_first_line_sent_too_slowly_joins_under_the_address_and_loses_no_bytes() {
    let server = server(&["--first-line", "0.3"]);
    let mut host = join(&server, "host");
    // Half a first line, then nothing: the caller joins when the time is up all the same.
    let mut slow = Caller::call(server.addr(), None);
    let slow_name = slow.address();
    slow.line.write_all(b"NAME sl").unwrap();
    host.expect(&format!("* {slow_name} joined"));
    // The rest of the line: too late for a name, and nothing of it was lost.
    slow.line.write_all(b"ow\nhi\n").unwrap();
    slow.expect("* name refused: a name can only be asked for in the first line");
    host.expect(&format!("{slow_name}: hi"));
}

/// Waits (a bounded time) until the server's log holds one of `texts`; returns which.
#[track_caller]
fn log_shows_one_of(server: &Running, texts: &[&str]) -> usize {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let log = server.stdout();
        if let Some(found) = texts.iter().position(|text| log.contains(text)) {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "the server logged none of {texts:?}:\n{log}\n{}",
            server.stderr()
        );
        thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(unix)]
#[test]
fn out_of_file_descriptors_a_caller_hears_room_full_and_the_server_goes_on() {
    // Each caller in the room holds two files (the call and its clone). With an odd and
    // an even limit, the files run out at the two places they can: at accept() (the
    // spare file is given up for one call) and at the clone (the call is turned away).
    for limit in [31, 32] {
        room_full_when_out_of_files(limit);
    }
}

fn room_full_when_out_of_files(limit: u32) {
    // Room for 1000 callers, but the system lets the server open only `limit` files.
    let server = lesson!().start_with_open_files(
        "server",
        limit,
        &["--addr", "127.0.0.1:0", "--max-callers", "1000"],
    );
    let mut first = join(&server, "c0");
    let (mut joined, mut full) = (vec![], 0);
    for n in 1..40 {
        let name = format!("c{n}");
        let mut caller = Caller::call(server.addr(), Some(&name));
        let addr = caller.address();
        let joined_line = format!("* {name} joined\n");
        let full_line = format!("{addr} called, but the room is full\n");
        // Every caller is either in the room, or told ROOM FULL: none is left without a word.
        if log_shows_one_of(&server, &[&joined_line, &full_line]) == 0 {
            first.expect(&format!("* {name} joined"));
            joined.push(caller);
        } else {
            caller.expect("ROOM FULL");
            caller.expect_hang_up();
            full += 1;
        }
    }
    assert!(full > 0, "all 40 callers fitted in {limit} files");
    assert!(joined.len() >= 16, "only {} callers joined", joined.len());
    server.wait_for_stderr("ulimit -n");
    // Out of files, and nobody calls: on Linux every accept() fails at once, so the
    // server must wait between its tries, not spin.
    if let Some(used) = cpu_ticks_during(server.pid(), Duration::from_millis(500)) {
        assert!(
            used <= 10,
            "out of files with nobody calling, the server used {used} ticks in 0.5 s"
        );
    }
    // Someone leaves: their file is free again, and the next caller joins.
    first.say("bye");
    first.expect_hang_up();
    let _late = join(&server, "late");
}

#[test]
fn control_characters_reach_raw_callers_escaped_and_a_crlf_ending_is_dropped() {
    let server = server(&[]);
    let mut callers = room_of(&server, &["listener", "talker"]);
    // A carriage return would let an `nc` user see a forged `bob:` line; ESC [2J would
    // clear their screen. Both arrive as plain text.
    callers[1].say("hi\rbob: forged");
    callers[0].expect("talker: hi\\rbob: forged");
    callers[1].say("\u{1b}[2Jcleared\u{7f}\u{9b}");
    callers[0].expect("talker: \\x1b[2Jcleared\\x7f\\u{9b}");
    // `nc -C` ends its lines with \r\n: the \r is part of the ending, not of the text.
    callers[1].line.write_all(b"crlf\r\n").unwrap();
    callers[0].expect("talker: crlf");
    // A tab only moves to the next column: it stays.
    callers[1].say("a\tb");
    callers[0].expect("talker: a\tb");
}

#[test]
fn a_name_with_invisible_format_characters_is_refused() {
    let server = server(&[]);
    let addr = server.addr();
    let mut alice = join(&server, "alice");
    let mut refused = Vec::new();
    // Zero width space, right-to-left override, soft hyphen, byte order mark: names that
    // look like `alice` or like another name, but are not.
    for look_alike in [
        "al\u{200b}ice",
        "\u{202e}ecila",
        "al\u{ad}ice",
        "\u{feff}alice",
    ] {
        let mut caller = Caller::call(addr, Some(look_alike));
        caller.expect(
            "* name refused: a name may not contain invisible format characters, like U+200B or U+202E",
        );
        let name = caller.address();
        alice.expect(&format!("* {name} joined"));
        refused.push(caller);
    }
}

#[test]
fn a_caller_who_hangs_up_before_joining_is_logged_as_such_and_the_room_hears_nothing()
{
    let server = server(&[]);
    let mut host = join(&server, "host");
    let early = Caller::call(server.addr(), None);
    let early_name = early.address();
    drop(early);
    server.wait_for(&format!("{early_name} hung up before joining\n"));
    assert!(
        !server.stdout().contains(&format!("* {early_name}")),
        "{}",
        server.stdout()
    );
    // The room heard nothing of it: the next line the host hears is this one.
    let _next = join(&server, "next");
    host.expect("* next joined");
}

#[test]
fn a_line_that_arrives_in_three_pieces_is_delivered_whole() {
    let server = server(&[]);
    let mut callers = room_of(&server, &["listener", "talker"]);
    for piece in ["hel", "lo, wor", "ld\n"] {
        callers[1].line.write_all(piece.as_bytes()).unwrap();
        thread::sleep(Duration::from_millis(50));
    }
    callers[0].expect("talker: hello, world");
}

#[test]
fn a_line_over_4096_bytes_is_refused_and_its_sender_stays() {
    let server = server(&[]);
    let mut callers = room_of(&server, &["listener", "talker"]);
    let longest = "a".repeat(4096);
    callers[1].say(&longest);
    callers[0].expect(&format!("talker: {longest}"));
    callers[1].say(&"b".repeat(4097));
    callers[1].expect("* line too long (at most 4096 bytes)");
    callers[1].say("still here");
    // The long line was not passed on: the next line the listener hears is this one.
    callers[0].expect("talker: still here");
}

#[test]
fn one_bye_ends_that_call_only() {
    let server = server(&[]);
    let mut callers = room_of(&server, &["a", "b", "c"]);
    callers[0].say("bye");
    callers[0].expect_hang_up();
    callers[1].expect("* a left");
    callers[2].expect("* a left");
    callers[1].say("are we still here?");
    // `bye` was not passed on: the next line c hears is b's.
    callers[2].expect("b: are we still here?");
}

#[test]
fn a_name_is_given_in_the_first_line_only_and_a_taken_or_bad_one_is_refused() {
    let server = server(&[]);
    let addr = server.addr();
    let mut alice = join(&server, "alice");
    let mut copy = Caller::call(addr, Some("alice"));
    copy.expect("* name refused: alice is taken");
    let copy_name = copy.address();
    alice.expect(&format!("* {copy_name} joined"));
    let mut bad = Caller::call(addr, Some("has:colon"));
    bad.expect(
        "* name refused: a name is 1 to 32 characters, without spaces, ':' or control characters",
    );
    let bad_name = bad.address();
    alice.expect(&format!("* {bad_name} joined"));
    copy.expect(&format!("* {bad_name} joined"));
    alice.say("NAME queen");
    alice.expect("* name refused: a name can only be asked for in the first line");
    alice.say("hi");
    copy.expect("alice: hi");
    // Without a NAME line, the first line is a message, and the caller has its address.
    let mut plain = Caller::call(addr, None);
    plain.say("no name");
    let plain_name = plain.address();
    alice.expect(&format!("* {plain_name} joined"));
    alice.expect(&format!("{plain_name}: no name"));
}

/// A raw caller, `raw`, in the room, and then the lesson's client as `you`: `raw` is in the
/// room (announced) before the client calls, so it hears the client join.
fn you_beside_raw(server: &Running) -> (Caller, Running) {
    let mut raw = join(server, "raw");
    let client =
        lesson!().spawn("client", &["--addr", &server.addr_arg(), "--name", "you"]);
    raw.expect("* you joined");
    (raw, client)
}

#[test]
fn the_client_shows_others_lines_with_control_characters_escaped() {
    let server = server(&[]);
    let (mut raw, mut client) = you_beside_raw(&server);
    raw.say("\u{1b}[2J\rgotcha\tok");
    client.wait_for("raw: \\x1b[2J\\rgotcha\tok\n");
    client.type_line("hello raw");
    raw.expect("you: hello raw");
    client.type_line("bye");
    raw.expect("* you left");
    let finished = client.finish();
    finished.output().assert().success().stderr("");
    assert!(
        finished.stdout.ends_with("you left the room\n"),
        "{finished:?}"
    );
}

/// The client's own limit, the same as the server's: a typed line of 4097 bytes is not
/// sent (a note says why), one of exactly 4096 bytes is.
#[test]
fn the_client_refuses_a_typed_line_over_4096_bytes_and_sends_one_of_4096() {
    let server = server(&[]);
    let (mut raw, mut client) = you_beside_raw(&server);
    client.type_line(&"x".repeat(4097));
    client.wait_for(
        "note: that line is 4097 bytes; a line can be at most 4096 bytes. Please type a \
         shorter one.\n",
    );
    let longest = "y".repeat(4096);
    client.type_line(&longest);
    // The room hears the 4096 bytes, and nothing of the 4097 before them.
    raw.expect(&format!("you: {longest}"));
    client.type_line("bye");
    raw.expect("* you left");
    client.finish().output().assert().success().stderr("");
}

#[test]
fn the_client_leaving_prints_exactly_its_two_lines() {
    let server = server(&[]);
    let mut watcher = Caller::call(server.addr(), Some("watcher"));
    server.wait_for("* watcher joined");
    // Once with `bye`, once with the end of the input (`printf 'hi\n' | client`).
    for (n, typed) in ["hi\nbye\n", "hi\n"].into_iter().enumerate() {
        let name = format!("leaver{n}");
        let mut client = lesson!()
            .spawn("client", &["--addr", &server.addr_arg(), "--name", &name]);
        watcher.expect(&format!("* {name} joined"));
        client.type_bytes(typed.as_bytes());
        client.close_stdin();
        watcher.expect(&format!("{name}: hi"));
        watcher.expect(&format!("* {name} left"));
        let finished = client.finish();
        finished.output().assert().success().stderr("");
        assert_eq!(
            finished.stdout,
            format!(
                "in the room at {}: type a line and press Enter to say it; bye or Ctrl-D leaves\nyou left the room\n",
                server.addr()
            ),
            "after {typed:?}"
        );
    }
}

#[test]
fn the_client_ends_when_the_server_hangs_up() {
    let server = server(&["--max-callers", "1"]);
    let _inside = Caller::call(server.addr(), Some("inside"));
    server.wait_for("open for up to 1 callers");
    let client = lesson!().spawn("client", &["--addr", &server.addr_arg()]);
    // The client ends by itself, without any typing (its stdin stays open).
    let finished = client.wait();
    finished.output().assert().success().stderr("");
    assert!(
        finished.stdout.ends_with("ROOM FULL\nthe server hung up\n"),
        "{finished:?}"
    );
}

#[test]
fn python_and_rust_clients_talk_in_one_room() {
    let server = server(&[]);
    let mut watcher = join(&server, "watcher");
    let port = server.addr().port().to_string();
    let mut snake = python(PYTHON_CLIENT, &[&port, "snake"]);
    watcher.expect("* snake joined");
    let mut crab =
        lesson!().spawn("client", &["--addr", &server.addr_arg(), "--name", "crab"]);
    watcher.expect("* crab joined");
    snake.wait_for("* crab joined");
    crab.type_line("你好 from Rust");
    snake.wait_for("crab: 你好 from Rust\n");
    snake.type_line("hello from Python");
    crab.wait_for("snake: hello from Python\n");
    watcher.expect("crab: 你好 from Rust");
    watcher.expect("snake: hello from Python");
    watcher.say("\u{1b}[31mred");
    snake.wait_for("watcher: \\x1b[31mred\n");
    crab.wait_for("watcher: \\x1b[31mred\n");
    snake.type_line("bye");
    watcher.expect("* snake left");
    let snake = snake.finish();
    assert!(snake.status.success(), "{snake:?}");
    crab.close_stdin();
    watcher.expect("* crab left");
    crab.finish().output().assert().success().stderr("");
}

#[test]
fn nobody_listening_is_a_refused_call() {
    lesson!().assert_refused(&[], "", "");
}

#[test]
fn a_busy_port_is_explained() {
    let server = server(&[]);
    lesson!().assert_port_in_use("server", &server.addr_arg());
}

#[test]
fn a_bad_command_line_is_one_line_and_exit_2() {
    lesson!().assert_bad_addresses(&["server", "client"]);
    lesson!().assert_bad_command_lines(&[
        ("server", &["--max-callers", "0"], "--max-callers"),
        ("server", &["--max-callers", "many"], "--max-callers"),
        ("server", &["--outbox-bytes", "100"], "--outbox-bytes"),
        ("server", &["--first-line", "0"], "--first-line"),
        ("client", &["--name"], "--name"),
    ]);
}

#[test]
fn the_client_refuses_a_bad_name_before_it_calls() {
    // The server's rules, checked by the client too: a newline would let the room hear a
    // line the caller did not say (`ok: sneaky`).
    lesson!().assert_bad_command_lines(&[
        ("client", &["--name", "ok\nsneaky"], "ok\\nsneaky"),
        ("client", &["--name", "two words"], "--name"),
        ("client", &["--name", "has:colon"], "--name"),
        ("client", &["--name", ""], "--name"),
        ("client", &["--name", "al\u{200b}ice"], "U+200B"),
    ]);
}

#[test]
fn help_describes_every_option() {
    lesson!().assert_help(&[
        (
            "server",
            &["--addr", "--max-callers", "--outbox-bytes", "--first-line"],
        ),
        ("client", &["--addr", "--name"]),
    ]);
}

#[test]
fn a_closed_stdout_ends_the_server_quietly() {
    lesson!().assert_quiet_when_stdout_closes("server", b"NAME someone\nhello\n");
}

/// A caller that hangs up in the middle of a line: the part it sent still counts.
#[test]
fn a_last_line_without_newline_counts() {
    let server = server(&[]);
    let mut callers = room_of(&server, &["listener", "talker"]);
    callers[1].line.write_all(b"no newline").unwrap();
    callers[1].line.shutdown(Shutdown::Write).unwrap();
    callers[0].expect("talker: no newline");
    callers[0].expect("* talker left");
}

#[test]
fn lock_stall_shows_one_non_reader_stalling_a_room_that_writes_under_its_lock() {
    let output = lesson!()
        .command("lock-stall")
        .args(["--wait", "0.6", "--readers", "3"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout.starts_with(
            "3 callers who read, 1 who never reads; every line is written under the lock\n"
        ),
        "{stdout}"
    );
    // Every quarter of a second, what each of the 3 readers has heard: all the same (each
    // got every line until the write to the one who never reads stalled), and not nothing.
    let reports: Vec<&str> = stdout
        .lines()
        .filter_map(|line| {
            line.split_once(" s: the readers have heard ")
                .map(|(_, r)| r)
        })
        .collect();
    let last = reports
        .last()
        .unwrap_or_else(|| panic!("no report line: {stdout}"));
    let amounts: Vec<&str> = last.split(", ").collect();
    assert_eq!(amounts.len(), 3, "{stdout}");
    assert!(
        amounts.iter().all(|a| a == &amounts[0]) && amounts[0] != "0.0 MB",
        "{stdout}"
    );
    assert!(
        stdout
            .contains("a write_all waited 0.6 s for the caller who never reads, holding the lock"),
        "{stdout}"
    );
}

#[test]
fn unbounded_shows_a_queue_that_grows_until_stopped() {
    let output = lesson!()
        .command("unbounded")
        .args(["--stop-at", "8"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout.contains("stopped at 8.0 MB; nothing else would have stopped it"),
        "{stdout}"
    );
    // One unit throughout (MB, a million bytes): the last figure is 8.0 MB, not 8.4
    // (8 MiB), and the memory is in MB too.
    let last = stdout
        .lines()
        .rfind(|line| line.contains("waiting for the caller who never reads"))
        .expect("a report line");
    assert!(
        last.contains("never reads: 8.0 MB;") && last.ends_with(" MB"),
        "{last}"
    );
    // A report every 50 ms, from the start (one line queued, 0.0 MB), and one at the stop.
    let reports: Vec<&str> = stdout
        .lines()
        .filter(|line| line.contains("waiting for the caller who never reads"))
        .collect();
    assert!(reports.len() >= 2, "{stdout}");
    assert!(
        reports[0].contains("never reads: 0.0 MB;"),
        "the first report comes at the start: {stdout}"
    );
    for (k, report) in reports[..reports.len() - 1].iter().enumerate() {
        let secs: f64 = report.split(" s: ").next().unwrap().parse().unwrap();
        assert!(
            secs >= 0.05 * k as f64 - 0.01,
            "report {k} came before {} ms: {stdout}",
            50 * k
        );
    }
}

#[test]
fn ipv6_loopback_works_too() {
    if !test_support::has_ipv6_loopback() {
        return; // this machine has no ::1
    }
    let server = lesson!().start("server", &["--addr", "[::1]:0"]);
    let mut callers = room_of(&server, &["v6a", "v6b"]);
    callers[0].say("over IPv6");
    callers[1].expect("v6a: over IPv6");
}

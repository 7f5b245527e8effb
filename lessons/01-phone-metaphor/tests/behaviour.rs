//! Lesson 01 from the outside: the real programs, over real loopback TCP.

use std::io::{Read, Write};

use assert_cmd::assert::OutputAssertExt;
use predicates::prelude::*;
use predicates::str::contains;
use test_support::{
    accept, assert_printable, dial, lesson, listen, python, random_messages,
    read_some, read_to_end,
};

#[test]
fn the_programs_are_this_lessons_own() {
    // `cargo test` at the root builds every lesson's `server` into one target/debug/server:
    // make sure the tests run this lesson's own programs, not the last one built.
    lesson!().assert_own_programs(&["server", "client", "backlog"]);
}

#[test]
fn one_call_both_ways_with_chinese_text() {
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    let before = server.wait_for("[accept] waiting");
    for step in ["[socket]", "[bind]", "[listen]", "[accept]"] {
        assert!(
            before.contains(step),
            "the narration names {step}:\n{before}"
        );
    }
    // accept() blocks: nothing is picked up before somebody calls.
    assert!(!before.contains("picked up"), "{before}");

    // The server reads its reply from stdin only after the message arrives; typing it now
    // just leaves it waiting in the pipe.
    server.type_line("收到，谢谢！");
    let client = lesson!()
        .command("client")
        .args(["--addr", &server.addr_arg()])
        .write_stdin("你好，服务器\n")
        .assert()
        .success()
        .stdout(contains("the server says: 收到，谢谢！"));
    let client_out =
        String::from_utf8_lossy(&client.get_output().stdout).into_owned();

    let server = server.finish();
    let out = &server.stdout;
    assert!(server.status.success(), "{server:?}");
    assert!(out.contains("the caller says: 你好，服务器\n"), "{out}");
    assert!(out.contains("[close]"), "{out}");
    // The caller's number the server printed is the client's own address.
    let client_addr = client_out
        .split("we are ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .expect("the client says its own address");
    assert!(
        out.contains(&format!("the caller's number is {client_addr}")),
        "{out}\nclient: {client_out}"
    );
}

#[test]
fn end_of_input_means_bye() {
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    server.close_stdin();
    lesson!()
        .command("client")
        .args(["--addr", &server.addr_arg()])
        .write_stdin("hello")
        .assert()
        .success()
        .stdout(contains("the server says: bye"));
    let server = server.finish();
    assert!(
        server.stdout.contains("the caller says: hello"),
        "{server:?}"
    );

    // And a client with no input at all says "bye" too.
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    server.type_line("ok");
    lesson!()
        .command("client")
        .args(["--addr", &server.addr_arg()])
        .assert()
        .success();
    assert!(server.finish().stdout.contains("the caller says: bye"));
}

#[test]
fn an_over_long_message_is_refused_and_typed_again() {
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    server.type_line("ok");
    let long = "长".repeat(500); // 1500 bytes of UTF-8
    lesson!()
        .command("client")
        .args(["--addr", &server.addr_arg()])
        .write_stdin(format!("{long}\nshort one\n"))
        .assert()
        .success()
        .stdout(contains("1500 bytes").and(contains("at most 1024")));
    let server = server.finish();
    assert!(
        server.stdout.contains("the caller says: short one\n"),
        "{server:?}"
    );
    assert!(!server.stdout.contains('长'), "{server:?}");
}

#[test]
fn a_message_of_exactly_1024_bytes_is_sent() {
    // The limit is one recv(1024): 1024 bytes fit, as the contract says ("at most 1024").
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    server.type_line("ok");
    let full = "a".repeat(1024);
    lesson!()
        .command("client")
        .args(["--addr", &server.addr_arg()])
        .write_stdin(format!("{full}\n"))
        .assert()
        .success()
        .stdout(contains("at most 1024").not());
    let server = server.finish();
    assert!(
        server
            .stdout
            .contains(&format!("the caller says: {full}\n")),
        "{server:?}"
    );
}

#[test]
fn bytes_that_are_not_utf8_do_not_crash_the_server() {
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    server.type_line("got it");
    let mut caller = dial(server.addr());
    caller.write_all(b"ab\xff\xfecd").unwrap();
    assert_eq!(read_some(&mut caller), b"got it");
    drop(caller); // hang up too, so that the server's polite hang-up need not wait
    let server = server.finish();
    server.output().assert().success();
    assert!(
        server
            .stdout
            .contains("the caller says: ab\u{fffd}\u{fffd}cd"),
        "{server:?}"
    );
}

#[test]
fn a_caller_who_hangs_up_without_a_word() {
    let server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    drop(dial(server.addr()));
    let server = server.finish();
    server.output().assert().success();
    assert!(
        server.stdout.contains("hung up without saying anything"),
        "{server:?}"
    );
}

#[test]
fn a_server_that_hangs_up_without_replying() {
    let (listener, addr) = listen();
    let client = std::thread::spawn(move || {
        lesson!()
            .command("client")
            .args(["--addr", &addr.to_string()])
            .write_stdin("anyone there?\n")
            .assert()
            .success()
            .stdout(contains("hung up without replying"));
    });
    let mut line = accept(&listener);
    assert_eq!(read_some(&mut line), b"anyone there?");
    drop(line);
    client.join().unwrap();
}

/// The original tutorial's programs, boiled down to one call: plain send/recv(1024).
const ORIGINAL_CLIENT: &str = r#"
import socket, sys
client = socket.socket()
client.connect(('127.0.0.1', int(sys.argv[1])))
client.send('来自 Python 的问候'.encode('utf-8'))
print('reply:', client.recv(1024).decode('utf-8'))
client.close()
"#;

const ORIGINAL_SERVER: &str = r#"
import socket
server = socket.socket()
server.bind(('127.0.0.1', 0))
server.listen(5)
print('listening on 127.0.0.1:%d' % server.getsockname()[1], flush=True)
conn, addr = server.accept()
print('got:', conn.recv(1024).decode('utf-8'))
conn.send('Python 收到了'.encode('utf-8'))
conn.close()
server.close()
"#;

#[test]
fn talks_with_the_originals_python_client() {
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    server.type_line("hello from Rust");
    let port = server.addr().port().to_string();
    let client = python(ORIGINAL_CLIENT, &[&port]).finish();
    assert!(client.status.success(), "{client:?}");
    assert_eq!(client.stdout, "reply: hello from Rust\n");
    let server = server.finish();
    assert!(
        server
            .stdout
            .contains("the caller says: 来自 Python 的问候\n"),
        "{server:?}"
    );
}

#[test]
fn talks_with_the_originals_python_server() {
    let server = python(ORIGINAL_SERVER, &[]);
    let out = server.wait_for("listening on ");
    let addr = out.trim().trim_start_matches("listening on ").to_string();
    lesson!()
        .command("client")
        .args(["--addr", &addr])
        .write_stdin("hello from Rust\n")
        .assert()
        .success()
        .stdout(contains("the server says: Python 收到了\n"));
    let server = server.finish();
    assert!(server.status.success(), "{server:?}");
    assert!(
        server.stdout.contains("got: hello from Rust\n"),
        "{server:?}"
    );
}

#[test]
fn ipv6_loopback_works_too() {
    if !test_support::has_ipv6_loopback() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    }
    let mut server = lesson!().start("server", &["--addr", "[::1]:0"]);
    assert!(server.addr().is_ipv6());
    server.type_line("v6 ok");
    lesson!()
        .command("client")
        .args(["--addr", &server.addr_arg()])
        .write_stdin("over v6\n")
        .assert()
        .success()
        .stdout(contains("the server says: v6 ok"));
    assert!(
        server
            .finish()
            .stdout
            .contains("the caller's number is [::1]:")
    );
}

#[test]
fn nobody_listening_is_a_refused_call() {
    lesson!().assert_refused(&[], "hello\n", "");
}

#[test]
fn a_busy_port_is_explained() {
    let first = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    lesson!().assert_port_in_use("server", &first.addr_arg());
}

#[test]
fn a_bad_command_line_is_one_line_and_exit_2() {
    lesson!().assert_bad_addresses(&["server", "client"]);
    lesson!().assert_bad_command_lines(&[
        (
            "server",
            &["--addr", "127.0.0.1:0", "--backlog", "many"],
            "--backlog",
        ),
        ("server", &["--backlog", "-1"], "from 0 to 4096"),
        ("server", &["--backlog=-1"], "from 0 to 4096"),
        ("backlog", &["--backlog", "-1"], "from 0 to 4096"),
        ("backlog", &["--wait", "0"], "from 0.001 to 86400"),
        ("backlog", &["--wait", "1e-10"], "from 0.001 to 86400"),
        ("backlog", &["--wait", "nan"], "--wait"),
    ]);
}

#[test]
fn help_describes_every_option() {
    lesson!().assert_help(&[
        ("server", &["--addr", "--backlog", "--version"]),
        ("client", &["--addr", "--version"]),
        ("backlog", &["--backlog", "--callers", "--wait"]),
    ]);
}

/// Linux lets N + 1 callers into the queue of listen(N); the next one gets no answer (and no
/// error). Other systems differ: that is why the lesson ships the experiment.
#[cfg(target_os = "linux")]
#[test]
fn backlog_queues_n_plus_one_callers_on_linux() {
    let runs: Vec<_> = [0, 1, 3]
        .into_iter()
        .map(|n| {
            let callers = (n + 2).to_string();
            let running = lesson!().spawn(
                "backlog",
                &[
                    "--backlog",
                    &n.to_string(),
                    "--callers",
                    &callers,
                    "--wait",
                    "0.5",
                ],
            );
            (n, running)
        })
        .collect();
    for (n, running) in runs {
        let done = running.finish();
        done.output().assert().success();
        let last = done.stdout.lines().last().unwrap_or_default().to_string();
        assert_eq!(
            last,
            format!("queued: {}, no answer: 1", n + 1),
            "{}",
            done.stdout
        );
        assert_eq!(done.stdout.matches("picked up the caller").count(), n + 1);
    }
}

#[test]
fn a_closed_stdout_ends_the_server_quietly() {
    // `server | head -1`: the pipe closes after the ready line; the next line must not panic.
    lesson!().assert_quiet_when_stdout_closes("server", b"1732470000.5\n");
}

#[test]
fn the_server_starts_again_at_once_on_the_same_port() {
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    let addr = server.addr_arg();
    server.type_line("ok");
    let mut caller = dial(server.addr());
    caller.write_all(b"hello").unwrap();
    // Wait until the server has hung up, so that it hung up first: its side of the call is
    // now in TIME_WAIT on the server's port.
    assert_eq!(read_to_end(&mut caller), b"ok");
    drop(caller);
    server.finish().output().assert().success();
    // Without SO_REUSEADDR this bind fails with "already in use" for about a minute.
    let again = lesson!().start("server", &["--addr", &addr]);
    assert_eq!(again.addr_arg(), addr);
}

#[test]
fn a_reply_reaches_a_caller_whose_message_came_in_two_pieces() {
    // Like `nc -C`: `hello`, then `\r\n` on its own. The `\r\n` is still unread when the
    // server replies; a server that closes now sends a reset, and the caller's read fails
    // after (or instead of) the reply. Hanging up politely gives reply, then a clean end.
    for _ in 0..3 {
        let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
        let mut caller = dial(server.addr());
        caller.write_all(b"hello").unwrap();
        server.wait_for("the caller says: hello");
        caller.write_all(b"\r\n").unwrap();
        server.type_line("got it");
        let mut reply = Vec::new();
        let end = caller.read_to_end(&mut reply);
        assert!(
            end.is_ok() && reply == b"got it",
            "the caller should read the reply and then a clean end, got {end:?} after {:?}",
            String::from_utf8_lossy(&reply)
        );
        drop(caller);
        server.finish().output().assert().success();
    }
}

#[test]
fn control_characters_from_the_other_side_are_shown_escaped() {
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    server.type_line("ok");
    let mut caller = dial(server.addr());
    caller
        .write_all("\x1b[2Jhi\r\u{9b}31m\ttab\nline two\x07".as_bytes())
        .unwrap();
    assert_eq!(read_to_end(&mut caller), b"ok");
    drop(caller);
    let out = server.finish().stdout;
    assert!(
        out.contains(
            "the caller says: \\x1b[2Jhi\\r\\u{9b}31m\ttab\nline two\\x07\n"
        ),
        "{out}"
    );
    assert_printable("the server", &out);

    // The client shows the server's reply the same way.
    let out = lesson!().client_output_for_reply("hi", b"\x1b]0;pwned\x07done\r");
    assert!(
        out.contains("[recv]    the server says: \\x1b]0;pwned\\x07done\\r\n"),
        "{out}"
    );
    assert_printable("the client", &out);
}

#[test]
fn the_client_says_the_handshake_is_done_not_that_the_server_picked_up() {
    // A listener that never calls accept(): the system completes the handshake anyway.
    let (listener, addr) = listen();
    let mut client = lesson!().spawn("client", &["--addr", &addr.to_string()]);
    let out = client.wait_for("until it does)\n");
    assert!(
        out.starts_with("[connect] the systems completed the handshake: we are 127.0.0.1:")
            && out.contains(
            "\n[connect] (the server may not have picked up yet: we wait in its queue until it does)\n"
        ),
        "{out}"
    );
    assert!(!out.contains("picked up:"), "{out}");
    client.type_line("anyone?");
    let mut line = accept(&listener);
    assert_eq!(read_some(&mut line), b"anyone?");
    line.write_all(b"yes").unwrap();
    drop(line);
    let done = client.finish();
    assert!(done.stdout.contains("the server says: yes"), "{done:?}");
}

#[test]
fn random_bytes_from_a_caller_do_not_break_the_server() {
    // 300 messages in 6 calls: the server answers each call (one server each, since a
    // lesson 01 server serves one call) and ends normally.
    let messages = random_messages(1, 300, 150);
    for call in messages.chunks(50) {
        let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
        server.type_line("ok");
        let mut caller = dial(server.addr());
        let stream = call.concat();
        caller.write_all(&stream).unwrap();
        let reply = read_to_end(&mut caller);
        drop(caller);
        let done = server.finish();
        assert!(
            done.status.success() && done.stderr.is_empty(),
            "the server should end normally: {done:?}"
        );
        if stream.is_empty() {
            assert!(done.stdout.contains("without saying anything"), "{done:?}");
        } else {
            assert_eq!(reply, b"ok", "{done:?}");
        }
        assert_printable("the server", &done.stdout);
    }
}

#[test]
fn a_host_name_that_is_found_works() {
    // `localhost` comes from this machine's own list (/etc/hosts): no DNS server is asked.
    let mut server = lesson!().start("server", &["--addr", "localhost:0"]);
    assert!(server.addr().ip().is_loopback(), "{}", server.addr());
    server.type_line("hi");
    lesson!()
        .command("client")
        .args(["--addr", &format!("localhost:{}", server.addr().port())])
        .write_stdin("hello\n")
        .assert()
        .success()
        .stdout(contains("the server says: hi"));
}

/// Every caller in the queue holds one open socket, a file descriptor; with `ulimit -n 64`
/// the experiment runs out long before 200 callers, and says how to raise the limit.
#[cfg(unix)]
#[test]
fn running_out_of_file_descriptors_says_how_to_raise_the_limit() {
    let output = test_support::sandbox(&mut std::process::Command::new("bash"))
        .args([
            "-c",
            r#"ulimit -n 64 && exec "$0" --backlog 200 --callers 200 --wait 0.5"#,
        ])
        .arg(lesson!().program("backlog"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.lines().count() == 1
            && stderr.starts_with("error: caller ")
            && stderr.contains(
                "could not get a socket: out of file descriptors (too many open files). Each caller in the queue holds one; raise the limit in this shell, e.g. `ulimit -n 8192`, or use fewer --callers."
            ),
        "{stderr}"
    );
}

#[test]
fn backlog_dials_three_more_callers_than_the_queue_holds_by_default() {
    let done = lesson!()
        .spawn("backlog", &["--backlog", "1", "--wait", "0.3"])
        .finish();
    done.output().assert().success();
    assert!(
        done.stdout
            .contains("nobody calls accept() until all 4 callers have dialed"),
        "{}",
        done.stdout
    );
    let last = done.stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("queued: "), "{}", done.stdout);
    #[cfg(target_os = "linux")]
    assert_eq!(last, "queued: 2, no answer: 2", "{}", done.stdout);
}

/// Starts a server, has a caller say `hello` and then send `extra` bytes more, and types the
/// reply. Returns how long from typing the reply until the server said it hung up, with the
/// caller still on the line (it reads the reply and then stays, silent).
fn time_to_hang_up_with_a_caller_who_stays(extra: usize) -> std::time::Duration {
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    let mut caller = dial(server.addr());
    caller.write_all(b"hello").unwrap();
    server.wait_for("the caller says: hello");
    caller.write_all(&vec![b'x'; extra]).unwrap();
    let started = std::time::Instant::now();
    server.type_line("ok");
    assert_eq!(read_some(&mut caller), b"ok");
    server.wait_for("[close]  hung up");
    let waited = started.elapsed();
    drop(caller);
    waited
}

#[test]
fn the_server_waits_a_second_at_most_for_the_callers_goodbye() {
    // The contract's graceful close: after its reply the server listens for the caller's
    // goodbye, throwing away what still comes, for at most 1 second and 64 KiB. A caller
    // who stays on the line keeps it waiting the full second, also after 2 KiB more.
    for extra in [0, 2048] {
        let waited = time_to_hang_up_with_a_caller_who_stays(extra);
        assert!(
            waited >= std::time::Duration::from_millis(900),
            "with {extra} bytes after the message, the server hung up after {waited:?}: it \
             should wait about 1 s for the caller to hang up first"
        );
    }
    // More than 64 KiB: the server stops listening at the limit, without waiting the second.
    let waited = time_to_hang_up_with_a_caller_who_stays(100 * 1024);
    assert!(
        waited < std::time::Duration::from_millis(900),
        "after 100 KiB, the server should stop at 64 KiB and hang up, not wait {waited:?}"
    );
}

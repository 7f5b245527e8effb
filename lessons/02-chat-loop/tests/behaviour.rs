//! Lesson 02 from the outside: the real programs, over real loopback TCP.

use std::io::{Read, Write};

use assert_cmd::assert::OutputAssertExt;
use test_support::{
    Running, accept, assert_printable, dial, error_line, lesson, listen, python,
    random_messages, read_some,
};

/// The original tutorial's chat programs, in their own shape (raw send and recv(1024), no
/// line endings). The book shows the same files.
const ORIGINAL_SERVER: &str = include_str!("../python/server.py");
const ORIGINAL_CLIENT: &str = include_str!("../python/client.py");

/// Asserts that `parts` appear in `text` one after another, in this order.
fn assert_in_order(text: &str, parts: &[&str]) {
    let mut rest = text;
    for part in parts {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => {
                panic!("expected {part:?} (after the parts before it) in:\n{text}")
            }
        }
    }
}

/// A server listening on a free port, and a client that has called it.
fn both() -> (Running, Running) {
    let server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    let client = lesson!().spawn("client", &["--addr", &server.addr_arg()]);
    server.wait_for("a caller is on the line");
    (server, client)
}

#[test]
fn the_programs_are_this_lessons_own() {
    // `cargo test` at the root builds every lesson's `server` into one target/debug/server:
    // make sure the tests run this lesson's own programs, not the last one built.
    lesson!().assert_own_programs(&["server", "client"]);
}

#[test]
fn a_whole_conversation_in_turns_client_first() {
    let (mut server, mut client) = both();
    // The client speaks first; the server waits for it. (A prompt has no line ending, so
    // the tests see it only together with the line printed after it.)
    server.wait_for("waiting for the client");
    client.type_line("你好，服务器");
    server.wait_for("client says: 你好，服务器\n");
    // Now it is the server's turn, and the client waits: it does not ask for a second line.
    client.wait_for("you> waiting for the server");
    client.type_line("typed ahead, not sent yet");

    server.type_line("你好，客户端");
    client.wait_for("server says: 你好，客户端\n");
    server.wait_for("client says: typed ahead, not sent yet\n");
    server.type_line("fine, thanks");
    client.wait_for("server says: fine, thanks\n");
    client.type_line("bye");

    let client = client.finish();
    let server = server.finish();
    client.output().assert().success().stderr("");
    server.output().assert().success().stderr("");
    assert_in_order(
        &client.stdout,
        &[
            "you> ",
            "server says: 你好，客户端\n",
            "you> ",
            "server says: fine, thanks\n",
            "you> ",
            "said bye",
        ],
    );
    assert_eq!(client.stdout.matches("you> ").count(), 3, "{client:?}");
    assert_in_order(
        &server.stdout,
        &[
            "listening on ",
            "client says: 你好，服务器\n",
            "you> ",
            "client says: typed ahead, not sent yet\n",
            "you> ",
            "client says: bye\n",
            "said bye",
        ],
    );
    assert_eq!(server.stdout.matches("you> ").count(), 2, "{server:?}");
    // The server prints the caller's address; it is the client's own.
    let client_addr = client
        .stdout
        .split("we are ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .expect("the client says its own address");
    assert!(
        server
            .stdout
            .contains(&format!("a caller is on the line: {client_addr}\n")),
        "{server:?}\n{client:?}"
    );
}

#[test]
fn bye_from_the_server_ends_both() {
    let (mut server, mut client) = both();
    client.type_line("hello");
    server.wait_for("client says: hello\n");
    server.type_line("bye");
    // Both end by themselves; finish() would fail after a timeout if one kept waiting.
    let client = client.finish();
    let server = server.finish();
    client.output().assert().success().stderr("");
    server.output().assert().success().stderr("");
    assert_in_order(&client.stdout, &["server says: bye\n", "said bye"]);
    // After "bye" the client asks for nothing more.
    assert_eq!(client.stdout.matches("you> ").count(), 1, "{client:?}");
    assert!(
        server.stdout.ends_with("we said bye: hanging up\n"),
        "{server:?}"
    );
}

#[test]
fn bye_from_the_client_ends_both() {
    let (server, mut client) = both();
    client.type_line("bye");
    let server = server.finish();
    let client = client.finish();
    server.output().assert().success().stderr("");
    client.output().assert().success().stderr("");
    assert_in_order(&server.stdout, &["client says: bye\n", "said bye"]);
    assert!(!server.stdout.contains("you> "), "{server:?}");
    assert!(
        client.stdout.ends_with("we said bye: hanging up\n"),
        "{client:?}"
    );
}

#[test]
fn end_of_input_on_the_client_says_bye() {
    let (server, client) = both();
    let client = client.finish(); // closes its stdin: Ctrl-D
    client.output().assert().success().stderr("");
    assert!(client.stdout.contains("end of input"), "{client:?}");
    let server = server.finish();
    server.output().assert().success();
    assert!(server.stdout.contains("client says: bye\n"), "{server:?}");
}

#[test]
fn end_of_input_on_the_server_says_bye() {
    let (mut server, mut client) = both();
    client.type_line("hello?");
    server.wait_for("client says: hello?\n");
    server.close_stdin();
    let client = client.finish();
    client.output().assert().success().stderr("");
    assert!(client.stdout.contains("server says: bye\n"), "{client:?}");
    server.finish().output().assert().success().stderr("");
}

#[test]
fn a_message_over_1024_bytes_is_refused_and_the_next_one_sent() {
    let (mut server, mut client) = both();
    let long = "长".repeat(500); // 1500 bytes of UTF-8
    client.type_line(&long);
    client.wait_for("1500 bytes");
    client.type_line("short one");
    server.wait_for("client says: short one\n");
    server.type_line("bye");
    let client = client.finish();
    client.output().assert().success();
    assert!(client.stdout.contains("at most 1024"), "{client:?}");
    let server = server.finish();
    server.output().assert().success();
    assert!(!server.stdout.contains('长'), "{server:?}");
}

#[test]
fn an_empty_line_is_refused_because_it_would_send_nothing() {
    let (mut server, mut client) = both();
    // Writing 0 bytes sends nothing: if the client "sent" it, it would wait for a reply
    // that never comes, and the server would never see "hello".
    client.type_line("");
    client.type_line("hello");
    server.wait_for("client says: hello\n");
    server.type_line("bye");
    let client = client.finish();
    client.output().assert().success();
    assert!(client.stdout.contains("empty message"), "{client:?}");
    let server = server.finish();
    assert_eq!(
        server.stdout.matches("client says:").count(),
        1,
        "{server:?}"
    );
}

#[test]
fn bytes_that_are_not_utf8_are_shown_not_a_crash() {
    // To the server, from a raw caller.
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    let mut caller = dial(server.addr());
    caller.write_all(b"ab\xff\xfecd").unwrap();
    server.wait_for("client says: ab\u{fffd}\u{fffd}cd\n");
    // 1500 bytes of Chinese in one write: one read takes 1024 of them and cuts the 342nd
    // character in two (the original crashes here with UnicodeDecodeError).
    server.type_line("ok");
    assert_eq!(read_some(&mut caller), b"ok");
    caller.write_all("长".repeat(500).as_bytes()).unwrap();
    server.wait_for(&format!("client says: {}\u{fffd}\n", "长".repeat(341)));
    server.type_line("bye");
    assert_eq!(read_some(&mut caller), b"bye");
    drop(caller);
    server.finish().output().assert().success().stderr("");

    // To the client, from a raw server.
    let (listener, addr) = listen();
    let mut client = lesson!().spawn("client", &["--addr", &addr.to_string()]);
    let mut line = accept(&listener);
    client.type_line("hi");
    assert_eq!(read_some(&mut line), b"hi");
    line.write_all(b"\xc0oops\xff").unwrap();
    client.wait_for("server says: \u{fffd}oops\u{fffd}\n");
    client.close_stdin();
    assert_eq!(read_some(&mut line), b"bye");
    drop(line);
    let client = client.finish();
    client.output().assert().success().stderr("");
}

#[test]
fn a_client_that_vanishes_mid_conversation_ends_the_server_quickly() {
    // The client hangs up while the server waits for it to speak.
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    let mut caller = dial(server.addr());
    caller.write_all(b"hello").unwrap();
    server.wait_for("client says: hello\n");
    server.type_line("hi");
    assert_eq!(read_some(&mut caller), b"hi");
    drop(caller);
    // The original's loop prints an empty line for every read of 0 bytes. Here: one line,
    // then the end, with stdin still open (nobody typed anything).
    let out = server.wait_for("hung up");
    let server = server.finish();
    server.output().assert().success().stderr("");
    assert!(
        server
            .stdout
            .ends_with("the client hung up without saying bye\n"),
        "{server:?}"
    );
    assert!(server.stdout.len() < 1000, "{out}");
    assert!(!server.stdout.contains("client says: \n"), "{server:?}");

    // The client hangs up while the server's user is typing: the reply goes nowhere, and
    // the next read tells the server.
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    let mut caller = dial(server.addr());
    caller.write_all(b"hello").unwrap();
    server.wait_for("client says: hello\n");
    drop(caller);
    server.type_line("are you still there?");
    server.wait_for("hung up");
    let server = server.finish();
    server.output().assert().success().stderr("");
    assert!(server.stdout.len() < 1000, "{server:?}");
}

#[test]
fn a_sudden_hang_up_while_the_server_types_is_not_an_error() {
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    let mut caller = dial(server.addr());
    caller.write_all(b"one").unwrap();
    server.wait_for("client says: one\n");
    server.type_line("first reply");
    // The caller never reads "first reply", speaks again, and hangs up with it unread: its
    // system answers with a reset, which reaches the server while its user types.
    let mut peeked = [0u8; 1];
    caller.peek(&mut peeked).unwrap();
    caller.write_all(b"two").unwrap();
    server.wait_for("client says: two\n");
    drop(caller);
    server.type_line("second reply");
    server.wait_for("hung up");
    server.finish().output().assert().success().stderr("");
}

#[test]
fn a_netcat_style_bye_with_a_line_ending_counts() {
    let server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    let mut caller = dial(server.addr());
    caller.write_all(b"bye\n").unwrap();
    assert_eq!(
        test_support::read_to_end(&mut caller),
        b"",
        "no reply to a bye"
    );
    drop(caller);
    let server = server.finish();
    server.output().assert().success();
    assert!(server.stdout.contains("client says: bye\n"), "{server:?}");
    assert!(!server.stdout.contains("you> "), "{server:?}");
}

#[test]
fn a_server_that_vanishes_ends_the_client() {
    // A plain hang-up (0 bytes) after the server read our message.
    let (listener, addr) = listen();
    let mut client = lesson!().spawn("client", &["--addr", &addr.to_string()]);
    let mut line = accept(&listener);
    client.type_line("anyone there?");
    assert_eq!(read_some(&mut line), b"anyone there?");
    drop(line);
    client.wait_for("the server hung up");
    let client = client.finish();
    client.output().assert().success().stderr("");
    assert!(client.stdout.len() < 1000, "{client:?}");

    // A sudden hang-up: the server closes with our message still unread, so the system
    // answers with a reset ("connection reset by peer"). That is a hang-up too, not an error.
    let mut client = lesson!().spawn("client", &["--addr", &addr.to_string()]);
    let line = accept(&listener);
    client.type_line("are you listening?");
    let mut peeked = [0u8; 1];
    line.peek(&mut peeked).unwrap(); // the message has arrived; it stays unread
    drop(line);
    client.wait_for("the server hung up");
    client.finish().output().assert().success().stderr("");

    // A sudden hang-up while the client's user types: the server replies without reading
    // our first message, then hangs up with it unread (a reset), and our next write fails.
    let mut client = lesson!().spawn("client", &["--addr", &addr.to_string()]);
    let mut line = accept(&listener);
    client.type_line("one");
    let mut peeked = [0u8; 1];
    line.peek(&mut peeked).unwrap();
    line.write_all(b"a reply without listening").unwrap();
    client.wait_for("server says: a reply without listening\n");
    drop(line);
    client.type_line("two");
    client.wait_for("the server hung up");
    client.finish().output().assert().success().stderr("");
}

#[test]
fn a_second_caller_is_refused_while_the_first_chats() {
    let (server, client) = both();
    lesson!()
        .command("client")
        .args(["--addr", &server.addr_arg()])
        .write_stdin("me too\n")
        .assert()
        .code(1)
        .stderr(error_line("connection refused"));
    drop(client);
    drop(server);
}

#[test]
fn talks_with_the_originals_python_client() {
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    let port = server.addr().port().to_string();
    let mut client = python(ORIGINAL_CLIENT, &[&port]);
    server.wait_for("a caller is on the line");
    client.type_line("来自 Python 的问候");
    server.wait_for("client says: 来自 Python 的问候\n");
    server.type_line("hello from Rust");
    client.wait_for("server says: hello from Rust\n");
    client.type_line("one more");
    server.wait_for("client says: one more\n");
    server.type_line("bye");
    // The Python client stops only on exactly 'bye' (no line ending); otherwise it would ask
    // for input again, find none, and crash with EOFError.
    let client = client.finish();
    assert!(client.status.success(), "{client:?}");
    assert!(client.stdout.contains("server says: bye\n"), "{client:?}");
    let server = server.finish();
    server.output().assert().success().stderr("");
}

#[test]
fn talks_with_the_originals_python_server() {
    let mut server = python(ORIGINAL_SERVER, &["0"]);
    let out = server.wait_for("listening on ");
    let addr = out
        .lines()
        .find_map(|line| line.strip_prefix("listening on "))
        .expect("the Python server says where it listens")
        .to_string();
    let mut client = lesson!().spawn("client", &["--addr", &addr]);
    client.type_line("hello from Rust");
    server.wait_for("client says: hello from Rust\n");
    server.type_line("Python 收到了");
    client.wait_for("server says: Python 收到了\n");
    let client = client.finish(); // end of input: the client says bye
    client.output().assert().success().stderr("");
    let server = server.finish();
    assert!(server.status.success(), "{server:?}");
    assert!(server.stdout.contains("client says: bye\n"), "{server:?}");
}

#[test]
fn ipv6_loopback_works_too() {
    if !test_support::has_ipv6_loopback() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    }
    let server = lesson!().start("server", &["--addr", "[::1]:0"]);
    assert!(server.addr().is_ipv6());
    lesson!()
        .command("client")
        .args(["--addr", &server.addr_arg()])
        .write_stdin("bye\n")
        .assert()
        .success();
    let server = server.finish();
    assert!(
        server.stdout.contains("a caller is on the line: [::1]:"),
        "{server:?}"
    );
    assert!(server.stdout.contains("client says: bye\n"), "{server:?}");
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
}

#[test]
fn help_describes_every_option() {
    lesson!().assert_help(&[
        ("server", &["--addr", "--version"]),
        ("client", &["--addr", "--version"]),
    ]);
}

#[test]
fn a_closed_stdout_ends_the_server_quietly() {
    // `server | head -1`: the pipe closes after the ready line; the next line must not panic.
    lesson!().assert_quiet_when_stdout_closes("server", b"1732470000.5\n");
}

#[test]
fn a_bye_reaches_a_caller_whose_message_came_in_two_pieces() {
    // Like `nc -C`: `hello`, then `\r\n` on its own, still unread when the server says bye.
    // A server that closes now sends a reset instead of a goodbye, and the caller's read
    // fails after (or instead of) the bye. Hanging up politely gives bye, then a clean end.
    for _ in 0..3 {
        let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
        let mut caller = dial(server.addr());
        caller.write_all(b"hello").unwrap();
        server.wait_for("client says: hello\n");
        caller.write_all(b"\r\n").unwrap();
        server.type_line("bye");
        let mut heard = Vec::new();
        let end = caller.read_to_end(&mut heard);
        assert!(
            end.is_ok() && heard == b"bye",
            "the caller should read bye and then a clean end, got {end:?} after {:?}",
            String::from_utf8_lossy(&heard)
        );
        drop(caller);
        server.finish().output().assert().success().stderr("");
    }
}

#[test]
fn control_characters_from_the_other_side_are_shown_escaped() {
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    let mut caller = dial(server.addr());
    caller
        .write_all("\x1b[2Jhi\r\u{9b}31m\ttab\nline two\x07\r\n".as_bytes())
        .unwrap();
    // The line ending at the very end is dropped, as before; all the rest is shown.
    server.wait_for("client says: \\x1b[2Jhi\\r\\u{9b}31m\ttab\nline two\\x07\n");
    server.type_line("bye");
    assert_eq!(read_some(&mut caller), b"bye");
    drop(caller);
    let done = server.finish();
    assert_printable("the server", &done.stdout);

    let (listener, addr) = listen();
    let mut client = lesson!().spawn("client", &["--addr", &addr.to_string()]);
    let mut line = accept(&listener);
    client.type_line("hi");
    assert_eq!(read_some(&mut line), b"hi");
    line.write_all(b"\x1b]0;pwned\x07done\x7f").unwrap();
    client.wait_for("server says: \\x1b]0;pwned\\x07done\\x7f\n");
    // End of input: the client says bye and hangs up; we hang up too.
    client.close_stdin();
    assert_eq!(read_some(&mut line), b"bye");
    drop(line);
    let done = client.finish();
    assert_printable("the client", &done.stdout);
}

#[test]
fn random_bytes_from_a_caller_do_not_break_the_server() {
    // Each message is one turn: at most 1024 bytes, never empty (0 bytes would be a hang-up),
    // and never a bye.
    let messages: Vec<Vec<u8>> = random_messages(2, 300, 1024)
        .into_iter()
        .filter(|m| {
            !m.is_empty()
                && String::from_utf8_lossy(m).trim_end_matches(['\r', '\n']) != "bye"
        })
        .collect();
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    let mut caller = dial(server.addr());
    // One typed reply for every read the server makes; a message that arrives in two reads
    // needs two, so type plenty.
    server.type_bytes("ok\n".repeat(2 * messages.len() + 10).as_bytes());
    for message in &messages {
        caller.write_all(message).unwrap();
        let mut reply = [0u8; 2];
        caller.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"ok", "the server should reply to every message");
    }
    // The caller still gets a proper turn afterwards.
    caller.write_all(b"after the noise").unwrap();
    server.wait_for("client says: after the noise\n");
    let done = server.kill();
    assert!(done.stderr.is_empty(), "{done:?}");
    assert_printable("the server", &done.stdout);
}

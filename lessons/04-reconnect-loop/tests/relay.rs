//! Lesson 04 through a network that misbehaves on purpose (`test_support::relay`).
//!
//! Lesson 04 keeps the original's framing: one message is one `recv(1024)`. That survives a
//! late reply, a half-closed direction and a reset, which these checks try; it does not
//! survive a relay that splits a message (the book shows that on purpose, in lesson 03's
//! chapter), so no check here splits one.

use std::time::{Duration, Instant};

use test_support::relay::{Relay, Shape};
use test_support::{Running, lesson};

fn server(reply: &str) -> Running {
    lesson!().start("server", &["--addr", "127.0.0.1:0", "--reply", reply])
}

/// Runs the real client through `relay`, typing `lines`; returns (stdout, stderr, success).
fn client_through(relay: &Relay, lines: &str) -> (String, String, bool) {
    let addr = relay.addr().to_string();
    let out = lesson!()
        .command("client")
        .args(["--addr", &addr])
        .write_stdin(lines)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (text(&out.stdout), text(&out.stderr), out.status.success())
}

#[test]
fn a_reply_that_comes_late_is_still_heard() {
    let server = server("a reply of some length");
    let relay = Relay::start(
        server.addr(),
        Shape::whole(),
        Shape::delayed(Duration::from_millis(300)),
    );
    let started = Instant::now();
    let (stdout, stderr, ok) = client_through(&relay, "hello\n");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(
        ok && stdout.contains("the server says: a reply of some length"),
        "the client should wait for the reply.\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n--- on the wire ---\n{}",
        relay.wire()
    );
}

#[test]
fn the_client_survives_a_reset_while_it_reads_the_reply() {
    let server = server("ok");
    // The relay resets each call as soon as the reply comes: the client's read fails.
    let relay =
        Relay::start(server.addr(), Shape::whole(), Shape::whole().reset_after(0));
    let (stdout, stderr, ok) = client_through(&relay, "hello\nagain\n");
    assert!(
        ok && stdout
            .matches("the server hung up without replying")
            .count()
            == 2,
        "a reset is a hang-up: the client says so and goes on to the next message.\n\
         --- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n--- on the wire ---\n{}",
        relay.wire()
    );
}

#[test]
fn a_message_whose_direction_is_then_half_closed_still_gets_its_reply() {
    let server = server("ok");
    let relay = Relay::start(
        server.addr(),
        Shape::whole().half_close_after(5),
        Shape::whole(),
    );
    let (stdout, stderr, ok) = client_through(&relay, "hello\n");
    assert!(
        ok && stdout.contains("the server says: ok"),
        "--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n--- on the wire ---\n{}",
        relay.wire()
    );
    server.wait_for("says: hello");
}

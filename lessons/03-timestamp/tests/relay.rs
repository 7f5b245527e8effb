//! Lesson 03 through a network that misbehaves on purpose (`test_support::relay`).
//!
//! On loopback, each write of the client usually arrives in one read of the server, so a
//! server that does not really look for the `\n` passes the other tests by luck. Here a relay
//! between the real client and the real server splits every byte into a segment of its own,
//! glues writes together, stalls, or resets the call. Newline framing must survive all of it.
//! When a check fails, it prints what went over the wire.

use std::time::Duration;

use test_support::relay::{Relay, Shape};
use test_support::{Running, lesson};

fn utc_server() -> Running {
    lesson!().start("server", &["--addr", "127.0.0.1:0", "--utc"])
}

/// Runs the real client through `relay` until it has sent `count` timestamps.
fn client_through(relay: &Relay, interval: &str, count: &str) -> String {
    let addr = relay.addr().to_string();
    let args = ["--addr", &addr, "--interval", interval, "--count", count];
    let client = lesson!().command("client").args(args).output().unwrap();
    String::from_utf8_lossy(&client.stdout).into_owned()
}

/// Waits until the server has printed `count` time lines; on failure shows the wire.
fn expect_lines(server: &Running, relay: &Relay, count: usize, client: &str) {
    let wanted = count;
    let deadline = std::time::Instant::now() + test_support::TIMEOUT;
    loop {
        let stdout = server.stdout();
        let lines: Vec<&str> =
            stdout.lines().filter(|l| l.contains(" -> ")).collect();
        let good = lines.iter().filter(|l| is_time_line(l)).count();
        if good >= wanted && lines.len() == good {
            return;
        }
        if std::time::Instant::now() > deadline || lines.len() > good {
            panic!(
                "expected {wanted} lines `<timestamp> -> YYYY-MM-DD HH:MM:SS`, one per timestamp \
                 the client sent.\n--- the server printed ---\n{stdout}\n--- server stderr ---\n{}\
                 \n--- the client printed ---\n{client}\n--- on the wire ---\n{}",
                server.stderr(),
                relay.wire()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `1732470000.123456 -> 2024-11-24 17:40:00`.
fn is_time_line(line: &str) -> bool {
    let Some((sent, time)) = line.split_once(" -> ") else {
        return false;
    };
    let sent_ok = sent.parse::<f64>().is_ok_and(|s| s > 1e9) && sent.len() == 17;
    sent_ok
        && time.len() == 19
        && time.as_bytes()[4] == b'-'
        && time.as_bytes()[13] == b':'
}

#[test]
fn every_byte_in_a_segment_of_its_own_still_makes_whole_lines() {
    let server = utc_server();
    let relay = Relay::start(server.addr(), Shape::bytes(), Shape::whole());
    let client = client_through(&relay, "0", "4");
    expect_lines(&server, &relay, 4, &client);
}

#[test]
fn timestamps_glued_together_on_the_way_are_still_separate_lines() {
    let server = utc_server();
    let relay = Relay::start(
        server.addr(),
        Shape::merged(Duration::from_millis(500)),
        Shape::whole(),
    );
    let client = client_through(&relay, "0.01", "6");
    expect_lines(&server, &relay, 6, &client);
    let glued = relay.events().iter().any(|e| matches!(&e.what, test_support::relay::What::Bytes(b) if b.iter().filter(|c| **c == b'\n').count() > 1));
    assert!(
        glued,
        "the relay should have glued lines together:\n{}",
        relay.wire()
    );
}

#[test]
fn a_stall_in_the_middle_of_a_line_loses_nothing() {
    let server = utc_server();
    let to_server = Shape::whole().stall_after(7, Duration::from_millis(300));
    let relay = Relay::start(server.addr(), to_server, Shape::whole());
    let client = client_through(&relay, "0", "2");
    expect_lines(&server, &relay, 2, &client);
}

#[test]
fn a_reset_on_the_way_ends_that_call_and_the_server_serves_the_next() {
    let server = utc_server();
    let relay =
        Relay::start(server.addr(), Shape::whole().reset_after(5), Shape::whole());
    let client = client_through(&relay, "0.05", "3");
    assert!(!client.contains("panicked"), "{client}");
    // The server counts the reset as a hang-up and takes the next caller.
    let direct = Relay::start(server.addr(), Shape::whole(), Shape::whole());
    let next = client_through(&direct, "0", "1");
    expect_lines(&server, &direct, 1, &next);
}

//! The misbehaving relay does what it says, each misbehaviour alone.

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use test_support::relay::{Direction, End, Relay, Shape, What};
use test_support::{accept, dial, listen, read_to_end};

/// A server, a relay in front of it, and a client dialed through the relay.
fn through(
    to_server: Shape,
    to_client: Shape,
) -> (Relay, std::net::TcpStream, std::net::TcpStream) {
    let (listener, addr) = listen();
    let relay = Relay::start(addr, to_server, to_client);
    let client = dial(relay.addr());
    let server = accept(&listener);
    (relay, client, server)
}

fn sent_chunks(relay: &Relay, direction: Direction) -> Vec<Vec<u8>> {
    let events = relay
        .events()
        .into_iter()
        .filter(|e| e.direction == direction);
    events
        .filter_map(|e| match e.what {
            What::Bytes(bytes) => Some(bytes),
            _ => None,
        })
        .collect()
}

#[test]
fn whole_passes_every_byte_both_ways() {
    let (relay, mut client, mut server) = through(Shape::whole(), Shape::whole());
    client.write_all(b"hello\n").unwrap();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(read_to_end(&mut server), b"hello\n");
    server.write_all("你好\n".as_bytes()).unwrap();
    drop(server);
    assert_eq!(read_to_end(&mut client), "你好\n".as_bytes());
    assert!(
        relay.wire().contains(r#"client -> server "hello\n""#),
        "{}",
        relay.wire()
    );
}

#[test]
fn bytes_sends_every_byte_in_a_segment_of_its_own() {
    let (relay, mut client, mut server) = through(Shape::bytes(), Shape::whole());
    client.write_all(b"1795675552.119620\n").unwrap();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(read_to_end(&mut server), b"1795675552.119620\n");
    let chunks = sent_chunks(&relay, Direction::ToServer);
    assert_eq!(chunks.len(), 18, "{}", relay.wire());
    assert!(chunks.iter().all(|c| c.len() == 1));
}

#[test]
fn merged_glues_two_sends_into_one_read() {
    let (relay, mut client, mut server) =
        through(Shape::merged(Duration::from_millis(200)), Shape::whole());
    client.write_all(b"first").unwrap();
    std::thread::sleep(Duration::from_millis(20));
    client.write_all(b"second").unwrap();
    let mut buffer = [0u8; 1024];
    let size = server.read(&mut buffer).unwrap();
    assert_eq!(&buffer[..size], b"firstsecond", "{}", relay.wire());
}

#[test]
fn delayed_and_stalled_bytes_come_late() {
    let pause = Duration::from_millis(300);
    let (relay, mut client, mut server) =
        through(Shape::whole().stall_after(3, pause), Shape::whole());
    let started = Instant::now();
    client.write_all(b"abc").unwrap();
    let mut buffer = [0u8; 3];
    server.read_exact(&mut buffer).unwrap();
    assert!(
        started.elapsed() >= pause,
        "the stall did not hold the bytes: {}",
        relay.wire()
    );

    let (_relay, mut client, mut server) = through(Shape::delayed(pause), Shape::whole());
    let started = Instant::now();
    client.write_all(b"x").unwrap();
    server.read_exact(&mut buffer[..1]).unwrap();
    assert!(started.elapsed() >= pause);
}

#[test]
fn half_close_ends_one_direction_and_keeps_the_other() {
    let (relay, mut client, mut server) =
        through(Shape::whole().half_close_after(5), Shape::whole());
    client.write_all(b"hello, and more").unwrap();
    assert_eq!(read_to_end(&mut server), b"hello", "{}", relay.wire());
    server.write_all(b"still here").unwrap();
    let mut buffer = [0u8; 10];
    client.read_exact(&mut buffer).unwrap();
    assert_eq!(&buffer, b"still here");
    assert_eq!(
        Shape::whole().half_close_after(5).end,
        Some((5, End::HalfClose))
    );
}

#[test]
fn reset_makes_the_reader_see_a_reset() {
    let (relay, mut client, mut server) = through(Shape::whole(), Shape::whole().reset_after(3));
    server.write_all(b"abcdef").unwrap();
    let mut got = Vec::new();
    let mut buffer = [0u8; 16];
    let err = loop {
        match client.read(&mut buffer) {
            Ok(0) => panic!("a clean end, not a reset; got {got:?}\n{}", relay.wire()),
            Ok(size) => got.extend_from_slice(&buffer[..size]),
            Err(err) => break err,
        }
    };
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{}", relay.wire());
    assert!(got.len() <= 3, "{got:?}");
    assert!(relay.wire().contains("(the relay reset the connection)"));
}

#[test]
fn the_wire_log_escapes_what_is_not_printable() {
    let (relay, mut client, mut server) = through(Shape::whole(), Shape::whole());
    client.write_all(b"a\0\x1b[2J\n").unwrap();
    client.write_all(b"\xff").unwrap();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    read_to_end(&mut server);
    drop(server);
    read_to_end(&mut client);
    let wire = relay.wire();
    assert!(wire.contains(r#"a\u{0}\u{1b}[2J\n"#), "{wire}");
    assert!(wire.contains(r#"\xff""#), "{wire}");
    assert!(wire.contains("(hung up)"), "{wire}");
    assert!(!wire.contains('\x1b'));
}

#[test]
fn shapes_are_written_in_words_for_the_relay_program() {
    let shape: Shape = "bytes,stall:10:2s,reset:40".parse().unwrap();
    assert!(shape.one_byte_gap.is_some());
    assert_eq!(shape.stall, Some((10, Duration::from_secs(2))));
    assert_eq!(shape.end, Some((40, End::Reset)));
    let merged: Shape = "merge:50ms".parse().unwrap();
    assert_eq!(merged.merge, Some(Duration::from_millis(50)));
    for bad in ["", "split", "merge:forever", "delay:1e9s", "reset:x"] {
        assert!(bad.parse::<Shape>().is_err(), "{bad:?} was taken");
    }
}

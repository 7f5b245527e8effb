//! Lesson 01: the other side resets the call while we speak.
//!
//! A reset reaches the other side when the last copy of the socket closes. Another test of
//! the same binary that starts a program at that moment would hold a copy for a while (from
//! fork to exec), and the reset would come late: so this check is alone in its file.

use std::io::Write;

use test_support::{accept, dial, lesson, listen, reset};

#[test]
fn a_reset_before_we_speak_is_a_hang_up_on_either_side() {
    // The server: the caller is gone (a reset) before the reply is typed.
    let mut server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    let mut caller = dial(server.addr());
    caller.write_all(b"hello").unwrap();
    server.wait_for("the caller says: hello");
    reset(caller);
    server.type_line("too late");
    let server = server.finish();
    assert!(
        server.status.success()
            && server
                .stdout
                .contains("[send]   the caller hung up before hearing the reply\n"),
        "a caller who left is a note, not an error: {server:?}"
    );

    // The server: the caller resets without a word; that is a hang-up too.
    let server = lesson!().start("server", &["--addr", "127.0.0.1:0"]);
    reset(dial(server.addr()));
    let server = server.finish();
    assert!(
        server.status.success()
            && server
                .stdout
                .contains("[recv]   the caller hung up without saying anything\n"),
        "a reset is a hang-up, not an error: {server:?}"
    );

    // The client: the server picks up and resets before the message is typed.
    let (listener, addr) = listen();
    let mut client = lesson!().spawn("client", &["--addr", &addr.to_string()]);
    reset(accept(&listener));
    client.type_line("hello?");
    let client = client.finish();
    assert!(
        client.status.success()
            && client
                .stdout
                .contains("[send]    the server hung up before we could speak\n"),
        "a server that left is a note, not an error: {client:?}"
    );
}

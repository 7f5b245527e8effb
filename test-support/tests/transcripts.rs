//! The book's terminal transcripts (`book/transcripts/`) come from real runs: each script is
//! run again here, and a program that now prints something else fails this test.
//! After a deliberate change: `TRANSCRIPTS_BLESS=1 cargo test -p test-support --test transcripts`.

use std::path::Path;

use test_support::transcript;

fn transcripts_dir() -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    root.join("book/transcripts")
}

#[test]
fn every_transcript_in_the_book_matches_a_fresh_run() {
    let bless = std::env::var_os(transcript::BLESS_ENV).is_some();
    let problems = transcript::check_dir(&transcripts_dir(), bless);
    assert!(
        problems.is_empty(),
        "the book shows output that the programs no longer print:\n{}\n\nIf the change is \
         deliberate, run: TRANSCRIPTS_BLESS=1 cargo test -p test-support --test transcripts",
        problems.join("\n")
    );
}

#[test]
fn a_changed_program_message_fails_the_check() {
    // One real script, with a kept transcript in which one word of the program's differs.
    let scratch = tempfile::tempdir().unwrap();
    let script = scratch.path().join("one-call.script");
    std::fs::copy(transcripts_dir().join("01-one-call.script"), &script).unwrap();
    std::fs::create_dir(scratch.path().join("one-call")).unwrap();
    for (terminal, text) in transcript::run(&script) {
        let changed = text.replacen("hung up", "hang up", 1);
        assert_ne!(changed, text, "terminal {terminal} should say `hung up`");
        std::fs::write(
            scratch.path().join(format!("one-call/{terminal}.txt")),
            changed,
        )
        .unwrap();
    }
    let problems = transcript::check_dir(scratch.path(), false);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("the program printed"), "{problems:?}");
}

#[test]
fn ports_and_times_are_ignored_but_words_are_not() {
    let kept = "listening on 127.0.0.1:8001\n1795675552.119620 -> 2026-11-26 14:45:52\n";
    let fresh = "listening on 127.0.0.1:41234\n1795675999.000001 -> 2026-11-26 14:53:19\n";
    assert_eq!(transcript::difference(kept, fresh), None);
    let reworded = "listening at 127.0.0.1:41234\n1795675999.000001 -> 2026-11-26 14:53:19\n";
    assert!(transcript::difference(kept, reworded).is_some());
    assert!(transcript::difference("sent 3 timestamps\n", "sent 2 timestamps\n").is_some());
}

#[test]
fn a_python_step_calls_the_last_server_on_its_real_port() {
    let scratch = tempfile::tempdir().unwrap();
    let caller = scratch.path().join("caller.py");
    std::fs::write(
        &caller,
        "import socket, sys\n\
         call = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n\
         call.sendall(b'0\\n')\n\
         call.close()\n\
         print('sent 0')\n",
    )
    .unwrap();
    let script = scratch.path().join("python.script");
    std::fs::write(
        &script,
        format!(
            "port 8001\n\
             server $ cargo run -p lesson-03-timestamp --bin server -- --utc\n\
             client $ python3 {} 8001\n\
             server ? hung up\n\
             server ^C\n",
            caller.display()
        ),
    )
    .unwrap();
    let transcripts = transcript::run(&script);
    let [(_, server), (_, client)] = &transcripts[..] else {
        panic!("expected two terminals: {transcripts:?}");
    };
    // The book shows the script's port; the program was given the real one, and got through.
    assert_eq!(
        client,
        &format!("$ python3 {} 8001\nsent 0\n", caller.display())
    );
    assert!(
        server.contains("\n0 -> 1970-01-01 00:00:00\n"),
        "the server got the Python caller's line:\n{server}"
    );
}

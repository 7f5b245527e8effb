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
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "the scripts use bash, /dev/tcp and Linux's answers (the backlog's N + 1)"
)]
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
#[cfg_attr(not(unix), ignore = "the scripts need a Unix shell")]
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
    // (Whatever TRANSCRIPTS_ONLY says: this script must run.)
    let problems = transcript::check_scripts(scratch.path(), false, None);
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
    let speed = "sent 10240 bytes in 0.010 s (1 MB/s)\n";
    assert_eq!(
        transcript::difference(speed, "sent 10240 bytes in 0.003 s (3.4 MB/s)\n"),
        None
    );
    assert!(transcript::difference(speed, "sent 10240 bytes in 0.003 s (3 kB/s)\n").is_some());
}

//! `cargo xtask` as a user meets it: the command line and a closed pipe.

use std::process::{Command, Stdio};

fn xtask(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.args(args);
    command
}

/// `cargo xtask exercise show 03 | head -1`: the reader goes away, xtask ends quietly.
#[test]
fn a_closed_stdout_ends_xtask_quietly() {
    let mut child = xtask(&["exercise", "show", "03"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A misuse of `grade` is clap's message and exit status 2; `--help` lists every option.
#[test]
fn grade_misuse_exits_2_and_help_lists_the_options() {
    for args in [
        &["grade"][..],
        &["grade", "--format", "xml", "x"],
        &["grade", "--jobs", "0", "x"],
    ] {
        let out = xtask(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
    let help = xtask(&["grade", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for option in [
        "--lesson",
        "--check",
        "--format",
        "--timeout",
        "--jobs",
        "--list",
        "PATH",
    ] {
        assert!(help.contains(option), "{option} is not in:\n{help}");
    }
}

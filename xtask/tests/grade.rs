//! `cargo xtask grade` from the outside: the real command, grading real implementations and
//! the cheats a student might try, each a fixture. Every submission must score what its
//! honest behaviour earns.
//!
//! These tests build and run lesson tests, so they take more than a few seconds each: they
//! are `#[ignore]`d, and `cargo xtask ci` runs them with `cargo test -p xtask -- --ignored`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    path.to_str().unwrap().to_string()
}

/// `cargo xtask grade <args>`, run from a temporary folder.
fn grade_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .arg("grade")
        .args(args)
        .current_dir(std::env::temp_dir());
    command
}

/// Runs grade with `--format json`; it must exit 0. The report, parsed.
fn grade(args: &[&str]) -> Value {
    let output: Output = grade_command(&[args, &["--format", "json"]].concat())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "grade failed:\n{stderr}");
    serde_json::from_slice(&output.stdout).unwrap()
}

fn submission<'a>(report: &'a Value, id: &str) -> &'a Value {
    let all = report["submissions"].as_array().unwrap();
    all.iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no submission {id}: {report:#}"))
}

/// The check `id` of a submission, among its exercise checks or its experiments.
fn check<'a>(submission: &'a Value, id: &str) -> &'a Value {
    let checks = submission["checks"].as_array().unwrap();
    let experiments = submission["experiments"].as_array().unwrap();
    checks
        .iter()
        .chain(experiments)
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id}: {submission:#}"))
}

fn reason(check: &Value) -> &str {
    check["reason"].as_str().unwrap_or_default()
}

/// A Python implementation of lesson 03, written from the contract appendix alone, gets
/// full marks; the experiment `glued`, which the exercise does not ask for, is scored apart.
/// The same program with the classic mistake (one recv taken as one message) fails the check
/// that catches it, with the reason.
#[test]
#[ignore = "slow: runs the lesson 03 tests against Python programs; cargo xtask ci runs it"]
fn a_python_program_written_from_the_contract_gets_full_marks() {
    let report = grade(&[
        "--lesson",
        "03",
        &fixture("python-programs"),
        &fixture("python-naive"),
    ]);
    let good = submission(&report, "python-programs");
    assert!(good["max_score"].as_u64().unwrap() >= 25, "{good:#}");
    assert_eq!(good["score"], good["max_score"], "{good:#}");
    let glued = check(good, "l03.glued_shows_two_sends_in_one_read");
    assert_eq!(glued["status"], "fail");
    assert!(reason(glued).contains("there is no program"), "{glued:#}");

    let naive = submission(&report, "python-naive");
    let lines = check(naive, "l03.ten_thousand_timestamps_make_ten_thousand_lines");
    assert_eq!(lines["status"], "fail", "{lines:#}");
    assert!(
        reason(lines).contains("10,000 timestamps")
            && reason(lines).contains("error: not a timestamp"),
        "{lines:#}"
    );
    assert_eq!(
        check(naive, "l03.help_describes_every_option")["status"],
        "pass"
    );
}

/// A program that looks for the grader's tree (CARGO_* variables, its folder, its home) to
/// run the reference server from there finds nothing, and scores what a program that ends
/// at once scores: nothing.
#[cfg(unix)]
#[test]
#[ignore = "slow: runs lesson 03 tests; cargo xtask ci runs it"]
fn a_program_that_looks_for_the_grader_earns_only_its_honest_score() {
    let checks = [
        "l03.timestamps_become_times_in_utc",
        "l03.the_client_and_server_together",
        "l03.help_describes_every_option",
    ];
    let mut args = vec!["--lesson".to_string(), "3".into()];
    for id in checks {
        args.extend(["--check".to_string(), id.to_string()]);
    }
    // `--keep`: the whole output of each check that did not pass, and how to run it again.
    let keep = tempfile::tempdir().unwrap();
    args.extend(["--keep".to_string(), keep.path().display().to_string()]);
    args.extend([fixture("snooping-programs"), fixture("quitting-programs")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let report = grade(&args);
    let snooping = submission(&report, "snooping-programs");
    let quitting = submission(&report, "quitting-programs");
    assert_eq!(snooping["score"], 0, "{snooping:#}");
    assert_eq!(quitting["score"], 0, "{quitting:#}");
    let utc = check(snooping, checks[0]);
    assert!(
        reason(utc).contains("found no reference program"),
        "{utc:#}"
    );
    assert_eq!(check(quitting, checks[0])["status"], "fail");
    let kept = keep
        .path()
        .join("snooping-programs")
        .join(format!("{}.txt", checks[0]));
    let kept = std::fs::read_to_string(&kept).unwrap();
    let again = format!("--check {} '{}'\n", checks[0], fixture("snooping-programs"));
    assert!(
        kept.contains("run it again: cargo xtask grade --no-calibration --timeout"),
        "{kept}"
    );
    assert!(kept.contains(&again), "{kept}");
    assert!(kept.contains("found no reference program"), "{kept}");
    assert!(
        kept.contains("--- run 2 (Fail, "),
        "a failed check runs twice: {kept}"
    );
    assert!(kept.contains("\n--- stderr ---\n"), "{kept}");
}

/// A check id that names nothing is a mistake of the command line (exit 2), never a check
/// that quietly passes.
#[test]
#[ignore = "slow: builds the lesson 03 tests; cargo xtask ci runs it"]
fn an_unknown_check_id_is_a_bad_command_line() {
    let output = grade_command(&[
        "--lesson",
        "3",
        "--check",
        "utc",
        &fixture("python-programs"),
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no check has the id `utc`"), "{stderr}");
    let listed = grade_command(&["--lesson", "3", "--list"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed
            .lines()
            .any(|id| id == "l03.timestamps_become_times_in_utc"),
        "{listed}"
    );
}

/// Copies this workspace's files (what git knows) to `to`: a student's checkout.
fn checkout(to: &Path) {
    let listed = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(listed.status.success());
    for name in listed.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name).into_owned();
        let from = root().join(&name);
        if from.is_file() {
            let dest = to.join(&name);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(&from, &dest).unwrap();
        }
    }
}

fn write_script(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// A class folder: a good checkout, one that is still the starter, one that does not build,
/// one whose tests were edited and deleted, and programs that hang and flood. Every
/// submission gets its checks, each failure its reason, within the time limit; nothing stops
/// the run, and edited tests change nothing.
#[cfg(unix)]
#[test]
#[ignore = "slow: builds four checkouts; cargo xtask ci runs it"]
fn grades_a_class_of_checkouts_and_survives_the_broken_ones() {
    let class = std::env::temp_dir().join(format!("xtask-grade-class-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&class);
    let lesson = "lessons/03-timestamp";

    checkout(&class.join("alice"));

    // Bob handed in the starter: it compiles, and its parts say todo!().
    checkout(&class.join("bob"));
    let shown = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["exercise", "show", "03"])
        .output()
        .unwrap();
    assert!(shown.status.success(), "{shown:?}");
    let shown = String::from_utf8(shown.stdout).unwrap();
    for part in shown.split("// ---- ").skip(1) {
        let (header, text) = part.split_once('\n').unwrap();
        let path = header.trim_end_matches(" (starter) ----");
        std::fs::write(class.join("bob").join(path), text).unwrap();
    }

    // Carol's server does not compile.
    checkout(&class.join("carol"));
    std::fs::write(
        class.join("carol").join(lesson).join("src/bin/server.rs"),
        "fn main() { let x: u32 = \"not a number\"; }\n",
    )
    .unwrap();

    // Dave's server never says it listens, and his client floods its output forever.
    let dave = class.join("dave").join("lesson-03-timestamp");
    write_script(&dave.join("server"), "#!/bin/sh\nexec sleep 600\n");
    write_script(
        &dave.join("client"),
        "#!/bin/sh\nwhile :; do echo flood flood flood flood; done\n",
    );

    // Erin handed in the starter too, with its tests edited to pass and one test file deleted.
    checkout(&class.join("erin"));
    for part in shown.split("// ---- ").skip(1) {
        let (header, text) = part.split_once('\n').unwrap();
        let path = header.trim_end_matches(" (starter) ----");
        std::fs::write(class.join("erin").join(path), text).unwrap();
    }
    let tests = class.join("erin").join(lesson).join("tests");
    std::fs::write(
        tests.join("behaviour.rs"),
        "#[test]\nfn timestamps_become_times_in_utc() {}\n",
    )
    .unwrap();
    std::fs::remove_file(tests.join("relay.rs")).unwrap();

    let started = std::time::Instant::now();
    let report = grade(&[
        "--lesson",
        "3",
        "--timeout",
        "5",
        "--check",
        "l03.timestamps_become_times_in_utc",
        "--check",
        "l03.nobody_listening_is_a_refused_call",
        "--check",
        "l03.help_describes_every_option",
        class.to_str().unwrap(),
    ]);
    let seconds = started.elapsed().as_secs();
    std::fs::remove_dir_all(&class).unwrap();
    assert_eq!(
        report["submissions"].as_array().unwrap().len(),
        5,
        "{report:#}"
    );

    let alice = submission(&report, "alice");
    assert_eq!(
        (alice["score"].as_u64(), alice["max_score"].as_u64()),
        (Some(3), Some(3)),
        "{alice:#}"
    );

    for id in ["bob", "erin"] {
        let starter = submission(&report, id);
        let utc = check(starter, "l03.timestamps_become_times_in_utc");
        assert_eq!(utc["status"], "fail", "{starter:#}");
        assert!(
            reason(utc).contains("not yet implemented"),
            "the reason shows the starter's todo!(): {utc:#}"
        );
        assert_eq!(
            check(starter, "l03.help_describes_every_option")["status"],
            "pass"
        );
    }
    // Erin's edited tests were never built or run: she scores what bob scores.
    assert_eq!(
        submission(&report, "erin")["score"],
        submission(&report, "bob")["score"]
    );

    let carol = submission(&report, "carol");
    assert_eq!(carol["status"], "build_failed");
    for c in carol["checks"].as_array().unwrap() {
        assert_eq!(c["status"], "skipped");
        assert!(
            reason(c).starts_with("does not build: error[E0308]: mismatched types"),
            "{c:#}"
        );
    }

    let dave = submission(&report, "dave");
    let hang = check(dave, "l03.timestamps_become_times_in_utc");
    assert_eq!(hang["status"], "timeout", "{hang:#}");
    assert!(reason(hang).contains("took longer than 5s"), "{hang:#}");
    // The client floods its output and never ends: stopped at the time limit too.
    let flood = check(dave, "l03.nobody_listening_is_a_refused_call");
    assert_ne!(flood["status"], "pass", "{flood:#}");
    assert_eq!(dave["score"], 0);
    assert!(seconds < 600, "the class took {seconds}s");
}

/// A build script in a student's lesson crate runs while the grader builds the checkout.
/// This one finds the grader's target folder and replaces the compiled tests with a fake
/// that passes everything. The grader notices (SHA-256) and gives no grade: exit 3.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "slow: builds the lesson 03 tests in a target folder of its own; cargo xtask ci runs it"]
fn a_build_script_that_replaces_the_tests_breaks_grading_instead_of_passing() {
    let dir = std::env::temp_dir().join(format!("xtask-grade-attack-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mallory = dir.join("mallory");
    checkout(&mallory);
    let crate_dir = mallory.join("lessons/03-timestamp");
    std::fs::copy(
        fixture("build-script-attack/build.rs"),
        crate_dir.join("build.rs"),
    )
    .unwrap();

    // The grader's own target folder is a scratch one here, so the attack harms nothing else.
    let output = grade_command(&[
        "--lesson",
        "3",
        "--check",
        "l03.timestamps_become_times_in_utc",
        mallory.to_str().unwrap(),
    ])
    .env("CARGO_TARGET_DIR", dir.join("grader-target"))
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(output.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("changed after the grader built it"),
        "{stderr}"
    );
    assert!(!stdout.contains("pass"), "no grade is given: {stdout}");
}

/// With `--no-network`, each test runs in a network namespace of its own with loopback up:
/// the checks still pass, and the report says which protections were in force.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "slow: runs lesson 03 tests; cargo xtask ci runs it"]
fn no_network_keeps_loopback_and_is_reported() {
    let works = Command::new("unshare").args(["-rn", "true"]).status();
    if !works.is_ok_and(|status| status.success()) {
        eprintln!("skipped: `unshare -rn` does not work here");
        return;
    }
    let report = grade(&[
        "--lesson",
        "3",
        "--no-network",
        "--check",
        "l03.timestamps_become_times_in_utc",
        "--check",
        "l03.ipv6_loopback_works_too",
        &fixture("python-programs"),
    ]);
    let good = submission(&report, "python-programs");
    assert_eq!(good["score"], 2, "{good:#}");
    let protections = report["protections"].to_string();
    assert!(
        protections.contains("no network but loopback"),
        "{protections}"
    );
}

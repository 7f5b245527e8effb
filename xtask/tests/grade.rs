//! `cargo xtask grade` from the outside: the real command, grading real implementations.
//!
//! These tests build and run lesson tests, so they take more than a few seconds each: they
//! are `#[ignore]`d, and `cargo xtask ci` runs them with `cargo test -p xtask -- --ignored`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn grade(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("grade")
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "grade failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// One row of the CSV report.
#[derive(Debug)]
struct Row {
    submission: String,
    check: String,
    result: String,
    reason: String,
}

/// Reads the CSV report (RFC 4180 quoting), skipping the header.
fn rows(csv: &str) -> Vec<Row> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = csv.chars().peekable();
    let mut quoted = false;
    while let Some(ch) = chars.next() {
        match (quoted, ch) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, ch) => field.push(ch),
            (false, '"') => quoted = true,
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (false, '\n') => {
                fields.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut fields));
            }
            (false, ch) => field.push(ch),
        }
    }
    assert_eq!(
        records.first().map(|r| r.join(",")),
        Some("submission,path,lesson,check,result,reason,seconds".to_string())
    );
    records
        .into_iter()
        .skip(1)
        .map(|r| {
            assert_eq!(r.len(), 7, "{r:?}");
            Row {
                submission: r[0].clone(),
                check: r[3].clone(),
                result: r[4].clone(),
                reason: r[5].clone(),
            }
        })
        .collect()
}

fn find<'a>(rows: &'a [Row], submission: &str, check: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.submission == submission && r.check == check)
        .unwrap_or_else(|| panic!("no row for {submission} {check}: {rows:#?}"))
}

/// A Python implementation of lesson 03, wrapped in two tiny scripts, passes the checks it
/// keeps; the same program with the classic mistake (one recv taken as one message) fails
/// the check that catches it, with the reason.
#[test]
#[ignore = "slow: runs the lesson 03 tests against Python programs; cargo xtask ci runs it"]
fn grades_a_python_implementation_of_the_contract() {
    let good = fixtures().join("python-programs");
    let naive = fixtures().join("python-naive");
    let out = grade(&[
        "--lesson",
        "03",
        "--format",
        "csv",
        good.to_str().unwrap(),
        "--check",
        "ten_thousand",
        "--check",
        "timestamps_become_times_in_utc",
        "--check",
        "a_line_that_is_not_a_timestamp",
        "--check",
        "help_describes",
        "--check",
        "glued",
        naive.to_str().unwrap(),
    ]);
    let rows = rows(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(rows.len(), 2 * 5, "{rows:#?}");
    for check in [
        "ten_thousand_timestamps_make_ten_thousand_lines",
        "timestamps_become_times_in_utc",
        "a_line_that_is_not_a_timestamp_is_an_error_and_serving_goes_on",
        "help_describes_every_option",
    ] {
        let row = find(&rows, "python-programs", check);
        assert_eq!(row.result, "pass", "{row:?}");
    }
    // The Python homework has no `glued` experiment: that check fails, and says why.
    let glued = find(
        &rows,
        "python-programs",
        "glued_shows_two_sends_in_one_read",
    );
    assert_eq!(glued.result, "fail");
    assert!(glued.reason.contains("there is no program"), "{glued:?}");

    let glued_lines = find(
        &rows,
        "python-naive",
        "ten_thousand_timestamps_make_ten_thousand_lines",
    );
    assert_eq!(glued_lines.result, "fail", "{glued_lines:?}");
    assert!(
        glued_lines.reason.contains("10,000 timestamps")
            && glued_lines.reason.contains("error: not a timestamp"),
        "{glued_lines:?}"
    );
    assert_eq!(
        find(&rows, "python-naive", "help_describes_every_option").result,
        "pass"
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

/// A class folder: a good checkout, one that is still the starter, one that does not
/// build, and programs that hang and flood. Every submission gets its rows, each failure
/// its reason, within the time limit; nothing stops the run.
#[cfg(unix)]
#[test]
#[ignore = "slow: builds three checkouts; cargo xtask ci runs it"]
fn grades_a_class_of_checkouts_and_survives_the_broken_ones() {
    let class = std::env::temp_dir().join(format!("xtask-grade-class-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&class);
    let lesson = "lessons/03-timestamp";

    checkout(&class.join("alice"));

    // Bob handed in the starter: it compiles, and its parts say todo!().
    checkout(&class.join("bob"));
    // `cargo xtask exercise show 03` prints each starter file after a line
    // `// ---- <path> (starter) ----`.
    let shown = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["exercise", "show", "03"])
        .output()
        .unwrap();
    assert!(shown.status.success(), "{shown:?}");
    let shown = String::from_utf8(shown.stdout).unwrap();
    let mut files = 0;
    for part in shown.split("// ---- ").skip(1) {
        let (header, text) = part.split_once('\n').unwrap();
        let path = header.trim_end_matches(" (starter) ----");
        assert!(path.starts_with(lesson), "{header}");
        std::fs::write(class.join("bob").join(path), text).unwrap();
        files += 1;
    }
    assert_eq!(files, 3, "{shown}");

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

    let started = std::time::Instant::now();
    let out = grade(&[
        "--lesson",
        "3",
        "--timeout",
        "5",
        "--format",
        "csv",
        "--check",
        "timestamps_become_times_in_utc",
        "--check",
        "nobody_listening",
        "--check",
        "help_describes",
        class.to_str().unwrap(),
    ]);
    let seconds = started.elapsed().as_secs();
    std::fs::remove_dir_all(&class).unwrap();
    let rows = rows(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(rows.len(), 4 * 3, "{rows:#?}");

    for row in rows.iter().filter(|r| r.submission == "alice") {
        assert_eq!(row.result, "pass", "{row:?}");
    }

    let bob = find(&rows, "bob", "timestamps_become_times_in_utc");
    assert_eq!(bob.result, "fail");
    assert!(
        bob.reason.contains("not yet implemented"),
        "the reason shows the starter's todo!(): {bob:?}"
    );
    assert_eq!(
        find(&rows, "bob", "help_describes_every_option").result,
        "pass"
    );

    for row in rows.iter().filter(|r| r.submission == "carol") {
        assert_eq!(row.result, "fail");
        assert!(
            row.reason
                .starts_with("does not build: error[E0308]: mismatched types"),
            "{row:?}"
        );
    }

    let hang = find(&rows, "dave", "timestamps_become_times_in_utc");
    assert!(hang.reason.contains("took longer than 5s"), "{hang:?}");
    let flood = find(&rows, "dave", "nobody_listening_is_a_refused_call");
    assert_eq!(flood.result, "fail", "{flood:?}");
    // Two 5-second limits ran in parallel with the rest: the run stayed bounded.
    assert!(seconds < 240, "the class took {seconds}s");
}

//! The chapter shows what each example prints from `output/<name>.txt`. This test runs each
//! example and fails when its output differs, so the book cannot drift from the code.
//! After a deliberate change: `ONRAMP_BLESS=1 cargo test -p rust-onramp` rewrites the files.

use std::path::Path;
use std::process::Command;

fn check(name: &str, program: &str) {
    let output = Command::new(program).output().expect("the example runs");
    assert!(output.status.success(), "{name} failed: {output:?}");
    let actual = String::from_utf8(output.stdout).expect("UTF-8 output");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("output/{name}.txt"));
    if std::env::var_os("ONRAMP_BLESS").is_some() {
        std::fs::write(&file, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_default();
    assert_eq!(
        actual,
        expected,
        "{name} prints something else than {}: run ONRAMP_BLESS=1 cargo test -p rust-onramp",
        file.display()
    );
}

#[test]
fn names_prints_what_the_chapter_shows() {
    check("names", env!("CARGO_BIN_EXE_names"));
}

#[test]
fn errors_prints_what_the_chapter_shows() {
    check("errors", env!("CARGO_BIN_EXE_errors"));
}

#[test]
fn loops_prints_what_the_chapter_shows() {
    check("loops", env!("CARGO_BIN_EXE_loops"));
}

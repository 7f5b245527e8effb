//! The project's chores: `cargo xtask <command>` (the alias is in `.cargo/config.toml`).
//!
//! - `book serve [--open]`: serve the book at http://localhost:3000, rebuilding on changes.
//! - `book build`: build the book into `book/book/html/`.
//! - `book check`: check every `{{#include}}` in the book against the code, build the book
//!   with its plugins (link check), and open every chapter in headless Chromium.
//! - `book tools`: install mdBook and the book's plugins at their pinned versions.
//! - `exercise list|show|start|generate|check`: the exercises' starters, and the proof that
//!   the tests can fail (`exercise.rs`).
//! - `grade PATH...`: grade other implementations with this repository's tests (`grade.rs`).
//! - `ci`: everything CI checks, in the order it checks it.

mod book;
mod exercise;
mod grade;
mod json;
mod testrun;
mod tools;

use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  book serve [--open]   serve the book at http://localhost:3000 (installs mdBook if missing)
  book build            build the book into book/book/html/
  book check            check the book: every {{#include}} finds its code, no broken link,
                        every chapter and diagram works in headless Chromium
  book tools            install mdBook and the book's plugins (pinned in xtask/src/tools.rs)
  exercise list         the exercises (lessons 03 and 04) and the parts a student writes
  exercise show NN      print the starter of exercise NN (writes nothing)
  exercise start NN     write the starter over the lesson's files (git is the undo)
  exercise generate     rewrite the starter copies the book includes (lessons/NN-*/starter/)
  exercise check        prove the tests can fail: starters fail, solutions pass (scratch copy)
  grade PATH...         grade checkouts, folders of programs or a class with this repo's tests
                        (`cargo xtask grade --help` for the options)
  ci                    everything CI checks: rustfmt, clippy, tests, the book";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[&str]) -> anyhow::Result<()> {
    match args {
        ["book", "serve", rest @ ..] => book::serve(rest.contains(&"--open")),
        ["book", "build"] => book::build(),
        ["book", "check"] => book::check(),
        ["book", "tools"] => book::install_tools(),
        ["exercise", rest @ ..] => exercise::run(rest),
        ["grade", rest @ ..] => grade::run(rest),
        ["ci"] => ci(),
        ["help" | "--help" | "-h"] | [] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("unknown command `{}`\n\n{USAGE}", args.join(" ")),
    }
}

/// What CI runs, in one place. `.ci/run` calls this after installing what it needs.
fn ci() -> anyhow::Result<()> {
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ])?;
    // The README's test command, then the same suite under cargo-nextest, which runs every
    // test in a process of its own (and so finds other mistakes).
    cargo(&["test", "--workspace", "--locked"])?;
    if tools::on_path("cargo-nextest") {
        cargo(&["nextest", "run", "--workspace", "--locked"])?;
    } else {
        println!("xtask: cargo-nextest is not installed; skipping the nextest run");
    }
    // The exercises: in a scratch copy, every starter compiles and fails the behavioural
    // tests of its missing parts, and every solution passes. Then the grading tests, which
    // are too slow for `cargo test` (they are `#[ignore]`d there).
    exercise::run(&["check"])?;
    cargo(&[
        "test",
        "--package",
        "xtask",
        "--test",
        "grade",
        "--locked",
        "--",
        "--ignored",
    ])?;
    if tools::chromium().is_some() {
        book::check()?;
    } else {
        println!("xtask: Chromium is not installed; skipping the browser check of the book");
        book::check_includes_cmd()?;
        book::build()?;
    }
    println!("xtask: ci passed");
    Ok(())
}

/// Runs `cargo <args>` at the workspace root and fails when it fails.
fn cargo(args: &[&str]) -> anyhow::Result<()> {
    println!("xtask: cargo {}", args.join(" "));
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(tools::workspace_root())
        .status()
        .context("could not run cargo")?;
    if !status.success() {
        bail!("`cargo {}` failed", args.join(" "));
    }
    Ok(())
}

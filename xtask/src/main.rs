//! The project's chores: `cargo xtask <command>` (the alias is in `.cargo/config.toml`).
//! `cargo xtask --help` lists the commands; each has its own `--help`.

mod bench;
mod book;
mod exercise;
mod grade;
mod testrun;
mod tools;
mod translation;

use std::process::ExitCode;

use anyhow::{Context, ensure};
use clap::{Parser, Subcommand};

/// The chores of sockets-by-phone: the book, the exercises, grading and CI.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Chore,
}

#[derive(Debug, Subcommand)]
enum Chore {
    /// Build, serve or check the book.
    #[command(subcommand)]
    Book(BookCommand),
    /// The exercises: starters, and the proof that the tests can fail.
    #[command(subcommand)]
    Exercise(exercise::ExerciseCommand),
    /// Grade checkouts, folders of programs or a class with this repository's tests.
    Grade(grade::Args),
    /// How fast the lessons are, side by side with the original's Python shape (release builds).
    Bench(bench::BenchArgs),
    /// Everything CI checks: rustfmt, clippy, the tests, the exercises, grading, the book.
    Ci,
}

#[derive(Debug, Subcommand)]
enum BookCommand {
    /// Serve the book, English and 中文, at http://127.0.0.1:3000, building it again when a
    /// chapter, a translation or a lesson changes (installs mdBook and its plugins if missing).
    Serve {
        /// Open the book in a web browser.
        #[arg(long)]
        open: bool,
        /// The port on 127.0.0.1.
        #[arg(long, default_value_t = 3000)]
        port: u16,
    },
    /// Build the book into book/book/html/, and the Chinese edition into book/book/html/zh-CN/.
    Build,
    /// Extract the English text again and merge it into book/po/zh-CN.po (with GNU gettext's
    /// msgmerge): a changed paragraph's translation becomes fuzzy. Then list, by chapter,
    /// what is missing or fuzzy.
    Translations,
    /// Check the book, English and Chinese: every {{#include}} finds its code, no broken
    /// link, the transcripts match fresh runs, every chapter and diagram works in headless
    /// Chromium; and list what the translation lacks (never a failure).
    Check,
    /// Install mdBook and the book's plugins at the versions pinned in xtask/src/tools.rs.
    Tools,
}

fn main() -> ExitCode {
    // `cargo xtask exercise list | head -1`: a closed stdout ends xtask quietly, no panic.
    common::end_quietly_when_output_closes();
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one chore: an error is exit 1; `grade` says its own exit status.
fn run(chore: Chore) -> anyhow::Result<ExitCode> {
    let done = match chore {
        Chore::Book(BookCommand::Serve { open, port }) => book::serve(open, port),
        Chore::Book(BookCommand::Build) => book::build(),
        Chore::Book(BookCommand::Translations) => translation::update(),
        Chore::Book(BookCommand::Check) => book::check(),
        Chore::Book(BookCommand::Tools) => book::install_tools(),
        Chore::Exercise(command) => exercise::run(command),
        Chore::Grade(args) => return Ok(grade::main(args)),
        Chore::Bench(args) => bench::run(args),
        Chore::Ci => ci(),
    };
    done.map(|()| ExitCode::SUCCESS)
}

/// What CI runs, in one place. `.ci/run` calls this after installing what it needs.
fn ci() -> anyhow::Result<()> {
    cargo("fmt --all -- --check")?;
    cargo("clippy --workspace --all-targets --locked -- -D warnings")?;
    // The README's test command, then the same suite under cargo-nextest, which runs every
    // test in a process of its own (and so finds other mistakes).
    cargo("test --workspace --locked")?;
    if tools::on_path("cargo-nextest") {
        cargo("nextest run --workspace --locked")?;
    } else {
        println!("xtask: cargo-nextest is not installed; skipping the nextest run");
    }
    // The exercises: in a scratch copy, every starter compiles and fails the behavioural
    // tests of its missing parts, and every solution passes. Then the grading tests, which
    // are too slow for `cargo test` (they are `#[ignore]`d there).
    exercise::run(exercise::ExerciseCommand::Check)?;
    cargo("test --package xtask --test grade --locked -- --ignored")?;
    if tools::chromium().is_some() {
        book::check()?;
    } else {
        println!("xtask: Chromium is not installed; skipping the browser check of the book");
        book::check_includes_cmd()?;
        book::build()?;
    }
    bench::run(bench::BenchArgs::quick())?;
    println!("xtask: ci passed");
    Ok(())
}

/// Runs `cargo <args>` (words split at spaces) at the workspace root; fails when it fails.
fn cargo(args: &str) -> anyhow::Result<()> {
    println!("xtask: cargo {args}");
    let status = tools::cargo()
        .args(args.split_whitespace())
        .current_dir(tools::workspace_root())
        .status()
        .context("could not run cargo")?;
    ensure!(status.success(), "`cargo {args}` failed");
    Ok(())
}

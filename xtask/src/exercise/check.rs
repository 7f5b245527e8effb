//! `exercise check`: the proof that the tests can fail. For each exercise, in a scratch copy
//! of the workspace (never in the maintainer's files):
//!
//! 1. the solution passes all its tests;
//! 2. each part alone (the solution with only that part left to the student) fails at least
//!    one behavioural test, so no part can be skipped unnoticed;
//! 3. the whole starter compiles and fails every behavioural test, except the ones in
//!    `starter_may_pass` (they check what a starter already has) and the experiments'
//!    (`EXPERIMENTS`, no part of any exercise).
//!
//! Then one table of every test on the solution and on the starter, and the verdict.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use super::markers::{BEGIN, starter_of};
use super::starter::{StarterFile, stale_copies, starter_files};
use super::{EXERCISES, Exercise};
use crate::testrun::{self, Cargo, Outcome};

/// How long one test may take before it counts as a hang.
const TEST_LIMIT: Duration = Duration::from_secs(60);
/// How long one build may take.
const BUILD_LIMIT: Duration = Duration::from_secs(900);

/// The target folder of this workspace (where `exercise check` keeps its scratch copy).
pub fn target_dir(root: &Path) -> PathBuf {
    // A relative CARGO_TARGET_DIR is from the root; `join` keeps an absolute one as it is.
    root.join(std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into()))
}

/// Copies the workspace's files (what git tracks, and new files git does not ignore) to
/// `to`, which is emptied first.
pub fn copy_workspace(root: &Path, to: &Path) -> anyhow::Result<()> {
    if to.exists() {
        std::fs::remove_dir_all(to).with_context(|| format!("could not empty {}", to.display()))?;
    }
    let listed = Command::new("git")
        .args("ls-files -z --cached --others --exclude-standard".split(' '))
        .current_dir(root)
        .output()
        .context("could not run git ls-files")?;
    if !listed.status.success() {
        bail!("git ls-files failed in {}", root.display());
    }
    for name in listed.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name);
        let (from, dest) = (root.join(&*name), to.join(&*name));
        // A file git lists may be deleted in the work tree.
        if from.is_file() {
            std::fs::create_dir_all(dest.parent().expect("a file is in a folder"))?;
            std::fs::copy(&from, &dest).with_context(|| format!("could not copy {name}"))?;
        }
    }
    Ok(())
}

/// One test, and how it went on one version of a lesson.
struct Ran {
    /// `target::test`: the target is `behaviour` for `tests/behaviour.rs`, `server` for the
    /// unit tests of `bin/server.rs`.
    name: String,
    test: String,
    /// An integration test (`tests/*.rs`): a behavioural test.
    behavioural: bool,
    outcome: Outcome,
}

/// One line of the table: the exercise, a test on the starter, and how it went on the
/// solution.
type Row = (&'static str, Ran, Outcome);

/// The proof that the tests can fail: see the module's documentation.
pub fn check(root: &Path) -> anyhow::Result<()> {
    let scratch = target_dir(root).join("exercise-check").join("workspace");
    let shown = scratch.display();
    println!("xtask: exercise check in a scratch copy, {shown}");
    copy_workspace(root, &scratch)?;
    let mut problems = stale_copies(root, true)?;
    for stale in &mut problems {
        stale.push_str(": run `cargo xtask exercise generate`");
    }
    let (active, idle): (Vec<_>, Vec<_>) = EXERCISES
        .iter()
        .partition(|exercise| starter_files(&scratch, exercise).map_or(true, |f| !f.is_empty()));
    for Exercise { number, dir, .. } in idle {
        println!("xtask: exercise {number}: no `{BEGIN}` markers in {dir}, nothing to check");
    }
    println!("\nxtask: each part alone (the solution with only that part missing):");
    let mut rows = Vec::new();
    for exercise in &active {
        rows.extend(prove(&scratch, exercise, &mut problems)?);
    }
    print_table(&rows);
    report(&problems, &rows, active.len())
}

/// The three proofs for `exercise`: its rows of the table, and what is wrong.
fn prove(
    scratch: &Path,
    exercise: &'static Exercise,
    problems: &mut Vec<String>,
) -> anyhow::Result<Vec<Row>> {
    let number = exercise.number;
    let solution = run(scratch, exercise, false)
        .with_context(|| format!("the solution of {number} does not build"))?;
    let files = starter_files(scratch, exercise)?;
    each_part_alone(scratch, exercise, &files, problems)?;
    for file in &files {
        std::fs::write(scratch.join(&file.source), &file.text)?;
    }
    let starter = run(scratch, exercise, false).unwrap_or_else(|err| {
        problems.push(format!("the starter of {number} does not compile: {err}"));
        Vec::new()
    });
    let no_such_test = Err("the solution has no such test".into());
    let rows: Vec<Row> = starter
        .into_iter()
        .map(|starter| {
            let solution = solution.iter().find(|s| s.name == starter.name);
            let solution = solution.map_or(no_such_test.clone(), |s| s.outcome.clone());
            (number, starter, solution)
        })
        .collect();
    problems.extend(verdicts(exercise, &rows));
    Ok(rows)
}

/// Builds the tests of `exercise` as the scratch copy is now, and runs each (only the
/// behavioural ones if asked), in parallel, one test per process.
fn run(scratch: &Path, exercise: &Exercise, behavioural_only: bool) -> anyhow::Result<Vec<Ran>> {
    // Beside the scratch copy, which each check empties: the builds of the last check stay.
    let target = scratch.with_file_name("target");
    let exes = Cargo::new(scratch, &target, BUILD_LIMIT).build_tests(&exercise.package());
    let mut jobs = Vec::new();
    for exe in exes.map_err(anyhow::Error::msg)? {
        if exe.behavioural || !behavioural_only {
            let tests = testrun::list_tests(&exe, TEST_LIMIT).map_err(anyhow::Error::msg)?;
            jobs.extend(tests.into_iter().map(|test| (exe.clone(), test)));
        }
    }
    let threads = testrun::default_threads();
    Ok(testrun::in_parallel(jobs, threads, |(exe, test)| {
        let (outcome, _) = testrun::run_test(&exe, &test, &[], TEST_LIMIT);
        let (name, behavioural) = (format!("{}::{test}", exe.target), exe.behavioural);
        Ran {
            name,
            test,
            behavioural,
            outcome,
        }
    }))
}

/// Each part alone: the solution with only that part left to the student must fail at least
/// one behavioural test, or a student could skip that part unnoticed.
fn each_part_alone(
    scratch: &Path,
    exercise: &Exercise,
    files: &[StarterFile],
    problems: &mut Vec<String>,
) -> anyhow::Result<()> {
    for file in files {
        let path = scratch.join(&file.source);
        let solution = std::fs::read_to_string(&path)?;
        for (index, part) in file.parts.iter().enumerate() {
            let (mutant, _) = starter_of(&solution, &|i| i == index).map_err(anyhow::Error::msg)?;
            std::fs::write(&path, mutant)?;
            let caught = run(scratch, exercise, true);
            std::fs::write(&path, &solution)?;
            let (line, function) = (part.line, &part.function);
            let place = format!("{} {}:{line} fn {function}", exercise.number, file.source);
            let Ok(ran) = caught.inspect_err(|err| {
                problems.push(format!(
                    "with only {place} missing, the lesson does not compile: {err}"
                ))
            }) else {
                continue;
            };
            let failed = ran.iter().filter(|r| r.outcome.is_err()).count();
            println!("  {place}: caught by {failed} of {} tests", ran.len());
            if failed == 0 {
                problems.push(format!(
                    "with only {place} missing, every behavioural test passes: no test checks \
                     this part"
                ));
            }
        }
    }
    Ok(())
}

/// What is wrong in the rows of `exercise`: a solution that fails, a starter that passes a
/// behavioural test it may not, a `starter_may_pass` entry with no such test.
fn verdicts(exercise: &Exercise, rows: &[Row]) -> Vec<String> {
    let number = exercise.number;
    let mut problems = Vec::new();
    for (_, starter, solution) in rows {
        let name = &starter.name;
        if let Err(reason) = solution {
            problems.push(format!("the solution of {number} fails {name}: {reason}"));
        }
        let may_pass = exercise.may_pass(&starter.test);
        if starter.behavioural && starter.outcome.is_ok() && !may_pass {
            problems.push(format!(
                "the starter of {number} passes {name}: a test the starter passes proves \
                 nothing about the missing parts (make it fail without them, or list it in \
                 `starter_may_pass` in xtask/src/exercise/mod.rs with the reason)"
            ));
        }
    }
    let listed = exercise.starter_may_pass.iter();
    for test in listed.filter(|t| !rows.iter().any(|(_, r, _)| r.behavioural && r.test == **t)) {
        problems.push(format!(
            "exercise {number} lists `{test}` in `starter_may_pass`, but there is no such test"
        ));
    }
    problems
}

fn print_table(rows: &[Row]) {
    let width = rows
        .iter()
        .map(|(_, ran, _)| ran.name.len())
        .max()
        .unwrap_or(4);
    let show = |o: &Outcome| if o.is_ok() { "pass" } else { "FAIL" };
    println!(
        "\n{:<4} {:<width$} {:<9} {:<9} what a student with the starter sees",
        "ex", "test", "solution", "starter"
    );
    for (exercise, starter, solution) in rows {
        let (name, solution, outcome) = (&starter.name, show(solution), show(&starter.outcome));
        let reason = starter.outcome.as_ref().err().map_or("", String::as_str);
        println!("{exercise:<4} {name:<width$} {solution:<9} {outcome:<9} {reason}");
    }
}

/// The verdict: every problem on its own line, or the summary of a check that passed.
fn report(problems: &[String], rows: &[Row], exercises: usize) -> anyhow::Result<()> {
    for problem in problems {
        eprintln!("error: {problem}");
    }
    if !problems.is_empty() {
        bail!("exercise check: {} problem(s)", problems.len());
    }
    let behavioural = rows.iter().filter(|(_, ran, _)| ran.behavioural);
    let failing = behavioural
        .clone()
        .filter(|(_, ran, _)| ran.outcome.is_err());
    let (tests, failing, behavioural) = (rows.len(), failing.count(), behavioural.count());
    let given = behavioural - failing;
    println!(
        "\nxtask: exercise check passed: {exercises} exercises; the solutions pass all {tests} \
         tests; the starters compile and fail {failing} of the {behavioural} behavioural tests \
         (the other {given} check what a starter already has: `starter_may_pass`); every part \
         alone fails at least one"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ran(test: &str, behavioural: bool, passed: bool) -> Ran {
        Ran {
            name: format!("behaviour::{test}"),
            test: test.to_string(),
            behavioural,
            outcome: if passed { Ok(()) } else { Err("no".into()) },
        }
    }

    /// The verdicts on a table: each kind of mistake is one problem, the rest are none.
    #[test]
    fn the_verdicts_name_each_mistake_once() {
        let exercise = EXERCISES.iter().find(|e| e.number == "03").unwrap();
        let given = exercise.starter_may_pass[0];
        let rows: Vec<Row> = vec![
            ("03", ran(given, true, true), Ok(())),
            (
                "03",
                ran(crate::exercise::EVERY_STARTER_HAS[0], true, true),
                Ok(()),
            ),
            ("03", ran("caught", true, false), Ok(())),
            ("03", ran("unit_test_on_a_given_part", false, true), Ok(())),
            ("03", ran("passes_without_the_parts", true, true), Ok(())),
            ("03", ran("broken", true, false), Err("boom".into())),
        ];
        let problems = verdicts(exercise, &rows);
        let others = exercise.starter_may_pass.len() - 1;
        assert_eq!(problems.len(), 2 + others, "{problems:#?}");
        assert!(problems[0].starts_with("the starter of 03 passes behaviour::passes_without"));
        assert_eq!(
            problems[1],
            "the solution of 03 fails behaviour::broken: boom"
        );
        assert!(problems[2].ends_with("in `starter_may_pass`, but there is no such test"));
    }
}

//! `exercise check`: the proof that the tests can fail. In a scratch copy of the workspace,
//! never in the maintainer's files:
//!
//! 1. every solution passes all its tests;
//! 2. each part alone (the solution with only that part left to the student) fails at least
//!    one behavioural test, so no part can be skipped unnoticed;
//! 3. the whole starter compiles and fails every behavioural test, except the ones in
//!    `starter_may_pass` (they check what a starter already has).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use super::markers::{BEGIN, starter_of};
use super::starter::{marked_files, stale_copies, starter_files};
use super::{EXERCISES, Exercise};
use crate::testrun::{self, Outcome, TestExe};

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
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .output()
        .context("could not run git ls-files")?;
    if !listed.status.success() {
        bail!("git ls-files failed in {}", root.display());
    }
    for name in listed.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name);
        let from = root.join(&*name);
        if !from.is_file() {
            continue; // deleted in the work tree
        }
        let dest = to.join(&*name);
        std::fs::create_dir_all(dest.parent().expect("a file is in a folder"))?;
        std::fs::copy(&from, &dest).with_context(|| format!("could not copy {name}"))?;
    }
    Ok(())
}

/// One test of one build: which exercise, target and test, and how it went.
struct Ran {
    exercise: &'static str,
    target: String,
    test: String,
    behavioural: bool,
    outcome: Outcome,
}

/// One line of the table: a test on the solution and on the starter.
struct Row {
    ran: Ran,
    solution: Outcome,
}

/// Where the check builds and runs: the scratch copy and its own target folder.
struct Scratch {
    workspace: PathBuf,
    target: PathBuf,
}

/// The proof that the tests can fail: see the module's documentation.
pub fn check(root: &Path) -> anyhow::Result<()> {
    let work = target_dir(root).join("exercise-check");
    let scratch = Scratch {
        workspace: work.join("workspace"),
        target: work.join("target"),
    };
    println!(
        "xtask: exercise check in a scratch copy, {}",
        scratch.workspace.display()
    );
    copy_workspace(root, &scratch.workspace)?;
    let active = active_exercises(&scratch.workspace);
    let mut problems: Vec<String> = stale_copies(root, true)?
        .into_iter()
        .map(|stale| format!("{stale}: run `cargo xtask exercise generate`"))
        .collect();
    let mut solutions = BTreeMap::new();
    for exercise in &active {
        for ran in build_and_run(&scratch, exercise, false)
            .with_context(|| format!("the solution of {} does not build", exercise.number))?
        {
            let id = (ran.exercise, ran.target.clone(), ran.test.clone());
            solutions.insert(id, ran.outcome);
        }
    }
    println!("\nxtask: each part alone (the solution with only that part missing):");
    for exercise in &active {
        each_part_alone(&scratch, exercise, &mut problems)?;
    }
    let rows = starters(&scratch, &active, &mut solutions, &mut problems)?;
    print_table(&rows);
    problems.extend(verdicts(&rows, &active));
    for (number, target, test) in solutions.into_keys() {
        problems.push(format!(
            "the starter of {number} has no test {target}::{test}"
        ));
    }
    report(&problems, &rows, active.len())
}

/// The exercises with markers in the scratch copy; the others are named and left out.
fn active_exercises(scratch: &Path) -> Vec<&'static Exercise> {
    let (active, idle): (Vec<_>, Vec<_>) = EXERCISES
        .iter()
        .partition(|e| !marked_files(scratch, e).is_empty());
    for exercise in idle {
        println!(
            "xtask: exercise {}: no `{BEGIN}` markers in {}, nothing to check",
            exercise.number, exercise.dir
        );
    }
    active
}

/// Builds the tests of `exercise` in the scratch copy as it is now, and runs each (only the
/// behavioural ones if asked), in parallel, one test per process.
fn build_and_run(
    scratch: &Scratch,
    exercise: &Exercise,
    behavioural_only: bool,
) -> anyhow::Result<Vec<Ran>> {
    let exes = testrun::build_tests(
        &scratch.workspace,
        &scratch.target,
        exercise.package,
        BUILD_LIMIT,
    )
    .map_err(anyhow::Error::msg)?;
    let mut jobs: Vec<(TestExe, String)> = Vec::new();
    for exe in exes
        .into_iter()
        .filter(|e| e.behavioural || !behavioural_only)
    {
        let tests = testrun::list_tests(&exe, TEST_LIMIT).map_err(anyhow::Error::msg)?;
        jobs.extend(tests.into_iter().map(|test| (exe.clone(), test)));
    }
    Ok(testrun::in_parallel(
        jobs,
        testrun::default_threads(),
        |(exe, test)| {
            let (outcome, _) = testrun::run_test(&exe, &test, &[], TEST_LIMIT);
            Ran {
                exercise: exercise.number,
                target: exe.target,
                test,
                behavioural: exe.behavioural,
                outcome,
            }
        },
    ))
}

/// Each part alone: the solution with only that part left to the student must fail at least
/// one behavioural test, or a student could skip that part unnoticed.
fn each_part_alone(
    scratch: &Scratch,
    exercise: &Exercise,
    problems: &mut Vec<String>,
) -> anyhow::Result<()> {
    for file in starter_files(&scratch.workspace, exercise)? {
        let path = scratch
            .workspace
            .join(exercise.dir)
            .join("src")
            .join(&file.file);
        let solution = std::fs::read_to_string(&path)?;
        for (index, part) in file.parts.iter().enumerate() {
            let (mutant, _) = starter_of(&solution, &|i| i == index).map_err(anyhow::Error::msg)?;
            std::fs::write(&path, mutant)?;
            let caught = build_and_run(scratch, exercise, true);
            std::fs::write(&path, &solution)?;
            let place = format!(
                "{} {}/src/{}:{} fn {}",
                exercise.number,
                exercise.dir,
                file.file.display(),
                part.line,
                part.function
            );
            let results = match caught {
                Ok(results) => results,
                Err(err) => {
                    problems.push(format!(
                        "with only {place} missing, the lesson does not compile: {err}"
                    ));
                    continue;
                }
            };
            let failed = results.iter().filter(|r| !r.outcome.passed()).count();
            println!("  {place}: caught by {failed} of {} tests", results.len());
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

/// The starters, written over the scratch copy: every test, beside its result on the
/// solution (taken out of `solutions`).
fn starters(
    scratch: &Scratch,
    active: &[&'static Exercise],
    solutions: &mut BTreeMap<(&'static str, String, String), Outcome>,
    problems: &mut Vec<String>,
) -> anyhow::Result<Vec<Row>> {
    for exercise in active {
        for file in starter_files(&scratch.workspace, exercise)? {
            let path = scratch
                .workspace
                .join(exercise.dir)
                .join("src")
                .join(&file.file);
            std::fs::write(&path, &file.text)?;
        }
    }
    let mut rows = Vec::new();
    for exercise in active {
        let ran = match build_and_run(scratch, exercise, false) {
            Ok(ran) => ran,
            Err(err) => {
                problems.push(format!(
                    "the starter of {} does not compile: {err}",
                    exercise.number
                ));
                continue;
            }
        };
        rows.extend(ran.into_iter().map(|ran| {
            let id = (ran.exercise, ran.target.clone(), ran.test.clone());
            let solution = solutions.remove(&id);
            let solution =
                solution.unwrap_or(Outcome::Fail("the solution has no such test".into()));
            Row { ran, solution }
        }));
    }
    Ok(rows)
}

fn print_table(rows: &[Row]) {
    let name = |row: &Row| format!("{}::{}", row.ran.target, row.ran.test);
    let width = rows.iter().map(|row| name(row).len()).max().unwrap_or(4);
    let show = |o: &Outcome| if o.passed() { "pass" } else { "FAIL" };
    println!(
        "\n{:<4} {:<width$} {:<9} {:<9} what a student with the starter sees",
        "ex", "test", "solution", "starter"
    );
    for row in rows {
        println!(
            "{:<4} {:<width$} {:<9} {:<9} {}",
            row.ran.exercise,
            name(row),
            show(&row.solution),
            show(&row.ran.outcome),
            row.ran.outcome.reason()
        );
    }
}

/// What is wrong in the table: a solution that fails, a starter that passes a behavioural
/// test it may not, a `starter_may_pass` entry with no such test.
fn verdicts(rows: &[Row], active: &[&Exercise]) -> Vec<String> {
    let mut problems = Vec::new();
    for Row { ran, solution } in rows {
        let name = format!("{}::{}", ran.target, ran.test);
        if let Outcome::Fail(reason) = solution {
            problems.push(format!(
                "the solution of {} fails {name}: {reason}",
                ran.exercise
            ));
        }
        let allowed = EXERCISES
            .iter()
            .filter(|e| e.number == ran.exercise)
            .any(|e| e.starter_may_pass.iter().any(|(test, _)| *test == ran.test));
        if ran.behavioural && ran.outcome.passed() && !allowed {
            problems.push(format!(
                "the starter of {} passes {name}: a test the starter passes proves nothing about \
                 the missing parts (make it fail without them, or list it in `starter_may_pass` \
                 in xtask/src/exercise/mod.rs with the reason)",
                ran.exercise
            ));
        }
    }
    for exercise in active {
        for (test, _) in exercise.starter_may_pass {
            if !rows.iter().any(|Row { ran, .. }| {
                ran.exercise == exercise.number && ran.behavioural && ran.test == *test
            }) {
                problems.push(format!(
                    "exercise {} lists `{test}` in `starter_may_pass`, but there is no such test",
                    exercise.number
                ));
            }
        }
    }
    problems
}

/// The verdict: every problem on its own line, or the summary of a check that passed.
fn report(problems: &[String], rows: &[Row], exercises: usize) -> anyhow::Result<()> {
    if !problems.is_empty() {
        for problem in problems {
            eprintln!("error: {problem}");
        }
        bail!("exercise check: {} problem(s)", problems.len());
    }
    let behavioural = rows.iter().filter(|r| r.ran.behavioural).count();
    let failing = rows
        .iter()
        .filter(|r| r.ran.behavioural && !r.ran.outcome.passed())
        .count();
    println!(
        "\nxtask: exercise check passed: {exercises} exercises; the solutions pass all {} tests; \
         the starters compile and fail {failing} of the {behavioural} behavioural tests (the \
         other {} check what a starter already has: `starter_may_pass`); every part alone fails \
         at least one",
        rows.len(),
        behavioural - failing
    );
    Ok(())
}

//! The exercises: starters made from the solutions, and the proof that the tests can fail.
//!
//! A lesson's solution marks each part the student writes. The part is the whole body of a
//! function:
//!
//! ```text
//! fn to_local_time(stamp: f64, utc: bool) -> Option<String> {
//!     // EXERCISE: one-line hint the student will see
//!     ...the solution's lines...
//!     // EXERCISE_END
//! }
//! ```
//!
//! The starter is the same file with every marked part replaced by `todo!("<hint>")` at the
//! same indentation. Everything else (arguments, imports, the shape of `main`) stays, so it
//! compiles. There is no second, hand-written copy: [`starter`] makes it from the solution,
//! and the copies the book includes (`lessons/NN-name/starter/...`) are checked against it
//! by a test.
//!
//! - `exercise list`: the exercises and their parts.
//! - `exercise show NN`: print the starter, write nothing.
//! - `exercise start NN [--force]`: write the starter over the lesson's files (git is the
//!   undo; refuses to overwrite uncommitted changes without `--force`).
//! - `exercise generate`: rewrite the starter copies the book includes.
//! - `exercise check`: in a scratch copy of the workspace, every solution passes its tests
//!   and every starter compiles and fails every behavioural test that is about a missing
//!   part. This is what CI runs (the idea of rustlings' `dev check`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::testrun::{self, Outcome, TestExe};
use crate::tools;

pub const BEGIN: &str = "// EXERCISE:";
pub const END: &str = "// EXERCISE_END";

/// One exercise: a lesson whose solution has marked parts.
#[derive(Debug)]
pub struct Exercise {
    /// What the student types: `03`.
    pub number: &'static str,
    pub package: &'static str,
    /// The lesson's folder, from the workspace root.
    pub dir: &'static str,
    /// Behavioural tests the starter may pass, with the reason: they check something the
    /// starter already has (argument parsing, `--help`). Every other behavioural test must
    /// fail on the starter, or it proves nothing about the student's work.
    pub starter_may_pass: &'static [(&'static str, &'static str)],
}

pub const EXERCISES: &[Exercise] = &[
    Exercise {
        number: "03",
        package: "lesson-03-timestamp",
        dir: "lessons/03-timestamp",
        starter_may_pass: &[
            ("the_programs_are_this_lessons_own", "`--version` is given"),
            ("help_describes_every_option", "argument parsing is given"),
            (
                "a_bad_command_line_is_one_line_and_exit_2",
                "argument parsing is given",
            ),
            ("nobody_listening_is_a_refused_call", "dialing is given"),
            ("a_busy_port_is_explained", "listening is given"),
            (
                "a_closed_stdout_ends_the_server_quietly",
                "ending quietly is given (common::parse_args)",
            ),
            (
                "glued_shows_two_sends_in_one_read",
                "the experiment `glued` is no part of the exercise",
            ),
        ],
    },
    Exercise {
        number: "04",
        package: "lesson-04-reconnect-loop",
        dir: "lessons/04-reconnect-loop",
        starter_may_pass: &[
            ("the_programs_are_this_lessons_own", "`--version` is given"),
            ("help_describes_every_option", "argument parsing is given"),
            (
                "a_bad_command_line_is_one_line_and_exit_2",
                "argument parsing is given",
            ),
            (
                "the_trap_address_already_in_use_and_its_fix",
                "the experiment `trap` is no part of the exercise",
            ),
        ],
    },
    Exercise {
        number: "06",
        package: "lesson-06-group-call",
        dir: "lessons/06-group-call",
        starter_may_pass: &[
            ("the_programs_are_this_lessons_own", "`--version` is given"),
            ("help_describes_every_option", "argument parsing is given"),
            (
                "a_bad_command_line_is_one_line_and_exit_2",
                "argument parsing is given",
            ),
            ("nobody_listening_is_a_refused_call", "the client is given"),
            ("a_busy_port_is_explained", "listening is given"),
            (
                "fifty_calls_at_once_keep_the_threads_bounded",
                "the room's cap and ROOM FULL are given; silent callers need no broadcast",
            ),
            (
                "the_client_ends_when_the_server_hangs_up",
                "the client is given, and ROOM FULL needs no broadcast",
            ),
            (
                "lock_stall_shows_one_non_reader_stalling_a_room_that_writes_under_its_lock",
                "the experiment `lock-stall` is no part of the exercise",
            ),
            (
                "unbounded_shows_a_queue_that_grows_until_stopped",
                "the experiment `unbounded` is no part of the exercise",
            ),
        ],
    },
];

/// Where the book's copy of a starter lives: `lessons/NN-name/starter/<path under src>`.
pub const STARTER_DIR: &str = "starter";

/// One part the student writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// 1-based line of the `// EXERCISE:` marker in the solution.
    pub line: usize,
    /// The function whose body it is, as far as the line before says (`fn name(`).
    pub function: String,
    pub hint: String,
}

/// The starter made from `solution`, and the parts it left to the student. An error names
/// the line and what is wrong with the markers.
pub fn starter(solution: &str) -> Result<(String, Vec<Part>), String> {
    starter_of(solution, &|_| true)
}

/// Like [`starter`], but only the parts for which `replace(index)` holds become `todo!()`;
/// the others stay as they are in the solution (markers too).
pub fn starter_of(
    solution: &str,
    replace: &dyn Fn(usize) -> bool,
) -> Result<(String, Vec<Part>), String> {
    let lines: Vec<&str> = solution.lines().collect();
    let mut out = String::with_capacity(solution.len());
    let mut parts = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let line = lines[at];
        let trimmed = line.trim_start();
        if trimmed.starts_with(END) {
            return Err(format!(
                "line {}: `{END}` without a `{BEGIN}` before it",
                at + 1
            ));
        }
        let Some(hint) = trimmed.strip_prefix(BEGIN) else {
            out.push_str(line);
            out.push('\n');
            at += 1;
            continue;
        };
        let begin = at;
        let hint = hint.trim();
        if hint.is_empty() {
            return Err(format!(
                "line {}: `{BEGIN}` needs a one-line hint after the colon",
                begin + 1
            ));
        }
        let before = if begin == 0 { "" } else { lines[begin - 1] };
        if !before.trim_end().ends_with('{') {
            return Err(format!(
                "line {}: a part must be the whole body of a function: the line before `{BEGIN}` \
                 should end with `{{`",
                begin + 1
            ));
        }
        let end = (begin + 1..lines.len())
            .find(|&i| {
                let t = lines[i].trim_start();
                t.starts_with(END) || t.starts_with(BEGIN)
            })
            .ok_or_else(|| {
                format!(
                    "line {}: this part never ends: add `{END}` after its last line",
                    begin + 1
                )
            })?;
        if lines[end].trim_start().starts_with(BEGIN) {
            return Err(format!(
                "line {}: a `{BEGIN}` inside the part that starts on line {}",
                end + 1,
                begin + 1
            ));
        }
        let indent = &line[..line.len() - trimmed.len()];
        if !lines[end].starts_with(indent) || lines[end].trim_start().len() != END.len() {
            return Err(format!(
                "line {}: `{END}` should stand alone, indented like its `{BEGIN}` on line {}",
                end + 1,
                begin + 1
            ));
        }
        let after = lines.get(end + 1).map_or("", |l| l.trim_start());
        if !after.starts_with('}') {
            return Err(format!(
                "line {}: a part must be the whole body of a function: the line after `{END}` \
                 should be the closing `}}`",
                end + 1
            ));
        }
        if replace(parts.len()) {
            out.push_str(&format!("{indent}todo!(\"{}\")\n", escape_for_todo(hint)));
        } else {
            for kept in &lines[begin..=end] {
                out.push_str(kept);
                out.push('\n');
            }
        }
        parts.push(Part {
            line: begin + 1,
            function: function_name(&lines[..begin]),
            hint: hint.to_string(),
        });
        at = end + 1;
    }
    if !solution.ends_with('\n') {
        out.pop();
    }
    Ok((out, parts))
}

/// A hint as the inside of `todo!("...")`: a string literal that is also a format string.
fn escape_for_todo(hint: &str) -> String {
    hint.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('{', "{{")
        .replace('}', "}}")
}

/// The name after the last `fn ` in the lines before a part, for messages.
fn function_name(before: &[&str]) -> String {
    before
        .iter()
        .rev()
        .take(12)
        .find_map(|line| {
            let after = &line[line.find("fn ")? + 3..];
            let end = after.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
            Some(after[..end].to_string())
        })
        .unwrap_or_else(|| "?".to_string())
}

/// The `.rs` files under `dir/src` that hold `// EXERCISE:` markers, relative to `dir/src`.
fn marked_files(root: &Path, exercise: &Exercise) -> Vec<PathBuf> {
    let src = root.join(exercise.dir).join("src");
    rust_files(&src)
        .into_iter()
        .filter(|file| {
            std::fs::read_to_string(src.join(file))
                .is_ok_and(|text| text.lines().any(|l| l.trim_start().starts_with(BEGIN)))
        })
        .collect()
}

/// All `.rs` files under `dir`, relative to it, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    tools::files_under(dir, "rs")
        .into_iter()
        .map(|path| path.strip_prefix(dir).unwrap_or(&path).to_path_buf())
        .collect()
}

/// One file of a starter.
#[derive(Debug)]
pub struct StarterFile {
    /// Relative to the lesson's `src/`, e.g. `bin/server.rs`.
    pub file: PathBuf,
    pub text: String,
    pub parts: Vec<Part>,
}

/// The starter of `exercise`, made from the solution in the workspace at `root`.
pub fn starter_files(root: &Path, exercise: &Exercise) -> anyhow::Result<Vec<StarterFile>> {
    let src = root.join(exercise.dir).join("src");
    let mut files = Vec::new();
    for file in marked_files(root, exercise) {
        let solution = std::fs::read_to_string(src.join(&file))?;
        let (text, parts) = starter(&solution).map_err(|problem| {
            anyhow::anyhow!("{}/src/{}: {problem}", exercise.dir, file.display())
        })?;
        files.push(StarterFile { file, text, parts });
    }
    Ok(files)
}

/// The first lines of the book's copy of a starter.
fn generated_header(exercise: &Exercise, file: &Path) -> String {
    format!(
        "// The parts of the starter that the book shows, generated from ../src/{} by\n\
         // `cargo xtask exercise generate`: do not edit.\n\
         // To start the exercise, run `cargo xtask exercise start {}`.\n",
        file.display(),
        exercise.number
    )
}

/// The parts of a starter file that the book shows: every `// ANCHOR:` region that holds a
/// `todo!(`, with its anchor lines, in file order. The rest of the file is the solution's, word
/// for word, so the copy leaves it out. A file without such regions is kept whole.
fn book_excerpt(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let marker = |line: &str, kind: &str| -> Option<String> {
        let comment = line.trim_start().strip_prefix("//")?.trim();
        Some(comment.strip_prefix(kind)?.trim().to_string())
    };
    let mut keep = vec![false; lines.len()];
    for (start, line) in lines.iter().enumerate() {
        let Some(name) = marker(line, "ANCHOR:") else {
            continue;
        };
        let Some(length) = lines[start..]
            .iter()
            .position(|line| marker(line, "ANCHOR_END:").is_some_and(|end| end == name))
        else {
            continue;
        };
        let region = start..=start + length;
        if lines[region.clone()]
            .iter()
            .any(|line| line.contains("todo!("))
        {
            region.for_each(|index| keep[index] = true);
        }
    }
    if !keep.contains(&true) {
        return text.to_string();
    }
    let mut excerpt = String::new();
    for (index, line) in lines.iter().enumerate() {
        if keep[index] {
            if index > 0 && !keep[index - 1] && !excerpt.is_empty() {
                excerpt.push('\n');
            }
            excerpt.push_str(line);
            excerpt.push('\n');
        }
    }
    excerpt
}

/// What the book's starter copies of `exercise` should hold: (path from the root, text).
/// When the lesson has been started already (its sources are the starter), the copies stay
/// as they are.
fn expected_copies(root: &Path, exercise: &Exercise) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let copies = root.join(exercise.dir).join(STARTER_DIR);
    Ok(starter_files(root, exercise)?
        .into_iter()
        .map(|starter| {
            let path = copies.join(&starter.file);
            let text = generated_header(exercise, &starter.file) + &book_excerpt(&starter.text);
            (path, text)
        })
        .collect())
}

/// True when the lesson's sources are its starter already (`exercise start` ran): no
/// markers left, and every book copy matches its source.
fn is_started(root: &Path, exercise: &Exercise) -> bool {
    let copies = root.join(exercise.dir).join(STARTER_DIR);
    let files = rust_files(&copies);
    !files.is_empty()
        && marked_files(root, exercise).is_empty()
        && files.iter().all(|file| {
            let copy = std::fs::read_to_string(copies.join(file)).unwrap_or_default();
            let source =
                std::fs::read_to_string(root.join(exercise.dir).join("src").join(file)).ok();
            source.is_some_and(|source| {
                copy == generated_header(exercise, file) + &book_excerpt(&source)
            })
        })
}

/// Every book copy that differs from what the solutions make, as one line each.
///
/// Unless `strict`, an exercise is skipped when it has no copies yet (a lesson still being
/// written) or no markers (a student's tree, where the lesson is theirs now: `cargo test`
/// must not fail there for this). `strict` is for this repository's CI: every exercise has
/// its markers and its copies.
pub fn stale_copies(root: &Path, strict: bool) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for exercise in EXERCISES {
        let has_copies = root.join(exercise.dir).join(STARTER_DIR).is_dir();
        let has_markers = !marked_files(root, exercise).is_empty();
        let in_progress = !has_copies || !has_markers;
        if is_started(root, exercise) || (!strict && in_progress) {
            continue;
        }
        if !has_markers {
            problems.push(format!(
                "{} has no `{BEGIN}` markers: exercise {} has no parts to write",
                exercise.dir, exercise.number
            ));
            continue;
        }
        let expected = expected_copies(root, exercise)?;
        let copies = root.join(exercise.dir).join(STARTER_DIR);
        for (path, text) in &expected {
            let shown = path.strip_prefix(root).unwrap_or(path).display();
            match std::fs::read_to_string(path) {
                Ok(found) if found == *text => {}
                Ok(_) => problems.push(format!("{shown} is out of date")),
                Err(_) => problems.push(format!("{shown} is missing")),
            }
        }
        for file in rust_files(&copies) {
            if !expected.iter().any(|(path, _)| *path == copies.join(&file)) {
                problems.push(format!(
                    "{}/{STARTER_DIR}/{} has no solution with markers any more",
                    exercise.dir,
                    file.display()
                ));
            }
        }
    }
    Ok(problems)
}

fn find(number: &str) -> anyhow::Result<&'static Exercise> {
    // `3`, `03`, `lesson-03-timestamp` and `lessons/03-timestamp` all name exercise 03.
    let wanted = number
        .parse::<u32>()
        .map_or_else(|_| number.to_string(), |n| format!("{n:02}"));
    EXERCISES
        .iter()
        .find(|e| {
            e.number == wanted || e.package == number || e.dir == number.trim_end_matches('/')
        })
        .with_context(|| {
            let known: Vec<_> = EXERCISES.iter().map(|e| e.number).collect();
            format!(
                "there is no exercise `{number}`; the exercises are {}",
                known.join(" and ")
            )
        })
}

pub fn run(args: &[&str]) -> anyhow::Result<()> {
    let root = tools::workspace_root();
    match args {
        ["list"] | [] => list(&root),
        ["show", number] => show(&root, find(number)?),
        ["start", number, rest @ ..] => {
            let force = match rest {
                [] => false,
                ["--force"] => true,
                _ => bail!("usage: cargo xtask exercise start NN [--force]"),
            };
            start(&root, find(number)?, force)
        }
        ["generate"] => generate(&root),
        ["check"] => check(&root),
        _ => bail!(
            "usage: cargo xtask exercise list | show NN | start NN [--force] | generate | check"
        ),
    }
}

fn list(root: &Path) -> anyhow::Result<()> {
    for exercise in EXERCISES {
        println!("exercise {} ({})", exercise.number, exercise.package);
        let files = starter_files(root, exercise)?;
        if files.is_empty() {
            if is_started(root, exercise) {
                println!("  started: its files are the starter now");
            } else {
                println!("  no parts are marked yet");
            }
        }
        for file in files {
            for part in file.parts {
                println!(
                    "  {}/src/{}:{} fn {}: {}",
                    exercise.dir,
                    file.file.display(),
                    part.line,
                    part.function,
                    part.hint
                );
            }
        }
    }
    Ok(())
}

fn show(root: &Path, exercise: &Exercise) -> anyhow::Result<()> {
    let files = starter_files(root, exercise)?;
    if files.is_empty() {
        bail!("{} has no `{BEGIN}` markers: nothing to show", exercise.dir);
    }
    for file in files {
        println!(
            "// ---- {}/src/{} (starter) ----",
            exercise.dir,
            file.file.display()
        );
        print!("{}", file.text);
    }
    Ok(())
}

fn start(root: &Path, exercise: &Exercise, force: bool) -> anyhow::Result<()> {
    let files = starter_files(root, exercise)?;
    if files.is_empty() {
        if is_started(root, exercise) {
            bail!(
                "exercise {} is started already: its files are the starter. To see the solution \
                 again: git checkout -- {}/src",
                exercise.number,
                exercise.dir
            );
        }
        bail!(
            "{} has no `{BEGIN}` markers: nothing to start",
            exercise.dir
        );
    }
    let paths: Vec<String> = files
        .iter()
        .map(|f| format!("{}/src/{}", exercise.dir, f.file.display()))
        .collect();
    let status = Command::new("git")
        .args(["status", "--porcelain", "--"])
        .args(&paths)
        .current_dir(root)
        .output();
    match status {
        Ok(out) if out.status.success() => {
            let changed = String::from_utf8_lossy(&out.stdout);
            if !changed.trim().is_empty() && !force {
                bail!(
                    "these files have changes that git has not saved (committed):\n{changed}\
                     The starter would overwrite them. Commit them first, or add --force to \
                     overwrite them anyway."
                );
            }
        }
        _ if force => {}
        _ => bail!(
            "{} is not in a git checkout, so nothing could undo the starter. Add --force to \
             write it anyway.",
            root.display()
        ),
    }
    for (file, path) in files.iter().zip(&paths) {
        std::fs::write(root.join(path), &file.text)
            .with_context(|| format!("could not write {path}"))?;
        println!("wrote the starter over {path}");
    }
    let parts: usize = files.iter().map(|f| f.parts.len()).sum();
    println!(
        "\nExercise {} is yours now: {parts} functions say todo!(\"...\"), each with a hint.\n\
         `cargo xtask exercise list` lists them. Until you write them, the compiler warns about\n\
         unused imports and arguments: those are the tools each part needs.\n\
         Run `cargo test -p {}` to see what is still missing.\n\
         Git is the undo: `git diff` shows what changed, and\n\
         `git checkout -- {}/src` brings the solution back (and throws away your work).",
        exercise.number, exercise.package, exercise.dir
    );
    Ok(())
}

fn generate(root: &Path) -> anyhow::Result<()> {
    for exercise in EXERCISES {
        if is_started(root, exercise) {
            println!("{}: started, its starter copies stay", exercise.dir);
            continue;
        }
        let copies = root.join(exercise.dir).join(STARTER_DIR);
        let expected = expected_copies(root, exercise)?;
        for file in rust_files(&copies) {
            if !expected.iter().any(|(path, _)| *path == copies.join(&file)) {
                std::fs::remove_file(copies.join(&file))?;
                println!("removed {}/{STARTER_DIR}/{}", exercise.dir, file.display());
            }
        }
        for (path, text) in expected {
            if std::fs::read_to_string(&path).is_ok_and(|found| found == text) {
                continue;
            }
            std::fs::create_dir_all(path.parent().expect("a file is in a folder"))?;
            std::fs::write(&path, text)?;
            println!(
                "wrote {}",
                path.strip_prefix(root).unwrap_or(&path).display()
            );
        }
    }
    Ok(())
}

/// How long one test may take in `check` before it counts as a hang.
const TEST_LIMIT: Duration = Duration::from_secs(60);
/// How long one build may take.
const BUILD_LIMIT: Duration = Duration::from_secs(900);

/// The target folder of this workspace (where `exercise check` keeps its scratch copy).
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"))
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

/// One test's result in the check.
struct Row {
    exercise: &'static str,
    target: String,
    behavioural: bool,
    test: String,
    solution: Outcome,
    starter: Outcome,
}

/// The proof that the tests can fail: see the module's documentation.
fn check(root: &Path) -> anyhow::Result<()> {
    let work = target_dir(root).join("exercise-check");
    let scratch = work.join("workspace");
    let target = work.join("target");
    println!(
        "xtask: exercise check in a scratch copy, {}",
        scratch.display()
    );
    copy_workspace(root, &scratch)?;

    let active: Vec<&Exercise> = EXERCISES
        .iter()
        .filter(|e| !marked_files(&scratch, e).is_empty())
        .collect();
    for exercise in EXERCISES {
        if !active.iter().any(|a| a.number == exercise.number) {
            println!(
                "xtask: exercise {}: no `{BEGIN}` markers in {}, nothing to check",
                exercise.number, exercise.dir
            );
        }
    }
    let mut problems: Vec<String> = stale_copies(root, true)?
        .into_iter()
        .map(|stale| format!("{stale}: run `cargo xtask exercise generate`"))
        .collect();

    // The solutions first: every test passes.
    let mut solution_results = BTreeMap::new();
    for exercise in &active {
        let exes = testrun::build_tests(&scratch, &target, exercise.package, BUILD_LIMIT).map_err(
            |err| anyhow::anyhow!("the solution of {} does not build: {err}", exercise.number),
        )?;
        for (exe, test, outcome) in run_all(&exes)? {
            solution_results.insert(
                (exercise.number, exe.target.clone(), test),
                (exe.behavioural, outcome),
            );
        }
    }

    // Each part alone: the solution with only that part left to the student must fail at
    // least one behavioural test, or a student could skip that part unnoticed.
    println!("\nxtask: each part alone (the solution with only that part missing):");
    for exercise in &active {
        for file in starter_files(&scratch, exercise)? {
            let path = scratch.join(exercise.dir).join("src").join(&file.file);
            let solution = std::fs::read_to_string(&path)?;
            for (index, part) in file.parts.iter().enumerate() {
                let (mutant, _) =
                    starter_of(&solution, &|i| i == index).map_err(anyhow::Error::msg)?;
                std::fs::write(&path, mutant)?;
                let caught = testrun::build_tests(&scratch, &target, exercise.package, BUILD_LIMIT)
                    .map_err(anyhow::Error::msg)
                    .and_then(|exes| {
                        let behavioural: Vec<TestExe> =
                            exes.into_iter().filter(|e| e.behavioural).collect();
                        run_all(&behavioural)
                    });
                std::fs::write(&path, &solution)?;
                let place = format!(
                    "{} {}/src/{}:{} fn {}",
                    exercise.number,
                    exercise.dir,
                    file.file.display(),
                    part.line,
                    part.function
                );
                match caught {
                    Err(err) => problems.push(format!(
                        "with only {place} missing, the lesson does not compile: {err}"
                    )),
                    Ok(results) => {
                        let failed: Vec<&str> = results
                            .iter()
                            .filter(|(_, _, outcome)| !outcome.passed())
                            .map(|(_, test, _)| test.as_str())
                            .collect();
                        println!(
                            "  {place}: caught by {} of {} tests",
                            failed.len(),
                            results.len()
                        );
                        if failed.is_empty() {
                            problems.push(format!(
                                "with only {place} missing, every behavioural test passes: no \
                                 test checks this part"
                            ));
                        }
                    }
                }
            }
        }
    }

    // Then the starters, written over the scratch copy.
    for exercise in &active {
        for file in starter_files(&scratch, exercise)? {
            let path = scratch.join(exercise.dir).join("src").join(&file.file);
            std::fs::write(&path, &file.text)?;
        }
    }
    let mut rows = Vec::new();
    for exercise in &active {
        let exes = match testrun::build_tests(&scratch, &target, exercise.package, BUILD_LIMIT) {
            Ok(exes) => exes,
            Err(err) => {
                problems.push(format!(
                    "the starter of {} does not compile: {err}",
                    exercise.number
                ));
                continue;
            }
        };
        for (exe, test, starter) in run_all(&exes)? {
            let key = (exercise.number, exe.target.clone(), test.clone());
            let (_, solution) = solution_results.remove(&key).unwrap_or((
                exe.behavioural,
                Outcome::Fail("the solution has no such test".into()),
            ));
            rows.push(Row {
                exercise: exercise.number,
                target: exe.target.clone(),
                behavioural: exe.behavioural,
                test,
                solution,
                starter,
            });
        }
    }

    let width = rows
        .iter()
        .map(|r| r.target.len() + 2 + r.test.len())
        .max()
        .unwrap_or(4);
    println!(
        "\n{:<4} {:<width$} {:<9} {:<9} what a student with the starter sees",
        "ex", "test", "solution", "starter"
    );
    for row in &rows {
        let name = format!("{}::{}", row.target, row.test);
        let show = |o: &Outcome| if o.passed() { "pass" } else { "FAIL" };
        println!(
            "{:<4} {:<width$} {:<9} {:<9} {}",
            row.exercise,
            name,
            show(&row.solution),
            show(&row.starter),
            row.starter.reason()
        );
        if let Outcome::Fail(reason) = &row.solution {
            problems.push(format!(
                "the solution of {} fails {name}: {reason}",
                row.exercise
            ));
        }
        let allowed = EXERCISES
            .iter()
            .find(|e| e.number == row.exercise)
            .and_then(|e| e.starter_may_pass.iter().find(|(t, _)| *t == row.test));
        if row.behavioural && row.starter.passed() && allowed.is_none() {
            problems.push(format!(
                "the starter of {} passes {name}: a test the starter passes proves nothing about \
                 the missing parts (make it fail without them, or list it in `starter_may_pass` \
                 in xtask/src/exercise.rs with the reason)",
                row.exercise
            ));
        }
    }
    for exercise in &active {
        for (test, _) in exercise.starter_may_pass {
            if !rows
                .iter()
                .any(|r| r.exercise == exercise.number && r.behavioural && r.test == *test)
            {
                problems.push(format!(
                    "exercise {} lists `{test}` in `starter_may_pass`, but there is no such test",
                    exercise.number
                ));
            }
        }
    }
    for ((number, target, test), _) in solution_results {
        problems.push(format!(
            "the starter of {number} has no test {target}::{test}"
        ));
    }
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("error: {problem}");
        }
        bail!("exercise check: {} problem(s)", problems.len());
    }
    let behavioural = rows.iter().filter(|r| r.behavioural).count();
    let failing = rows
        .iter()
        .filter(|r| r.behavioural && !r.starter.passed())
        .count();
    println!(
        "\nxtask: exercise check passed: {} exercises; the solutions pass all {} tests; the \
         starters compile and fail {failing} of the {behavioural} behavioural tests (the other {} \
         check what a starter already has: `starter_may_pass`); every part alone fails at least \
         one",
        active.len(),
        rows.len(),
        behavioural - failing
    );
    Ok(())
}

/// Runs every test of every executable, in parallel, one test per process.
fn run_all(exes: &[TestExe]) -> anyhow::Result<Vec<(TestExe, String, Outcome)>> {
    let mut jobs = Vec::new();
    for exe in exes {
        let tests = testrun::list_tests(exe, TEST_LIMIT).map_err(anyhow::Error::msg)?;
        jobs.extend(tests.into_iter().map(|test| (exe.clone(), test)));
    }
    Ok(testrun::in_parallel(
        jobs,
        testrun::default_threads(),
        |(exe, test)| {
            let (outcome, _) = testrun::run_test(&exe, &test, &[], TEST_LIMIT);
            (exe, test, outcome)
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOLUTION: &str = "\
use std::fmt::Write;

/// Doubles.
fn double(x: u32) -> u32 {
    // EXERCISE: multiply by two, or add {x} to itself \"twice\"
    let y = x + x;
    y
    // EXERCISE_END
}

fn main() {
    println!(\"{}\", double(2));
}

impl Thing {
    fn nested(&self) -> String {
        // EXERCISE: build it with write!
        let mut s = String::new();
        write!(s, \"x\").unwrap();
        s
        // EXERCISE_END
    }
}
";

    #[test]
    fn each_part_becomes_a_todo_with_its_hint() {
        let (text, parts) = starter(SOLUTION).unwrap();
        assert_eq!(
            text,
            "\
use std::fmt::Write;

/// Doubles.
fn double(x: u32) -> u32 {
    todo!(\"multiply by two, or add {{x}} to itself \\\"twice\\\"\")
}

fn main() {
    println!(\"{}\", double(2));
}

impl Thing {
    fn nested(&self) -> String {
        todo!(\"build it with write!\")
    }
}
"
        );
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].line, 5);
        assert_eq!(parts[0].function, "double");
        assert_eq!(parts[1].function, "nested");
        assert_eq!(parts[1].hint, "build it with write!");
        // No markers: the starter is the file itself.
        assert_eq!(
            starter("fn a() {}\n").unwrap(),
            ("fn a() {}\n".into(), vec![])
        );
    }

    #[test]
    fn marker_mistakes_are_errors_with_a_line() {
        let cases = [
            (
                "fn a() {\n    // EXERCISE: x\n    1\n}\n",
                "line 2: this part never ends",
            ),
            (
                "fn a() {\n    1\n    // EXERCISE_END\n}\n",
                "line 3: `// EXERCISE_END` without",
            ),
            (
                "fn a() {\n    // EXERCISE:\n    1\n    // EXERCISE_END\n}\n",
                "needs a one-line hint",
            ),
            (
                "fn a() {\n    // EXERCISE: x\n    // EXERCISE: y\n    // EXERCISE_END\n}\n",
                "line 3: a `// EXERCISE:` inside the part that starts on line 2",
            ),
            (
                "fn a() {\n    let x = 1;\n    // EXERCISE: x\n    x\n    // EXERCISE_END\n}\n",
                "line 3: a part must be the whole body",
            ),
            (
                "fn a() {\n    // EXERCISE: x\n    1\n    // EXERCISE_END\n    ;\n}\n",
                "line 4: a part must be the whole body",
            ),
            (
                "fn a() {\n    // EXERCISE: x\n    1\n// EXERCISE_END\n}\n",
                "line 4: `// EXERCISE_END` should stand alone",
            ),
        ];
        for (source, expected) in cases {
            let err = starter(source).unwrap_err();
            assert!(err.contains(expected), "{source}\ngave: {err}");
        }
    }

    /// The fixture is a small lesson program with markers; its starter must compile (the
    /// `exercise check` proves the same for the real lessons, in CI).
    #[test]
    fn the_fixture_starter_is_the_expected_text() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exercise");
        let solution = std::fs::read_to_string(fixtures.join("solution.rs")).unwrap();
        let expected = std::fs::read_to_string(fixtures.join("starter.rs")).unwrap();
        let (text, parts) = starter(&solution).unwrap();
        assert_eq!(
            text, expected,
            "regenerate with the test's own output if intended"
        );
        assert_eq!(parts.len(), 2);

        // Both compile, and the starter stops at the first part with its hint.
        let out = std::env::temp_dir().join(format!("xtask-exercise-{}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("starter.rs"), &text).unwrap();
        for (name, file) in [
            ("solution", fixtures.join("solution.rs")),
            ("starter", out.join("starter.rs")),
        ] {
            let built = Command::new("rustc")
                .args(["--edition", "2024", "-o"])
                .arg(out.join(name))
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                built.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&built.stderr)
            );
        }
        let solution = Command::new(out.join("solution")).output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&solution.stdout),
            "1732470000.5 -> 17:40:00\n"
        );
        let started = Command::new(out.join("starter")).output().unwrap();
        let stderr = String::from_utf8_lossy(&started.stderr);
        std::fs::remove_dir_all(&out).unwrap();
        assert!(!started.status.success());
        assert!(
            stderr.contains("not yet implemented: parse the text as an f64"),
            "{stderr}"
        );
    }

    /// The book includes the starters from `lessons/NN-name/starter/`: they must be what the
    /// solutions make today. `cargo xtask exercise generate` rewrites them.
    #[test]
    fn the_books_starter_copies_match_the_solutions() {
        let problems = stale_copies(&tools::workspace_root(), false).unwrap();
        assert!(
            problems.is_empty(),
            "run `cargo xtask exercise generate`:\n{}",
            problems.join("\n")
        );
    }

    /// `start` in a throwaway git repository: it refuses to overwrite uncommitted work (and
    /// to write outside git) unless forced, and writes the starter otherwise.
    #[test]
    fn start_writes_the_starter_only_where_git_can_undo_it() {
        let dir = std::env::temp_dir().join(format!("xtask-start-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let exercise = find("03").unwrap();
        let file = dir.join(exercise.dir).join("src/lib.rs");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let solution =
            "fn f() -> u8 {\n    // EXERCISE: return one\n    1\n    // EXERCISE_END\n}\n";
        std::fs::write(&file, solution).unwrap();

        let outside = start(&dir, exercise, false).unwrap_err().to_string();
        assert!(outside.contains("not in a git checkout"), "{outside}");

        let git = |args: &[&str]| {
            let ok = Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
                .args(args)
                .current_dir(&dir)
                .output()
                .unwrap()
                .status
                .success();
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q"]);
        let uncommitted = start(&dir, exercise, false).unwrap_err().to_string();
        assert!(uncommitted.contains("--force"), "{uncommitted}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), solution);

        git(&["add", "."]);
        git(&["commit", "-q", "-m", "solution"]);
        start(&dir, exercise, false).unwrap();
        let written = std::fs::read_to_string(&file).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(written, "fn f() -> u8 {\n    todo!(\"return one\")\n}\n");
    }

    /// The instructors' chapter explains every check of the exercises: a new test in lesson
    /// 03 or 04 needs its line there.
    #[test]
    fn every_check_of_an_exercise_is_explained_for_instructors() {
        let root = tools::workspace_root();
        let chapter = std::fs::read_to_string(root.join("book/src/appendix/instructors.md"))
            .unwrap_or_default();
        let mut missing = Vec::new();
        for exercise in EXERCISES {
            let tests = root.join(exercise.dir).join("tests");
            for file in rust_files(&tests) {
                let text = std::fs::read_to_string(tests.join(&file)).unwrap();
                let mut after_test = false;
                for line in text.lines().map(str::trim) {
                    if line == "#[test]" {
                        after_test = true;
                    } else if after_test && line.starts_with("fn ") {
                        let name = line[3..].split('(').next().unwrap_or_default();
                        if !chapter.contains(&format!("`{name}`")) {
                            missing.push(format!("{}: {name}", exercise.number));
                        }
                        after_test = false;
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "say what these checks mean in book/src/appendix/instructors.md:\n{}",
            missing.join("\n")
        );
    }

    /// A student's tree: the starter written, then their own code. `cargo test` there must
    /// not fail because the lesson no longer matches the book's copy of the starter.
    #[test]
    fn a_students_work_is_no_stale_copy() {
        let dir = std::env::temp_dir().join(format!("xtask-stale-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let lesson = dir.join(EXERCISES[0].dir);
        std::fs::create_dir_all(lesson.join("src")).unwrap();
        std::fs::create_dir_all(lesson.join(STARTER_DIR)).unwrap();
        let solution = "fn f() -> u8 {\n    // EXERCISE: one\n    1\n    // EXERCISE_END\n}\n";
        std::fs::write(lesson.join("src/lib.rs"), solution).unwrap();
        let copy =
            generated_header(&EXERCISES[0], Path::new("lib.rs")) + &starter(solution).unwrap().0;
        std::fs::write(lesson.join(STARTER_DIR).join("lib.rs"), &copy).unwrap();
        // The temporary tree has exercise 03 only: the lines about it.
        let about = |problems: Vec<String>| -> Vec<String> {
            problems
                .into_iter()
                .filter(|p| p.contains(EXERCISES[0].dir))
                .collect()
        };
        let strict_fresh = about(stale_copies(&dir, true).unwrap());

        // Started: the sources are the starter.
        std::fs::write(lesson.join("src/lib.rs"), starter(solution).unwrap().0).unwrap();
        let started = (
            about(stale_copies(&dir, false).unwrap()),
            about(stale_copies(&dir, true).unwrap()),
        );
        // Half done: the student's own code, no markers.
        std::fs::write(lesson.join("src/lib.rs"), "fn f() -> u8 {\n    2 - 1\n}\n").unwrap();
        let working = (
            about(stale_copies(&dir, false).unwrap()),
            about(stale_copies(&dir, true).unwrap()),
        );
        // The solution changed, the copy did not.
        std::fs::write(lesson.join("src/lib.rs"), solution.replace("one", "uno")).unwrap();
        let stale = about(stale_copies(&dir, false).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();

        assert!(strict_fresh.is_empty(), "{strict_fresh:?}");
        assert_eq!(started, (vec![], vec![]));
        assert!(working.0.is_empty(), "{working:?}");
        assert_eq!(working.1.len(), 1, "{working:?}");
        assert!(working.1[0].contains("has no `// EXERCISE:` markers"));
        assert_eq!(stale.len(), 1);
        assert!(
            stale[0].ends_with("starter/lib.rs is out of date"),
            "{stale:?}"
        );
    }

    #[test]
    fn every_exercise_is_a_lesson_of_the_workspace() {
        let root = tools::workspace_root();
        for exercise in EXERCISES {
            let manifest = std::fs::read_to_string(root.join(exercise.dir).join("Cargo.toml"))
                .unwrap_or_default();
            assert!(
                manifest.contains(&format!("name = \"{}\"", exercise.package)),
                "{exercise:?}"
            );
            assert!(exercise.dir.contains(exercise.number));
        }
        assert_eq!(find("3").unwrap().number, "03");
        assert!(find("05").is_err());
        assert_eq!(find("03").unwrap().package, "lesson-03-timestamp");
        assert_eq!(find("lesson-04-reconnect-loop").unwrap().number, "04");
    }
}

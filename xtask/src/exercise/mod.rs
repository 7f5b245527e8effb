//! The exercises: starters made from the solutions, and the proof that the tests can fail.
//!
//! A lesson's solution marks each part the student writes: the whole body of a function,
//! between `// EXERCISE: <hint>` and `// EXERCISE_END` (see [`markers`]; a long hint goes
//! on in comment lines indented under its first word). The starter is the same file with
//! every marked part replaced by one `todo!("<hint>")`, so it compiles (the book's anchors
//! inside a part stay, empty, so that the chapters still find them). There is
//! no second, hand-written copy: the starter is made from the solution, and the copies the
//! book includes (`lessons/NN-name/starter/...`) are checked against it by a test.
//!
//! - `exercise list`: the exercises and their parts.
//! - `exercise show NN`: print the starter, write nothing.
//! - `exercise start NN [--force]`: write the starter over the lesson's files (git is the
//!   undo; refuses to overwrite uncommitted changes without `--force`).
//! - `exercise generate`: rewrite the starter copies the book includes.
//! - `exercise check`: in a scratch copy of the workspace, every solution passes its tests
//!   and every starter compiles and fails every behavioural test that is about a missing
//!   part. This is what CI runs (the idea of rustlings' `dev check`).

mod check;
mod markers;
mod starter;

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

pub use check::{copy_workspace, target_dir};
use markers::BEGIN;
pub use starter::starter_files;
use starter::{StarterFile, is_started};

use crate::tools;

/// One exercise: a lesson whose solution has marked parts.
#[derive(Debug)]
pub struct Exercise {
    /// What the student types: `03`.
    pub number: &'static str,
    /// The lesson's folder, from the workspace root.
    pub dir: &'static str,
    /// Behavioural tests the starter may pass besides [`EVERY_STARTER_HAS`] and
    /// [`EXPERIMENTS`], with the reason in a comment: they check something the starter
    /// already has (dialing, listening). Every other behavioural test must fail on the starter, or it proves
    /// nothing about the student's work.
    pub starter_may_pass: &'static [&'static str],
}

/// Behavioural tests every starter may pass: `--version` (the programs are the lesson's
/// own), `--help` and a bad command line come from clap and `common::parse_args`, which no
/// exercise leaves to the student.
pub const EVERY_STARTER_HAS: &[&str] = &[
    "the_programs_are_this_lessons_own",
    "help_describes_every_option",
    "a_bad_command_line_is_one_line_and_exit_2",
];

impl Exercise {
    /// The lesson's package: `lesson-03-timestamp` for `lessons/03-timestamp`.
    pub fn package(&self) -> String {
        self.dir.replacen("lessons/", "lesson-", 1)
    }

    /// True when the starter may pass the behavioural test `test`: one every starter has,
    /// one the exercise lists, or an experiment's.
    pub fn may_pass(&self, test: &str) -> bool {
        let id = format!("l{}.{test}", self.number);
        EVERY_STARTER_HAS.contains(&test)
            || self.starter_may_pass.contains(&test)
            || EXPERIMENTS.contains(&id.as_str())
    }
}

/// The tests of the lessons' experiments (`backlog`, `glued`, `trap`, `naive`, `lock-stall`,
/// `unbounded`), as grading names them: programs the exercises do not ask for, so a starter
/// may pass these, and `grade` scores them apart, in `experiments`. A test in
/// `grade/checks.rs` checks that every test which runs one of those programs is listed.
pub const EXPERIMENTS: [&str; 12] = [
    "l01.backlog_dials_three_more_callers_than_the_queue_holds_by_default",
    "l01.backlog_queues_n_plus_one_callers_on_linux",
    "l01.running_out_of_file_descriptors_says_how_to_raise_the_limit",
    "l03.glued_shows_two_sends_in_one_read",
    "l04.the_trap_address_already_in_use_and_its_fix",
    "l04.the_trap_counts_the_lost_messages_and_failed_dials_it_shows",
    "l04.the_trap_runs",
    "l04.the_trap_says_in_which_rounds_so_reuseaddr_is_set",
    "l05.the_hash_speed_experiment_hashes_what_it_says",
    "l05.the_naive_experiment_shows_a_big_file_arrives_in_pieces",
    "l06.lock_stall_shows_one_non_reader_stalling_a_room_that_writes_under_its_lock",
    "l06.unbounded_shows_a_queue_that_grows_until_stopped",
];

pub const EXERCISES: &[Exercise] = &[
    Exercise {
        number: "01",
        dir: "lessons/01-phone-metaphor",
        // The starter has these already: the server's socket, bind and listen (so a busy
        // port), ending quietly (common::parse_args), the whole client (dialing, the
        // handshake line, a server that hangs up or is the original's). The starter's server
        // ends with a panic right after its ready lines, so it may fail the busy port and the
        // closed stdout.
        starter_may_pass: &[
            "nobody_listening_is_a_refused_call",
            "a_busy_port_is_explained",
            "a_closed_stdout_ends_the_server_quietly",
            "a_server_that_hangs_up_without_replying",
            "talks_with_the_originals_python_server",
            "the_client_says_the_handshake_is_done_not_that_the_server_picked_up",
        ],
    },
    Exercise {
        number: "02",
        dir: "lessons/02-chat-loop",
        // The starter has these already: dialing, listening, answering one caller and
        // switching the phone off (so a second caller is refused), ending quietly
        // (common::parse_args).
        starter_may_pass: &[
            "nobody_listening_is_a_refused_call",
            "a_busy_port_is_explained",
            "a_closed_stdout_ends_the_server_quietly",
            "a_second_caller_is_refused_while_the_first_chats",
        ],
    },
    Exercise {
        number: "03",
        dir: "lessons/03-timestamp",
        // The starter has these already: dialing, listening, ending quietly
        // (common::parse_args).
        starter_may_pass: &[
            "nobody_listening_is_a_refused_call",
            "a_busy_port_is_explained",
            "a_closed_stdout_ends_the_server_quietly",
        ],
    },
    Exercise {
        number: "04",
        dir: "lessons/04-reconnect-loop",
        // Only the experiment `trap`, which is no part of the exercise.
        starter_may_pass: &[],
    },
    Exercise {
        number: "05",
        dir: "lessons/05-send-file",
        // The starter has dialing, listening, opening the file, making the folder and
        // cleaning up at the start already.
        starter_may_pass: &[
            "nobody_listening_is_a_refused_call",
            "a_busy_port_is_explained",
            "a_closed_stdout_ends_the_server_quietly",
            "a_missing_file_is_one_error_line",
            "a_folder_that_cannot_be_made_is_one_error_line",
            "a_part_left_by_a_stopped_server_is_removed_at_the_next_start",
            // Refusing a `.partial` that is a link or a file happens at start, too.
            "a_partial_folder_that_is_a_link_is_refused_and_nothing_it_points_to_is_removed",
            "a_partial_that_is_a_file_is_refused",
            // The client checks the name's length before dialing; the server's options.
            "a_name_over_255_bytes_is_refused_before_dialing",
            "a_bad_max_bytes_says_the_range",
            // These talk to the Python receiver as raw callers: no Rust part of the lesson.
            "the_python_receiver_keeps_its_part_in_partial_and_answers_short",
            "the_python_receiver_answers_checksum_and_exits_1",
        ],
    },
    Exercise {
        number: "06",
        dir: "lessons/06-group-call",
        // The starter has the client and listening already; the room's cap, ROOM FULL and
        // silent callers need no broadcast, and the client checks --name before it calls
        // (no server at all).
        starter_may_pass: &[
            "nobody_listening_is_a_refused_call",
            "a_busy_port_is_explained",
            "fifty_calls_at_once_keep_the_threads_bounded",
            "the_client_ends_when_the_server_hangs_up",
            "the_client_refuses_a_bad_name_before_it_calls",
        ],
    },
];

/// `cargo xtask exercise ...`: one subcommand each.
#[derive(Debug, clap::Subcommand)]
pub enum ExerciseCommand {
    /// The exercises and the parts a student writes.
    List,
    /// Print the starter of exercise NN (writes nothing).
    Show {
        /// The exercise: `03`, `3` or `lesson-03-timestamp`.
        number: String,
    },
    /// Write the starter over the lesson's files (git is the undo).
    Start {
        /// The exercise: `03`, `3` or `lesson-03-timestamp`.
        number: String,
        /// Start again over a lesson that is started already.
        #[arg(long)]
        force: bool,
    },
    /// Rewrite the starter copies the book includes (lessons/NN-*/starter/).
    Generate,
    /// Prove the tests can fail: starters fail, solutions pass (in a scratch copy).
    Check,
}

pub fn run(command: ExerciseCommand) -> anyhow::Result<()> {
    let root = tools::workspace_root();
    match command {
        ExerciseCommand::List => list(&root),
        ExerciseCommand::Show { number } => show(&root, find(&number)?),
        ExerciseCommand::Start { number, force } => start(&root, find(&number)?, force),
        ExerciseCommand::Generate => starter::generate(&root),
        ExerciseCommand::Check => check::check(&root),
    }
}

/// `3`, `03`, `lesson-03-timestamp` and `lessons/03-timestamp` all name exercise 03.
fn find(name: &str) -> anyhow::Result<&'static Exercise> {
    let number = name.parse().map(|n: u32| format!("{n:02}"));
    let path = name.trim_end_matches('/');
    let named =
        |e: &&Exercise| number.as_deref() == Ok(e.number) || [&e.package(), e.dir].contains(&path);
    EXERCISES.iter().find(named).with_context(|| {
        let known: Vec<_> = EXERCISES.iter().map(|e| e.number).collect();
        let known = known.join(" and ");
        format!("there is no exercise `{name}`; the exercises are {known}")
    })
}

fn list(root: &Path) -> anyhow::Result<()> {
    for exercise in EXERCISES {
        println!("exercise {} ({})", exercise.number, exercise.package());
        let files = starter_files(root, exercise)?;
        if files.is_empty() && is_started(root, exercise) {
            println!("  started: its files are the starter now");
        } else if files.is_empty() {
            println!("  no parts are marked yet");
        }
        for file in files {
            for part in file.parts {
                let (line, function, hint) = (part.line, part.function, part.hint.join(" "));
                println!("  {}:{line} fn {function}: {hint}", file.source);
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
        print!("// ---- {} (starter) ----\n{}", file.source, file.text);
    }
    Ok(())
}

fn start(root: &Path, exercise: &Exercise, force: bool) -> anyhow::Result<()> {
    let (number, package, dir) = (exercise.number, exercise.package(), exercise.dir);
    let files = starter_files(root, exercise)?;
    if files.is_empty() && is_started(root, exercise) {
        bail!(
            "exercise {number} is started already: its files are the starter. To see the \
             solution again: git checkout -- {dir}/src"
        );
    } else if files.is_empty() {
        bail!("{dir} has no `{BEGIN}` markers: nothing to start");
    }
    refuse_to_lose_work(root, &files, force)?;
    for file in &files {
        std::fs::write(root.join(&file.source), &file.text)
            .with_context(|| format!("could not write {}", file.source))?;
        println!("wrote the starter over {}", file.source);
    }
    let parts: usize = files.iter().map(|f| f.parts.len()).sum();
    let parts = match parts {
        1 => "1 function says todo!(\"...\") with a hint".to_string(),
        n => format!("{n} functions say todo!(\"...\"), each with a hint"),
    };
    println!(
        "\nExercise {number} is yours now: {parts}.\n\
         `cargo xtask exercise list` lists them. Until you write them, the compiler warns about\n\
         unused imports and arguments: those are the tools each part needs.\n\
         Run `cargo test -p {package}` to see what is still missing.\n\
         Git is the undo: `git diff` shows what changed, and\n\
         `git checkout -- {dir}/src` brings the solution back (and throws away your work)."
    );
    Ok(())
}

/// Git is the undo of `start`: without `force`, refuse when the files have changes git has
/// not saved, or when there is no git to undo with.
fn refuse_to_lose_work(root: &Path, files: &[StarterFile], force: bool) -> anyhow::Result<()> {
    let status = Command::new("git")
        .args(["status", "--porcelain", "--"])
        .args(files.iter().map(|file| &file.source))
        .current_dir(root)
        .output();
    let changed = match status {
        _ if force => return Ok(()),
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        _ => bail!(
            "{} is not in a git checkout, so nothing could undo the starter. Add --force to \
             write it anyway.",
            root.display()
        ),
    };
    if !changed.trim().is_empty() {
        bail!(
            "these files have changes that git has not saved (committed):\n{changed}The starter \
             would overwrite them. Commit them first, or add --force to overwrite them anyway."
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// The instructors' chapter explains every check of the exercises: a new test in an
    /// exercise's lesson needs its line there.
    #[test]
    fn every_check_of_an_exercise_is_explained_for_instructors() {
        let root = tools::workspace_root();
        let chapter = std::fs::read_to_string(root.join("book/src/appendix/instructors.md"))
            .unwrap_or_default();
        let mut missing = Vec::new();
        for exercise in EXERCISES {
            let tests = root.join(exercise.dir).join("tests");
            for path in tools::files_under(&tests, "rs") {
                let text = std::fs::read_to_string(path).unwrap();
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

    #[test]
    fn every_exercise_is_a_lesson_of_the_workspace() {
        let root = tools::workspace_root();
        for exercise in EXERCISES {
            let manifest = std::fs::read_to_string(root.join(exercise.dir).join("Cargo.toml"))
                .unwrap_or_default();
            assert!(
                manifest.contains(&format!("name = \"{}\"", exercise.package())),
                "{exercise:?}"
            );
            assert!(exercise.dir.contains(exercise.number));
        }
        assert_eq!(find("3").unwrap().number, "03");
        assert!(find("99").is_err());
        assert_eq!(find("1").unwrap().package(), "lesson-01-phone-metaphor");
        assert_eq!(find("03").unwrap().package(), "lesson-03-timestamp");
        assert_eq!(find("lesson-04-reconnect-loop").unwrap().number, "04");
    }
}

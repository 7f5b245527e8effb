//! Step 0: the checks, this workspace's behavioural tests, built here from the grader's own
//! tree into its own target folder. So a student who edited their tests cannot change their
//! grade. Each check has an exact id, `l03.timestamps_become_times_in_utc`, and each test
//! executable its SHA-256, taken right after the build and checked before every run.

use std::path::Path;

use anyhow::anyhow;
use sha2::{Digest, Sha256};

use super::{Args, Usage};
use crate::exercise::EXPERIMENTS;
use crate::testrun::{self, Cargo, TestExe};

/// One lesson of this workspace: `03`, `lesson-03-timestamp`.
#[derive(Debug, Clone)]
pub struct Lesson {
    pub number: String,
    pub package: String,
}

/// One check: one behavioural test of one lesson.
#[derive(Debug, Clone)]
pub struct Check {
    /// `l03.timestamps_become_times_in_utc`.
    pub id: String,
    pub lesson: Lesson,
    pub exe: TestExe,
    /// The SHA-256 of `exe` right after the grader built it.
    pub sha256: String,
    pub test: String,
    /// A check of an experiment (see [`EXPERIMENTS`]), not of the exercise.
    pub experiment: bool,
}

/// The lessons of the workspace in order: its packages named `lesson-NN-...`.
pub fn lessons(cargo: Cargo) -> anyhow::Result<Vec<Lesson>> {
    let packages = cargo.packages().map_err(|err| anyhow!(err))?;
    let mut lessons: Vec<Lesson> = packages
        .into_iter()
        .filter_map(|package| {
            let (number, _) = package.strip_prefix("lesson-")?.split_once('-')?;
            let number = number.to_string();
            Some(Lesson { number, package })
        })
        .collect();
    lessons.sort_by(|a, b| a.number.cmp(&b.number));
    Ok(lessons)
}

/// The checks that `args` asks for: of the lessons it names (every lesson when none), and
/// with `--check`, those whose id is one of them, or starts with one that ends in `.`
/// (`l03.`). A lesson or a check that names nothing is a mistake of the command line.
pub fn find(cargo: Cargo, args: &Args) -> anyhow::Result<Vec<Check>> {
    let wanted: Vec<String> = args.lessons.iter().map(|n| format!("{n:02}")).collect();
    let mut lessons = lessons(cargo)?;
    if let Some(missing) = wanted
        .iter()
        .find(|n| !lessons.iter().any(|l| l.number == **n))
    {
        return Err(Usage(format!("there is no lesson {missing}")).into());
    }
    lessons.retain(|l| wanted.is_empty() || wanted.contains(&l.number));
    let mut checks = Vec::new();
    for lesson in lessons {
        let found = of_lesson(cargo, &lesson, args)?;
        if found.is_empty() {
            eprintln!(
                "grade: {} has no behavioural tests yet; skipped",
                lesson.package
            );
        }
        checks.extend(found);
    }
    let chosen = |id: &str, pick: &String| {
        id == pick || (pick.ends_with('.') && id.starts_with(pick.as_str()))
    };
    if let Some(unknown) = args
        .checks
        .iter()
        .find(|pick| !checks.iter().any(|c| chosen(&c.id, pick)))
    {
        let hint = "`cargo xtask grade --list` shows the ids";
        return Err(Usage(format!(
            "no check has the id `{unknown}` (or starts with it and a dot): {hint}"
        ))
        .into());
    }
    checks.retain(|c| args.checks.is_empty() || args.checks.iter().any(|pick| chosen(&c.id, pick)));
    if checks.is_empty() {
        return Err(Usage("no checks to run: no lesson has behavioural tests".into()).into());
    }
    Ok(checks)
}

fn of_lesson(cargo: Cargo, lesson: &Lesson, args: &Args) -> anyhow::Result<Vec<Check>> {
    eprintln!("grade: building the tests of {}", lesson.package);
    let exes = cargo
        .build_tests(&lesson.package)
        .map_err(|err| anyhow!("the tests of {} do not build: {err}", lesson.package))?;
    let mut checks = Vec::new();
    for exe in exes.into_iter().filter(|exe| exe.behavioural) {
        let sha256 = sha256_of(&exe.path)?;
        let tests = testrun::list_tests(&exe, args.timeout).map_err(|err| anyhow!(err))?;
        checks.extend(tests.into_iter().map(|test| {
            let id = format!("l{}.{test}", lesson.number);
            Check {
                experiment: EXPERIMENTS.contains(&id.as_str()),
                id,
                lesson: lesson.clone(),
                exe: exe.clone(),
                sha256: sha256.clone(),
                test,
            }
        }));
    }
    Ok(checks)
}

/// The SHA-256 of a file, in hex.
pub fn sha256_of(path: &Path) -> anyhow::Result<String> {
    let bytes =
        std::fs::read(path).map_err(|err| anyhow!("could not read {}: {err}", path.display()))?;
    Ok(format!("{:x}", Sha256::digest(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::build::BUILD_LIMIT;

    /// Every test that runs an experiment's program is in [`EXPERIMENTS`], and every id
    /// there names a test: a renamed test cannot quietly become part of the score.
    #[test]
    fn the_experiments_are_exactly_the_tests_of_experiment_programs() {
        let root = crate::tools::workspace_root();
        let mut found = Vec::new();
        for file in crate::tools::files_under(&root.join("lessons"), "rs") {
            let path = file.to_string_lossy().replace('\\', "/");
            let Some(number) = path
                .split("/lessons/")
                .nth(1)
                .filter(|p| p.contains("/tests/"))
            else {
                continue;
            };
            let text = std::fs::read_to_string(&file).unwrap();
            for test in text.split("#[test]").skip(1) {
                // The test function alone: up to its closing brace in the first column.
                let test = test.split("\n}\n").next().unwrap_or(test);
                let name = test
                    .split("fn ")
                    .nth(1)
                    .and_then(|rest| rest.split('(').next());
                // Tests that start the program themselves; the shared `assert_*` helpers of
                // test-support pass over a missing experiment under grading.
                let flat: String = test.split_whitespace().collect();
                let programs = [
                    "backlog",
                    "glued",
                    "trap",
                    "naive",
                    "hash-speed",
                    "lock-stall",
                    "unbounded",
                ];
                let runs = programs.iter().any(|program| {
                    let started = ["program", "command", "spawn", "start"]
                        .iter()
                        .any(|how| flat.contains(&format!("{how}(\"{program}\"")));
                    let helper = ["=", ";", "{"].iter().any(|before| {
                        flat.contains(&format!("{before}{program}("))
                            || flat.contains(&format!("{before}{program}_output("))
                    });
                    started || helper
                });
                if runs {
                    found.push(format!("l{}.{}", &number[..2], name.unwrap()));
                }
            }
        }
        found.sort();
        assert_eq!(found, EXPERIMENTS);
    }

    #[test]
    fn the_lessons_are_found_with_their_packages() {
        let root = crate::tools::workspace_root();
        let lessons = lessons(Cargo::new(
            &root,
            &crate::exercise::target_dir(&root),
            BUILD_LIMIT,
        ))
        .unwrap();
        assert_eq!(lessons[0].number, "01");
        assert_eq!(lessons[0].package, "lesson-01-phone-metaphor");
        assert!(
            lessons
                .iter()
                .any(|l| l.package == "lesson-04-reconnect-loop")
        );
    }
}

//! Step 0: the checks, this workspace's behavioural tests, built here. So a student who
//! edited their tests cannot change their grade.

use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, bail};

use super::build::BUILD_LIMIT;
use crate::testrun::{self, TestExe};

/// One lesson of this workspace: `03`, `lesson-03-timestamp`.
#[derive(Debug, Clone)]
pub struct Lesson {
    pub number: String,
    pub package: String,
}

/// One check: one behavioural test of one lesson.
#[derive(Debug, Clone)]
pub struct Check {
    pub lesson: Lesson,
    pub exe: TestExe,
    pub test: String,
}

/// The lessons of the workspace at `root` in order: its packages named `lesson-NN-...`.
pub fn lessons(root: &Path, target: &Path) -> anyhow::Result<Vec<Lesson>> {
    let packages =
        testrun::workspace_packages(root, target, BUILD_LIMIT).map_err(|e| anyhow!(e))?;
    let mut lessons: Vec<Lesson> = packages
        .into_iter()
        .filter_map(|package| {
            let number = package
                .strip_prefix("lesson-")?
                .split('-')
                .next()?
                .to_string();
            Some(Lesson { number, package })
        })
        .collect();
    lessons.sort_by(|a, b| a.number.cmp(&b.number));
    Ok(lessons)
}

/// The checks of lessons `wanted` (every lesson when empty) whose names contain one of
/// `names` (every check when empty).
pub fn find(
    root: &Path,
    target: &Path,
    wanted: &[u32],
    names: &[String],
    limit: Duration,
) -> anyhow::Result<Vec<Check>> {
    let wanted: Vec<String> = wanted.iter().map(|n| format!("{n:02}")).collect();
    let mut lessons = lessons(root, target)?;
    if let Some(missing) = wanted
        .iter()
        .find(|n| !lessons.iter().any(|l| l.number == **n))
    {
        bail!(
            "there is no lesson {missing} in {}",
            root.join("lessons").display()
        );
    }
    lessons.retain(|l| wanted.is_empty() || wanted.contains(&l.number));
    let mut checks = Vec::new();
    for lesson in lessons {
        let found = of_lesson(root, target, &lesson, names, limit)?;
        if found.is_empty() {
            eprintln!(
                "grade: {} has no behavioural tests yet; skipped",
                lesson.package
            );
        }
        checks.extend(found);
    }
    if checks.is_empty() {
        bail!("no checks to run: no lesson has behavioural tests that match");
    }
    Ok(checks)
}

fn of_lesson(
    root: &Path,
    target: &Path,
    lesson: &Lesson,
    names: &[String],
    limit: Duration,
) -> anyhow::Result<Vec<Check>> {
    eprintln!("grade: building the tests of {}", lesson.package);
    let exes = testrun::build_tests(root, target, &lesson.package, BUILD_LIMIT)
        .map_err(|err| anyhow!("the tests of {} do not build: {err}", lesson.package))?;
    let wanted =
        |test: &String| names.is_empty() || names.iter().any(|n| test.contains(n.as_str()));
    let mut checks = Vec::new();
    for exe in exes.into_iter().filter(|exe| exe.behavioural) {
        let tests = testrun::list_tests(&exe, limit).map_err(|e| anyhow!(e))?;
        let lesson = lesson.clone();
        checks.extend(tests.into_iter().filter(wanted).map(|test| Check {
            lesson: lesson.clone(),
            exe: exe.clone(),
            test,
        }));
    }
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lessons_are_found_with_their_packages() {
        let root = crate::tools::workspace_root();
        let lessons = lessons(&root, &crate::exercise::target_dir(&root)).unwrap();
        assert_eq!(lessons[0].number, "01");
        assert_eq!(lessons[0].package, "lesson-01-phone-metaphor");
        assert!(
            lessons
                .iter()
                .any(|l| l.package == "lesson-04-reconnect-loop")
        );
    }
}

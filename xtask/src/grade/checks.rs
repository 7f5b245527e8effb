//! Step 0: the checks, this workspace's behavioural tests, built here. So a student who
//! edited their tests cannot change their grade.

use anyhow::{anyhow, bail};

use super::Args;
use crate::testrun::{self, Cargo, TestExe};
use crate::tools;

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

/// The checks that `args` asks for: of the lessons it names (every lesson when none) and
/// with a name that contains one of its `--check` texts (every check when none).
pub fn find(cargo: Cargo, args: &Args) -> anyhow::Result<Vec<Check>> {
    let wanted: Vec<String> = args.lessons.iter().map(|n| format!("{n:02}")).collect();
    let mut lessons = lessons(cargo)?;
    if let Some(missing) = wanted
        .iter()
        .find(|n| !lessons.iter().any(|l| l.number == **n))
    {
        let lessons = tools::workspace_root().join("lessons");
        bail!("there is no lesson {missing} in {}", lessons.display());
    }
    lessons.retain(|l| wanted.is_empty() || wanted.contains(&l.number));
    let mut checks = Vec::new();
    for lesson in lessons {
        let found = of_lesson(cargo, &lesson, args)?;
        if found.is_empty() {
            let package = &lesson.package;
            eprintln!("grade: {package} has no behavioural tests yet; skipped");
        }
        checks.extend(found);
    }
    if checks.is_empty() {
        bail!("no checks to run: no lesson has behavioural tests that match");
    }
    Ok(checks)
}

fn of_lesson(cargo: Cargo, lesson: &Lesson, args: &Args) -> anyhow::Result<Vec<Check>> {
    eprintln!("grade: building the tests of {}", lesson.package);
    let exes = cargo
        .build_tests(&lesson.package)
        .map_err(|err| anyhow!("the tests of {} do not build: {err}", lesson.package))?;
    let names = &args.checks;
    let wanted = |test: &String| names.is_empty() || names.iter().any(|n| test.contains(n));
    let mut checks = Vec::new();
    for exe in exes.into_iter().filter(|exe| exe.behavioural) {
        let tests = testrun::list_tests(&exe, args.timeout).map_err(|err| anyhow!(err))?;
        let check = |test| Check {
            lesson: lesson.clone(),
            exe: exe.clone(),
            test,
        };
        checks.extend(tests.into_iter().filter(wanted).map(check));
    }
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::build::BUILD_LIMIT;

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

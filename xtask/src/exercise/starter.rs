//! A lesson's starter files, and the copies of them that the book includes
//! (`lessons/NN-name/starter/<path under src>`).

use std::path::{Path, PathBuf};

use anyhow::anyhow;

use super::markers::{self, BEGIN, Part};
use super::{EXERCISES, Exercise};
use crate::book::anchor_name;
use crate::tools;

/// Where the book's copy of a starter lives: `lessons/NN-name/starter/<path under src>`.
pub const STARTER_DIR: &str = "starter";

/// One file of a starter.
#[derive(Debug)]
pub struct StarterFile {
    /// Relative to the lesson's `src/`, e.g. `bin/server.rs`.
    pub file: PathBuf,
    /// From the workspace root: `lessons/03-timestamp/src/bin/server.rs`.
    pub source: String,
    pub text: String,
    pub parts: Vec<Part>,
}

/// All `.rs` files under `dir`, relative to it, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let files = tools::files_under(dir, "rs").into_iter();
    files
        .map(|path| path.strip_prefix(dir).unwrap_or(&path).to_path_buf())
        .collect()
}

/// The starter of `exercise`, made from the solution in the workspace at `root`: the files
/// of the lesson's `src/` that have marked parts.
pub fn starter_files(root: &Path, exercise: &Exercise) -> anyhow::Result<Vec<StarterFile>> {
    let mut files = Vec::new();
    for file in rust_files(&root.join(exercise.dir).join("src")) {
        let source = format!("{}/src/{}", exercise.dir, file.display());
        let solution = std::fs::read_to_string(root.join(&source))?;
        let (text, parts) =
            markers::starter(&solution).map_err(|problem| anyhow!("{source}: {problem}"))?;
        if !parts.is_empty() {
            files.push(StarterFile {
                file,
                source,
                text,
                parts,
            });
        }
    }
    Ok(files)
}

/// The book's copy of the starter file `file` (relative to `src/`) whose text is `text`.
fn book_copy(exercise: &Exercise, file: &Path, text: &str) -> String {
    let (file, number, excerpt) = (file.display(), exercise.number, book_excerpt(text));
    format!(
        "// The parts of the starter that the book shows, generated from ../src/{file} by\n\
         // `cargo xtask exercise generate`: do not edit.\n\
         // To start the exercise, run `cargo xtask exercise start {number}`.\n{excerpt}"
    )
}

/// The parts of a starter file that the book shows: every `// ANCHOR:` region that holds a
/// `todo!(`, with its anchor lines, in file order, a blank line between regions. The rest of
/// the file is the solution's, word for word, so the copy leaves it out. A file without such
/// regions is kept whole.
fn book_excerpt(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut keep = vec![false; lines.len()];
    for (start, line) in lines.iter().enumerate() {
        let Some(name) = anchor_name(line, "ANCHOR:") else {
            continue;
        };
        let end =
            (start..lines.len()).find(|&i| anchor_name(lines[i], "ANCHOR_END:") == Some(name));
        let has_todo = |end: &usize| lines[start..=*end].iter().any(|l| l.contains("todo!("));
        if let Some(end) = end.filter(has_todo) {
            keep[start..=end].fill(true);
        }
    }
    if !keep.contains(&true) {
        return text.to_string();
    }
    let mut excerpt = String::new();
    for (index, line) in lines.iter().enumerate().filter(|(index, _)| keep[*index]) {
        if index > 0 && !keep[index - 1] && !excerpt.is_empty() {
            excerpt.push('\n');
        }
        excerpt += &format!("{line}\n");
    }
    excerpt
}

/// What `generate` would change in the book copies of `exercise`: each copy's path from the
/// root, and its new text (`None`: remove it, no solution file with markers makes it now).
fn changes(root: &Path, exercise: &Exercise) -> anyhow::Result<Vec<(PathBuf, Option<String>)>> {
    let copies = Path::new(exercise.dir).join(STARTER_DIR);
    let starters = starter_files(root, exercise)?;
    let mut changes = Vec::new();
    for file in rust_files(&root.join(&copies)) {
        if !starters.iter().any(|starter| starter.file == file) {
            changes.push((copies.join(file), None));
        }
    }
    for starter in starters {
        let path = copies.join(&starter.file);
        let text = book_copy(exercise, &starter.file, &starter.text);
        if std::fs::read_to_string(root.join(&path)).ok() != Some(text.clone()) {
            changes.push((path, Some(text)));
        }
    }
    Ok(changes)
}

/// True when the lesson's sources are its starter already (`exercise start` ran): no
/// markers left, and every book copy matches its source.
pub fn is_started(root: &Path, exercise: &Exercise) -> bool {
    let copies = root.join(exercise.dir).join(STARTER_DIR);
    let files = rust_files(&copies);
    !files.is_empty()
        && starter_files(root, exercise).is_ok_and(|files| files.is_empty())
        && files.iter().all(|file| {
            let copy = std::fs::read_to_string(copies.join(file)).ok();
            let source = std::fs::read_to_string(root.join(exercise.dir).join("src").join(file));
            source.is_ok_and(|source| copy == Some(book_copy(exercise, file, &source)))
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
        let has_markers = !starter_files(root, exercise)?.is_empty();
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
        for (path, text) in changes(root, exercise)? {
            let shown = path.display();
            problems.push(match text {
                Some(_) if root.join(&path).is_file() => format!("{shown} is out of date"),
                Some(_) => format!("{shown} is missing"),
                None => format!("{shown} has no solution with markers any more"),
            });
        }
    }
    Ok(problems)
}

/// `exercise generate`: rewrite the book's starter copies, except for a started lesson.
pub fn generate(root: &Path) -> anyhow::Result<()> {
    for exercise in EXERCISES {
        if is_started(root, exercise) {
            println!("{}: started, its starter copies stay", exercise.dir);
            continue;
        }
        for (path, text) in changes(root, exercise)? {
            let (file, shown) = (root.join(&path), path.display());
            if let Some(text) = text {
                std::fs::create_dir_all(file.parent().expect("a file is in a folder"))?;
                std::fs::write(file, text)?;
                println!("wrote {shown}");
            } else {
                std::fs::remove_file(file)?;
                println!("removed {shown}");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercise::markers::starter;

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

    #[test]
    fn the_book_shows_only_the_anchors_with_a_todo() {
        let text = "use x;\n// ANCHOR: a\nfn a() {\n    todo!(\"a\")\n}\n// ANCHOR_END: a\n\
                    // ANCHOR: b\nfn b() {}\n// ANCHOR_END: b\n// ANCHOR: c\nfn c() {\n    \
                    todo!(\"c\")\n}\n// ANCHOR_END: c\n";
        assert_eq!(
            book_excerpt(text),
            "// ANCHOR: a\nfn a() {\n    todo!(\"a\")\n}\n// ANCHOR_END: a\n\n\
             // ANCHOR: c\nfn c() {\n    todo!(\"c\")\n}\n// ANCHOR_END: c\n"
        );
        assert_eq!(book_excerpt("fn a() {}\n"), "fn a() {}\n");
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
        let copy = book_copy(
            &EXERCISES[0],
            Path::new("lib.rs"),
            &starter(solution).unwrap().0,
        );
        std::fs::write(lesson.join(STARTER_DIR).join("lib.rs"), &copy).unwrap();
        // The temporary tree has the first exercise only: the lines about it.
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
}

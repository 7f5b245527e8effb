//! Step 4: tamper evidence. Per checkout, the files that differ from the handout (the
//! grader's own tree, or a commit given with `--handout REV`) where a change could matter
//! to grading: tests, test support, xtask, the contract, dependencies, build scripts and
//! proc-macro crates, each with the SHA-256 of the submission's file. Reported, never
//! punished: none of these is built or run by the grader, except build scripts and
//! dependencies of the lesson crates.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

use super::model::{Change, Tampered};

/// The handout: the grader's tree as it is, or one of its commits.
#[derive(Debug, Clone)]
pub struct Handout<'a> {
    pub root: &'a Path,
    pub rev: Option<&'a str>,
}

impl Handout<'_> {
    /// The handout's files (what git tracks).
    fn files(&self) -> BTreeSet<String> {
        let mut git = Command::new("git");
        match self.rev {
            Some(rev) => git.args(["ls-tree", "-r", "--name-only", rev]),
            None => git.args(["ls-files", "--cached", "--others", "--exclude-standard"]),
        };
        let out = git.current_dir(self.root).output().ok();
        let text = out
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
            .unwrap_or_default();
        text.lines().map(str::to_string).collect()
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        match self.rev {
            None => std::fs::read(self.root.join(path)).ok(),
            Some(rev) => {
                let out = Command::new("git")
                    .args(["show", &format!("{rev}:{path}")])
                    .current_dir(self.root)
                    .output()
                    .ok()?;
                out.status.success().then_some(out.stdout)
            }
        }
    }
}

/// Why a change to `path` matters, or `None` when it does not.
fn what(path: &str) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if path.starts_with("lessons/") && path.contains("/tests/") {
        Some("tests")
    } else if path.starts_with("test-support/") {
        Some("test support")
    } else if path.starts_with("xtask/") {
        Some("xtask")
    } else if path == "book/src/appendix/contract.md" {
        Some("contract")
    } else if name == "build.rs" {
        Some("build script")
    } else if name == "Cargo.toml" {
        Some("dependencies")
    } else {
        None
    }
}

/// The files of the checkout at `checkout` that differ from `handout` where it matters.
pub fn of_checkout(checkout: &Path, handout: &Handout) -> Vec<Tampered> {
    let theirs = submitted_files(checkout);
    let ours = handout.files();
    let mut found = Vec::new();
    for path in theirs.union(&ours).filter(|path| what(path).is_some()) {
        let mine = theirs
            .contains(path)
            .then(|| std::fs::read(checkout.join(path)).ok())
            .flatten();
        let given = if ours.contains(path) {
            handout.read(path)
        } else {
            None
        };
        let change = match (&mine, &given) {
            (Some(_), None) => Change::Added,
            (None, Some(_)) => Change::Deleted,
            (Some(mine), Some(given)) if differs(path, mine, given) => Change::Changed,
            _ => continue,
        };
        let proc_macro = mine
            .as_ref()
            .is_some_and(|text| String::from_utf8_lossy(text).contains("proc-macro = true"));
        let what = if proc_macro {
            "proc-macro crate"
        } else {
            what(path).unwrap_or_default()
        };
        let sha256 = mine.map(|bytes| format!("{:x}", Sha256::digest(bytes)));
        found.push(Tampered {
            path: path.clone(),
            change,
            what: what.into(),
            sha256,
        });
    }
    found
}

/// Whether two versions of `path` differ where it matters: a `Cargo.toml` only in its
/// dependency tables (and `proc-macro`), any other file in any byte.
fn differs(path: &str, mine: &[u8], given: &[u8]) -> bool {
    if !path.ends_with("Cargo.toml") {
        return mine != given;
    }
    let relevant = |text: &[u8]| -> Vec<String> {
        let mut section = String::new();
        let mut lines = Vec::new();
        for line in String::from_utf8_lossy(text).lines().map(str::trim) {
            if line.starts_with('[') {
                section = line.to_string();
            }
            if section.contains("dependencies") || line.starts_with("proc-macro") {
                lines.push(line.to_string());
            }
        }
        lines
    };
    relevant(mine) != relevant(given)
}

/// The files of a checkout, from its root, without `target/` and `.git/`.
fn submitted_files(checkout: &Path) -> BTreeSet<String> {
    let walk = walkdir::WalkDir::new(checkout)
        .into_iter()
        .filter_entry(|entry| {
            let name = entry.file_name();
            entry.depth() == 0 || (name != "target" && name != ".git")
        });
    let files = walk.flatten().filter(|entry| entry.file_type().is_file());
    let relative = |entry: walkdir::DirEntry| {
        let path = entry
            .path()
            .strip_prefix(checkout)
            .ok()?
            .to_string_lossy()
            .replace('\\', "/");
        Some(path)
    };
    files.filter_map(relative).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_changes_count_and_other_manifest_changes_do_not() {
        let given = b"[package]\nname = \"a\"\n\n[dependencies]\nclap.workspace = true\n";
        let renamed = b"[package]\nname = \"b\"\n\n[dependencies]\nclap.workspace = true\n";
        let more =
            b"[package]\nname = \"a\"\n\n[dependencies]\nclap.workspace = true\nevil = \"1\"\n";
        assert!(!differs("x/Cargo.toml", renamed, given));
        assert!(differs("x/Cargo.toml", more, given));
        assert_eq!(
            what("lessons/03-timestamp/tests/behaviour.rs"),
            Some("tests")
        );
        assert_eq!(what("lessons/03-timestamp/src/bin/server.rs"), None);
        assert_eq!(what("lessons/03-timestamp/build.rs"), Some("build script"));
    }
}

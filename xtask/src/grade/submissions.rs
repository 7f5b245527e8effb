//! Step 1: the submissions the PATHs name, each with what it turned out to be.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// One student's work.
#[derive(Debug, Clone, Serialize)]
pub struct Submission {
    /// The folder's name; two submissions with one name get a number each (`alice#3`).
    pub name: String,
    pub path: PathBuf,
    #[serde(serialize_with = "kind_name")]
    pub kind: Kind,
}

fn kind_name<S: serde::Serializer>(kind: &Kind, to: S) -> Result<S::Ok, S::Error> {
    to.serialize_str(kind.name())
}

/// What a PATH turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A checkout of this workspace: it has a `Cargo.toml`.
    Checkout,
    /// A folder of programs: `<package>/<program>`.
    Programs,
    /// Neither: every check fails with this reason.
    Unusable(String),
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Checkout => "checkout",
            Kind::Programs => "programs",
            Kind::Unusable(_) => "unusable",
        }
    }

    fn of(path: &Path) -> Kind {
        if !path.is_dir() {
            return Kind::Unusable(format!("{} is not a folder", path.display()));
        }
        if path.join("Cargo.toml").is_file() {
            return Kind::Checkout;
        }
        if folders_in(path)
            .iter()
            .any(|p| file_name(p).starts_with("lesson-"))
        {
            Kind::Programs
        } else {
            let why =
                "neither a checkout (no Cargo.toml) nor a folder of programs (no lesson-* folder)";
            Kind::Unusable(why.into())
        }
    }
}

/// The submissions the PATHs name: a class folder (neither a checkout nor programs, with
/// subfolders) counts as its subfolders.
pub fn find(paths: &[PathBuf]) -> Vec<Submission> {
    let mut found: Vec<Submission> = Vec::new();
    for path in paths {
        let members = folders_in(path);
        if matches!(Kind::of(path), Kind::Unusable(_)) && !members.is_empty() {
            found.extend(members.into_iter().map(submission));
        } else {
            found.push(submission(path.clone()));
        }
    }
    // Two submissions with one name (`a/alice`, `b/alice`) get a number each.
    let names: Vec<String> = found.iter().map(|s| s.name.clone()).collect();
    for (index, submission) in found.iter_mut().enumerate() {
        if names.iter().filter(|n| **n == submission.name).count() > 1 {
            submission.name = format!("{}#{}", submission.name, index + 1);
        }
    }
    found
}

fn submission(path: PathBuf) -> Submission {
    Submission {
        name: name_of(&path),
        kind: Kind::of(&path),
        path,
    }
}

/// The subfolders of `path` that are not hidden, sorted.
fn folders_in(path: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(path).into_iter().flatten().flatten();
    let mut folders: Vec<PathBuf> = entries
        .map(|entry| entry.path())
        .filter(|p| p.is_dir() && !file_name(p).starts_with('.'))
        .collect();
    folders.sort();
    folders
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The folder's own name, also for `.` and `..`.
fn name_of(path: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_sorted_into_kinds() {
        let dir = std::env::temp_dir().join(format!("xtask-grade-kinds-{}", std::process::id()));
        let class = dir.join("class");
        for folder in [
            "alice/lessons",
            "bob/lesson-01-phone-metaphor",
            "carol/notes",
        ] {
            std::fs::create_dir_all(class.join(folder)).unwrap();
        }
        std::fs::write(class.join("alice/Cargo.toml"), "[workspace]\n").unwrap();
        let found = find(&[class.clone(), class.join("bob"), dir.join("missing")]);
        std::fs::remove_dir_all(&dir).unwrap();
        let kinds: Vec<(&str, &str)> = found
            .iter()
            .map(|s| (s.name.as_str(), s.kind.name()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("alice", "checkout"),
                ("bob#2", "programs"),
                ("carol", "unusable"),
                ("bob#4", "programs"),
                ("missing", "unusable")
            ]
        );
    }
}

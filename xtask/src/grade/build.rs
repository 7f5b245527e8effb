//! Step 2: each submission's programs, in a work folder of ours outside the grader's tree
//! (a temporary folder), so that no path a program sees leads back to the grader.
//!
//! A folder of programs is copied there as it is. A checkout is never built as a whole: only
//! its lesson crates, each with `cargo build --manifest-path <checkout>/lessons/NN-x/Cargo.toml
//! --bins`, run from the work folder (the checkout's `.cargo/config.toml` is not read), into
//! a target folder of the submission's own. Its tests, test support and xtask are never
//! built or run. Each lesson's programs are copied away right after its build, because every
//! lesson names its programs `server` and `client`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::submissions::{Kind, Submission};
use crate::testrun;

/// How long one build may take.
pub const BUILD_LIMIT: Duration = Duration::from_secs(600);

/// Where one submission's programs are, or why there are none.
#[derive(Debug)]
pub struct Programs {
    /// The folder laid out as `<package>/<program>`, or why the submission has none.
    folder: Result<PathBuf, String>,
    /// The packages that did not build, with the reason.
    broken: Vec<(String, String)>,
}

impl Programs {
    /// The folder that holds the programs of `package`, or why they are missing.
    pub fn of(&self, package: &str) -> Result<&Path, String> {
        let folder = self.folder.as_deref().map_err(String::clone)?;
        if let Some((_, reason)) = self.broken.iter().find(|(broken, _)| broken == package) {
            return Err(reason.clone());
        }
        if !folder.join(package).is_dir() {
            return Err(format!(
                "the submission has no programs for {package} (no {package}/ folder)"
            ));
        }
        Ok(folder)
    }
}

/// The programs of every submission, for the lessons `packages`, under `work`.
pub fn each(
    submissions: &[Submission],
    packages: &[&str],
    work: &Path,
) -> anyhow::Result<Vec<Programs>> {
    let mut all = Vec::new();
    for (index, submission) in submissions.iter().enumerate() {
        let folder = work.join("programs").join(index.to_string());
        let (folder, broken) = match &submission.kind {
            Kind::Unusable(reason) => (Err(reason.clone()), Vec::new()),
            Kind::Programs => (
                copy_folder(&submission.path, &folder).map(|()| folder),
                Vec::new(),
            ),
            Kind::Checkout => {
                let target = work.join("targets").join(index.to_string());
                let broken = checkout(submission, packages, &target, &folder, work);
                (Ok(folder), broken)
            }
        };
        all.push(Programs { folder, broken });
    }
    Ok(all)
}

/// Builds each of `packages` of a checkout apart, copying the programs into `programs`: the
/// packages that did not build, with the reason.
fn checkout(
    submission: &Submission,
    packages: &[&str],
    target: &Path,
    programs: &Path,
    work: &Path,
) -> Vec<(String, String)> {
    let mut broken = Vec::new();
    // Cargo runs in the work folder: the checkout's path must not be relative.
    let checkout =
        std::path::absolute(&submission.path).unwrap_or_else(|_| submission.path.clone());
    for package in packages {
        let dir = package.strip_prefix("lesson-").unwrap_or(package);
        let manifest = checkout.join("lessons").join(dir).join("Cargo.toml");
        let built = if manifest.is_file() {
            eprintln!("grade: building {package} of {}", submission.id);
            testrun::build_apart(&manifest, target, work, BUILD_LIMIT)
                .map_err(|reason| format!("does not build: {reason}"))
                .and_then(|built| copy_programs(built, programs, package))
        } else {
            Err(format!("the checkout has no lessons/{dir}/Cargo.toml"))
        };
        if let Err(reason) = built {
            broken.push((package.to_string(), reason));
        }
    }
    broken
}

/// Copies the programs of `package` that a build made to `<programs>/<package>/`.
fn copy_programs(
    built: Vec<(String, PathBuf)>,
    programs: &Path,
    package: &str,
) -> Result<(), String> {
    if built.is_empty() {
        return Err(format!("the lesson has no programs: {package} built none"));
    }
    let folder = programs.join(package);
    std::fs::create_dir_all(&folder).map_err(|err| err.to_string())?;
    for (name, path) in built {
        std::fs::copy(&path, folder.join(&name))
            .map_err(|err| format!("could not copy {}: {err}", path.display()))?;
    }
    Ok(())
}

/// Copies the folder `from` (a folder of programs) to `to`, keeping what is executable.
fn copy_folder(from: &Path, to: &Path) -> Result<(), String> {
    for entry in walkdir::WalkDir::new(from)
        .follow_links(true)
        .into_iter()
        .flatten()
    {
        let dest = to.join(entry.path().strip_prefix(from).unwrap_or(entry.path()));
        let copied = if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest)
        } else {
            std::fs::copy(entry.path(), &dest).map(drop)
        };
        copied.map_err(|err| format!("could not copy {}: {err}", entry.path().display()))?;
    }
    Ok(())
}

//! Step 2: each submission's programs. A folder of programs is used as it is; a checkout is
//! built, one lesson at a time, into a target folder of ours, and each lesson's programs are
//! copied away right after its build, because every lesson names its programs `server` and
//! `client` and the next build would overwrite them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::checks::Check;
use super::submissions::{Kind, Submission};
use crate::testrun::Cargo;

/// How long one build may take.
pub const BUILD_LIMIT: Duration = Duration::from_secs(600);

/// The packages that did not build, with the reason.
type Broken = Vec<(String, String)>;

/// Where one submission's programs are, or why there are none.
#[derive(Debug)]
pub struct Programs {
    /// The folder laid out as `<package>/<program>`, or why the submission has none.
    folder: Result<PathBuf, String>,
    broken: Broken,
}

impl Programs {
    /// The folder that holds the programs of `package`, or why they are missing.
    pub fn of(&self, package: &str) -> Result<&Path, String> {
        let folder = self.folder.as_deref().map_err(String::clone)?;
        match self.broken.iter().find(|(broken, _)| broken == package) {
            Some((_, reason)) => Err(format!("does not build: {reason}")),
            None => Ok(folder),
        }
    }
}

/// The programs of every submission; for a checkout, those of the lessons that `checks`
/// test, built under `work`.
pub fn each(
    submissions: &[Submission],
    checks: &[Check],
    work: &Path,
) -> anyhow::Result<Vec<Programs>> {
    let mut packages: Vec<&str> = checks.iter().map(|c| c.lesson.package.as_str()).collect();
    packages.dedup();
    let mut all = Vec::new();
    for (index, submission) in submissions.iter().enumerate() {
        let path = &submission.path;
        let (folder, broken) = match &submission.kind {
            Kind::Unusable(reason) => (Err(reason.clone()), Vec::new()),
            Kind::Programs => (
                Ok(path.canonicalize().unwrap_or_else(|_| path.clone())),
                Vec::new(),
            ),
            Kind::Checkout => {
                let folder = work
                    .join("programs")
                    .join(format!("{index}-{}", slug(&submission.name)));
                if folder.exists() {
                    std::fs::remove_dir_all(&folder)?;
                }
                let broken = checkout(submission, &packages, &work.join("builds"), &folder);
                (Ok(folder), broken)
            }
        };
        all.push(Programs { folder, broken });
    }
    Ok(all)
}

/// Builds each of `packages` in a checkout, copying the programs into `programs`: the
/// packages that did not build, with the reason.
fn checkout(submission: &Submission, packages: &[&str], builds: &Path, programs: &Path) -> Broken {
    let cargo = Cargo::new(&submission.path, builds, BUILD_LIMIT);
    let cleaned = cargo.clean_own_packages();
    let mut broken = Vec::new();
    for package in packages {
        let built = cleaned.clone().and_then(|()| {
            eprintln!("grade: building {package} of {}", submission.name);
            copy_programs(cargo.build_programs(package)?, programs, package)
        });
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
        return Err(format!("the package {package} has no programs"));
    }
    let folder = programs.join(package);
    std::fs::create_dir_all(&folder).map_err(|err| err.to_string())?;
    for (name, path) in built {
        std::fs::copy(&path, folder.join(&name))
            .map_err(|err| format!("could not copy {}: {err}", path.display()))?;
    }
    Ok(())
}

/// A name that is safe as a folder name.
fn slug(name: &str) -> String {
    let safe = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    name.chars()
        .map(|c| if safe(c) { c } else { '_' })
        .collect()
}

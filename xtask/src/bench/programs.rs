//! The programs the bench runs: the lessons' own release builds, the plain std::net floor,
//! the Python programs in `xtask/bench/`, and the lessons' own Python peers.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::{cargo, tools};

/// The lesson packages the bench builds, with the programs it runs of each.
const LESSONS: [(&str, &[&str]); 4] = [
    ("lesson-03-timestamp", &["server", "client"]),
    ("lesson-04-reconnect-loop", &["server", "client"]),
    ("lesson-05-send-file", &["server", "client"]),
    // Lesson 06's callers are the bench itself.
    ("lesson-06-group-call", &["server"]),
];

/// The floor of lesson 04: `lessons/04-reconnect-loop/examples/plain_server.rs`.
const PLAIN_SERVER: (&str, &str) = ("lesson-04-reconnect-loop", "plain_server");

/// Where the built programs are.
#[derive(Debug)]
pub struct Programs {
    deps: PathBuf,
    examples: PathBuf,
    python_folder: PathBuf,
}

impl Programs {
    /// Builds the lessons in release mode (`cargo build --release`) and finds their programs.
    pub fn build() -> anyhow::Result<Programs> {
        check_python()?;
        // One package at a time: built together, their `server`s would collide in
        // target/release/ (cargo warns that this may become an error).
        for (package, _) in LESSONS {
            cargo(&format!(
                "build --release --locked --bins --package {package}"
            ))?;
        }
        let (package, example) = PLAIN_SERVER;
        cargo(&format!(
            "build --release --locked --package {package} --example {example}"
        ))?;
        let release = target_dir().join("release");
        let programs = Programs {
            deps: release.join("deps"),
            examples: release.join("examples"),
            python_folder: tools::workspace_root().join("xtask").join("bench"),
        };
        for (package, names) in LESSONS {
            for name in names {
                programs.lesson(package, name)?;
            }
        }
        Ok(programs)
    }

    /// The release build of `package`'s own program `name`. Every lesson has a `server`,
    /// and cargo copies them all to the same `target/release/server` (the last one built
    /// wins), so this looks up the package's own copy, as the tests do.
    pub fn lesson(&self, package: &str, name: &str) -> anyhow::Result<PathBuf> {
        match test_support::find_own_program(&self.deps, package, name) {
            Some(path) => Ok(path),
            None => bail!(
                "found no release build of {package}'s `{name}` in {}",
                self.deps.display()
            ),
        }
    }

    /// The plain std::net server of lesson 04, with its arguments.
    pub fn plain_server(&self) -> Vec<OsString> {
        let name = format!("{}{}", PLAIN_SERVER.1, std::env::consts::EXE_SUFFIX);
        vec![self.examples.join(name).into()]
    }

    /// `python3 xtask/bench/<script> <args>`.
    pub fn python(&self, script: &str, args: &[&str]) -> Vec<OsString> {
        let mut command: Vec<OsString> =
            vec!["python3".into(), self.python_folder.join(script).into()];
        command.extend(args.iter().map(OsString::from));
        command
    }

    /// `python3 lessons/<folder>/python/<script>`: a lesson's own Python peer.
    pub fn peer(&self, folder: &str, script: &str) -> Vec<OsString> {
        let path = tools::workspace_root()
            .join("lessons")
            .join(folder)
            .join("python")
            .join(script);
        vec!["python3".into(), path.into()]
    }
}

/// A command line: `program` with `args`.
pub fn with_args(program: &Path, args: &[&str]) -> Vec<OsString> {
    let mut command: Vec<OsString> = vec![program.into()];
    command.extend(args.iter().map(OsString::from));
    command
}

/// Cargo's target folder: `CARGO_TARGET_DIR` if set, else `target/` at the workspace root.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| tools::workspace_root().join(dir))
        .unwrap_or_else(|| tools::workspace_root().join("target"))
}

/// Fails early, with what to do, when Python is missing: most rows need it.
fn check_python() -> anyhow::Result<()> {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .context("could not run python3: install Python 3 to compare with the original")?;
    Ok(())
}

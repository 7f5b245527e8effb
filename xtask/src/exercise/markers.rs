//! The `// EXERCISE:` markers of a solution, and the starter they make.
//!
//! ```text
//! fn to_local_time(stamp: f64, utc: bool) -> Option<String> {
//!     // EXERCISE: the hint the student will see; when it is long, it goes on
//!     //           in comment lines indented further (two spaces or more after `//`)
//!     // An ordinary comment (one space after `//`) is the solution's again.
//!     ...the solution's lines...
//!     // EXERCISE_END
//! }
//! ```
//!
//! In the starter, each marked part becomes one `todo!("<hint>")` at the same indentation;
//! a hint of several lines is one sentence there, its lines joined by spaces.

pub const BEGIN: &str = "// EXERCISE:";
pub const END: &str = "// EXERCISE_END";

/// One part the student writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// 1-based line of the `// EXERCISE:` marker in the solution.
    pub line: usize,
    /// The function whose body it is, as far as the lines before say (`fn name(`).
    pub function: String,
    /// The hint as written, one entry a line: `hint.join(" ")` is the sentence.
    pub hint: Vec<String>,
}

/// A part and where it is: the lines `begin..=end` (0-based) are the student's.
type Marked = (usize, usize, Part);

/// The starter made from `solution`, and the parts it left to the student. An error names
/// the line and what is wrong with the markers.
pub fn starter(solution: &str) -> Result<(String, Vec<Part>), String> {
    starter_of(solution, &|_| true)
}

/// Like [`starter`], but only the parts for which `replace(index)` holds become `todo!()`;
/// the others stay as they are in the solution (markers too).
pub fn starter_of(
    solution: &str,
    replace: &dyn Fn(usize) -> bool,
) -> Result<(String, Vec<Part>), String> {
    let lines: Vec<&str> = solution.lines().collect();
    let marked = marked_parts(&lines)?;
    let mut out: Vec<String> = lines.iter().map(|line| line.to_string()).collect();
    // From the last part to the first, so that the line numbers of the others stay true.
    for (index, (begin, end, part)) in marked.iter().enumerate().rev() {
        if replace(index) {
            let indent = &lines[*begin][..lines[*begin].find(BEGIN).unwrap_or(0)];
            let mut starter = vec![todo(indent, &part.hint)];
            starter.extend(kept_anchors(indent, &lines[*begin..=*end]));
            out.splice(begin..=end, starter);
        }
    }
    let mut text = out.join("\n");
    if solution.ends_with('\n') {
        text.push('\n');
    }
    Ok((text, marked.into_iter().map(|(_, _, part)| part).collect()))
}

/// Every marked part of `lines`, in order.
fn marked_parts(lines: &[&str]) -> Result<Vec<Marked>, String> {
    let mut found: Vec<Marked> = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        let line = line.trim_start();
        if found.last().is_some_and(|(_, end, _)| at <= *end) {
            continue;
        } else if line.starts_with(END) {
            return Err(format!(
                "line {}: `{END}` without a `{BEGIN}` before it",
                at + 1
            ));
        } else if line.starts_with(BEGIN) {
            found.push(marked_part(lines, at)?);
        }
    }
    Ok(found)
}

/// The part whose `// EXERCISE:` is on line `begin`, checked: it must be a function's whole
/// body, and end with its own `// EXERCISE_END`.
fn marked_part(lines: &[&str], begin: usize) -> Result<Marked, String> {
    let (indent, first) = lines[begin].split_once(BEGIN).expect("a marker line");
    let mut hint = vec![first.trim().to_string()];
    // The hint goes on in the comment lines right after it that are indented further.
    hint.extend(lines[begin + 1..].iter().map_while(|line| {
        let rest = line.strip_prefix(indent)?.strip_prefix("//  ")?.trim();
        (!rest.is_empty()).then(|| rest.to_string())
    }));
    let end = (begin + 1..lines.len()).find(|&i| {
        let line = lines[i].trim_start();
        line.starts_with(END) || line.starts_with(BEGIN)
    });
    let opens_a_body = begin > 0 && lines[begin - 1].trim_end().ends_with('{');
    let closes_it = |end: usize| {
        lines
            .get(end + 1)
            .is_some_and(|l| l.trim_start().starts_with('}'))
    };
    let (whole, at) = ("a part must be the whole body of a function", begin + 1);
    let (line, problem) = match end {
        _ if hint[0].is_empty() => (begin, format!("`{BEGIN}` needs a hint after the colon")),
        _ if !opens_a_body => (
            begin,
            format!("{whole}: the line before `{BEGIN}` should end with `{{`"),
        ),
        None => (
            begin,
            format!("this part never ends: add `{END}` after its last line"),
        ),
        Some(end) if lines[end].trim_start().starts_with(BEGIN) => (
            end,
            format!("a `{BEGIN}` inside the part that starts on line {at}"),
        ),
        Some(end) if lines[end] != format!("{indent}{END}") => (
            end,
            format!("`{END}` should stand alone, indented like its `{BEGIN}` on line {at}"),
        ),
        Some(end) if !closes_it(end) => (
            end,
            format!("{whole}: the line after `{END}` should be the closing `}}`"),
        ),
        Some(end) => {
            let function = function_name(&lines[..begin]);
            let part = Part {
                line: at,
                function,
                hint,
            };
            return Ok((begin, end, part));
        }
    };
    Err(format!("line {}: {problem}", line + 1))
}

/// The book's anchors inside a part (`// ANCHOR: name`, `// ANCHOR_END: name`), for after its
/// `todo!()`: the chapter includes pieces of the solution by them, and a started lesson must
/// still have them, or the book's include check fails there. mdBook leaves the anchor lines
/// out of what it shows, so the starter's copy in the book shows the `todo!()` alone.
fn kept_anchors(indent: &str, part: &[&str]) -> Vec<String> {
    let anchors: Vec<String> = part
        .iter()
        .map(|line| line.trim())
        .filter(|line| line.starts_with("// ANCHOR:") || line.starts_with("// ANCHOR_END:"))
        .map(|line| format!("{indent}{line}"))
        .collect();
    if anchors.is_empty() {
        return anchors;
    }
    let why = format!(
        "{indent}// The book's markers for the solution's steps; leave them (they may stay empty):"
    );
    std::iter::once(why).chain(anchors).collect()
}

/// The `todo!()` that stands for a part: the hint on one line, or a hint of several lines
/// as one string literal over as many lines (a `\` at a line's end joins the next).
fn todo(indent: &str, hint: &[String]) -> String {
    // The inside of a string literal that is also a format string.
    let escape = |line: &String| {
        let line = line.replace('\\', "\\\\").replace('"', "\\\"");
        line.replace('{', "{{").replace('}', "}}")
    };
    let lines: Vec<String> = hint.iter().map(escape).collect();
    if let [line] = &lines[..] {
        return format!("{indent}todo!(\"{line}\")");
    }
    let joined = lines.join(&format!(" \\\n{indent}     "));
    format!("{indent}todo!(\n{indent}    \"{joined}\"\n{indent})")
}

/// The name after the last `fn ` in the lines before a part, for messages.
fn function_name(before: &[&str]) -> String {
    let name = before.iter().rev().take(12).find_map(|line| {
        let after = &line[line.find("fn ")? + 3..];
        after
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
    });
    name.unwrap_or("?").to_string()
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use super::*;

    const SOLUTION: &str = "\
use std::fmt::Write;

/// Doubles.
fn double(x: u32) -> u32 {
    // EXERCISE: multiply by two, or add {x} to itself \"twice\"
    let y = x + x;
    y
    // EXERCISE_END
}

fn main() {
    println!(\"{}\", double(2));
}

impl Thing {
    fn nested(&self) -> String {
        // EXERCISE: build it with write!
        let mut s = String::new();
        write!(s, \"x\").unwrap();
        s
        // EXERCISE_END
    }
}
";

    #[test]
    fn each_part_becomes_a_todo_with_its_hint() {
        let (text, parts) = starter(SOLUTION).unwrap();
        assert_eq!(
            text,
            "\
use std::fmt::Write;

/// Doubles.
fn double(x: u32) -> u32 {
    todo!(\"multiply by two, or add {{x}} to itself \\\"twice\\\"\")
}

fn main() {
    println!(\"{}\", double(2));
}

impl Thing {
    fn nested(&self) -> String {
        todo!(\"build it with write!\")
    }
}
"
        );
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].line, 5);
        assert_eq!(parts[0].function, "double");
        assert_eq!(parts[1].function, "nested");
        assert_eq!(parts[1].hint, ["build it with write!"]);
        // No markers: the starter is the file itself.
        assert_eq!(
            starter("fn a() {}\n").unwrap(),
            ("fn a() {}\n".into(), vec![])
        );
    }

    #[test]
    fn a_hint_of_several_lines_becomes_one_todo() {
        let solution = "\
fn f() -> u8 {
    // EXERCISE: return one, the
    //           number \"after\" zero,
    //             {like} this
    // Python: return 1 (an ordinary comment, the solution's)
    //           (so this line is the solution's too)
    1
    // EXERCISE_END
}
";
        let (text, parts) = starter(solution).unwrap();
        assert_eq!(
            text,
            "\
fn f() -> u8 {
    todo!(
        \"return one, the \\
         number \\\"after\\\" zero, \\
         {{like}} this\"
    )
}
"
        );
        let sentence = parts[0].hint.join(" ");
        assert_eq!(
            sentence,
            "return one, the number \"after\" zero, {like} this"
        );
        assert_eq!(parts[0].line, 2);
    }

    /// A part that holds the book's anchors: the starter keeps them, empty, after the
    /// `todo!()`, so that the chapter's includes still find them in a started lesson.
    #[test]
    fn the_anchors_inside_a_part_stay_in_the_starter() {
        let solution = "\
fn f() -> u8 {
    // EXERCISE: return one
    // ANCHOR: one
    1
    // ANCHOR_END: one
    // EXERCISE_END
}
";
        let (text, _) = starter(solution).unwrap();
        assert_eq!(
            text,
            "\
fn f() -> u8 {
    todo!(\"return one\")
    // The book's markers for the solution's steps; leave them (they may stay empty):
    // ANCHOR: one
    // ANCHOR_END: one
}
"
        );
    }

    #[test]
    fn marker_mistakes_are_errors_with_a_line() {
        let cases = [
            (
                "fn a() {\n    // EXERCISE: x\n    1\n}\n",
                "line 2: this part never ends",
            ),
            (
                "fn a() {\n    1\n    // EXERCISE_END\n}\n",
                "line 3: `// EXERCISE_END` without",
            ),
            (
                "fn a() {\n    // EXERCISE:\n    1\n    // EXERCISE_END\n}\n",
                "line 2: `// EXERCISE:` needs a hint after the colon",
            ),
            (
                "fn a() {\n    // EXERCISE: x\n    // EXERCISE: y\n    // EXERCISE_END\n}\n",
                "line 3: a `// EXERCISE:` inside the part that starts on line 2",
            ),
            (
                "fn a() {\n    let x = 1;\n    // EXERCISE: x\n    x\n    // EXERCISE_END\n}\n",
                "line 3: a part must be the whole body",
            ),
            (
                "fn a() {\n    // EXERCISE: x\n    1\n    // EXERCISE_END\n    ;\n}\n",
                "line 4: a part must be the whole body",
            ),
            (
                "fn a() {\n    // EXERCISE: x\n    1\n// EXERCISE_END\n}\n",
                "line 4: `// EXERCISE_END` should stand alone",
            ),
        ];
        for (source, expected) in cases {
            let err = starter(source).unwrap_err();
            assert!(err.contains(expected), "{source}\ngave: {err}");
        }
    }

    /// The fixture is a small lesson program with markers; its starter must compile (the
    /// `exercise check` proves the same for the real lessons, in CI).
    #[test]
    fn the_fixture_starter_is_the_expected_text() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exercise");
        let solution = std::fs::read_to_string(fixtures.join("solution.rs")).unwrap();
        let expected = std::fs::read_to_string(fixtures.join("starter.rs")).unwrap();
        let (text, parts) = starter(&solution).unwrap();
        assert_eq!(
            text, expected,
            "regenerate with the test's own output if intended"
        );
        assert_eq!(parts.len(), 2);

        // Both compile, and the starter stops at the first part with its hint.
        let out = std::env::temp_dir().join(format!("xtask-exercise-{}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("starter.rs"), &text).unwrap();
        for (name, file) in [
            ("solution", fixtures.join("solution.rs")),
            ("starter", out.join("starter.rs")),
        ] {
            let built = Command::new("rustc")
                .args(["--edition", "2024", "-o"])
                .arg(out.join(name))
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                built.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&built.stderr)
            );
        }
        let solution = Command::new(out.join("solution")).output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&solution.stdout),
            "1732470000.5 -> 17:40:00\n"
        );
        let started = Command::new(out.join("starter")).output().unwrap();
        let stderr = String::from_utf8_lossy(&started.stderr);
        std::fs::remove_dir_all(&out).unwrap();
        assert!(!started.status.success());
        assert!(
            stderr.contains(
                "not yet implemented: parse the text as an f64 with str::parse, then split it \
                 with trunc() and fract()\n"
            ),
            "{stderr}"
        );
    }
}

//! The book's translations (the Chinese edition, 中文版), kept in step with the English
//! through gettext.
//!
//! Every paragraph, heading, list item, table cell and diagram of the English book is a
//! *message*. mdbook-xgettext (from mdbook-i18n-helpers) extracts them; `book/po/zh-CN.po`
//! holds the Chinese for each. At build time mdbook-gettext puts the Chinese in place of the
//! English, message by message. A message with no translation stays English.
//!
//! When the English changes, its message changes, and the old translation no longer fits:
//! - at once, the changed paragraph is *missing* from the translation (the report says so);
//! - after `cargo xtask book translations`, msgmerge keeps the old Chinese beside the new
//!   English, marked *fuzzy*: a translator checks it and removes the mark.
//!
//! A fuzzy translation is never published: the build removes fuzzy entries first. (mdBook's
//! gettext plugin skips them in paragraphs, but it still uses a fuzzy chapter title in the
//! sidebar and the heading.)
//!
//! Code listings and transcripts are not translated: each has `<!-- i18n:skip -->` before it,
//! so that they stay what the programs are and print.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use polib::catalog::Catalog;
use polib::message::{CatalogMessageMutView, MessageView};

use crate::{book, tools};

/// One translation of the book.
#[derive(Debug, Clone, Copy)]
pub struct Translation {
    /// The language code: the PO file's name (`book/po/zh-CN.po`), the built book's folder
    /// (`zh-CN/`) and the page's `<html lang>`. (mdbook-gettext looks for exactly this file
    /// name: with `zh_CN` it finds nothing and silently builds English.)
    pub code: &'static str,
    /// The book's title in this language (the title is in book.toml, not in a chapter).
    pub title: &'static str,
}

/// The translations. Keep in step with `languages` in book/language-picker.js.
pub const TRANSLATIONS: [Translation; 1] = [Translation {
    code: "zh-CN",
    title: "打电话学套接字",
}];

/// `book/po/<code>.po`.
pub fn po_file(translation: &Translation) -> PathBuf {
    book::book_dir()
        .join("po")
        .join(format!("{}.po", translation.code))
}

/// Builds `translation` into `root/html/<code>/` (`root` holds the English book's `html/`),
/// from its PO file without the fuzzy entries. `env` adds settings (the check's overflow
/// probe).
pub fn build(translation: &Translation, root: &Path, env: &[(&str, &str)]) -> anyhow::Result<()> {
    tools::ensure(tools::MDBOOK_I18N)?;
    // Next to the English book, so that the last step is a rename on the same disk (from
    // /tmp, which is often another file system, a rename fails).
    std::fs::create_dir_all(root)?;
    let work = tempfile::Builder::new()
        .prefix(".translation-")
        .tempdir_in(root)?;
    let po_dir = work.path().join("po");
    std::fs::create_dir_all(&po_dir)?;
    let mut catalog = read(&po_file(translation))?;
    drop_fuzzy(&mut catalog);
    polib::po_file::write_to_file(&catalog, &po_dir.join(format!("{}.po", translation.code)))?;

    let po_dir = po_dir.display().to_string();
    // The 404 page finds its styles and links from the site's root: /zh-CN/ for this one.
    let site = format!("/{}/", translation.code);
    let mut settings = vec![
        ("MDBOOK_OUTPUT__HTML__SITE_URL", site.as_str()),
        ("MDBOOK_BOOK__LANGUAGE", translation.code),
        ("MDBOOK_BOOK__TITLE", translation.title),
        ("MDBOOK_PREPROCESSOR__GETTEXT__PO_DIR", po_dir.as_str()),
    ];
    settings.extend_from_slice(env);
    let out = work.path().join("out");
    book::mdbook_into(&out, &settings)?;
    let target = root.join("html").join(translation.code);
    let _ = std::fs::remove_dir_all(&target);
    std::fs::rename(out.join("html"), &target)
        .with_context(|| format!("could not move the {} book into place", translation.code))?;
    Ok(())
}

/// Removes every fuzzy entry, so that a translation that may no longer fit is never shown.
fn drop_fuzzy(catalog: &mut Catalog) {
    for mut message in catalog.messages_mut() {
        if message.is_fuzzy() {
            message.delete();
        }
    }
}

fn read(po: &Path) -> anyhow::Result<Catalog> {
    polib::po_file::parse(po)
        .map_err(|err| anyhow::anyhow!("could not read {}: {err}", po.display()))
}

/// Extracts the English book's messages into `dir/messages.pot`.
fn extract(dir: &Path) -> anyhow::Result<Catalog> {
    extract_from(dir, None)
}

/// [`extract`], from the chapters in `src` (a folder of `book/`) instead of `book/src/`.
fn extract_from(dir: &Path, src: Option<&str>) -> anyhow::Result<Catalog> {
    tools::ensure(tools::MDBOOK_I18N)?;
    // Only the xgettext output (no HTML); no line numbers, so moving a paragraph changes
    // nothing in the PO file.
    let mut settings = vec![("MDBOOK_OUTPUT", r#"{"xgettext": {"granularity": 0}}"#)];
    settings.extend(src.map(|src| ("MDBOOK_BOOK__SRC", src)));
    book::mdbook_into(dir, &settings)?;
    read(&dir.join("messages.pot"))
}

/// `cargo xtask book translations`: extracts the English messages again, merges them into
/// every PO file (msgmerge: a changed paragraph's old translation becomes fuzzy), and reports
/// what is left to translate.
pub fn update() -> anyhow::Result<()> {
    ensure!(
        tools::on_path("msgmerge"),
        "updating the translations needs GNU gettext's msgmerge. On Debian or Ubuntu: \
         `sudo apt-get install gettext`; on macOS: `brew install gettext`."
    );
    let work = tempfile::tempdir()?;
    extract(work.path())?;
    let pot = work.path().join("messages.pot");
    for translation in &TRANSLATIONS {
        let po = po_file(translation);
        let status = tools::command("msgmerge")
            // --previous: a fuzzy entry keeps the old English beside the new (`#|` lines),
            // so the translator sees what changed.
            .args([
                "--update",
                "--backup=none",
                "--quiet",
                "--no-wrap",
                "--previous",
            ])
            .arg("--add-location=file")
            .arg(&po)
            .arg(&pot)
            .status()
            .context("could not run msgmerge")?;
        ensure!(status.success(), "msgmerge failed on {}", po.display());
        println!("xtask: updated {}", po.display());
    }
    report(&read(&pot)?)
}

/// Prints, for every translation, each English message that has no published translation,
/// by chapter. A gap is not an error: the English may go ahead of a translator.
pub fn report(pot: &Catalog) -> anyhow::Result<()> {
    for translation in &TRANSLATIONS {
        let po = read(&po_file(translation))?;
        let found = gaps(pot, &po);
        let total = pot.messages().count();
        let code = translation.code;
        if found.is_empty() {
            println!("xtask: {code}: all {total} messages translated, none fuzzy");
            continue;
        }
        println!(
            "xtask: {code}: {} of {total} messages are missing or fuzzy: they show in English \
             until their entries in book/po/{code}.po are translated (`cargo xtask book \
             translations` merges in the new English first):",
            found.len()
        );
        let mut by_chapter: BTreeMap<&str, Vec<&Gap>> = BTreeMap::new();
        for gap in &found {
            by_chapter.entry(&gap.chapter).or_default().push(gap);
        }
        for (chapter, gaps) in by_chapter {
            println!("  {chapter}:");
            for gap in gaps {
                println!("    {:?}: {}", gap.kind, gap.start);
            }
        }
    }
    Ok(())
}

/// Extracts the English messages and prints the report (the book check does this).
pub fn check_report() -> anyhow::Result<()> {
    let work = tempfile::tempdir()?;
    let pot = extract(work.path())?;
    report(&pot)
}

/// Why an English message shows in English in a translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapKind {
    /// The PO file has no translation for this text (new, or changed since).
    Missing,
    /// The PO file has a translation marked fuzzy: of an older text, to be checked.
    Fuzzy,
}

/// One English message without a published translation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// The chapter it is in, e.g. `src/lessons/03-timestamp.md`.
    pub chapter: String,
    pub kind: GapKind,
    /// Its first words.
    pub start: String,
}

/// Every message of `pot` (the English now) that `po` does not translate, or only fuzzily.
pub fn gaps(pot: &Catalog, po: &Catalog) -> Vec<Gap> {
    let mut found = Vec::new();
    for message in pot.messages() {
        let msgid = message.msgid();
        let kind = match po.find_message(message.msgctxt(), msgid, None) {
            Some(entry) if entry.is_fuzzy() => GapKind::Fuzzy,
            Some(entry) if entry.is_translated() => continue,
            _ => GapKind::Missing,
        };
        let chapter = chapter_file(message.source().split_whitespace().next().unwrap_or("?"));
        let start: String = msgid.chars().take(70).collect();
        found.push(Gap {
            chapter: chapter.to_string(),
            kind,
            start: start.replace('\n', " "),
        });
    }
    found
}

/// The file a message's source names, as a maintainer finds it: `src/lessons/x.md` is
/// `book/src/lessons/x.md`, and mdBook's `index.md` is the `README.md` it was made from.
fn chapter_file(source: &str) -> String {
    let readme = source
        .strip_suffix("index.md")
        .map(|folder| format!("{folder}README.md"))
        .filter(|readme| book::book_dir().join(readme).is_file());
    format!("book/{}", readme.as_deref().unwrap_or(source))
}

/// The first heading of the start page in `translation`, as the PO file translates it: the
/// check looks for it in the built page, so a build that silently came out English fails.
pub fn start_page_heading(translation: &Translation) -> anyhow::Result<String> {
    let catalog = read(&po_file(translation))?;
    let heading = catalog.messages().find(|m| {
        m.source().split_whitespace().any(|s| s == "src/index.md")
            && m.is_translated()
            && !m.is_fuzzy()
    });
    match heading {
        Some(message) => Ok(message.msgstr()?.to_string()),
        None => bail!(
            "{} translates nothing of the start page",
            po_file(translation).display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(text: &str) -> Catalog {
        polib::po_file::parse_from_reader(text.as_bytes()).unwrap()
    }

    const HEADER: &str =
        "msgid \"\"\nmsgstr \"\"\n\"Content-Type: text/plain; charset=UTF-8\\n\"\n\n";

    /// The committed PO files parse and hold the whole book. (Fuzzy entries are allowed: the
    /// English may go ahead of a translator; the book check lists them.)
    #[test]
    fn the_po_files_parse() {
        for translation in &TRANSLATIONS {
            let po = read(&po_file(translation)).unwrap();
            assert!(po.messages().count() > 1000, "{}", translation.code);
        }
    }

    /// What a maintainer sees after editing an English paragraph: before the PO file is
    /// updated, the new text is missing (and shows in English); after msgmerge, fuzzy; after
    /// a translator's fix, nothing.
    #[test]
    fn a_changed_english_paragraph_is_reported_until_the_translation_follows() {
        let real = read(&po_file(&TRANSLATIONS[0])).unwrap();
        let (chapter, english) = real
            .messages()
            .filter(|m| m.source() == "src/lessons/03-timestamp.md")
            // One that is translated now (others may wait for a translator).
            .filter(|m| m.is_translated() && !m.is_fuzzy())
            .map(|m| (m.source().to_string(), m.msgid().to_string()))
            .nth(5)
            .unwrap();
        let quote = |s: &str| serde_json::to_string(s).unwrap();
        let pot_with = |text: &str| {
            catalog(&format!(
                "{HEADER}#: {chapter}\nmsgid {}\nmsgstr \"\"\n",
                quote(text)
            ))
        };
        let po_with = |text: &str, flags: &str| {
            catalog(&format!(
                "{HEADER}{flags}#: {chapter}\nmsgid {}\nmsgstr \"已翻译\"\n",
                quote(text)
            ))
        };
        // As it is: the real paragraph is translated in the real PO file.
        assert_eq!(gaps(&pot_with(&english), &real), []);
        // The English changes: the paragraph is listed as missing, under its chapter.
        let changed = format!("{english} One more sentence.");
        let found = gaps(&pot_with(&changed), &real);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, GapKind::Missing);
        assert_eq!(found[0].chapter, "book/src/lessons/03-timestamp.md");
        assert!(changed.starts_with(&found[0].start), "{found:?}");
        // msgmerge keeps the old translation, fuzzy: still listed.
        let merged = po_with(&changed, "#, fuzzy\n");
        assert_eq!(gaps(&pot_with(&changed), &merged)[0].kind, GapKind::Fuzzy);
        // The translator updates it: no longer listed.
        assert_eq!(gaps(&pot_with(&changed), &po_with(&changed, "")), []);
    }

    /// The same, end to end, with the real extraction: a copy of the chapters with one word
    /// changed. (`cargo xtask book check` runs it: it needs mdBook and its gettext plugin.)
    #[test]
    #[ignore = "needs mdbook-i18n-helpers; cargo xtask book check runs it"]
    fn an_edited_chapter_shows_in_the_report_until_translated() {
        // The copy sits beside book/src, at the same depth, so that its includes
        // (`../../../lessons/...`) still find the code.
        // A copy left by a run that was stopped goes first.
        tools::remove_leftovers(&book::book_dir(), ".src-edited-");
        let copy = tempfile::Builder::new()
            .prefix(".src-edited-")
            .tempdir_in(book::book_dir())
            .unwrap();
        let src = book::book_dir().join("src");
        for file in walkdir::WalkDir::new(&src).into_iter().flatten() {
            let to = copy.path().join(file.path().strip_prefix(&src).unwrap());
            if file.file_type().is_dir() {
                std::fs::create_dir_all(&to).unwrap();
            } else {
                std::fs::copy(file.path(), &to).unwrap();
            }
        }
        let out = tempfile::tempdir().unwrap();
        let name = copy.path().file_name().unwrap().to_str().unwrap();
        let mut po = read(&po_file(&TRANSLATIONS[0])).unwrap();
        // What is untranslated already (the English may be ahead of the translator).
        let before = gaps(&extract_from(out.path(), Some(name)).unwrap(), &po).len();

        let chapter = copy.path().join("lessons/04-the-trap.md");
        let text = std::fs::read_to_string(&chapter).unwrap();
        std::fs::write(&chapter, text.replacen(" the ", " the edited ", 1)).unwrap();

        let pot = extract_from(out.path(), Some(name)).unwrap();
        let found = gaps(&pot, &po);
        assert_eq!(found.len(), before + 1, "{found:#?}");
        let edited: Vec<&Gap> = found
            .iter()
            .filter(|g| g.start.contains("the edited"))
            .collect();
        assert_eq!(edited.len(), 1, "{found:#?}");
        assert_eq!(edited[0].kind, GapKind::Missing);
        assert_eq!(
            edited[0].chapter,
            format!("book/{name}/lessons/04-the-trap.md")
        );

        // A translator adds the new paragraph's translation: nothing is missing any more.
        let msgid = pot
            .messages()
            .find(|m| m.msgid().contains(" the edited "))
            .unwrap()
            .msgid()
            .to_string();
        let entry = polib::message::Message::build_singular()
            .with_msgid(msgid)
            .with_msgstr("已翻译".to_string())
            .done();
        po.append_or_update(entry);
        assert_eq!(gaps(&pot, &po).len(), before);
    }

    #[test]
    fn fuzzy_entries_are_not_published() {
        let mut po = catalog(&format!(
            "{HEADER}#, fuzzy\nmsgid \"Old title\"\nmsgstr \"旧标题\"\n\nmsgid \"Kept\"\nmsgstr \"保留\"\n"
        ));
        drop_fuzzy(&mut po);
        let left: Vec<&str> = po.messages().map(|m| m.msgid()).collect();
        assert_eq!(left, ["Kept"]);
    }
}

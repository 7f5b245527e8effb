// The parts of the starter that the book shows, generated from ../src/lib.rs by
// `cargo xtask exercise generate`: do not edit.
// To start the exercise, run `cargo xtask exercise start 03`.
// ANCHOR: format_timestamp
/// Turns one received line, like `1732470000.123456`, into `YYYY-MM-DD HH:MM:SS` on
/// the clock of `zone` (chrono's `Local` for this computer's time zone, `Utc` for
/// UTC).
///
/// `None` means the line is not a timestamp: not a number, not finite (`nan`, `inf`,
/// and `1e400`, which is too big for an `f64` and becomes infinity), or a moment
/// outside the years 1 to 9999 (the years Python's `datetime` knows, and the ones
/// `%Y` shows as four digits).
///
/// Like Python's `time.localtime`, the fraction of a second is rounded down: `0.9` is
/// still `1970-01-01 00:00:00` UTC, and `-0.5` is half a second before that,
/// `1969-12-31 23:59:59`.
pub fn format_timestamp<Tz: TimeZone>(line: &str, zone: &Tz) -> Option<String>
where
    Tz::Offset: Display,
{
    todo!(
        "parse the line as f64 seconds (refuse NaN and infinity), round down, \
         then use DateTime::from_timestamp, with_timezone, and format with \
         %Y-%m-%d %H:%M:%S"
    )
}
// ANCHOR_END: format_timestamp

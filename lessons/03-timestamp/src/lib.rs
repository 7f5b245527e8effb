//! Lesson 03 (exercise 1): what the server and the client share.
//!
//! The one piece of this exercise that has nothing to do with sockets lives here:
//! turning a Unix timestamp, as text, into a date and time on the clock of some time
//! zone. It is a small pure function (no network, no clock), so unit tests can check
//! it with fixed inputs.

use std::fmt::Display;

use chrono::{DateTime, Datelike, TimeZone};

/// The longest line the server accepts, in bytes, without its `\n` or `\r\n`. A
/// timestamp needs about 20; the bound is there so that a caller who never sends `\n`
/// cannot make the server keep more and more bytes in memory.
pub const LINE_LIMIT: usize = 1024;

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
    // EXERCISE: parse the line as f64 seconds (refuse NaN and infinity), round down,
    //           then use DateTime::from_timestamp, with_timezone, and format with
    //           %Y-%m-%d %H:%M:%S
    // Python: float(line). Rust's parse accepts the same spellings, "nan" and "inf"
    // too.
    let seconds: f64 = line.trim().parse().ok()?;
    if !seconds.is_finite() {
        return None;
    }
    // Whole seconds, rounded down. `as i64` saturates: a huge number becomes
    // i64::MAX, and from_timestamp refuses that below.
    let whole = seconds.floor() as i64;
    // A moment in UTC: `None` if it is far outside the range chrono can represent.
    let utc = DateTime::from_timestamp(whole, 0)?;
    // The same moment, on the clock of `zone`.
    let local = utc.with_timezone(zone);
    if !(1..=9999).contains(&local.year()) {
        return None;
    }
    Some(local.format("%Y-%m-%d %H:%M:%S").to_string())
    // EXERCISE_END
}
// ANCHOR_END: format_timestamp

// ANCHOR: glued_timestamps
/// How many timestamps `line` looks like, when it looks like several glued together
/// (粘包): `1732470000.51732470001.5` is `1732470000.5` and `1732470001.5` with nothing
/// between them. That is what a server that reads lines gets from a client that, like
/// the original tutorial's, ends its timestamps with no `\n`.
///
/// `None` when it does not: one timestamp, or anything that is not digits with dots.
/// Each timestamp brings one dot, and between two dots there must be room for the
/// digits of one fraction and of the next whole number: at least two digits.
pub fn glued_timestamps(line: &str) -> Option<usize> {
    let only_digits_and_dots = line.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let pieces: Vec<&str> = line.split('.').collect();
    // `a.bc.d` splits into 3 pieces: 2 dots, 2 timestamps.
    let count = pieces.len() - 1;
    if !only_digits_and_dots || count < 2 {
        return None;
    }
    let ends_have_digits = !pieces[0].is_empty() && !pieces[count].is_empty();
    let middles_hold_two = pieces[1..count].iter().all(|piece| piece.len() >= 2);
    (ends_have_digits && middles_hold_two).then_some(count)
}
// ANCHOR_END: glued_timestamps

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, Utc};

    fn utc(line: &str) -> Option<String> {
        format_timestamp(line, &Utc)
    }

    fn east(hours: i32) -> FixedOffset {
        FixedOffset::east_opt(hours * 3600).unwrap()
    }

    #[test]
    fn the_start_of_unix_time() {
        assert_eq!(utc("0").as_deref(), Some("1970-01-01 00:00:00"));
        assert_eq!(utc("0.0").as_deref(), Some("1970-01-01 00:00:00"));
    }

    #[test]
    fn a_timestamp_as_the_client_sends_it() {
        assert_eq!(
            utc("1732470000.123456").as_deref(),
            Some("2024-11-24 17:40:00")
        );
        // Python's str(time.time()) has no fixed number of digits; an integer works
        // too.
        assert_eq!(
            utc("1732470001.1234567").as_deref(),
            Some("2024-11-24 17:40:01")
        );
        assert_eq!(utc("1732470000").as_deref(), Some("2024-11-24 17:40:00"));
    }

    #[test]
    fn fractions_are_rounded_down() {
        assert_eq!(utc("0.999").as_deref(), Some("1970-01-01 00:00:00"));
        assert_eq!(utc("59.5").as_deref(), Some("1970-01-01 00:00:59"));
        assert_eq!(utc(".5").as_deref(), Some("1970-01-01 00:00:00"));
    }

    #[test]
    fn before_1970_is_negative() {
        assert_eq!(utc("-1").as_deref(), Some("1969-12-31 23:59:59"));
        assert_eq!(utc("-0.5").as_deref(), Some("1969-12-31 23:59:59"));
        assert_eq!(utc("-86400").as_deref(), Some("1969-12-31 00:00:00"));
    }

    #[test]
    fn fixed_offsets_move_the_clock() {
        assert_eq!(
            format_timestamp("0", &east(8)).as_deref(),
            Some("1970-01-01 08:00:00")
        );
        assert_eq!(
            format_timestamp("0", &east(-5)).as_deref(),
            Some("1969-12-31 19:00:00")
        );
        let india = FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
        assert_eq!(
            format_timestamp("1732470000.5", &india).as_deref(),
            Some("2024-11-24 23:10:00")
        );
    }

    #[test]
    fn spaces_around_the_number_are_fine() {
        assert_eq!(utc(" 0\t").as_deref(), Some("1970-01-01 00:00:00"));
    }

    #[test]
    fn text_is_not_a_timestamp() {
        for line in [
            "",
            " ",
            "hello",
            "12:30",
            "1732470000,5",
            "0x10",
            "1 2",
            "时间",
        ] {
            assert_eq!(utc(line), None, "{line:?}");
        }
    }

    #[test]
    fn nan_and_infinity_are_not_timestamps() {
        for line in ["nan", "NaN", "inf", "-inf", "infinity", "1e400", "-1e400"] {
            assert_eq!(utc(line), None, "{line:?}");
        }
    }

    #[test]
    fn the_years_1_to_9999() {
        // The last second of year 9999, and the first of year 1, in UTC.
        assert_eq!(utc("253402300799").as_deref(), Some("9999-12-31 23:59:59"));
        assert_eq!(utc("253402300800"), None);
        assert_eq!(utc("-62135596800").as_deref(), Some("0001-01-01 00:00:00"));
        assert_eq!(utc("-62135596801"), None);
        // The same last second is already year 10000 in UTC+8.
        assert_eq!(format_timestamp("253402300799", &east(8)), None);
        assert_eq!(
            format_timestamp("253402300799", &east(-8)).as_deref(),
            Some("9999-12-31 15:59:59")
        );
    }

    #[test]
    fn far_out_of_range_is_refused_without_a_panic() {
        let max = DateTime::<Utc>::MAX_UTC.timestamp().to_string();
        let min = DateTime::<Utc>::MIN_UTC.timestamp().to_string();
        for line in [
            "1e13",
            "-1e13",
            "1e18",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775809",
            "1e300",
            &max,
            &min,
        ] {
            assert_eq!(utc(line), None, "{line:?}");
            assert_eq!(format_timestamp(line, &east(14)), None, "{line:?}");
            assert_eq!(format_timestamp(line, &east(-12)), None, "{line:?}");
        }
    }

    #[test]
    fn timestamps_glued_together_are_counted() {
        assert_eq!(glued_timestamps("1732470000.51732470001.5"), Some(2));
        assert_eq!(glued_timestamps("1.23.45.6"), Some(3));
        assert_eq!(glued_timestamps("1.22.3"), Some(2));
    }

    #[test]
    fn one_timestamp_or_other_text_is_not_glued() {
        for line in [
            "",
            ".",
            "..",
            "1732470000.5",
            "1732470000",
            "1.2.3",
            "1..23",
            ".12.3",
            "12.3.",
            "1.2a.3",
            "hello",
            "1.5 2.5",
            "-1.23.4",
            "1.2\n3.4",
        ] {
            assert_eq!(glued_timestamps(line), None, "{line:?}");
        }
    }
}

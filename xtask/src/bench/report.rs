//! The table: for each row, each program's median and spread, the ratios from the same
//! run, and the goal.

use std::time::Duration;

use super::{Goal, Row, Sample, Size};

/// Prints the machine the figures come from: cores, CPU, kernel, load.
pub fn print_machine() {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|line| line.starts_with("model name"))?;
            Some(line.split_once(':')?.1.trim().to_string())
        })
        .unwrap_or_else(|| "n/a".into());
    let kernel = read_proc("/proc/sys/kernel/osrelease");
    println!(
        "machine: {cores} cores, {cpu}, kernel {kernel}, load {}",
        load()
    );
}

/// The load average over the last 1, 5 and 15 minutes (`uptime` shows the same).
pub fn load() -> String {
    let text = read_proc("/proc/loadavg");
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn read_proc(path: &str) -> String {
    std::fs::read_to_string(path).map_or_else(|_| "n/a".into(), |text| text.trim().into())
}

/// Prints one row; `samples[i]` are the samples of contender `i`, one per round.
/// Returns true if some run lost work.
pub fn print_row(row: &Row, samples: &[Vec<Sample>], size: Size) -> bool {
    println!();
    println!("{}", row.title);
    // A row measures rates (and the CPU of both sides), or delays (lesson 06).
    let delays = samples.iter().flatten().any(|s| s.delay.is_some());
    let server_cpu = format!("server CPU per {}", row.unit);
    let heads = if delays {
        ["median delay".into(), "99th percentile".into(), server_cpu]
    } else {
        let client_cpu = format!("client CPU per {}", row.unit);
        [format!("{}/s", row.units), server_cpu, client_cpu]
    };
    let [a, b, c] = heads;
    println!(
        "  {:<30} {a:>28}  {b:>26}  {c:>26}",
        "program (median, min-max)"
    );
    for (contender, samples) in row.contenders.iter().zip(samples) {
        let server = micros(samples.iter().map(|s| s.cpu_per_unit));
        let [a, b, c] = if delays {
            [
                micros(samples.iter().map(|s| s.delay.map(|d| d.median))),
                micros(samples.iter().map(|s| s.delay.map(|d| d.p99))),
                server,
            ]
        } else {
            [
                spread(samples.iter().map(|s| s.rate)).show(count),
                server,
                micros(samples.iter().map(|s| s.client_cpu_per_unit)),
            ]
        };
        println!("  {:<30} {a:>28}  {b:>26}  {c:>26}", contender.name);
    }
    let lesson = &row.contenders[0];
    for (other, other_samples) in row.contenders.iter().zip(samples).skip(1) {
        let rate = spread(ratios(&samples[0], other_samples, |s| Some(s.rate)));
        let cpu = spread(ratios(&samples[0], other_samples, |s| {
            s.cpu_per_unit.map(|d| d.as_secs_f64())
        }));
        println!(
            "  {} vs {}: {} the rate, {} the CPU per {} (per round: median, min-max)",
            lesson.name,
            other.name,
            rate.show(times),
            cpu.show(times),
            row.unit
        );
    }
    if size == Size::Full {
        for goal in &row.goals {
            print_goal(row, samples, *goal);
        }
    }
    print_losses(row, samples)
}

/// Prints whether the lesson's program reached `goal`, judged on the median of the
/// figures (a ratio, or a 99th percentile) of each round.
fn print_goal(row: &Row, samples: &[Vec<Sample>], goal: Goal) {
    let (versus, factor, what, metric): (_, _, _, fn(&Sample) -> Option<f64>) = match goal {
        Goal::P99Below { limit } => return print_delay_goal(&samples[0], limit),
        Goal::RateAtLeast { versus, times } => {
            (versus, times, "the rate at least", |s| Some(s.rate))
        }
        Goal::CpuAtMost { versus, times } => (versus, times, "the server CPU at most", |s| {
            s.cpu_per_unit.map(|d| d.as_secs_f64())
        }),
    };
    let Some(index) = row.contenders.iter().position(|c| c.name == versus) else {
        return;
    };
    let ratio = spread(ratios(&samples[0], &samples[index], metric)).median;
    let met = match (goal, ratio) {
        (_, None) => "cannot tell (no CPU times here)",
        (Goal::RateAtLeast { .. }, Some(r)) if r >= factor => "met",
        (Goal::CpuAtMost { .. }, Some(r)) if r <= factor => "met",
        _ => "MISSED",
    };
    let shown = ratio.map_or_else(|| "n/a".into(), times);
    println!("  goal: {what} {factor:.2}x that of {versus}: {met} ({shown})");
}

/// Prints whether the 99th percentile of the lesson's delays, the median of the rounds,
/// is under `limit`.
fn print_delay_goal(samples: &[Sample], limit: Duration) {
    let p99s = samples.iter().filter_map(|s| s.delay);
    let p99 = spread(p99s.map(|delay| delay.p99.as_secs_f64()));
    let met = match p99.median {
        None => "cannot tell (no delays measured)",
        Some(p99) if p99 < limit.as_secs_f64() => "met",
        Some(_) => "MISSED",
    };
    let shown = p99.show(|seconds| format!("{} ms", significant(seconds * 1e3)));
    println!("  goal: a 99th percentile under {limit:?}: {met} ({shown})");
}

/// Prints a line for every program that lost work; returns true if one did.
fn print_losses(row: &Row, samples: &[Vec<Sample>]) -> bool {
    let mut lost_any = false;
    for (contender, samples) in row.contenders.iter().zip(samples) {
        let lost: u64 = samples.iter().map(|s| s.lost).sum();
        if lost > 0 {
            let units = row.units;
            println!(
                "  LOST: {} lost {lost} {units} over {} runs",
                contender.name,
                samples.len()
            );
            lost_any = true;
        }
    }
    lost_any
}

/// For each round, the lesson's figure divided by the other's.
fn ratios(lesson: &[Sample], other: &[Sample], metric: fn(&Sample) -> Option<f64>) -> Vec<f64> {
    lesson
        .iter()
        .zip(other)
        .filter_map(|(a, b)| Some(metric(a)? / metric(b)?))
        .filter(|r| r.is_finite())
        .collect()
}

/// The median and the smallest and largest of some figures; `None` if there are none.
struct Spread {
    median: Option<f64>,
    min: f64,
    max: f64,
}

fn spread(values: impl IntoIterator<Item = f64>) -> Spread {
    let mut values: Vec<f64> = values.into_iter().collect();
    values.sort_by(f64::total_cmp);
    let median = match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[n / 2]),
        n => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    };
    Spread {
        median,
        min: values.first().copied().unwrap_or(f64::NAN),
        max: values.last().copied().unwrap_or(f64::NAN),
    }
}

impl Spread {
    /// `median (min-max)`, each shown by `show`; `n/a` without figures.
    fn show(&self, show: fn(f64) -> String) -> String {
        match self.median {
            None => "n/a".into(),
            Some(median) => format!("{} ({}-{})", show(median), show(self.min), show(self.max)),
        }
    }
}

/// CPU times in microseconds: `0.743 us (0.734-0.745)`; `n/a` where the system did not tell.
fn micros(times: impl Iterator<Item = Option<Duration>>) -> String {
    let spread = spread(times.flatten().map(|time| time.as_secs_f64() * 1e6));
    match spread.median {
        None => "n/a".into(),
        Some(_) => format!("{} us", spread.show(significant)),
    }
}

/// A rate, like 612,000: three significant digits, thousands separated by commas.
fn count(value: f64) -> String {
    let rounded = significant(value);
    if value < 1000.0 {
        return rounded;
    }
    let mut shown = String::new();
    for (i, digit) in rounded.chars().enumerate() {
        if i > 0 && (rounded.len() - i) % 3 == 0 {
            shown.push(',');
        }
        shown.push(digit);
    }
    shown
}

/// A ratio, like 1.07x.
fn times(value: f64) -> String {
    format!("{value:.2}x")
}

/// `value` rounded to three significant digits, without exponent: 612345 -> "612000",
/// 1.2345 -> "1.23".
fn significant(value: f64) -> String {
    if !value.is_finite() || value == 0.0 {
        return format!("{value}");
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (2 - magnitude).max(0) as usize;
    let scale = 10f64.powi(magnitude - 2);
    let rounded = if magnitude >= 2 {
        (value / scale).round() * scale
    } else {
        value
    };
    format!("{rounded:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_keep_three_significant_digits() {
        assert_eq!(significant(612_345.0), "612000");
        assert_eq!(significant(1.2345), "1.23");
        assert_eq!(significant(0.74321), "0.743");
        assert_eq!(count(612_345.0), "612,000");
        assert_eq!(count(1_049_889.0), "1,050,000");
        assert_eq!(count(96_949.0), "96,900");
        assert_eq!(count(512.4), "512");
    }

    #[test]
    fn the_median_is_the_middle_value() {
        let odd = spread([3.0, 1.0, 2.0]);
        assert_eq!((odd.median, odd.min, odd.max), (Some(2.0), 1.0, 3.0));
        assert_eq!(spread([4.0, 1.0, 2.0, 3.0]).median, Some(2.5));
        assert_eq!(spread([]).median, None);
    }
}

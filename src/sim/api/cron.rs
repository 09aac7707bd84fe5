//! A CronJob's `spec.schedule`: parse it, and find the next time it fires.
//!
//! Mirrors: `github.com/robfig/cron/v3` as kube-apiserver and the CronJob controller call it,
//! `cron.ParseStandard` (five fields: minute, hour, day of month, month, day of week; `*` and `?`,
//! lists `a,b`, ranges `a-b`, steps `*/n`, `a/n`, `a-b/n`, the names `jan`..`dec` and
//! `sun`..`sat` in any case; the descriptors `@yearly` `@annually` `@monthly` `@weekly` `@daily`
//! `@midnight` `@hourly` and `@every <Go duration>`) with its error messages word for word, and
//! `SpecSchedule.Next` (the day of month and the day of week are ORed unless either is a star,
//! then ANDed; a search gives up five years ahead).
//! Simplified: times are UTC only (the controller-manager's zone in the lab is UTC, and
//! `spec.timeZone` is accepted only as `UTC` or `Etc/UTC`); a `TZ=`/`CRON_TZ=` prefix is skipped
//! here and refused by validation, as upstream does; the zone name after it is not looked up.
//! Written by hand rather than with a date crate: the page's wasm budget has no room for one,
//! and the civil-date arithmetic is already in [`crate::sim::clock`].

use crate::sim::clock::{civil_from_days, days_from_civil};

/// Set in a field's bits when it was written as `*` or `?` (robfig's `starBit`): the day of
/// month and the day of week match together (AND) when either one is a star.
const STAR: u64 = 1 << 63;

/// A parsed schedule. Times are Unix seconds, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// One bit per allowed value in each field (robfig's `SpecSchedule`; seconds are always 0).
    Spec {
        minute: u64,
        hour: u64,
        dom: u64,
        month: u64,
        dow: u64,
    },
    /// `@every D`: D after the previous time, whole seconds, at least one (`ConstantDelaySchedule`).
    Every { seconds: i64 },
}

/// One field's bounds and names (robfig's `bounds`).
struct Bounds {
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
/// Names start at the minimum: `jan` is 1, `sun` is 0.
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ],
};
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
};

fn bits(min: u32, max: u32, step: u32) -> u64 {
    (min..=max)
        .step_by(step as usize)
        .fold(0, |b, i| b | 1u64 << i)
}

fn all(b: &Bounds) -> u64 {
    bits(b.min, b.max, 1) | STAR
}

/// Go's `strconv.Atoi` as robfig's `mustParseInt` reports it.
fn parse_int(expr: &str) -> Result<u32, String> {
    let digits = expr.strip_prefix(['+', '-']).unwrap_or(expr);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "failed to parse int from {expr}: strconv.Atoi: parsing \"{expr}\": invalid syntax"
        ));
    }
    let Ok(n) = expr.parse::<i64>() else {
        return Err(format!(
            "failed to parse int from {expr}: strconv.Atoi: parsing \"{expr}\": value out of range"
        ));
    };
    if n < 0 {
        return Err(format!("negative number ({n}) not allowed: {expr}"));
    }
    Ok(n.min(u32::MAX as i64) as u32)
}

fn int_or_name(expr: &str, b: &Bounds) -> Result<u32, String> {
    let lower = expr.to_ascii_lowercase();
    match b.names.iter().position(|n| *n == lower) {
        Some(i) => Ok(b.min + i as u32),
        None => parse_int(expr),
    }
}

/// robfig's `getRange`: `number | number "-" number [ "/" number ]`, or `*`/`?` with a step.
fn range(expr: &str, b: &Bounds) -> Result<u64, String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_high: Vec<&str> = range_and_step[0].split('-').collect();
    let (mut start, mut end, mut extra) = (b.min, b.max, 0);
    if matches!(low_high[0], "*" | "?") {
        extra = STAR;
    } else {
        start = int_or_name(low_high[0], b)?;
        end = match low_high.len() {
            1 => start,
            2 => int_or_name(low_high[1], b)?,
            _ => return Err(format!("too many hyphens: {expr}")),
        };
    }
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = parse_int(range_and_step[1])?;
            // "N/step" means "N-max/step".
            if low_high.len() == 1 {
                end = b.max;
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return Err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            b.min
        ));
    }
    if end > b.max {
        return Err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            b.max
        ));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    Ok(bits(start, end, step) | extra)
}

/// robfig's `getField`: a comma-separated list of ranges (empty items skipped).
fn field(text: &str, b: &Bounds) -> Result<u64, String> {
    text.split(',')
        .filter(|r| !r.is_empty())
        .try_fold(0, |acc, r| Ok(acc | range(r, b)?))
}

/// Go's `time.ParseDuration`, in whole seconds (fractions of a second are dropped, as robfig's
/// `Every` does).
fn go_duration_seconds(text: &str) -> Result<i64, String> {
    let quoted = format!("\"{text}\"");
    let invalid = || format!("time: invalid duration {quoted}");
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut nanos = 0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(invalid());
        }
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let scale = match unit {
            "" => return Err(format!("time: missing unit in duration {quoted}")),
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => {
                return Err(format!(
                    "time: unknown unit \"{unit}\" in duration {quoted}"
                ))
            }
        };
        nanos += number.parse::<f64>().map_err(|_| invalid())? * scale;
    }
    if nanos > i64::MAX as f64 {
        return Err(invalid());
    }
    let seconds = (nanos / 1e9) as i64;
    Ok(if negative { -seconds } else { seconds })
}

/// `cron.ParseStandard`.
pub fn parse(spec: &str) -> Result<Schedule, String> {
    if spec.is_empty() {
        return Err("empty spec string".into());
    }
    let mut spec = spec;
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        spec = spec.split_once(' ').map_or("", |(_, rest)| rest.trim());
    }
    if spec.starts_with('@') {
        let one = |b: &Bounds| 1u64 << b.min;
        let (minute, hour) = (one(&MINUTES), one(&HOURS));
        let (dom, month, dow) = match spec {
            "@yearly" | "@annually" => (one(&DOM), one(&MONTHS), all(&DOW)),
            "@monthly" => (one(&DOM), all(&MONTHS), all(&DOW)),
            "@weekly" => (all(&DOM), all(&MONTHS), one(&DOW)),
            "@daily" | "@midnight" => (all(&DOM), all(&MONTHS), all(&DOW)),
            "@hourly" => {
                return Ok(Schedule::Spec {
                    minute,
                    hour: all(&HOURS),
                    dom: all(&DOM),
                    month: all(&MONTHS),
                    dow: all(&DOW),
                })
            }
            _ => {
                let Some(d) = spec.strip_prefix("@every ") else {
                    return Err(format!("unrecognized descriptor: {spec}"));
                };
                let seconds = go_duration_seconds(d)
                    .map_err(|e| format!("failed to parse duration {spec}: {e}"))?;
                return Ok(Schedule::Every {
                    seconds: seconds.max(1),
                });
            }
        };
        return Ok(Schedule::Spec {
            minute,
            hour,
            dom,
            month,
            dow,
        });
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected exactly 5 fields, found {}: [{}]",
            fields.len(),
            fields.join(" ")
        ));
    }
    Ok(Schedule::Spec {
        minute: field(fields[0], &MINUTES)?,
        hour: field(fields[1], &HOURS)?,
        dom: field(fields[2], &DOM)?,
        month: field(fields[3], &MONTHS)?,
        dow: field(fields[4], &DOW)?,
    })
}

impl Schedule {
    /// The first time the schedule fires strictly after `unix` (seconds, UTC); None when nothing
    /// matches within five years (`30 0 31 2 *`: February has no 31st).
    pub fn next(&self, unix: i64) -> Option<i64> {
        let (minute, hour, dom, month, dow) = match *self {
            Schedule::Every { seconds } => return Some(unix + seconds),
            Schedule::Spec {
                minute,
                hour,
                dom,
                month,
                dow,
            } => (minute, hour, dom, month, dow),
        };
        let has = |set: u64, v: i64| set & (1u64 << v) != 0;
        // Start at the next whole minute (robfig: the next second, then seconds must be 0).
        let mut t = (unix.div_euclid(60) + 1) * 60;
        let year_limit = civil_from_days(t.div_euclid(86_400)).0 + 5;
        loop {
            let days = t.div_euclid(86_400);
            let (year, m, d) = civil_from_days(days);
            if year > year_limit {
                return None;
            }
            if !has(month, m as i64) {
                // The first day of the next month, midnight.
                let (y, m) = if m == 12 {
                    (year + 1, 1)
                } else {
                    (year, m as i64 + 1)
                };
                t = days_from_civil(y, m, 1) * 86_400;
                continue;
            }
            let weekday = (days + 4).rem_euclid(7); // 1970-01-01 was a Thursday.
            let (dom_match, dow_match) = (has(dom, d as i64), has(dow, weekday));
            let day_matches = if dom & STAR != 0 || dow & STAR != 0 {
                dom_match && dow_match
            } else {
                dom_match || dow_match
            };
            if !day_matches {
                t = (days + 1) * 86_400;
                continue;
            }
            let second_of_day = t.rem_euclid(86_400);
            if !has(hour, second_of_day / 3600) {
                t = t.div_euclid(3600) * 3600 + 3600;
                continue;
            }
            if !has(minute, second_of_day % 3600 / 60) {
                t += 60;
                continue;
            }
            return Some(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::clock::{rfc3339_from_unix, unix_from_rfc3339};

    fn next(spec: &str, after: &str) -> String {
        let s = parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
        let t = s.next(unix_from_rfc3339(after).unwrap());
        t.map(rfc3339_from_unix).unwrap_or_else(|| "never".into())
    }

    #[test]
    fn the_next_time_crosses_minute_hour_day_month_and_year_boundaries() {
        let cases = [
            (
                "*/1 * * * *",
                "2025-06-01T00:00:00Z",
                "2025-06-01T00:01:00Z",
            ),
            ("* * * * *", "2025-06-01T00:00:37Z", "2025-06-01T00:01:00Z"),
            (
                "*/5 * * * *",
                "2025-06-01T00:57:00Z",
                "2025-06-01T01:00:00Z",
            ),
            ("30 * * * *", "2025-06-01T23:45:00Z", "2025-06-02T00:30:00Z"),
            ("0 0 * * *", "2025-06-30T12:00:00Z", "2025-07-01T00:00:00Z"),
            ("0 0 1 * *", "2025-12-15T00:00:00Z", "2026-01-01T00:00:00Z"),
            (
                "15 10 29 2 *",
                "2025-03-01T00:00:00Z",
                "2028-02-29T10:15:00Z",
            ),
            (
                "0 9-17/4 * * *",
                "2025-06-01T09:00:00Z",
                "2025-06-01T13:00:00Z",
            ),
            (
                "5,10 3 * * *",
                "2025-06-01T03:05:00Z",
                "2025-06-01T03:10:00Z",
            ),
            (
                "0 12 * jan,jul *",
                "2025-06-01T00:00:00Z",
                "2025-07-01T12:00:00Z",
            ),
            ("@hourly", "2025-06-01T00:00:00Z", "2025-06-01T01:00:00Z"),
            ("@daily", "2025-06-01T00:00:00Z", "2025-06-02T00:00:00Z"),
            ("@weekly", "2025-06-01T00:00:00Z", "2025-06-08T00:00:00Z"),
            ("@monthly", "2025-06-01T00:00:00Z", "2025-07-01T00:00:00Z"),
            ("@yearly", "2025-06-01T00:00:00Z", "2026-01-01T00:00:00Z"),
            ("@every 90s", "2025-06-01T00:00:00Z", "2025-06-01T00:01:30Z"),
            (
                "@every 1h30m",
                "2025-06-01T00:00:00Z",
                "2025-06-01T01:30:00Z",
            ),
            (
                "@every 10ms",
                "2025-06-01T00:00:00Z",
                "2025-06-01T00:00:01Z",
            ),
            (
                "CRON_TZ=UTC 0 * * * *",
                "2025-06-01T00:10:00Z",
                "2025-06-01T01:00:00Z",
            ),
            ("0 0 31 2 *", "2025-06-01T00:00:00Z", "never"),
        ];
        for (spec, after, want) in cases {
            assert_eq!(next(spec, after), want, "{spec} after {after}");
        }
    }

    #[test]
    fn day_of_month_and_day_of_week_are_ored_unless_one_is_a_star() {
        // 2025-06-01 is a Sunday. "the 15th, or any Monday": Monday the 2nd comes first.
        assert_eq!(
            next("0 0 15 * mon", "2025-06-01T00:00:00Z"),
            "2025-06-02T00:00:00Z"
        );
        assert_eq!(
            next("0 0 15 * MON", "2025-06-10T00:00:00Z"),
            "2025-06-15T00:00:00Z"
        );
        // A star in the day of month: only Mondays.
        assert_eq!(
            next("0 0 * * 1", "2025-06-02T00:00:00Z"),
            "2025-06-09T00:00:00Z"
        );
        // A stepped star is no star: "every other day of month, or Fridays" is ORed.
        assert_eq!(
            next("0 0 */2 * fri", "2025-06-01T00:00:00Z"),
            "2025-06-03T00:00:00Z"
        );
        assert_eq!(
            next("0 0 * * mon-fri", "2025-06-06T00:00:00Z"),
            "2025-06-09T00:00:00Z"
        );
    }

    #[test]
    fn bad_schedules_get_robfig_crons_messages() {
        let cases = [
            ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
            (
                "0 0 * * * *",
                "expected exactly 5 fields, found 6: [0 0 * * * *]",
            ),
            ("60 * * * *", "end of range (60) above maximum (59): 60"),
            ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
            (
                "5-1 * * * *",
                "beginning of range (5) beyond end of range (1): 5-1",
            ),
            (
                "*/0 * * * *",
                "step of range should be a positive number: */0",
            ),
            ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
            ("*/2/3 * * * *", "too many slashes: */2/3"),
            (
                "x * * * *",
                "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax",
            ),
            (
                "* * * foo *",
                "failed to parse int from foo: strconv.Atoi: parsing \"foo\": invalid syntax",
            ),
            ("* * * * 7", "end of range (7) above maximum (6): 7"),
            (
                "0 0 * * sat-sun",
                "beginning of range (6) beyond end of range (0): sat-sun",
            ),
            ("@fortnightly", "unrecognized descriptor: @fortnightly"),
            (
                "@every 5",
                "failed to parse duration @every 5: time: missing unit in duration \"5\"",
            ),
            (
                "@every 5d",
                "failed to parse duration @every 5d: time: unknown unit \"d\" in duration \"5d\"",
            ),
            ("", "empty spec string"),
        ];
        for (spec, want) in cases {
            assert_eq!(parse(spec), Err(want.to_string()), "{spec:?}");
        }
    }
}

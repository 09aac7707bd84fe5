//! Logical time. One tick is one simulated millisecond; nothing in the core reads a wall clock.
//! Wall-clock instants are written and read as RFC 3339 text, the way `metav1.Time` carries them:
//! [`rfc3339_from_unix`] formats, [`parse_go_time`] parses.

use serde::{Deserialize, Serialize};

/// A duration or instant in simulated milliseconds.
pub type Ticks = u64;

pub const TICKS_PER_SECOND: Ticks = 1_000;

/// `seconds_to_ticks(40)` is the node-monitor grace period in ticks.
pub const fn seconds_to_ticks(seconds: u64) -> Ticks {
    seconds * TICKS_PER_SECOND
}

/// The simulated wall clock: boots at a fixed instant so timestamps are reproducible.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    now_ticks: Ticks,
    /// Unix seconds at tick 0. Fixed, so `creationTimestamp` is the same on every run.
    epoch_unix_seconds: i64,
}

/// 2025-06-01T00:00:00Z, the day of the course notes' lab.
pub const DEFAULT_EPOCH_UNIX_SECONDS: i64 = 1_748_736_000;

impl Default for Clock {
    fn default() -> Self {
        Clock {
            now_ticks: 0,
            epoch_unix_seconds: DEFAULT_EPOCH_UNIX_SECONDS,
        }
    }
}

impl Clock {
    pub fn now(&self) -> Ticks {
        self.now_ticks
    }

    /// Moves time forward; time never goes back.
    pub fn advance_to(&mut self, ticks: Ticks) {
        assert!(
            ticks >= self.now_ticks,
            "logical time went backwards: {} -> {ticks}",
            self.now_ticks
        );
        self.now_ticks = ticks;
    }

    pub fn advance_by(&mut self, ticks: Ticks) {
        self.now_ticks += ticks;
    }

    /// Whole Unix seconds of the simulated wall clock now.
    pub fn unix_seconds(&self) -> i64 {
        self.epoch_unix_seconds + (self.now_ticks / TICKS_PER_SECOND) as i64
    }

    /// RFC 3339 in UTC with second precision, as Kubernetes writes `creationTimestamp`.
    pub fn rfc3339(&self) -> String {
        rfc3339_from_unix(self.unix_seconds())
    }
}

/// Formats Unix seconds as `2025-06-01T00:00:00Z` (proleptic Gregorian, UTC).
pub fn rfc3339_from_unix(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// The layouts `metav1.Time` and `metav1.MicroTime` unmarshal with (`time.RFC3339`,
/// `metav1.RFC3339Micro`): a Time may carry any fractional seconds, a MicroTime exactly six.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeLayout {
    Rfc3339,
    Rfc3339Micro,
}

impl TimeLayout {
    fn go_layout(self) -> &'static str {
        match self {
            TimeLayout::Rfc3339 => "2006-01-02T15:04:05Z07:00",
            TimeLayout::Rfc3339Micro => "2006-01-02T15:04:05.000000Z07:00",
        }
    }
}

/// Parses `2025-06-01T00:00:00Z`, `2025-06-01T09:00:00.5+09:00`, ... to whole Unix seconds, or
/// `None`; what `metav1.Time` accepts.
pub fn unix_from_rfc3339(text: &str) -> Option<i64> {
    parse_go_time(text, TimeLayout::Rfc3339).ok()
}

/// Go's `time.Parse(layout, text)` for the two layouts of [`TimeLayout`], to whole Unix seconds
/// (fractional seconds are read and dropped). `Err` is Go's own error text, as the apiserver
/// returns it for a bad `creationTimestamp`:
/// `parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"`.
///
/// Mirrors: `time.parse` walking the layout element by element: a literal (`-`, `T`, `:`) must
/// match; the year is four digits; month, day, minute and second two; the hour one or two; a
/// fraction after the seconds (`.` or `,`) is allowed by `RFC3339` and required, six digits, by
/// `RFC3339Micro`; the zone is `Z` or `±hh:mm`. Range errors (`month out of range`, ...) and the
/// day of the month (`2025-02-29` is `day out of range`) are checked as there.
pub fn parse_go_time(text: &str, layout: TimeLayout) -> Result<i64, String> {
    let value = text.as_bytes();
    let cannot = |rest: &[u8], element: &str| {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            go_quote(value),
            go_quote(layout.go_layout().as_bytes()),
            go_quote(rest),
            go_quote(element.as_bytes())
        )
    };
    let out_of_range =
        |what: &str| format!("parsing time {}: {what} out of range", go_quote(value));
    let digit = |s: &[u8], i: usize| s.get(i).is_some_and(u8::is_ascii_digit);
    // `getnum`: one or two digits; `fixed` requires two.
    let number = |s: &[u8], fixed: bool| -> Option<(i64, usize)> {
        match (digit(s, 0), digit(s, 1)) {
            (false, _) => None,
            (true, false) if fixed => None,
            (true, false) => Some((i64::from(s[0] - b'0'), 1)),
            (true, true) => Some((i64::from(s[0] - b'0') * 10 + i64::from(s[1] - b'0'), 2)),
        }
    };
    let mut rest = value;
    let literal = |rest: &mut &[u8], c: u8| match rest.first() {
        Some(&b) if b == c => {
            *rest = &rest[1..];
            Ok(())
        }
        _ => Err(cannot(rest, std::str::from_utf8(&[c]).unwrap_or("?"))),
    };

    if rest.len() < 4 || !(0..4).all(|i| digit(rest, i)) {
        return Err(cannot(rest, "2006"));
    }
    let year = rest[..4]
        .iter()
        .fold(0i64, |y, d| y * 10 + i64::from(d - b'0'));
    rest = &rest[4..];
    literal(&mut rest, b'-')?;
    let (month, n) = number(rest, true).ok_or_else(|| cannot(rest, "01"))?;
    if !(1..=12).contains(&month) {
        return Err(out_of_range("month"));
    }
    rest = &rest[n..];
    literal(&mut rest, b'-')?;
    let (day, n) = number(rest, true).ok_or_else(|| cannot(rest, "02"))?;
    rest = &rest[n..];
    literal(&mut rest, b'T')?;
    let (hour, n) = number(rest, false).ok_or_else(|| cannot(rest, "15"))?;
    if hour >= 24 {
        return Err(out_of_range("hour"));
    }
    rest = &rest[n..];
    literal(&mut rest, b':')?;
    let (minute, n) = number(rest, true).ok_or_else(|| cannot(rest, "04"))?;
    if minute >= 60 {
        return Err(out_of_range("minute"));
    }
    rest = &rest[n..];
    literal(&mut rest, b':')?;
    let (second, n) = number(rest, true).ok_or_else(|| cannot(rest, "05"))?;
    if second >= 60 {
        return Err(out_of_range("second"));
    }
    rest = &rest[n..];
    let fraction_mark = |s: &[u8]| matches!(s.first(), Some(b'.' | b','));
    match layout {
        // A fraction the layout does not name is still read, any number of digits.
        TimeLayout::Rfc3339 if fraction_mark(rest) && digit(rest, 1) => {
            let digits = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
            rest = &rest[1 + digits..];
        }
        TimeLayout::Rfc3339 => {}
        TimeLayout::Rfc3339Micro => {
            if !(fraction_mark(rest) && (1..7).all(|i| digit(rest, i))) {
                return Err(cannot(rest, ".000000"));
            }
            rest = &rest[7..];
        }
    }
    let offset_seconds = if rest.first() == Some(&b'Z') {
        rest = &rest[1..];
        0
    } else {
        // `±hh:mm`. Go checks the ranges (with `>`: offsets of 24 hours are written) before the
        // sign.
        let zone = rest;
        if zone.len() < 6 || zone[3] != b':' {
            return Err(cannot(zone, "Z07:00"));
        }
        let hours = number(&zone[1..3], true).map(|(h, _)| h);
        let minutes = hours.and(number(&zone[4..6], true)).map(|(m, _)| m);
        if hours.is_some_and(|h| h > 24) {
            return Err(out_of_range("time zone offset hour"));
        }
        if minutes.is_some_and(|m| m > 60) {
            return Err(out_of_range("time zone offset minute"));
        }
        let (Some(hours), Some(minutes)) = (hours, minutes) else {
            return Err(cannot(zone, "Z07:00"));
        };
        rest = &zone[6..];
        match zone[0] {
            b'+' => hours * 3600 + minutes * 60,
            b'-' => -(hours * 3600 + minutes * 60),
            _ => return Err(cannot(zone, "Z07:00")),
        }
    };
    if !rest.is_empty() {
        return Err(format!(
            "parsing time {}: extra text: {}",
            go_quote(value),
            go_quote(rest)
        ));
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(out_of_range("day"));
    }
    Ok(
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
            - offset_seconds,
    )
}

/// Go's `time.quote`: double quotes, `"` and `\` escaped, every byte outside printable ASCII as
/// `\xNN`.
fn go_quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            b' '..=0x7f => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// (year, month, day) to days since 1970-01-01; Howard Hinnant's days-from-civil, the inverse of
/// [`civil_from_days`].
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to (year, month, day); Howard Hinnant's civil-from-days algorithm.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_starts_on_the_lab_day() {
        assert_eq!(Clock::default().rfc3339(), "2025-06-01T00:00:00Z");
    }

    #[test]
    fn rfc3339_handles_leap_years_and_day_rollover() {
        assert_eq!(rfc3339_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_from_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_from_unix(1_709_251_199), "2024-02-29T23:59:59Z");
    }

    #[test]
    fn advancing_moves_the_wall_clock_in_whole_seconds() {
        let mut clock = Clock::default();
        clock.advance_by(61_500);
        assert_eq!(clock.rfc3339(), "2025-06-01T00:01:01Z");
    }

    #[test]
    fn rfc3339_parses_back_what_it_formats() {
        for unix in [
            0,
            951_782_400,
            1_709_251_199,
            DEFAULT_EPOCH_UNIX_SECONDS,
            -86_401,
        ] {
            assert_eq!(
                unix_from_rfc3339(&rfc3339_from_unix(unix)),
                Some(unix),
                "{unix}"
            );
        }
    }

    #[test]
    fn rfc3339_accepts_what_metav1_time_accepts() {
        let cases: &[(&str, i64)] = &[
            ("2025-06-01T00:00:00Z", DEFAULT_EPOCH_UNIX_SECONDS),
            ("2024-02-29T12:00:00Z", 1_709_208_000),
            ("2000-02-29T00:00:00Z", 951_782_400),
            ("2025-06-01T09:00:00+09:00", DEFAULT_EPOCH_UNIX_SECONDS),
            ("2025-05-31T19:30:00-04:30", DEFAULT_EPOCH_UNIX_SECONDS),
            ("2025-06-01T00:00:00.123456Z", DEFAULT_EPOCH_UNIX_SECONDS),
            ("2025-06-01T00:00:00,5Z", DEFAULT_EPOCH_UNIX_SECONDS),
            ("2025-06-01T0:00:00Z", DEFAULT_EPOCH_UNIX_SECONDS),
            ("1969-12-31T23:59:59Z", -1),
        ];
        for (text, unix) in cases {
            assert_eq!(unix_from_rfc3339(text), Some(*unix), "{text}");
        }
    }

    #[test]
    fn rfc3339_refuses_with_go_time_parse_errors() {
        let cases: &[(&str, &str)] = &[
            (
                "x",
                r#"parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006""#,
            ),
            (
                "yesterday",
                r#"parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006""#,
            ),
            (
                "2025-06-01",
                r#"parsing time "2025-06-01" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T""#,
            ),
            (
                "2025-06-01 00:00:00Z",
                r#"parsing time "2025-06-01 00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 00:00:00Z" as "T""#,
            ),
            (
                "2025-6-01T00:00:00Z",
                r#"parsing time "2025-6-01T00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse "6-01T00:00:00Z" as "01""#,
            ),
            (
                "2025-06-01T00:00:00",
                r#"parsing time "2025-06-01T00:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00""#,
            ),
            (
                "2025-06-01T00:00:00z",
                r#"parsing time "2025-06-01T00:00:00z" as "2006-01-02T15:04:05Z07:00": cannot parse "z" as "Z07:00""#,
            ),
            (
                "2025-13-01T00:00:00Z",
                r#"parsing time "2025-13-01T00:00:00Z": month out of range"#,
            ),
            (
                "2025-02-29T00:00:00Z",
                r#"parsing time "2025-02-29T00:00:00Z": day out of range"#,
            ),
            (
                "2025-06-01T24:00:00Z",
                r#"parsing time "2025-06-01T24:00:00Z": hour out of range"#,
            ),
            (
                "2025-06-01T00:00:00+25:00",
                r#"parsing time "2025-06-01T00:00:00+25:00": time zone offset hour out of range"#,
            ),
            (
                "2025-06-01T00:00:00ZZ",
                r#"parsing time "2025-06-01T00:00:00ZZ": extra text: "Z""#,
            ),
            (
                "\"é\"",
                r#"parsing time "\"\xc3\xa9\"" as "2006-01-02T15:04:05Z07:00": cannot parse "\"\xc3\xa9\"" as "2006""#,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(
                parse_go_time(text, TimeLayout::Rfc3339),
                Err(want.to_string()),
                "{text}"
            );
        }
    }

    #[test]
    fn a_micro_time_has_exactly_six_fractional_digits() {
        assert_eq!(
            parse_go_time("2025-06-01T00:00:10.250000Z", TimeLayout::Rfc3339Micro),
            Ok(DEFAULT_EPOCH_UNIX_SECONDS + 10)
        );
        assert_eq!(
            parse_go_time("2025-06-01T00:00:10Z", TimeLayout::Rfc3339Micro),
            Err(r#"parsing time "2025-06-01T00:00:10Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000""#.to_string())
        );
    }
}

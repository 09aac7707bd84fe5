//! Logical time. One tick is one simulated millisecond; nothing in the core reads a wall clock.

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
}

//! Per-container back-off: how long the kubelet waits before restarting a crashed container
//! (`CrashLoopBackOff`) or pulling an image again (`ImagePullBackOff`).
//!
//! Mirrors: `k8s.io/client-go/util/flowcontrol/backoff.go` as the kubelet configures it
//! (`pkg/kubelet/kubelet.go`: `backOffPeriod = 10s`, `MaxContainerBackOff = 300s`): the first
//! failure waits 10 s, each further one doubles the wait up to 5 min; an entry that has not been
//! touched for twice the maximum (10 min) starts again at 10 s. That is why a container that ran
//! happily for ten minutes and then crashed restarts after 10 s, not 5 min.
//! Simplified: no jitter (upstream's kubelet uses none either); no garbage collection of old
//! entries beyond `reset`.

use std::collections::BTreeMap;

use crate::sim::clock::{seconds_to_ticks, Ticks};

/// The first wait after a failure.
pub const INITIAL_BACKOFF_TICKS: Ticks = seconds_to_ticks(10);
/// The longest wait.
pub const MAX_BACKOFF_TICKS: Ticks = seconds_to_ticks(300);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    backoff_ticks: Ticks,
    /// When the back-off was last extended: the wait runs from here.
    last_update_ticks: Ticks,
}

/// Back-off entries by key (`<pod uid>/<container name>` for restarts, the image for pulls).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    initial_ticks: Ticks,
    max_ticks: Ticks,
    entries: BTreeMap<String, Entry>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(INITIAL_BACKOFF_TICKS, MAX_BACKOFF_TICKS)
    }
}

impl Backoff {
    pub fn new(initial_ticks: Ticks, max_ticks: Ticks) -> Self {
        assert!(initial_ticks > 0 && initial_ticks <= max_ticks);
        Backoff {
            initial_ticks,
            max_ticks,
            entries: BTreeMap::new(),
        }
    }

    /// `Backoff.Next`: records one more failure at `now` and returns the wait it starts.
    pub fn next(&mut self, key: &str, now: Ticks) -> Ticks {
        let expired = |e: &Entry| now.saturating_sub(e.last_update_ticks) > 2 * self.max_ticks;
        let backoff_ticks = match self.entries.get(key) {
            Some(e) if !expired(e) => (e.backoff_ticks.saturating_mul(2)).min(self.max_ticks),
            _ => self.initial_ticks,
        };
        self.entries.insert(
            key.to_string(),
            Entry {
                backoff_ticks,
                last_update_ticks: now,
            },
        );
        backoff_ticks
    }

    /// `Backoff.IsInBackOffSinceUpdate`: is `key` still waiting at `now`, counting from the
    /// last failure recorded? (image pulls)
    pub fn in_backoff(&self, key: &str, now: Ticks) -> bool {
        self.entries.get(key).is_some_and(|e| {
            now.saturating_sub(e.last_update_ticks) <= 2 * self.max_ticks
                && now < e.last_update_ticks + e.backoff_ticks
        })
    }

    /// `Backoff.IsInBackOffSince`: is `key` still waiting at `now`, counting from `event_ticks`
    /// (a container's finishedAt)? An entry older than twice the maximum no longer counts.
    pub fn in_backoff_since(&self, key: &str, event_ticks: Ticks, now: Ticks) -> bool {
        self.entries.get(key).is_some_and(|e| {
            event_ticks.saturating_sub(e.last_update_ticks) <= 2 * self.max_ticks
                && now.saturating_sub(event_ticks) < e.backoff_ticks
        })
    }

    /// When the current wait of `key` ends, if it is waiting.
    pub fn until_ticks(&self, key: &str) -> Option<Ticks> {
        self.entries
            .get(key)
            .map(|e| e.last_update_ticks + e.backoff_ticks)
    }

    /// The current wait of `key` (what `back-off 20s restarting ...` names).
    pub fn current_ticks(&self, key: &str) -> Option<Ticks> {
        self.entries.get(key).map(|e| e.backoff_ticks)
    }

    /// Forgets `key` (the pod is gone, or the image was pulled).
    pub fn reset(&mut self, key: &str) {
        self.entries.remove(key);
    }

    /// Forgets every key that starts with `prefix` (all containers of one pod).
    pub fn reset_prefix(&mut self, prefix: &str) {
        self.entries.retain(|k, _| !k.starts_with(prefix));
    }
}

/// `10s`, `1m20s`, `5m0s`: Go's `time.Duration.String()` for whole seconds, as back-off
/// messages print it.
pub fn go_duration(ticks: Ticks) -> String {
    let millis = ticks % 1000;
    let total_seconds = ticks / 1000;
    let (hours, minutes, seconds) = (
        total_seconds / 3600,
        (total_seconds % 3600) / 60,
        total_seconds % 60,
    );
    let seconds_text = if millis == 0 {
        format!("{seconds}s")
    } else {
        let fraction = format!("{millis:03}");
        format!("{seconds}.{}s", fraction.trim_end_matches('0'))
    };
    if hours > 0 {
        format!("{hours}h{minutes}m{seconds_text}")
    } else if minutes > 0 {
        format!("{minutes}m{seconds_text}")
    } else {
        seconds_text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_doubles_the_wait_from_ten_seconds_up_to_five_minutes() {
        let mut backoff = Backoff::default();
        let mut now = 0;
        let mut waits = Vec::new();
        for _ in 0..8 {
            let wait = backoff.next("pod/web", now);
            waits.push(wait / 1000);
            now += wait + 1000;
        }
        assert_eq!(waits, vec![10, 20, 40, 80, 160, 300, 300, 300]);
    }

    #[test]
    fn a_key_is_in_back_off_until_its_wait_ends() {
        let mut backoff = Backoff::default();
        backoff.next("web", 5_000);
        assert!(backoff.in_backoff("web", 14_999));
        assert!(!backoff.in_backoff("web", 15_000));
        assert!(!backoff.in_backoff("other", 6_000));
        assert_eq!(backoff.until_ticks("web"), Some(15_000));
    }

    #[test]
    fn a_crash_is_in_back_off_counted_from_its_finish_time() {
        let mut backoff = Backoff::default();
        backoff.next("web", 1_000);
        // The next crash finished at 4 s: the restart waits until 14 s.
        assert!(backoff.in_backoff_since("web", 4_000, 13_999));
        assert!(!backoff.in_backoff_since("web", 4_000, 14_000));
        // A crash after ten quiet minutes is not held back at all.
        assert!(!backoff.in_backoff_since("web", 700_000, 700_001));
    }

    #[test]
    fn ten_quiet_minutes_reset_the_back_off() {
        let mut backoff = Backoff::default();
        for now in [0, 20_000, 60_000, 200_000] {
            backoff.next("web", now);
        }
        assert_eq!(backoff.current_ticks("web"), Some(80_000));
        // Exactly ten minutes since the last failure is not yet expired; a tick later is.
        assert_eq!(backoff.next("web", 800_000), 160_000);
        assert_eq!(backoff.next("web", 800_000 + 600_001), 10_000);
    }

    #[test]
    fn keys_back_off_independently_and_reset_by_prefix() {
        let mut backoff = Backoff::default();
        backoff.next("uid1/web", 0);
        backoff.next("uid1/web", 0);
        backoff.next("uid2/web", 0);
        assert_eq!(backoff.current_ticks("uid1/web"), Some(20_000));
        backoff.reset_prefix("uid1/");
        assert_eq!(backoff.current_ticks("uid1/web"), None);
        assert_eq!(backoff.current_ticks("uid2/web"), Some(10_000));
    }

    #[test]
    fn durations_print_as_go_prints_them() {
        for (ticks, text) in [
            (10_000, "10s"),
            (5_200, "5.2s"),
            (80_000, "1m20s"),
            (300_000, "5m0s"),
            (3_725_000, "1h2m5s"),
            (250, "0.25s"),
        ] {
            assert_eq!(go_duration(ticks), text);
        }
    }
}

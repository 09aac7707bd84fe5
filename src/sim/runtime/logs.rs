//! Per-container log buffers: what `kubectl logs` reads.
//!
//! Mirrors: the kubelet's CRI log files (`/var/log/pods/<ns>_<pod>_<uid>/<container>/<attempt>.log`,
//! each line `<RFC3339Nano> <stream> F <text>`) and the `--tail`, `--since`, `--timestamps` reads.
//! Simplified: a bounded in-memory ring per container instead of rotated files; the oldest lines
//! are dropped when it is full, as log rotation would drop them.

use std::collections::VecDeque;

use crate::sim::clock::{rfc3339_from_unix, Ticks, TICKS_PER_SECOND};

/// Lines kept per container. A chatty `while true; do echo; done` must not eat the tab's memory.
pub const LOG_LINES_MAX: usize = 5_000;
/// Longest line kept, in bytes; containerd splits longer lines into partial ones, we cut them.
pub const LOG_LINE_BYTES_MAX: usize = 16 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub tick: Ticks,
    pub stream: Stream,
    pub text: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogBuffer {
    lines: VecDeque<LogLine>,
    /// Lines dropped from the front since the container started (for `-f` readers' cursors).
    dropped: u64,
}

impl LogBuffer {
    pub fn push(&mut self, tick: Ticks, stream: Stream, text: &str) {
        let text = crate::sim::text::head(text, LOG_LINE_BYTES_MAX).to_string();
        if self.lines.len() == LOG_LINES_MAX {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(LogLine { tick, stream, text });
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn lines(&self) -> impl Iterator<Item = &LogLine> {
        self.lines.iter()
    }

    /// `--tail=N`: the last `n` lines (`--tail=-1` is everything: pass `None`).
    pub fn tail(&self, n: Option<usize>) -> Vec<&LogLine> {
        let skip = match n {
            Some(n) => self.lines.len().saturating_sub(n),
            None => 0,
        };
        self.lines.iter().skip(skip).collect()
    }

    /// `--since`: lines at or after `tick`.
    pub fn since(&self, tick: Ticks) -> Vec<&LogLine> {
        self.lines.iter().filter(|l| l.tick >= tick).collect()
    }

    /// A cursor for `kubectl logs -f`: the absolute index of the next line to read.
    pub fn end_cursor(&self) -> u64 {
        self.dropped + self.lines.len() as u64
    }

    /// Lines appended since `cursor` (from `end_cursor`), and the new cursor.
    pub fn read_from(&self, cursor: u64) -> (Vec<&LogLine>, u64) {
        let start = cursor.saturating_sub(self.dropped) as usize;
        (self.lines.iter().skip(start).collect(), self.end_cursor())
    }
}

/// `2025-06-01T00:00:01.250000000Z`, as `kubectl logs --timestamps` and CRI log files print.
pub fn rfc3339_nano(epoch_unix_seconds: i64, tick: Ticks) -> String {
    let seconds = epoch_unix_seconds + (tick / TICKS_PER_SECOND) as i64;
    let nanos = (tick % TICKS_PER_SECOND) * 1_000_000;
    let base = rfc3339_from_unix(seconds);
    format!("{}.{nanos:09}Z", base.trim_end_matches('Z'))
}

impl LogLine {
    /// The line as `kubectl logs` prints it, with `--timestamps` or without.
    pub fn display(&self, epoch_unix_seconds: i64, timestamps: bool) -> String {
        if timestamps {
            format!(
                "{} {}",
                rfc3339_nano(epoch_unix_seconds, self.tick),
                self.text
            )
        } else {
            self.text.clone()
        }
    }

    /// The line as the CRI log file on the node holds it (`cat /var/log/pods/...`).
    pub fn cri_format(&self, epoch_unix_seconds: i64) -> String {
        format!(
            "{} {} F {}",
            rfc3339_nano(epoch_unix_seconds, self.tick),
            self.stream.as_str(),
            self.text
        )
    }
}

/// Where the kubelet asks the runtime to write a container's log.
pub fn log_path(
    namespace: &str,
    pod: &str,
    pod_uid: &str,
    container: &str,
    attempt: u32,
) -> String {
    format!("/var/log/pods/{namespace}_{pod}_{pod_uid}/{container}/{attempt}.log")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::clock::DEFAULT_EPOCH_UNIX_SECONDS;

    #[test]
    fn tail_keeps_the_last_lines_and_timestamps_are_rfc3339_nano() {
        let mut log = LogBuffer::default();
        for i in 0..5 {
            log.push(i * 250, Stream::Stdout, &format!("line {i}"));
        }
        let tail: Vec<String> = log
            .tail(Some(2))
            .iter()
            .map(|l| l.display(DEFAULT_EPOCH_UNIX_SECONDS, true))
            .collect();
        assert_eq!(
            tail,
            [
                "2025-06-01T00:00:00.750000000Z line 3",
                "2025-06-01T00:00:01.000000000Z line 4"
            ]
        );
        assert_eq!(log.tail(Some(99)).len(), 5);
        assert_eq!(log.since(500).len(), 3);
    }

    #[test]
    fn a_full_buffer_drops_its_oldest_lines_and_follow_cursors_survive() {
        let mut log = LogBuffer::default();
        let cursor = log.end_cursor();
        for i in 0..(LOG_LINES_MAX + 10) {
            log.push(i as Ticks, Stream::Stderr, "x");
        }
        assert_eq!(log.len(), LOG_LINES_MAX);
        let (lines, next) = log.read_from(cursor);
        assert_eq!(lines.len(), LOG_LINES_MAX);
        assert_eq!(next, (LOG_LINES_MAX + 10) as u64);
        log.push(99_999, Stream::Stdout, "new");
        let (lines, _) = log.read_from(next);
        assert_eq!(lines.len(), 1);
        assert_eq!(
            lines[0].cri_format(DEFAULT_EPOCH_UNIX_SECONDS),
            "2025-06-01T00:01:39.999000000Z stdout F new"
        );
    }
}

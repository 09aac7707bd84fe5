//! Liveness, readiness and startup probes: one worker per probe per container.
//!
//! Mirrors: `pkg/kubelet/prober/worker.go` and `prober.go`: a probe runs every `periodSeconds`
//! (default 10) once `initialDelaySeconds` have passed since the container started; its result
//! flips only after `failureThreshold` (default 3) failures or `successThreshold` (default 1)
//! successes in a row. Initial results as upstream: liveness Success, readiness Failure, startup
//! Unknown. Liveness and readiness wait until the startup probe (if any) has succeeded.
//! Simplified: the simulated apps answer at once, so `timeoutSeconds` is parsed but never hit;
//! no jitter on the first probe (upstream waits a random part of the period).

use serde_json::Value;

use crate::sim::clock::{seconds_to_ticks, Ticks};

use super::cri::ProbeAction;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

impl ProbeKind {
    /// `Liveness`, as the `Unhealthy` event words it (`Liveness probe failed: ...`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::Liveness => "Liveness",
            ProbeKind::Readiness => "Readiness",
            ProbeKind::Startup => "Startup",
        }
    }

    /// The field of the container spec: `livenessProbe`.
    pub fn field(self) -> &'static str {
        match self {
            ProbeKind::Liveness => "livenessProbe",
            ProbeKind::Readiness => "readinessProbe",
            ProbeKind::Startup => "startupProbe",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeResult {
    Success,
    Failure,
    Unknown,
}

/// A probe as the pod spec declares it, with upstream's defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeSpec {
    pub action: ProbeAction,
    pub initial_delay_ticks: Ticks,
    pub period_ticks: Ticks,
    pub timeout_seconds: u64,
    pub success_threshold: u32,
    pub failure_threshold: u32,
}

fn port_of(value: Option<&Value>, container: &Value) -> Option<u16> {
    match value? {
        Value::Number(n) => n.as_u64().and_then(|p| u16::try_from(p).ok()),
        // A named port: look it up in the container's ports.
        Value::String(name) => container
            .get("ports")
            .and_then(Value::as_array)?
            .iter()
            .find(|p| p.get("name").and_then(Value::as_str) == Some(name.as_str()))
            .and_then(|p| p.get("containerPort"))
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok()),
        _ => None,
    }
}

/// Reads `container.<kind>Probe`; None when absent or without a handler the sandbox knows.
pub fn parse_probe(container: &Value, kind: ProbeKind) -> Option<ProbeSpec> {
    let probe = container.get(kind.field())?;
    let action = if let Some(http) = probe.get("httpGet") {
        ProbeAction::HttpGet {
            port: port_of(http.get("port"), container)?,
            path: http
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or("/")
                .to_string(),
        }
    } else if let Some(tcp) = probe.get("tcpSocket") {
        ProbeAction::TcpSocket {
            port: port_of(tcp.get("port"), container)?,
        }
    } else if let Some(exec) = probe.get("exec") {
        ProbeAction::Exec {
            command: exec
                .get("command")
                .and_then(Value::as_array)
                .map(|c| {
                    c.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
        }
    } else {
        return None;
    };
    let number = |field: &str, default: u64, min: u64| {
        probe
            .get(field)
            .and_then(Value::as_u64)
            .unwrap_or(default)
            .max(min)
    };
    Some(ProbeSpec {
        action,
        initial_delay_ticks: seconds_to_ticks(number("initialDelaySeconds", 0, 0)),
        period_ticks: seconds_to_ticks(number("periodSeconds", 10, 1)),
        timeout_seconds: number("timeoutSeconds", 1, 1),
        success_threshold: number("successThreshold", 1, 1).min(u32::MAX as u64) as u32,
        failure_threshold: number("failureThreshold", 3, 1).min(u32::MAX as u64) as u32,
    })
}

/// One probe of one container. See the module doc.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeWorker {
    pub kind: ProbeKind,
    pub spec: ProbeSpec,
    pub result: ProbeResult,
    successes_in_a_row: u32,
    failures_in_a_row: u32,
    /// When the next probe runs; None while the container is not running.
    next_due_ticks: Option<Ticks>,
}

impl ProbeWorker {
    pub fn new(kind: ProbeKind, spec: ProbeSpec) -> Self {
        ProbeWorker {
            kind,
            spec,
            result: Self::initial(kind),
            successes_in_a_row: 0,
            failures_in_a_row: 0,
            next_due_ticks: None,
        }
    }

    fn initial(kind: ProbeKind) -> ProbeResult {
        match kind {
            ProbeKind::Liveness => ProbeResult::Success,
            ProbeKind::Readiness => ProbeResult::Failure,
            ProbeKind::Startup => ProbeResult::Unknown,
        }
    }

    /// The container (re)started at `started_ticks`: results start over, the first probe runs
    /// once the initial delay has passed.
    pub fn container_started(&mut self, started_ticks: Ticks) {
        self.result = Self::initial(self.kind);
        self.successes_in_a_row = 0;
        self.failures_in_a_row = 0;
        self.next_due_ticks = Some(started_ticks + self.spec.initial_delay_ticks);
    }

    /// The container stopped: no probes until it starts again.
    pub fn container_stopped(&mut self) {
        self.next_due_ticks = None;
        if self.kind == ProbeKind::Readiness {
            self.result = ProbeResult::Failure;
        }
    }

    pub fn next_due_ticks(&self) -> Option<Ticks> {
        self.next_due_ticks
    }

    pub fn due(&self, now: Ticks) -> bool {
        self.next_due_ticks.is_some_and(|d| d <= now)
    }

    /// Records one probe run at `now`; returns the new result when it flipped.
    pub fn record(&mut self, ok: bool, now: Ticks) -> Option<ProbeResult> {
        self.next_due_ticks = Some(now + self.spec.period_ticks);
        let before = self.result;
        if ok {
            self.failures_in_a_row = 0;
            self.successes_in_a_row = self.successes_in_a_row.saturating_add(1);
            if self.successes_in_a_row >= self.spec.success_threshold {
                self.result = ProbeResult::Success;
            }
        } else {
            self.successes_in_a_row = 0;
            self.failures_in_a_row = self.failures_in_a_row.saturating_add(1);
            if self.failures_in_a_row >= self.spec.failure_threshold {
                self.result = ProbeResult::Failure;
            }
        }
        (self.result != before).then_some(self.result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn liveness(extra: Value) -> ProbeWorker {
        let mut probe = json!({"httpGet": {"path": "/healthz", "port": "http"}});
        if let (Value::Object(p), Value::Object(e)) = (&mut probe, extra) {
            p.extend(e);
        }
        let container = json!({"name": "web", "ports": [{"name": "http", "containerPort": 8080}],
                               "livenessProbe": probe});
        ProbeWorker::new(
            ProbeKind::Liveness,
            parse_probe(&container, ProbeKind::Liveness).unwrap(),
        )
    }

    #[test]
    fn defaults_are_upstreams_and_named_ports_resolve() {
        let w = liveness(json!({}));
        assert_eq!(
            w.spec.action,
            ProbeAction::HttpGet {
                port: 8080,
                path: "/healthz".into()
            }
        );
        assert_eq!(
            (
                w.spec.period_ticks,
                w.spec.failure_threshold,
                w.spec.success_threshold
            ),
            (10_000, 3, 1)
        );
    }

    #[test]
    fn liveness_fails_only_after_three_failures_in_a_row() {
        let mut w = liveness(json!({"initialDelaySeconds": 5}));
        w.container_started(1_000);
        assert!(!w.due(5_999));
        assert!(w.due(6_000));
        assert_eq!(w.record(false, 6_000), None);
        assert_eq!(w.record(true, 16_000), None);
        assert_eq!(w.record(false, 26_000), None);
        assert_eq!(w.record(false, 36_000), None);
        assert_eq!(w.record(false, 46_000), Some(ProbeResult::Failure));
        assert_eq!(w.next_due_ticks(), Some(56_000));
    }

    #[test]
    fn readiness_starts_failed_and_needs_its_success_threshold() {
        let container = json!({"name": "web", "readinessProbe":
            {"tcpSocket": {"port": 80}, "successThreshold": 2, "periodSeconds": 5}});
        let mut w = ProbeWorker::new(
            ProbeKind::Readiness,
            parse_probe(&container, ProbeKind::Readiness).unwrap(),
        );
        w.container_started(0);
        assert_eq!(w.result, ProbeResult::Failure);
        assert_eq!(w.record(true, 0), None);
        assert_eq!(w.record(true, 5_000), Some(ProbeResult::Success));
        w.container_stopped();
        assert_eq!(w.result, ProbeResult::Failure);
        assert!(!w.due(u64::MAX));
    }

    #[test]
    fn a_probe_without_a_usable_handler_is_ignored() {
        for container in [
            json!({"livenessProbe": {"httpGet": {"port": "nosuch"}}}),
            json!({"livenessProbe": {"grpc": {"port": 9000}}}),
            json!({"livenessProbe": "yes"}),
            json!({}),
        ] {
            assert_eq!(parse_probe(&container, ProbeKind::Liveness), None);
        }
    }
}

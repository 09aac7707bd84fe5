//! `kubectl get events`: building a core/v1 Event about an object, to record it through the
//! apiserver like any other write.
//!
//! Mirrors: `k8s.io/client-go/tools/record` (the event recorder: name `<object>.<hex nanos>`,
//! source component and host, first/last timestamp, count).
//! Simplified: no client-side aggregation or spam filtering; each call is a new Event with count 1.

use serde_json::{json, Value};

use super::request::{ApiRequest, Credentials, Verb};
use crate::sim::clock::{Clock, TICKS_PER_SECOND};
use crate::sim::component::EventsNamed;
use crate::sim::rng::Rng;

/// `Normal` or `Warning`, as `kubectl get events` shows in its TYPE column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// What an event says and who says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventSpec<'a> {
    pub event_type: EventType,
    /// `Scheduled`, `SuccessfulCreate`, `Pulling`: upstream's reasons.
    pub reason: &'a str,
    pub message: &'a str,
    /// `default-scheduler`, `kubelet`, `replicaset-controller`.
    pub component: &'a str,
    /// The node the component runs on; empty for controllers (upstream leaves it empty too).
    pub host: &'a str,
}

/// Builds an Event about `involved` (a stored object with apiVersion, kind and metadata).
pub fn build_event(
    involved: &Value,
    spec: &EventSpec,
    clock: &Clock,
    rng: &mut Rng,
    named: &mut EventsNamed,
) -> Value {
    let text = |pointer: &str| {
        involved
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let name = text("/metadata/name");
    let namespace = match text("/metadata/namespace") {
        ns if ns.is_empty() => "default".to_string(),
        ns => ns,
    };
    // Upstream names events `<object>.<UnixNano in hex>`; our clock has milliseconds, so the
    // sub-millisecond digits are the event's place in its millisecond (events list in the order
    // they happened, as upstream's do), then a few from the RNG (names look like upstream's).
    let millis = clock.unix_seconds() as u64 * TICKS_PER_SECOND + clock.now() % TICKS_PER_SECOND;
    let place = named.next(clock.now()).min(999);
    let nanos = millis * 1_000_000 + place * 1_000 + rng.below(1_000);
    let now = clock.rfc3339();
    json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": format!("{name}.{nanos:x}"), "namespace": namespace},
        "involvedObject": {
            "apiVersion": text("/apiVersion"),
            "kind": text("/kind"),
            "name": name,
            "namespace": text("/metadata/namespace"),
            "uid": text("/metadata/uid"),
            "resourceVersion": text("/metadata/resourceVersion"),
        },
        "reason": spec.reason,
        "message": spec.message,
        "source": {"component": spec.component, "host": spec.host},
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
        "type": spec.event_type.as_str(),
        "eventTime": null,
        "reportingComponent": spec.component,
        "reportingInstance": spec.host,
    })
}

/// The create request that records `event` (as built by [`build_event`]).
pub fn record_request(credentials: Credentials, event: Value) -> ApiRequest {
    let namespace = event
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default")
        .to_string();
    ApiRequest::new(credentials, Verb::Create, "events")
        .namespace(namespace)
        .body(event)
}

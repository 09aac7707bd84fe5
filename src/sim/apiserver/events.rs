//! `kubectl get events`: building a core/v1 Event about an object, to record it through the
//! apiserver like any other write.
//!
//! Mirrors: `k8s.io/client-go/tools/record` (the event recorder: name `<object>.<hex nanos>`,
//! source component and host, first/last timestamp, count), and its `EventCorrelator`: an event
//! a component already recorded (same object, type, reason, message and source) is not created
//! again but patched, `count` up by one and a new `lastTimestamp`, which `kubectl describe`
//! prints as `70s (x4 over 2m23s)`.
//! Simplified: no aggregation of similar events with different messages ("combined from
//! similar events") and no spam filter's token bucket; the cache is cleared, not LRU-evicted,
//! when it reaches upstream's 4096 entries.

use crate::sim::api::JsonPointer;
use serde_json::{json, Value};

use std::collections::BTreeMap;

use super::request::{ApiRequest, Credentials, PatchType, Verb};
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
            .ptr(pointer)
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
    crate::sim::api::json_text(
        r#"{
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "${event}", "namespace": "${namespace}"},
        "involvedObject": {
            "apiVersion": "${apiVersion}", "kind": "${kind}", "name": "${name}",
            "namespace": "${involvedNamespace}", "uid": "${uid}",
            "resourceVersion": "${resourceVersion}"
        },
        "reason": "${reason}", "message": "${message}",
        "source": {"component": "${component}", "host": "${host}"},
        "firstTimestamp": "${now}", "lastTimestamp": "${now}",
        "count": 1, "type": "${type}", "eventTime": null,
        "reportingComponent": "${component}", "reportingInstance": "${host}"
    }"#,
        &[
            ("event", &format!("{name}.{nanos:x}")),
            ("namespace", &namespace),
            ("apiVersion", &text("/apiVersion")),
            ("kind", &text("/kind")),
            ("name", &name),
            ("involvedNamespace", &text("/metadata/namespace")),
            ("uid", &text("/metadata/uid")),
            ("resourceVersion", &text("/metadata/resourceVersion")),
            ("reason", spec.reason),
            ("message", spec.message),
            ("component", spec.component),
            ("host", spec.host),
            ("now", &now),
            ("type", spec.event_type.as_str()),
        ],
    )
}

/// The create request that records `event` (as built by [`build_event`]).
pub fn record_request(credentials: Credentials, event: Value) -> ApiRequest {
    let namespace = event
        .ptr("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default")
        .to_string();
    ApiRequest::new(credentials, Verb::Create, "events")
        .namespace(namespace)
        .body(event)
}

/// One component's memory of the events it recorded, as client-go's `EventCorrelator` keeps in
/// each process: a repeat becomes a patch of the first Event.
#[derive(Clone, Debug, Default)]
pub struct EventCorrelator {
    /// Correlation key → (namespace, name, count) of the Event already stored.
    seen: BTreeMap<String, (String, String, i64)>,
}

/// Upstream's `maxLruCacheEntries`.
const MAX_CACHED_EVENTS: usize = 4096;

impl EventCorrelator {
    /// None for a request to send as it is; for an Event this component already recorded, the
    /// merge patch of that Event's `count` and `lastTimestamp` to send instead.
    pub fn correlate(&mut self, request: &ApiRequest) -> Option<ApiRequest> {
        if request.verb != Verb::Create || request.resource != "events" {
            return None;
        }
        let body = request.body.as_ref()?;
        let key = correlation_key(body);
        let text = |pointer: &str| {
            body.ptr(pointer)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        if let Some((namespace, name, count)) = self.seen.get_mut(&key) {
            *count += 1;
            let patch = json!({"count": *count, "lastTimestamp": text("/lastTimestamp")});
            return Some(
                ApiRequest::new(request.credentials.clone(), Verb::Patch, "events")
                    .namespace(namespace.clone())
                    .name(name.clone())
                    .patch(PatchType::StrategicMerge, patch),
            );
        }
        if self.seen.len() >= MAX_CACHED_EVENTS {
            self.seen.clear();
        }
        let namespace = request.namespace.clone().unwrap_or_default();
        self.seen
            .insert(key, (namespace, text("/metadata/name"), 1));
        None
    }

    /// The apiserver refused a request: when it was a repeat whose Event is gone (its namespace
    /// deleted, say), forget it, so the next repeat creates the Event again.
    pub fn refused(&mut self, request: &ApiRequest) {
        if request.resource != "events" {
            return;
        }
        let name = request.name.as_deref().unwrap_or_else(|| {
            request
                .body
                .as_ref()
                .and_then(|b| b.ptr("/metadata/name"))
                .and_then(Value::as_str)
                .unwrap_or("")
        });
        self.seen.retain(|_, (_, n, _)| n != name);
    }
}

/// What makes two events the same for upstream's `getEventKey`: source, involved object,
/// type, reason and message.
fn correlation_key(event: &Value) -> String {
    let paths = [
        "/source/component",
        "/source/host",
        "/involvedObject/kind",
        "/involvedObject/namespace",
        "/involvedObject/name",
        "/involvedObject/fieldPath",
        "/involvedObject/uid",
        "/involvedObject/apiVersion",
        "/type",
        "/reason",
        "/message",
    ];
    paths
        .iter()
        .map(|p| event.ptr(p).and_then(Value::as_str).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\u{0}")
}

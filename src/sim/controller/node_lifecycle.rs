//! Node health: heartbeats (Leases and node status) → the Ready condition → taints → evictions.
//!
//! Mirrors: `pkg/controller/nodelifecycle/node_lifecycle_controller.go` (`monitorNodeHealth`
//! every `--node-monitor-period` 5 s; a node whose kubelet has not renewed its Lease in
//! `kube-node-lease` nor posted status for `--node-monitor-grace-period` 40 s gets every
//! condition set to `Unknown` with reason `NodeStatusUnknown` and message
//! `Kubelet stopped posting node status.`; `MarkPodsNotReady`; the taints
//! `node.kubernetes.io/unreachable` / `node.kubernetes.io/not-ready` with effects NoExecute and
//! NoSchedule, removed when the node is Ready again) and `pkg/controller/tainteviction`
//! (`taint-eviction-controller`: a pod on a NoExecute-tainted node is deleted at once if it does
//! not tolerate the taint, or after the smallest `tolerationSeconds` of its matching tolerations,
//! with the Event `TaintManagerEviction` `Marking for deletion Pod <ns>/<name>`).
//! Simplified: no zone states or eviction rate limits (`--node-eviction-rate`), no
//! `NodeNotReady` pod events; the heartbeat time is when this controller *saw* a change (as
//! upstream's probe timestamp), counted in ticks.

use crate::sim::api::JsonPointer;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::controller_utils::{is_being_deleted, key_of, node_name};
use super::{credentials, event, merge_patch, status_patch};
use crate::sim::apiserver::events::EventType;
use crate::sim::apiserver::Credentials;
use crate::sim::clock::{seconds_to_ticks, Ticks};
use crate::sim::component::{Component, Context, Decision, ObjectEvent, Reconcile};
use crate::sim::trace::{Actor, ObjectRef, Seq, WatchEventType};

pub const NODE_MONITOR_PERIOD_TICKS: Ticks = seconds_to_ticks(5);
pub const NODE_MONITOR_GRACE_PERIOD_TICKS: Ticks = seconds_to_ticks(40);
pub const UNREACHABLE_TAINT: &str = "node.kubernetes.io/unreachable";
pub const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";
pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";

#[derive(Default)]
pub struct NodeLifecycleController {
    /// Per node: the tick this controller last saw a heartbeat (probe timestamp), and what the
    /// heartbeat looked like (lease renewTime, Ready's lastHeartbeatTime).
    probes: BTreeMap<String, Box<Probe>>,
    /// Nodes with news to look at, with the delivery that brought it.
    dirty: BTreeMap<String, Seq>,
    last_cause: Option<Seq>,
}

#[derive(Clone, Debug, Default)]
struct Probe {
    seen_ticks: Option<Ticks>,
    renew_time: String,
    heartbeat: String,
    /// A change was observed since the last reconcile: stamp it with the reconcile's time.
    fresh: bool,
}

impl NodeLifecycleController {
    pub fn new() -> Self {
        NodeLifecycleController::default()
    }
}

fn ready_condition(node: &Value) -> Option<&Value> {
    node.ptr("/status/conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
}

fn ready_status(node: &Value) -> &str {
    ready_condition(node)
        .and_then(|c| c.get("status"))
        .and_then(Value::as_str)
        .unwrap_or("Unknown")
}

pub fn taints(node: &Value) -> Vec<Value> {
    node.ptr("/spec/taints")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The taints the Ready condition calls for (`taint nodes by condition` + the NoExecute ones).
pub fn desired_health_taints(ready: &str, now_rfc3339: &str) -> Vec<Value> {
    let key = match ready {
        "True" => return Vec::new(),
        "False" => NOT_READY_TAINT,
        _ => UNREACHABLE_TAINT,
    };
    vec![
        json!({"key": key, "effect": "NoSchedule"}),
        json!({"key": key, "effect": "NoExecute", "timeAdded": now_rfc3339}),
    ]
}

fn is_health_taint(t: &Value) -> bool {
    matches!(
        t.get("key").and_then(Value::as_str),
        Some(UNREACHABLE_TAINT | NOT_READY_TAINT)
    )
}

fn same_taint(a: &Value, b: &Value) -> bool {
    a.get("key") == b.get("key") && a.get("effect") == b.get("effect")
}

impl Component for NodeLifecycleController {
    fn name(&self) -> String {
        "node-lifecycle-controller".to_string()
    }

    fn actor(&self) -> Actor {
        Actor::controller(&self.name())
    }

    fn credentials(&self) -> Credentials {
        credentials()
    }

    fn watches(&self) -> Vec<&'static str> {
        vec!["nodes", "leases"]
    }

    fn observe(&mut self, ev: &ObjectEvent) {
        self.last_cause = Some(ev.seq);
        match ev.resource {
            "leases" if ev.namespace() == Some(NODE_LEASE_NAMESPACE) => {
                let node = ev.name().to_string();
                if ev.event == WatchEventType::Deleted {
                    return;
                }
                let renew = ev
                    .object
                    .ptr("/spec/renewTime")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let probe = self.probes.entry(node.clone()).or_default();
                // `Added` is a first sight (creation, or the re-list after a restart): upstream
                // starts a node's probe timestamp then, so a restarted controller-manager gives
                // every node a fresh grace period.
                if probe.renew_time != renew
                    || probe.seen_ticks.is_none()
                    || ev.event == WatchEventType::Added
                {
                    probe.renew_time = renew;
                    probe.fresh = true;
                }
                self.dirty.insert(node, ev.seq);
            }
            "nodes" => {
                let node = ev.name().to_string();
                if ev.event == WatchEventType::Deleted {
                    self.probes.remove(&node);
                    self.dirty.remove(&node);
                    return;
                }
                let heartbeat = ready_condition(&ev.object)
                    .and_then(|c| c.get("lastHeartbeatTime"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let probe = self.probes.entry(node.clone()).or_default();
                if probe.heartbeat != heartbeat
                    || probe.seen_ticks.is_none()
                    || ev.event == WatchEventType::Added
                {
                    probe.heartbeat = heartbeat;
                    probe.fresh = true;
                }
                self.dirty.insert(node, ev.seq);
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let mut out = Reconcile::default();
        let now = ctx.now;
        for probe in self.probes.values_mut() {
            if probe.fresh {
                probe.seen_ticks = Some(now);
                probe.fresh = false;
            }
        }
        let dirty = std::mem::take(&mut self.dirty);
        let rfc = ctx.clock.rfc3339();
        // monitorNodeHealth looks at every node each period, not only the ones with news.
        let nodes: Vec<String> = self.probes.keys().cloned().collect();
        for node_name in nodes {
            let Some(node) = ctx.lister.get("nodes", None, &node_name) else {
                continue;
            };
            let cause = dirty.get(&node_name).copied().or(self.last_cause);
            let about = ObjectRef::of("nodes", &node)
                .unwrap_or_else(|| ObjectRef::new("nodes", None, &node_name));
            let seen = self.probes[&node_name].seen_ticks.unwrap_or(now);
            let silent_ticks = now.saturating_sub(seen);
            let mut ready = ready_status(&node).to_string();
            if silent_ticks >= NODE_MONITOR_GRACE_PERIOD_TICKS && ready != "Unknown" {
                // Kubelet stopped posting node status: every condition becomes Unknown.
                let conditions: Vec<Value> = node
                    .ptr("/status/conditions")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|mut c| {
                        c["status"] = json!("Unknown");
                        c["reason"] = json!("NodeStatusUnknown");
                        c["message"] = json!("Kubelet stopped posting node status.");
                        c["lastTransitionTime"] = json!(rfc);
                        c
                    })
                    .collect();
                let mut d = Decision::new(
                    "NodeNotReady",
                    format!(
                        "node {node_name}: no heartbeat for {} s (grace period {} s): Ready {ready} → Unknown",
                        silent_ticks / 1000,
                        NODE_MONITOR_GRACE_PERIOD_TICKS / 1000
                    ),
                )
                .about(about.clone())
                .action(status_patch("nodes", &node, json!({"conditions": conditions})))
                .action(event(
                    ctx,
                    &node,
                    EventType::Normal,
                    "NodeNotReady",
                    &format!("Node {node_name} status is now: NodeNotReady"),
                    "node-controller",
                ));
                if let Some(c) = cause {
                    d = d.caused_by(c);
                }
                // MarkPodsNotReady: the pods there can no longer be trusted to serve.
                for pod in ctx.lister.list("pods", None) {
                    if node_name_of(&pod) != node_name || is_being_deleted(&pod) {
                        continue;
                    }
                    let Some(conditions) = pod.ptr("/status/conditions").and_then(Value::as_array)
                    else {
                        continue;
                    };
                    if !conditions
                        .iter()
                        .any(|c| c["type"] == json!("Ready") && c["status"] == json!("True"))
                    {
                        continue;
                    }
                    let conditions: Vec<Value> = conditions
                        .iter()
                        .cloned()
                        .map(|mut c| {
                            if c["type"] == json!("Ready") {
                                c["status"] = json!("False");
                                c["lastTransitionTime"] = json!(rfc);
                            }
                            c
                        })
                        .collect();
                    d.actions.push(status_patch(
                        "pods",
                        &pod,
                        json!({"conditions": conditions}),
                    ));
                }
                out.decisions.push(d);
                ready = "Unknown".to_string();
            }
            // Taints follow the Ready condition.
            let current = taints(&node);
            let wanted = desired_health_taints(&ready, &rfc);
            let mut next: Vec<Value> = current
                .iter()
                .filter(|t| !is_health_taint(t) || wanted.iter().any(|w| same_taint(w, t)))
                .cloned()
                .collect();
            for w in &wanted {
                if !next.iter().any(|t| same_taint(t, w)) {
                    next.push(w.clone());
                }
            }
            if next != current {
                let keys: BTreeSet<String> = wanted
                    .iter()
                    .map(|t| {
                        format!(
                            "{}:{}",
                            t["key"].as_str().unwrap_or(""),
                            t["effect"].as_str().unwrap_or("")
                        )
                    })
                    .collect();
                let message = if wanted.is_empty() {
                    format!("node {node_name}: Ready is True again: removing the health taints")
                } else {
                    format!("node {node_name}: Ready is {ready}: tainting {keys:?}")
                };
                let mut d = Decision::new("NodeTaints", message)
                    .about(about.clone())
                    .action(merge_patch(
                        "nodes",
                        &node,
                        json!({"spec": {"taints": next}}),
                    ));
                if let Some(c) = cause {
                    d = d.caused_by(c);
                }
                out.decisions.push(d);
            }
        }
        if !self.probes.is_empty() {
            out.requeue_after = Some(NODE_MONITOR_PERIOD_TICKS);
        }
        out
    }
}

fn node_name_of(pod: &Value) -> &str {
    node_name(pod)
}

/// Does `toleration` tolerate `taint` (`v1.Toleration.ToleratesTaint`)?
pub fn tolerates(toleration: &Value, taint: &Value) -> bool {
    let s = |v: &Value, f: &str| v.get(f).and_then(Value::as_str).unwrap_or("").to_string();
    let effect = s(toleration, "effect");
    if !effect.is_empty() && effect != s(taint, "effect") {
        return false;
    }
    let key = s(toleration, "key");
    if !key.is_empty() && key != s(taint, "key") {
        return false;
    }
    match s(toleration, "operator").as_str() {
        "Exists" => true,
        "" | "Equal" => s(toleration, "value") == s(taint, "value"),
        _ => false,
    }
}

/// When a pod on a node with these NoExecute taints must go: `Some(0)` now, `Some(s)` after s
/// seconds, `None` never (`getMinTolerationTime` over the matching tolerations).
pub fn eviction_delay_seconds(pod: &Value, no_execute: &[Value]) -> Option<i64> {
    if no_execute.is_empty() {
        return None;
    }
    let tolerations = pod
        .ptr("/spec/tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut min: Option<i64> = None;
    for taint in no_execute {
        let matching: Vec<&Value> = tolerations.iter().filter(|t| tolerates(t, taint)).collect();
        if matching.is_empty() {
            return Some(0);
        }
        for t in matching {
            if let Some(secs) = t.get("tolerationSeconds").and_then(Value::as_i64) {
                let secs = secs.max(0);
                min = Some(min.map_or(secs, |m: i64| m.min(secs)));
            }
        }
    }
    min
}

/// The taint-eviction controller (the NoExecute taint manager).
#[derive(Default)]
pub struct TaintEvictionController {
    /// Per node: when each NoExecute taint was first seen (ticks).
    taint_seen: BTreeMap<String, BTreeMap<String, Ticks>>,
    dirty: BTreeMap<String, Seq>,
    /// Pods already marked for deletion, so each gets one Event.
    evicted: BTreeSet<String>,
    /// Pending evictions: pod key → due tick.
    scheduled: BTreeMap<String, Ticks>,
    last_cause: Option<Seq>,
}

impl TaintEvictionController {
    pub fn new() -> Self {
        TaintEvictionController::default()
    }
}

impl Component for TaintEvictionController {
    fn name(&self) -> String {
        "taint-eviction-controller".to_string()
    }

    fn actor(&self) -> Actor {
        Actor::controller(&self.name())
    }

    fn credentials(&self) -> Credentials {
        credentials()
    }

    fn watches(&self) -> Vec<&'static str> {
        vec!["nodes", "pods"]
    }

    fn observe(&mut self, ev: &ObjectEvent) {
        self.last_cause = Some(ev.seq);
        match ev.resource {
            "nodes" => {
                self.dirty.insert(ev.name().to_string(), ev.seq);
            }
            "pods" => {
                if ev.event == WatchEventType::Deleted {
                    let key = key_of(&ev.object);
                    self.evicted.remove(&key);
                    self.scheduled.remove(&key);
                }
                let node = node_name(&ev.object);
                if !node.is_empty() {
                    self.dirty.insert(node.to_string(), ev.seq);
                }
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let mut out = Reconcile::default();
        let now = ctx.now;
        let mut nodes: BTreeMap<String, Option<Seq>> = std::mem::take(&mut self.dirty)
            .into_iter()
            .map(|(k, v)| (k, Some(v)))
            .collect();
        // Nodes with evictions due also need a look.
        for node in self.taint_seen.keys() {
            nodes.entry(node.clone()).or_insert(self.last_cause);
        }
        let mut all_pods: Option<Vec<Value>> = None;
        for (node_name, cause) in nodes {
            let Some(node) = ctx.lister.get("nodes", None, &node_name) else {
                self.taint_seen.remove(&node_name);
                continue;
            };
            let no_execute: Vec<Value> = taints(&node)
                .into_iter()
                .filter(|t| t.get("effect").and_then(Value::as_str) == Some("NoExecute"))
                .collect();
            let seen = self.taint_seen.entry(node_name.clone()).or_default();
            seen.retain(|k, _| no_execute.iter().any(|t| taint_id(t) == *k));
            for t in &no_execute {
                seen.entry(taint_id(t)).or_insert(now);
            }
            let tainted_since = seen.values().copied().max().unwrap_or(now);
            if no_execute.is_empty() {
                self.taint_seen.remove(&node_name);
                if self.scheduled.is_empty() {
                    // No taint to evict for and no eviction to cancel: no pod needs a look.
                    continue;
                }
            }
            // The reconcile only reads: one list serves every node.
            let pods = all_pods.get_or_insert_with(|| ctx.lister.list("pods", None));
            for pod in pods.iter() {
                if node_name_of(pod) != node_name || is_being_deleted(pod) {
                    continue;
                }
                let key = key_of(&pod);
                let Some(delay) = eviction_delay_seconds(&pod, &no_execute) else {
                    if self.scheduled.remove(&key).is_some() {
                        let mut d = Decision::new(
                            "TaintManagerEviction",
                            format!("pod {key}: the NoExecute taints on {node_name} are gone: eviction cancelled"),
                        )
                        .action(event(
                            ctx,
                            &pod,
                            EventType::Normal,
                            "TaintManagerEviction",
                            &format!("Cancelling deletion of Pod {key}"),
                            "taint-eviction-controller",
                        ));
                        if let Some(c) = cause {
                            d = d.caused_by(c);
                        }
                        out.decisions.push(d);
                    }
                    continue;
                };
                let due = tainted_since + seconds_to_ticks(delay as u64);
                if due > now {
                    self.scheduled.insert(key, due);
                    continue;
                }
                if !self.evicted.insert(key.clone()) {
                    continue;
                }
                self.scheduled.remove(&key);
                let mut d = Decision::new(
                    "TaintManagerEviction",
                    format!(
                        "pod {key} on {node_name}: tolerates the NoExecute taint for {delay} s, tainted {} s ago: deleting",
                        (now - tainted_since) / 1000
                    ),
                )
                .action(super::delete("pods", &pod))
                .action(event(
                    ctx,
                    &pod,
                    EventType::Normal,
                    "TaintManagerEviction",
                    &format!("Marking for deletion Pod {key}"),
                    "taint-eviction-controller",
                ));
                if let Some(c) = cause {
                    d = d.caused_by(c);
                }
                out.decisions.push(d);
            }
        }
        out.requeue_after = self
            .scheduled
            .values()
            .min()
            .map(|due| due.saturating_sub(now).max(1));
        out
    }
}

fn taint_id(t: &Value) -> String {
    format!(
        "{}={}:{}",
        t.get("key").and_then(Value::as_str).unwrap_or(""),
        t.get("value").and_then(Value::as_str).unwrap_or(""),
        t.get("effect").and_then(Value::as_str).unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_waits_for_the_smallest_matching_toleration() {
        let unreachable = json!({"key": UNREACHABLE_TAINT, "effect": "NoExecute"});
        let pod = |tolerations: Value| json!({"spec": {"tolerations": tolerations}});
        let cases = [
            (json!([]), Some(0)),
            (
                json!([{"key": UNREACHABLE_TAINT, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]),
                Some(300),
            ),
            (json!([{"operator": "Exists"}]), None),
            (
                json!([{"key": UNREACHABLE_TAINT, "operator": "Exists", "tolerationSeconds": 30},
                       {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60}]),
                Some(30),
            ),
            (
                json!([{"key": NOT_READY_TAINT, "operator": "Exists"}]),
                Some(0),
            ),
        ];
        for (tolerations, want) in cases {
            assert_eq!(
                eviction_delay_seconds(
                    &pod(tolerations.clone()),
                    std::slice::from_ref(&unreachable)
                ),
                want,
                "{tolerations}"
            );
        }
        assert_eq!(eviction_delay_seconds(&pod(json!([])), &[]), None);
    }

    #[test]
    fn an_unknown_node_gets_both_unreachable_effects_and_a_ready_node_none() {
        let t = desired_health_taints("Unknown", "t");
        assert_eq!(t.len(), 2);
        assert!(t.iter().all(|t| t["key"] == json!(UNREACHABLE_TAINT)));
        assert_eq!(
            desired_health_taints("False", "t")[0]["key"],
            json!(NOT_READY_TAINT)
        );
        assert!(desired_health_taints("True", "t").is_empty());
    }
}

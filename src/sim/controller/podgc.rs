//! PodGC: pods bound to a Node that no longer exists are deleted.
//!
//! Mirrors: `pkg/controller/podgc/gc_controller.go` `gcOrphaned`: a pod whose `spec.nodeName`
//! names a node the informer has not had for `quarantineTime` (40 s) is deleted with grace
//! period 0, so its controller makes a replacement (`kubectl delete node node2` with pods on it).
//! Simplified: looks (at its informers' view, kept from its watches) when a pod or node changes
//! and when a quarantine ends, not every
//! `gcCheckPeriod` (20 s); no `DisruptionTarget` condition patched before the delete; no
//! `gcTerminated` (its threshold, 12500 terminated pods, is never reached in the lab) nor
//! `gcUnscheduledTerminating`.

use std::collections::{BTreeMap, BTreeSet};

use super::controller_utils::{key_of, node_name};
use super::credentials;
use crate::sim::apiserver::request::DeleteOptions;
use crate::sim::apiserver::Credentials;
use crate::sim::clock::{seconds_to_ticks, Ticks};
use crate::sim::component::{Component, Context, Decision, ObjectEvent, Reconcile};
use crate::sim::trace::{Actor, Seq};

/// How long a node must be missing before its pods are orphans (`quarantineTime`).
pub const QUARANTINE_TICKS: Ticks = seconds_to_ticks(40);

#[derive(Default)]
pub struct PodGcController {
    /// Nodes pods are bound to that the informer does not have, and since when (ticks).
    missing_since: BTreeMap<String, Ticks>,
    /// Pods whose delete was sent, so each is deleted once.
    deleted: BTreeSet<String>,
    dirty: Option<Seq>,
    /// The informers' view, kept from the watches: each bound pod's node, by pod key.
    bound: BTreeMap<String, String>,
    nodes: BTreeSet<String>,
}

impl PodGcController {
    pub fn new() -> Self {
        PodGcController::default()
    }
}

impl Component for PodGcController {
    fn name(&self) -> String {
        "pod-garbage-collector".to_string()
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
        let gone = ev.event == crate::sim::trace::WatchEventType::Deleted;
        match ev.resource {
            "nodes" => {
                self.dirty = Some(ev.seq);
                if gone {
                    self.nodes.remove(ev.name());
                } else {
                    self.nodes.insert(ev.name().to_string());
                }
            }
            _ => {
                let node = node_name(&ev.object);
                if node.is_empty() {
                    return;
                }
                // Only a pod bound to a node can be orphaned.
                self.dirty = Some(ev.seq);
                let key = key_of(&ev.object);
                if gone {
                    self.deleted.remove(&key);
                    self.bound.remove(&key);
                } else {
                    self.bound.insert(key, node.to_string());
                }
            }
        }
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let mut out = Reconcile::default();
        let cause = self.dirty.take();
        if cause.is_none() && self.missing_since.is_empty() {
            return out;
        }
        let now = ctx.now;
        let mut orphaned: Vec<(&String, &String)> = Vec::new();
        let mut missing: Vec<&str> = Vec::new();
        for (pod, node) in &self.bound {
            if self.nodes.contains(node) {
                continue;
            }
            orphaned.push((pod, node));
            if !missing.contains(&node.as_str()) {
                missing.push(node);
            }
        }
        let back: Vec<String> = self
            .missing_since
            .keys()
            .filter(|node| !missing.contains(&node.as_str()))
            .cloned()
            .collect();
        for node in back {
            self.missing_since.remove(&node);
        }
        for node in &missing {
            self.missing_since.entry(node.to_string()).or_insert(now);
        }
        for (key, node) in orphaned {
            let due = self.missing_since[node] + QUARANTINE_TICKS;
            if due > now || self.deleted.contains(key) {
                continue;
            }
            self.deleted.insert(key.clone());
            let (ns, name) = key.split_once('/').unwrap_or(("", key));
            let pod = serde_json::json!({"metadata": {"namespace": ns, "name": name}});
            let mut delete = super::delete("pods", &pod);
            delete.delete_options = DeleteOptions {
                grace_period_seconds: Some(0),
                ..DeleteOptions::default()
            };
            let mut d = Decision::new(
                "PodGC",
                format!(
                    "pod {key}: bound to node {node}, which does not exist: deleting (gcOrphaned)"
                ),
            )
            .action(delete);
            if let Some(c) = cause {
                d = d.caused_by(c);
            }
            out.decisions.push(d);
        }
        out.requeue_after = self
            .missing_since
            .values()
            .map(|since| (since + QUARANTINE_TICKS).saturating_sub(now).max(1))
            .min();
        out
    }
}

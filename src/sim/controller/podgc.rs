//! PodGC: pods bound to a Node that no longer exists are deleted.
//!
//! Mirrors: `pkg/controller/podgc/gc_controller.go` `gcOrphaned`: a pod whose `spec.nodeName`
//! names a node the informer has not had for `quarantineTime` (40 s) is deleted with grace
//! period 0, so its controller makes a replacement (`kubectl delete node node2` with pods on it).
//! Simplified: looks when a pod or node changes and when a quarantine ends, not every
//! `gcCheckPeriod` (20 s); no `DisruptionTarget` condition patched before the delete; no
//! `gcTerminated` (its threshold, 12500 terminated pods, is never reached in the lab) nor
//! `gcUnscheduledTerminating`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

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
        // Only a pod bound to a node, or a node that comes or goes, can change what is orphaned.
        if ev.resource == "nodes" || !node_name(&ev.object).is_empty() {
            self.dirty = Some(ev.seq);
        }
        if ev.resource == "pods" && ev.event == crate::sim::trace::WatchEventType::Deleted {
            self.deleted.remove(&key_of(&ev.object));
        }
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let mut out = Reconcile::default();
        let cause = self.dirty.take();
        if cause.is_none() && self.missing_since.is_empty() {
            return out;
        }
        let now = ctx.now;
        // Plain vectors and loops, not `collect` into sets nor `retain`: each of those would
        // link another sort and B-tree instance into the page for three nodes (about 1 KB of
        // gzip, measured).
        let nodes = ctx.lister.list("nodes", None);
        let pods = ctx.lister.list("pods", None);
        let mut orphaned: Vec<&Value> = Vec::new();
        let mut missing: Vec<&str> = Vec::new();
        for pod in pods.iter() {
            let node = node_name(pod);
            if node.is_empty() || nodes.iter().any(|n| crate::sim::api::name(n) == node) {
                continue;
            }
            orphaned.push(pod);
            if !missing.contains(&node) {
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
        for pod in orphaned {
            let node = node_name(pod);
            let due = self.missing_since[node] + QUARANTINE_TICKS;
            let key = key_of(pod);
            if due > now || self.deleted.contains(&key) {
                continue;
            }
            self.deleted.insert(key.clone());
            let mut delete = super::delete("pods", pod);
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

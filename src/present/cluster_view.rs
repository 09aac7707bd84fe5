//! What the page shows of the live cluster: the pods on each VM, as `kubectl get pods -A -o wide`
//! would list them, grouped by node.
//!
//! Reads the store directly (as an informer cache would), so looking at the cluster never adds a
//! request to the trace. The STATUS and READY texts come from kubectl's own printer, so the page
//! and the terminal can never disagree.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::sim::cluster::Cluster;
use crate::sim::component::Lister;
use crate::sim::kubectl::table::{pod_container_counts, pod_status};

/// One pod as a chip on its VM card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodChip {
    pub namespace: String,
    pub name: String,
    /// The STATUS column: `Running`, `ContainerCreating`, `CrashLoopBackOff`, ...
    pub status: String,
    /// The READY column: `1/1`.
    pub ready: String,
    pub health: Health,
}

/// How the chip is coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Running and ready, or Completed.
    Good,
    /// On its way: Pending, ContainerCreating, Init, Terminating, running but not ready.
    Progressing,
    /// Needs the student's attention: back-offs, errors, OOMKilled, Failed.
    Bad,
}

/// The pods the page shows: per node, and the ones no node has yet (Pending, unscheduled).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterView {
    pub pods_by_node: BTreeMap<String, Vec<PodChip>>,
    pub unscheduled: Vec<PodChip>,
}

impl ClusterView {
    pub fn of(cluster: &Cluster) -> ClusterView {
        let mut view = ClusterView::default();
        for pod in Lister::new(cluster.store()).list("pods", None) {
            let chip = chip(&pod);
            match pod.pointer("/spec/nodeName").and_then(Value::as_str) {
                Some(node) if !node.is_empty() => view
                    .pods_by_node
                    .entry(node.to_string())
                    .or_default()
                    .push(chip),
                _ => view.unscheduled.push(chip),
            }
        }
        view
    }

    pub fn pods_on(&self, node: &str) -> &[PodChip] {
        self.pods_by_node
            .get(node)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

fn chip(pod: &Value) -> PodChip {
    let text = |pointer: &str| {
        pod.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let status = pod_status(pod);
    let (ready, total, _restarts) = pod_container_counts(pod);
    PodChip {
        namespace: text("/metadata/namespace"),
        name: text("/metadata/name"),
        health: health(&status, ready, total),
        ready: format!("{ready}/{total}"),
        status,
    }
}

fn health(status: &str, ready: usize, total: usize) -> Health {
    match status {
        "Running" if ready == total => Health::Good,
        "Completed" | "Succeeded" => Health::Good,
        "Running" | "Pending" | "ContainerCreating" | "PodInitializing" | "Terminating" => {
            Health::Progressing
        }
        s if s.starts_with("Init:") && !s.contains("Err") && !s.contains("BackOff") => {
            Health::Progressing
        }
        _ => Health::Bad,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::apiserver::{ApiRequest, Credentials, Verb};
    use crate::sim::lab::Lab;
    use serde_json::json;

    #[test]
    fn a_fresh_lab_shows_the_control_plane_pods_on_master_running() {
        let lab = Lab::boot(1);
        let view = ClusterView::of(&lab.cluster);
        let names: Vec<&str> = view
            .pods_on("master")
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        for expected in [
            "etcd-master",
            "kube-apiserver-master",
            "kube-controller-manager-master",
            "kube-scheduler-master",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        assert!(
            view.pods_on("master")
                .iter()
                .all(|p| p.health == Health::Good),
            "{view:?}"
        );
        assert!(view.unscheduled.is_empty());
    }

    #[test]
    fn a_pod_no_node_has_taken_is_listed_as_unscheduled() {
        let mut lab = Lab::boot(1);
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "waiting", "namespace": "default"},
            "spec": {"nodeSelector": {"gpu": "true"}, "containers": [{"name": "c", "image": "nginx"}]}
        });
        lab.cluster
            .submit(
                ApiRequest::new(Credentials::admin(), Verb::Create, "pods")
                    .namespace("default")
                    .body(pod),
            )
            .expect("the pod is created");
        let view = ClusterView::of(&lab.cluster);
        assert_eq!(view.unscheduled.len(), 1);
        assert_eq!(view.unscheduled[0].status, "Pending");
        assert_eq!(view.unscheduled[0].ready, "0/1");
        assert_eq!(view.unscheduled[0].health, Health::Progressing);
    }

    #[test]
    fn statuses_that_need_attention_are_bad() {
        assert_eq!(health("CrashLoopBackOff", 0, 1), Health::Bad);
        assert_eq!(health("ImagePullBackOff", 0, 1), Health::Bad);
        assert_eq!(health("Init:ErrImagePull", 0, 1), Health::Bad);
        assert_eq!(health("Init:0/1", 0, 1), Health::Progressing);
        assert_eq!(health("Running", 0, 1), Health::Progressing);
        assert_eq!(health("Running", 1, 1), Health::Good);
    }
}

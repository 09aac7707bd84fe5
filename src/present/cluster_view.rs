//! What the page shows of the cluster at one moment: the nodes and the pods on each VM, as
//! `kubectl get nodes` and `kubectl get pods -A -o wide` would list them at that moment.
//!
//! Mirrors: etcd's read at a revision (`etcdctl get --rev`): the scene at the playhead is the store
//! read at the revision the animation has reached, never the live state ahead of it.
//! Reads the store directly (as an informer cache would), so looking at the cluster never adds a
//! request to the trace. The STATUS and READY texts come from kubectl's own printer, so the page
//! and the terminal can never disagree.

use crate::sim::api::JsonPointer;
use std::collections::BTreeMap;

use serde_json::Value;

use crate::sim::apiserver::backend::{KeyValue, RangeRequest, Store};
use crate::sim::apiserver::decode_object;
use crate::sim::cluster::Cluster;
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
    /// The controller that owns it (`ReplicaSet/web-6dc5cd68db`), for grouping a crowded card.
    pub owner: Option<String>,
}

impl PodChip {
    /// `namespace/name`: how the page names a pod (`data-pod`, the panels).
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// How the chip is coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Health {
    /// Running and ready, or Completed.
    Good,
    /// On its way: Pending, ContainerCreating, Init, Terminating, running but not ready.
    Progressing,
    /// Needs the student's attention: back-offs, errors, OOMKilled, Failed.
    Bad,
}

/// A node's Ready condition, as the STATUS column of `kubectl get nodes` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    NotReady,
    /// The condition is `Unknown`: the node-lifecycle controller stopped hearing from it.
    Unknown,
}

impl Readiness {
    /// The value of the page's `data-ready` hook.
    pub fn attr(self) -> &'static str {
        match self {
            Readiness::Ready => "true",
            Readiness::NotReady => "false",
            Readiness::Unknown => "unknown",
        }
    }
}

/// One node as its VM card shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeState {
    pub name: String,
    pub readiness: Readiness,
    /// The Ready condition's reason (`KubeletReady`, `NodeStatusUnknown`).
    pub reason: String,
    /// `kubectl cordon`: spec.unschedulable.
    pub cordoned: bool,
    /// Each taint as `key=value:Effect` (`key:Effect` without a value).
    pub taints: Vec<String>,
    /// The VM is powered off (`vagrant halt`): known from the trace, not the store, so set by the
    /// session.
    pub halted: bool,
}

/// The nodes and pods the page shows: per node, and the ones no node has yet (Pending).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterView {
    /// The store revision this view was read at.
    pub revision: i64,
    pub nodes: BTreeMap<String, NodeState>,
    pub pods_by_node: BTreeMap<String, Vec<PodChip>>,
    pub unscheduled: Vec<PodChip>,
}

/// The decoded objects under a prefix at `revision` (None: the newest). A revision the store has
/// compacted away reads as nothing (the page says how far back it can go).
pub(crate) fn objects_at(store: &Store, prefix: &str, revision: Option<i64>) -> Vec<Value> {
    stored_at(store, prefix, revision)
        .iter()
        .filter_map(decode_object)
        .collect()
}

/// The stored key-values under a prefix at `revision`, as [`objects_at`] reads them.
fn stored_at(store: &Store, prefix: &str, revision: Option<i64>) -> Vec<KeyValue> {
    let mut request = RangeRequest::prefix(prefix);
    if let Some(revision) = revision {
        request = request.at_revision(revision);
    }
    store.range(&request).map(|r| r.kvs).unwrap_or_default()
}

/// The chips made so far, by pod key and the revision it was written at: a stored version of a
/// pod never changes, so its chip is made once, not at every beat the animation plays (a scene
/// at 1,000 pods is otherwise 1,000 JSON decodes per beat).
#[derive(Clone, Debug, Default)]
pub struct ChipCache {
    chips: std::collections::HashMap<(String, i64), (String, PodChip)>,
}

/// Versions of pods kept before the cache starts again: several versions of 1,000 pods.
const CHIPS_KEPT: usize = 16_384;

impl ChipCache {
    /// The pod's node (empty while unscheduled) and chip, for one stored version.
    fn chip(&mut self, kv: &KeyValue) -> Option<(String, PodChip)> {
        let id = (kv.key.clone(), kv.mod_revision);
        if let Some(made) = self.chips.get(&id) {
            return Some(made.clone());
        }
        let pod = decode_object(kv)?;
        let node = pod
            .ptr("/spec/nodeName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let made = (node, chip(&pod));
        if self.chips.len() >= CHIPS_KEPT {
            self.chips.clear();
        }
        self.chips.insert(id, made.clone());
        Some(made)
    }

    /// Makes the chips of at most `budget` pods at store revision `revision` that have none
    /// yet, so that a scene read there after it decodes nothing; true when every pod there has
    /// its chip. (At 1,000 pods a scene decodes 1,000 pods, 40 ms in the page: the page spreads
    /// that over tasks of `budget` pods each.)
    pub fn warm(&mut self, store: &Store, revision: i64, budget: usize) -> bool {
        let mut left = budget;
        for kv in stored_at(store, "/registry/pods/", Some(revision.max(1))) {
            if self.chips.contains_key(&(kv.key.clone(), kv.mod_revision)) {
                continue;
            }
            if left == 0 {
                return false;
            }
            left -= 1;
            self.chip(&kv);
        }
        true
    }

    pub fn len(&self) -> usize {
        self.chips.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chips.is_empty()
    }
}

impl ClusterView {
    /// The live cluster.
    pub fn of(cluster: &Cluster) -> ClusterView {
        ClusterView::read(cluster.store(), None, &mut ChipCache::default())
    }

    /// The cluster as it was at store revision `revision`.
    pub fn at(store: &Store, revision: i64) -> ClusterView {
        ClusterView::at_cached(store, revision, &mut ChipCache::default())
    }

    /// [`ClusterView::at`], with the chips of pod versions already seen taken from `chips`.
    pub fn at_cached(store: &Store, revision: i64, chips: &mut ChipCache) -> ClusterView {
        ClusterView::read(store, Some(revision.max(1)), chips)
    }

    fn read(store: &Store, revision: Option<i64>, chips: &mut ChipCache) -> ClusterView {
        let mut view = ClusterView {
            revision: revision.unwrap_or_else(|| store.revision()),
            ..ClusterView::default()
        };
        for node in objects_at(store, "/registry/minions/", revision) {
            let state = node_state(&node);
            view.nodes.insert(state.name.clone(), state);
        }
        let pods = stored_at(store, "/registry/pods/", revision);
        for (node, chip) in pods.iter().filter_map(|kv| chips.chip(kv)) {
            match node.is_empty() {
                false => view.pods_by_node.entry(node).or_default().push(chip),
                true => view.unscheduled.push(chip),
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

    /// Every pod, wherever it is: `(node or None, chip)`.
    pub fn all_pods(&self) -> impl Iterator<Item = (Option<&str>, &PodChip)> {
        self.pods_by_node
            .iter()
            .flat_map(|(node, pods)| pods.iter().map(move |p| (Some(node.as_str()), p)))
            .chain(self.unscheduled.iter().map(|p| (None, p)))
    }
}

/// Pods of one owner on one card, counted, for a card with more pods than it can show one by one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodGroup {
    /// `ReplicaSet/web-6dc5cd68db`, or the pod's own name when nothing owns it.
    pub owner: String,
    pub count: usize,
    pub good: usize,
    pub progressing: usize,
    pub bad: usize,
}

/// Groups pods by owner, in owner order.
pub fn group_by_owner(pods: &[PodChip]) -> Vec<PodGroup> {
    let mut groups: BTreeMap<String, PodGroup> = BTreeMap::new();
    for pod in pods {
        let owner = pod
            .owner
            .clone()
            .unwrap_or_else(|| format!("Pod/{}", pod.name));
        let group = groups.entry(owner.clone()).or_insert(PodGroup {
            owner,
            count: 0,
            good: 0,
            progressing: 0,
            bad: 0,
        });
        group.count += 1;
        match pod.health {
            Health::Good => group.good += 1,
            Health::Progressing => group.progressing += 1,
            Health::Bad => group.bad += 1,
        }
    }
    groups.into_values().collect()
}

fn node_state(node: &Value) -> NodeState {
    let text = |pointer: &str| {
        node.ptr(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let ready = node
        .ptr("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        });
    let (readiness, reason) = match ready {
        Some(c) => {
            let status = c.get("status").and_then(Value::as_str).unwrap_or("Unknown");
            let reason = c
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let readiness = match status {
                "True" => Readiness::Ready,
                "False" => Readiness::NotReady,
                _ => Readiness::Unknown,
            };
            (readiness, reason)
        }
        None => (Readiness::Unknown, String::new()),
    };
    let taints = node
        .ptr("/spec/taints")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    let key = t.get("key").and_then(Value::as_str).unwrap_or("");
                    let effect = t.get("effect").and_then(Value::as_str).unwrap_or("");
                    match t.get("value").and_then(Value::as_str) {
                        Some(v) if !v.is_empty() => format!("{key}={v}:{effect}"),
                        _ => format!("{key}:{effect}"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    NodeState {
        name: text("/metadata/name"),
        readiness,
        reason,
        cordoned: node
            .ptr("/spec/unschedulable")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        taints,
        halted: false,
    }
}

fn chip(pod: &Value) -> PodChip {
    let text = |pointer: &str| {
        pod.ptr(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let status = pod_status(pod);
    let (ready, total, _restarts) = pod_container_counts(pod);
    let owner = pod.ptr("/metadata/ownerReferences/0").map(|o| {
        format!(
            "{}/{}",
            o.get("kind").and_then(Value::as_str).unwrap_or(""),
            o.get("name").and_then(Value::as_str).unwrap_or("")
        )
    });
    PodChip {
        owner,
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
    fn warming_the_chips_in_parts_makes_every_chip_the_scene_reads() {
        let lab = Lab::boot(1);
        let store = lab.cluster.store();
        let revision = store.revision();
        let mut chips = ChipCache::default();
        assert!(
            !chips.warm(store, revision, 2),
            "a booted lab has more than 2 pods"
        );
        assert_eq!(chips.len(), 2);
        while !chips.warm(store, revision, 2) {}
        let warmed = chips.len();
        let view = ClusterView::at_cached(store, revision, &mut chips);
        assert_eq!(chips.len(), warmed, "the scene decoded nothing more");
        assert_eq!(view, ClusterView::at(store, revision));
    }

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
    fn a_scene_made_with_the_chips_of_earlier_scenes_is_the_scene_read_afresh() {
        let mut lab = Lab::boot(1);
        let before = lab.cluster.store().revision();
        let deployment = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}
        });
        lab.cluster
            .submit(
                ApiRequest::new(Credentials::admin(), Verb::Create, "deployments")
                    .namespace("default")
                    .body(deployment),
            )
            .expect("the deployment is created");
        lab.cluster.run_until_idle(60_000);
        let after = lab.cluster.store().revision();
        let mut chips = ChipCache::default();
        // Forward, as the animation plays, then backward, as a student scrubs.
        let revisions: Vec<i64> = (before..=after).chain((before..=after).rev()).collect();
        let mut statuses = std::collections::BTreeSet::new();
        for revision in revisions {
            let cached = ClusterView::at_cached(lab.cluster.store(), revision, &mut chips);
            assert_eq!(
                cached,
                ClusterView::at(lab.cluster.store(), revision),
                "at {revision}"
            );
            for (_, pod) in cached
                .all_pods()
                .filter(|(_, p)| p.name.starts_with("web-"))
            {
                statuses.insert(pod.status.clone());
            }
        }
        // The web pods went through versions the cache must tell apart.
        assert!(
            statuses.contains("Pending") && statuses.contains("Running"),
            "{statuses:?}"
        );
        assert!(!chips.is_empty());
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

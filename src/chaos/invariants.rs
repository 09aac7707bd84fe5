//! The invariants a fault schedule must not break, each a named function that returns what it
//! found broken, in words a student could check with kubectl.
//!
//! Two kinds:
//! * **always**: must hold after every line of the schedule, faults and all ([`Tracker::check`]):
//!   a pod is bound once and stays on its node; the scheduler never binds a pod onto a taint it
//!   does not tolerate; a node's requests fit its allocatable; store revisions only grow; the
//!   trace stays within its bound; a client's watch sees every change once, in order
//!   ([`PodWatch`]).
//! * **at rest**: must hold once every fault is healed and the lab has settled ([`at_rest`]):
//!   every controller's status counts the pods it owns; Endpoints, EndpointSlices and
//!   kube-proxy's rules list exactly the Ready pods a Service selects; no pod runs on a NoExecute
//!   taint it does not tolerate; every node is registered and Ready; each ResourceQuota's status
//!   counts what its namespace uses.
//!
//! Status counts are only compared at rest because upstream's are eventually consistent too: a
//! controller writes its status after it sees the pods change, never in the same write.

use crate::sim::api::JsonPointer;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::view::{self, int, key, list, text, uid, Taint};
use crate::sim::apiserver::{ApiRequest, Verb};
use crate::sim::cluster::{super_admin, Cluster, WatchHandle};
use crate::sim::lab::LAB_NODES;
use crate::sim::trace::WatchEventType;

/// What the checks remember from one check to the next.
#[derive(Default)]
pub struct Tracker {
    /// Pod uid → (pod, node) from the first check that saw it bound.
    bindings: BTreeMap<String, (String, String)>,
    /// The store's revision at the last check.
    revision: i64,
    /// Each node's NoSchedule and NoExecute taints at the last check.
    taints: BTreeMap<String, BTreeSet<Taint>>,
}

impl Tracker {
    /// Every "always" invariant; also remembers what the next check compares against.
    pub fn check(&mut self, cluster: &Cluster) -> Vec<String> {
        let pods = list(cluster, "pods");
        let nodes = list(cluster, "nodes");
        let mut out = Vec::new();
        out.extend(named(
            "no_pod_is_bound_onto_an_untolerated_taint",
            self.no_pod_is_bound_onto_an_untolerated_taint(&pods, &nodes),
        ));
        out.extend(named(
            "a_pod_is_bound_once_and_never_moves",
            self.a_pod_is_bound_once_and_never_moves(&pods),
        ));
        out.extend(named(
            "store_revisions_only_grow",
            self.store_revisions_only_grow(cluster),
        ));
        out.extend(named(
            "requests_on_a_node_fit_its_allocatable",
            requests_on_a_node_fit_its_allocatable(&pods, &nodes),
        ));
        out.extend(named(
            "the_trace_stays_within_its_bound",
            the_trace_stays_within_its_bound(cluster),
        ));
        out
    }

    /// `spec.nodeName` is written once, by the binding, and never changes; a uid is never reused
    /// for another pod.
    pub fn a_pod_is_bound_once_and_never_moves(&mut self, pods: &[Value]) -> Vec<String> {
        let mut out = Vec::new();
        for pod in pods.iter().filter(|p| !view::node_name(p).is_empty()) {
            let now = (key(pod), view::node_name(pod).to_string());
            match self.bindings.get(uid(pod)) {
                Some(before) if *before != now => out.push(format!(
                    "pod {} (uid {}) was bound to {}, now {} on {}",
                    before.0,
                    uid(pod),
                    before.1,
                    now.0,
                    now.1
                )),
                Some(_) => {}
                None => {
                    self.bindings.insert(uid(pod).to_string(), now);
                }
            }
        }
        out
    }

    /// The scheduler's `TaintToleration` filter: a pod bound since the last check must tolerate
    /// every NoSchedule and NoExecute taint its node had both then and now (a taint present at
    /// both ends was there all along: one line cannot remove and add it again). Mirror pods are
    /// left out: the kubelet writes them bound, no scheduler placed them.
    pub fn no_pod_is_bound_onto_an_untolerated_taint(
        &mut self,
        pods: &[Value],
        nodes: &[Value],
    ) -> Vec<String> {
        let now: BTreeMap<String, BTreeSet<Taint>> = nodes
            .iter()
            .map(|n| {
                let hard = view::taints(n)
                    .into_iter()
                    .filter(|t| matches!(t.effect.as_str(), "NoSchedule" | "NoExecute"))
                    .collect();
                (text(n, "/metadata/name").to_string(), hard)
            })
            .collect();
        let mut out = Vec::new();
        for pod in pods {
            let node = view::node_name(pod);
            if node.is_empty() || view::is_mirror(pod) || self.bindings.contains_key(uid(pod)) {
                continue;
            }
            let (Some(before), Some(after)) = (self.taints.get(node), now.get(node)) else {
                continue;
            };
            for taint in before.intersection(after) {
                if !view::tolerates(pod, taint) {
                    out.push(format!(
                        "pod {} was bound to {node}, whose taint {taint} it does not tolerate",
                        key(pod)
                    ));
                }
            }
        }
        self.taints = now;
        out
    }

    /// The store's revision never goes back; every live key was created no later than it was last
    /// modified, and modified no later than the store's revision; no two live keys share a
    /// modification revision (the apiserver writes one key per transaction).
    pub fn store_revisions_only_grow(&mut self, cluster: &Cluster) -> Vec<String> {
        let store = cluster.store();
        let revision = store.revision();
        let mut out = Vec::new();
        if revision < self.revision {
            out.push(format!(
                "the store's revision went back from {} to {revision}",
                self.revision
            ));
        }
        self.revision = revision;
        let request = crate::sim::apiserver::backend::RangeRequest::prefix("/");
        let Ok(all) = store.range(&request) else {
            out.push("the store refused a range over every key".into());
            return out;
        };
        let mut seen: BTreeMap<i64, &str> = BTreeMap::new();
        for kv in &all.kvs {
            if !(kv.create_revision <= kv.mod_revision && kv.mod_revision <= revision) {
                out.push(format!(
                    "key {}: create_revision {}, mod_revision {}, store revision {revision}",
                    kv.key, kv.create_revision, kv.mod_revision
                ));
            }
            if let Some(other) = seen.insert(kv.mod_revision, &kv.key) {
                out.push(format!(
                    "keys {other} and {} share mod_revision {}",
                    kv.key, kv.mod_revision
                ));
            }
        }
        out
    }
}

/// `NodeResourcesFit`, as the store shows it: the requests of the pods bound to a node that are
/// not terminal sum to no more than its allocatable. Pods being deleted still count: their
/// containers may still run (the scheduler counts them too, until they are gone).
pub fn requests_on_a_node_fit_its_allocatable(pods: &[Value], nodes: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for node in nodes {
        let name = text(node, "/metadata/name");
        let (cpu_allocatable, memory_allocatable) = view::allocatable(node);
        let (cpu, memory) = pods
            .iter()
            .filter(|p| view::node_name(p) == name && !view::terminal(p))
            .map(view::pod_requests)
            .fold((0, 0), |(c, m), (c2, m2)| (c + c2, m + m2));
        if cpu > cpu_allocatable || memory > memory_allocatable {
            out.push(format!(
                "node {name}: pods request {cpu}m CPU and {memory} bytes, allocatable {cpu_allocatable}m and {memory_allocatable} bytes"
            ));
        }
    }
    out
}

/// The trace keeps at most its capacity of events (older ones are dropped).
pub fn the_trace_stays_within_its_bound(cluster: &Cluster) -> Vec<String> {
    let trace = cluster.trace();
    if trace.len() > trace.capacity_events() {
        vec![format!(
            "the trace holds {} events, over its capacity of {}",
            trace.len(),
            trace.capacity_events()
        )]
    } else {
        Vec::new()
    }
}

/// Prefixes each violation with the invariant's name (what [`super::Failure::signature`] reads).
pub fn named(name: &str, violations: Vec<String>) -> Vec<String> {
    violations
        .into_iter()
        .map(|v| format!("{name}: {v}"))
        .collect()
}

// ---- at rest -------------------------------------------------------------------------------

/// Every "at rest" invariant.
pub fn at_rest(cluster: &Cluster) -> Vec<String> {
    let pods = list(cluster, "pods");
    let mut out = Vec::new();
    out.extend(named(
        "every_node_is_registered_and_ready",
        every_node_is_registered_and_ready(cluster),
    ));
    out.extend(named(
        "a_running_pod_is_ready_when_its_containers_are",
        a_running_pod_is_ready_when_its_containers_are(&pods),
    ));
    out.extend(named(
        "replicasets_count_the_pods_they_own",
        replicasets_count_the_pods_they_own(cluster, &pods),
    ));
    out.extend(named(
        "deployments_sum_their_replicasets",
        deployments_sum_their_replicasets(cluster, &pods),
    ));
    out.extend(named(
        "daemonsets_count_the_pods_they_own",
        daemonsets_count_the_pods_they_own(cluster, &pods),
    ));
    out.extend(named(
        "jobs_count_the_pods_they_own",
        jobs_count_the_pods_they_own(cluster, &pods),
    ));
    out.extend(named(
        "cronjobs_list_their_running_jobs_as_active",
        cronjobs_list_their_running_jobs_as_active(cluster),
    ));
    out.extend(named(
        "no_pod_runs_on_an_untolerated_no_execute_taint",
        no_pod_runs_on_an_untolerated_no_execute_taint(&pods, &list(cluster, "nodes")),
    ));
    out.extend(named(
        "endpoints_list_the_ready_pods_a_service_selects",
        endpoints_list_the_ready_pods_a_service_selects(cluster, &pods),
    ));
    out.extend(named(
        "endpoint_slices_list_the_ready_pods_a_service_selects",
        endpoint_slices_list_the_ready_pods_a_service_selects(cluster, &pods),
    ));
    out.extend(named(
        "quotas_count_what_their_namespace_uses",
        quotas_count_what_their_namespace_uses(cluster),
    ));
    out
}

/// `kubectl describe quota` tells the truth: each quota's `status.hard` is its `spec.hard`, and
/// its `status.used` is what the objects of its namespace use now (what admission charged for
/// creates that then failed, and what deleted or finished pods used, is given back).
pub fn quotas_count_what_their_namespace_uses(cluster: &Cluster) -> Vec<String> {
    use crate::sim::api::quota::{calculate_usage, pretty, resource_list, tracks};
    use crate::sim::api::resources::RESOURCES;
    let quotas = list(cluster, "resourcequotas");
    if quotas.is_empty() {
        return Vec::new();
    }
    let all: Vec<(
        &'static crate::sim::api::resources::ResourceInfo,
        Vec<Value>,
    )> = RESOURCES
        .iter()
        .filter(|i| {
            i.namespaced
                && quotas.iter().any(|q| {
                    resource_list(q.ptr("/spec/hard"))
                        .keys()
                        .any(|k| tracks(i, k))
                })
        })
        .map(|i| (i, list(cluster, i.plural)))
        .collect();
    let mut out = Vec::new();
    for q in &quotas {
        let ns = text(q, "/metadata/namespace");
        let hard = resource_list(q.ptr("/spec/hard"));
        let objects = all.iter().flat_map(|(i, objs)| {
            objs.iter()
                .filter(|o| text(o, "/metadata/namespace") == ns)
                .map(move |o| (*i, o))
        });
        let used = calculate_usage(&hard, objects);
        let status_hard = resource_list(q.ptr("/status/hard"));
        let status_used = resource_list(q.ptr("/status/used"));
        if status_hard != hard || status_used != used {
            out.push(format!(
                "resourcequota {}: status says used {} of hard {}, but its namespace uses {} of {}",
                key(q),
                pretty(&status_used),
                pretty(&status_hard),
                pretty(&used),
                pretty(&hard)
            ));
        }
    }
    out
}

/// Every lab VM is a registered Node, and Ready: what every fault did is undone.
pub fn every_node_is_registered_and_ready(cluster: &Cluster) -> Vec<String> {
    let nodes = list(cluster, "nodes");
    LAB_NODES
        .iter()
        .filter_map(
            |name| match nodes.iter().find(|n| text(n, "/metadata/name") == *name) {
                None => Some(format!("node {name} is not registered")),
                Some(n) if !view::condition_true(n, "Ready") => {
                    Some(format!("node {name} is not Ready"))
                }
                Some(_) => None,
            },
        )
        .collect()
}

/// `kubectl get pods` shows `1/1 Running` exactly when the pod's Ready condition is True: the
/// student's two views of one pod agree.
pub fn a_running_pod_is_ready_when_its_containers_are(pods: &[Value]) -> Vec<String> {
    pods.iter()
        .filter(|p| !view::being_deleted(p) && text(p, "/status/phase") == "Running")
        .filter(|p| view::containers_ready(p) != view::ready(p))
        .map(|p| {
            format!(
                "pod {}: containers ready {}, condition Ready {}",
                key(p),
                view::containers_ready(p),
                view::ready(p)
            )
        })
        .collect()
}

/// (active, Ready) pods the owner controls.
fn active_and_ready(pods: &[Value], owner: &Value) -> (i64, i64) {
    let active: Vec<&Value> = view::owned_by(pods, owner)
        .into_iter()
        .filter(|p| view::active(p))
        .collect();
    let ready = active.iter().filter(|p| view::ready(p)).count();
    (active.len() as i64, ready as i64)
}

fn replica_counts(obj: &Value) -> (i64, i64, i64) {
    (
        int(obj, "/status/replicas"),
        int(obj, "/status/readyReplicas"),
        int(obj, "/status/availableReplicas"),
    )
}

/// `calculateStatus`: a ReplicaSet's `replicas` is its active pods, `readyReplicas` and
/// `availableReplicas` (no minReadySeconds here) those of them that are Ready.
pub fn replicasets_count_the_pods_they_own(cluster: &Cluster, pods: &[Value]) -> Vec<String> {
    list(cluster, "replicasets")
        .iter()
        .filter_map(|rs| {
            let (active, ready) = active_and_ready(pods, rs);
            (replica_counts(rs) != (active, ready, ready)).then(|| {
                format!(
                    "replicaset {}: status (replicas, ready, available) {:?}, owns {active} active pods, {ready} Ready",
                    key(rs),
                    replica_counts(rs)
                )
            })
        })
        .collect()
}

/// `calculateStatus` of the Deployment controller: the sums over the ReplicaSets it owns.
pub fn deployments_sum_their_replicasets(cluster: &Cluster, pods: &[Value]) -> Vec<String> {
    let rss = list(cluster, "replicasets");
    list(cluster, "deployments")
        .iter()
        .filter_map(|d| {
            let (active, ready) = view::owned_by(&rss, d)
                .into_iter()
                .map(|rs| active_and_ready(pods, rs))
                .fold((0, 0), |(a, r), (a2, r2)| (a + a2, r + r2));
            (replica_counts(d) != (active, ready, ready)).then(|| {
                format!(
                    "deployment {}: status (replicas, ready, available) {:?}, owns {active} active pods, {ready} Ready",
                    key(d),
                    replica_counts(d)
                )
            })
        })
        .collect()
}

/// `updateDaemonSetStatus`, at rest: one active pod per node that runs it, so
/// `currentNumberScheduled` is the active pods, `numberReady` and `numberAvailable` the Ready
/// ones, and none is misscheduled.
pub fn daemonsets_count_the_pods_they_own(cluster: &Cluster, pods: &[Value]) -> Vec<String> {
    list(cluster, "daemonsets")
        .iter()
        .filter_map(|ds| {
            let (active, ready) = active_and_ready(pods, ds);
            let status = (
                int(ds, "/status/currentNumberScheduled"),
                int(ds, "/status/numberReady"),
                int(ds, "/status/numberAvailable"),
                int(ds, "/status/numberMisscheduled"),
            );
            (status != (active, ready, ready, 0)).then(|| {
                format!(
                    "daemonset {}: status (scheduled, ready, available, misscheduled) {status:?}, owns {active} active pods, {ready} Ready",
                    key(ds)
                )
            })
        })
        .collect()
}

/// The Job controller's status: `active` is its active pods; `succeeded` and `failed` count at
/// least its pods in those phases. Upstream counts a finished pod once, through the
/// `batch.kubernetes.io/job-tracking` finalizer, and keeps counting it after it is deleted (a
/// drain, a delete of a Completed pod), so the counts may be more than the pods there are, never
/// fewer. (The sandbox's Job controller counts the pods there are until the Job finishes, as its
/// module doc says; at rest both agree on these bounds.)
pub fn jobs_count_the_pods_they_own(cluster: &Cluster, pods: &[Value]) -> Vec<String> {
    list(cluster, "jobs")
        .iter()
        .filter_map(|job| {
            let owned = view::owned_by(pods, job);
            let phase = |p: &str| {
                owned
                    .iter()
                    .filter(|pod| text(pod, "/status/phase") == p)
                    .count() as i64
            };
            let active = owned.iter().filter(|p| view::active(p)).count() as i64;
            let (succeeded, failed) = (phase("Succeeded"), phase("Failed"));
            let status = (
                int(job, "/status/active"),
                int(job, "/status/succeeded"),
                int(job, "/status/failed"),
            );
            (status.0 != active || status.1 < succeeded || status.2 < failed).then(|| {
                format!(
                    "job {}: status (active, succeeded, failed) {status:?}, owns {active} active pods, {succeeded} Succeeded, {failed} Failed",
                    key(job)
                )
            })
        })
        .collect()
}

/// The CronJob controller's status: `active` names exactly the unfinished Jobs the CronJob
/// controls that it started on schedule (a Job made by `kubectl create job --from` is not
/// listed, as upstream does not adopt it), and every Job it started is named after a schedule
/// time no later than `lastScheduleTime`.
pub fn cronjobs_list_their_running_jobs_as_active(cluster: &Cluster) -> Vec<String> {
    let jobs = list(cluster, "jobs");
    let mut out = Vec::new();
    for cj in list(cluster, "cronjobs") {
        let finished = |j: &Value| {
            j.ptr("/status/conditions")
                .and_then(Value::as_array)
                .is_some_and(|cs| cs.iter().any(|c| text(c, "/status") == "True"))
        };
        let scheduled = |j: &Value| {
            j.ptr("/metadata/annotations")
                .and_then(|a| a.get("batch.kubernetes.io/cronjob-scheduled-timestamp"))
                .is_some()
        };
        let mut running: Vec<String> = view::owned_by(&jobs, &cj)
            .into_iter()
            .filter(|j| scheduled(j) && !finished(j) && !view::being_deleted(j))
            .map(|j| text(j, "/metadata/uid").to_string())
            .collect();
        let mut active: Vec<String> = cj
            .ptr("/status/active")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|r| text(r, "/uid").to_string())
            .collect();
        running.sort();
        active.sort();
        if running != active {
            out.push(format!(
                "cronjob {}: status.active {active:?}, running scheduled jobs {running:?}",
                key(&cj)
            ));
        }
        let last = crate::sim::clock::unix_from_rfc3339(text(&cj, "/status/lastScheduleTime"));
        for j in view::owned_by(&jobs, &cj)
            .into_iter()
            .filter(|j| scheduled(j))
        {
            let name = text(j, "/metadata/name");
            let minute = name.rsplit('-').next().and_then(|m| m.parse::<i64>().ok());
            if minute.zip(last).is_none_or(|(m, l)| m * 60 > l) {
                out.push(format!(
                    "cronjob {}: job {name} is named after no time up to lastScheduleTime {last:?}",
                    key(&cj)
                ));
            }
        }
    }
    out
}

/// The taint manager, at rest: no pod left on a node with a NoExecute taint it does not
/// tolerate (its eviction is due at once; `tolerationSeconds` are not used in the schedules).
pub fn no_pod_runs_on_an_untolerated_no_execute_taint(
    pods: &[Value],
    nodes: &[Value],
) -> Vec<String> {
    let mut out = Vec::new();
    for node in nodes {
        let name = text(node, "/metadata/name");
        for taint in view::taints(node)
            .iter()
            .filter(|t| t.effect == "NoExecute")
        {
            for pod in pods
                .iter()
                .filter(|p| view::node_name(p) == name && view::active(p))
                .filter(|p| !view::tolerates(p, taint))
            {
                out.push(format!(
                    "pod {} runs on {name} despite its taint {taint}",
                    key(pod)
                ));
            }
        }
    }
    out
}

/// The pods a Service selects (its namespace, its selector's labels), with an IP, neither
/// terminal nor being deleted, as (ready IPs, all IPs). None for a Service without a selector.
fn selected_ips(service: &Value, pods: &[Value]) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    let selector = service.ptr("/spec/selector")?.as_object()?;
    if selector.is_empty() {
        return None;
    }
    let ns = text(service, "/metadata/namespace");
    let mut ready = BTreeSet::new();
    let mut all = BTreeSet::new();
    for pod in pods {
        let matches = text(pod, "/metadata/namespace") == ns
            && selector.iter().all(|(k, v)| {
                pod.ptr("/metadata/labels")
                    .and_then(|l| l.get(k))
                    .is_some_and(|l| l == v)
            });
        let ip = text(pod, "/status/podIP");
        if !matches || ip.is_empty() || !view::active(pod) {
            continue;
        }
        all.insert(ip.to_string());
        if view::ready(pod) {
            ready.insert(ip.to_string());
        }
    }
    Some((ready, all))
}

fn ips<'a>(items: impl Iterator<Item = &'a Value>) -> BTreeSet<String> {
    items.map(|a| text(a, "/ip").to_string()).collect()
}

/// The Endpoints controller: a Service's `addresses` are the Ready pods it selects, its
/// `notReadyAddresses` the others.
pub fn endpoints_list_the_ready_pods_a_service_selects(
    cluster: &Cluster,
    pods: &[Value],
) -> Vec<String> {
    let endpoints = list(cluster, "endpoints");
    let mut out = Vec::new();
    for svc in list(cluster, "services") {
        let Some((ready, all)) = selected_ips(&svc, pods) else {
            continue;
        };
        let ep = endpoints.iter().find(|e| key(e) == key(&svc));
        let subsets = ep
            .and_then(|e| e.ptr("/subsets"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let field = |f: &str| {
            ips(subsets
                .iter()
                .filter_map(|s| s.get(f).and_then(Value::as_array))
                .flatten())
        };
        let (addresses, not_ready) = (field("addresses"), field("notReadyAddresses"));
        let want_not_ready: BTreeSet<String> = all.difference(&ready).cloned().collect();
        if addresses != ready || not_ready != want_not_ready {
            out.push(format!(
                "endpoints {}: addresses {addresses:?} not ready {not_ready:?}, the service selects Ready {ready:?} not ready {want_not_ready:?}",
                key(&svc)
            ));
        }
    }
    out
}

/// The EndpointSlice controller: the endpoints with `ready: true` in a Service's slices are the
/// Ready pods it selects, and every selected pod is listed once.
pub fn endpoint_slices_list_the_ready_pods_a_service_selects(
    cluster: &Cluster,
    pods: &[Value],
) -> Vec<String> {
    let slices = list(cluster, "endpointslices");
    let mut out = Vec::new();
    for svc in list(cluster, "services") {
        let Some((ready, all)) = selected_ips(&svc, pods) else {
            continue;
        };
        let name = text(&svc, "/metadata/name");
        let endpoints: Vec<&Value> = slices
            .iter()
            .filter(|s| {
                text(s, "/metadata/namespace") == text(&svc, "/metadata/namespace")
                    && text(s, "/metadata/labels/kubernetes.io~1service-name") == name
            })
            .filter_map(|s| s.get("endpoints").and_then(Value::as_array))
            .flatten()
            .collect();
        let listed: Vec<String> = endpoints
            .iter()
            .filter_map(|e| e.ptr("/addresses/0").and_then(Value::as_str))
            .map(str::to_string)
            .collect();
        let listed_set: BTreeSet<String> = listed.iter().cloned().collect();
        let listed_ready: BTreeSet<String> = endpoints
            .iter()
            .filter(|e| e.ptr("/conditions/ready").and_then(Value::as_bool) == Some(true))
            .filter_map(|e| e.ptr("/addresses/0").and_then(Value::as_str))
            .map(str::to_string)
            .collect();
        // Terminating pods may be listed (ready false, terminating true); others must not.
        let unexpected: BTreeSet<String> = listed_set
            .difference(&all)
            .filter(|ip| !terminating_ip(pods, ip))
            .cloned()
            .collect();
        if listed_ready != ready
            || !all.is_subset(&listed_set)
            || !unexpected.is_empty()
            || listed.len() != listed_set.len()
        {
            out.push(format!(
                "endpointslices of service {}: list {listed:?}, Ready {listed_ready:?}; the service selects Ready {ready:?} of {all:?}",
                key(&svc)
            ));
        }
    }
    out
}

fn terminating_ip(pods: &[Value], ip: &str) -> bool {
    pods.iter()
        .any(|p| text(p, "/status/podIP") == ip && view::being_deleted(p))
}

/// kube-proxy on every node, from `iptables-save -t nat` there: the endpoints of each Service
/// chain (`ns/name:port -> IP:port` comments) are the Ready pods the Service selects.
/// `rules` maps node name to what `iptables-save -t nat` printed there.
pub fn kube_proxy_rules_match_the_ready_pods(
    cluster: &Cluster,
    rules: &BTreeMap<String, String>,
) -> Vec<String> {
    let pods = list(cluster, "pods");
    let mut out = Vec::new();
    for svc in list(cluster, "services") {
        let Some((ready, _)) = selected_ips(&svc, &pods) else {
            continue;
        };
        if text(&svc, "/spec/clusterIP") == "None" {
            continue;
        }
        let name = key(&svc);
        for (node, text) in rules {
            let proxied: BTreeSet<String> = text
                .lines()
                .filter(|l| l.starts_with("-A KUBE-SVC-"))
                .filter_map(|l| {
                    let comment = l.split("--comment \"").nth(1)?.split('"').next()?;
                    let (service, endpoint) = comment.split_once(" -> ")?;
                    let service = service.split(':').next()?;
                    (service == name).then(|| endpoint.split(':').next().map(str::to_string))?
                })
                .collect();
            if proxied != ready {
                out.push(format!(
                    "kube-proxy on {node}: service {name} goes to {proxied:?}, its Ready pods are {ready:?}"
                ));
            }
        }
    }
    out
}

// ---- a client's watch ----------------------------------------------------------------------

/// A client's watch on every pod, opened once after the boot (what `kubectl get pods -A -w`
/// does), replayed into a copy of the pods: what an informer's cache would hold.
pub struct PodWatch {
    handle: WatchHandle,
    /// `namespace/name` → resourceVersion, as the watch has told it.
    replica: BTreeMap<String, i64>,
    /// The resourceVersion of the last event.
    last: i64,
}

impl PodWatch {
    /// Lists the pods and watches from there; None when the apiserver refuses.
    pub fn open(cluster: &mut Cluster) -> Option<PodWatch> {
        let request = ApiRequest::new(super_admin(), Verb::Watch, "pods");
        let (handle, listed) = cluster.open_watch(request).ok()?;
        let replica = listed
            .body
            .get("items")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|p| (key(p), resource_version(p)))
                    .collect()
            })
            .unwrap_or_default();
        let last = listed
            .body
            .ptr("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Some(PodWatch {
            handle,
            replica,
            last,
        })
    }

    /// etcd's watch guarantees, as a client sees them: every change once, in revision order
    /// (`Added` for a pod the client does not have, `Modified` and `Deleted` for one it has),
    /// so that the events applied to the list give what a new list gives.
    pub fn every_change_arrives_once_in_order(&mut self, cluster: &mut Cluster) -> Vec<String> {
        let mut out = Vec::new();
        for (event, pod) in cluster.poll_watch(self.handle) {
            let (name, rv) = (key(&pod), resource_version(&pod));
            if rv <= self.last {
                out.push(format!(
                    "{event:?} {name} at revision {rv}, after an event at {}",
                    self.last
                ));
            }
            self.last = rv;
            let known = self.replica.contains_key(&name);
            match event {
                WatchEventType::Added if known => {
                    out.push(format!("Added {name} at {rv}, which the watch already had"))
                }
                WatchEventType::Modified | WatchEventType::Deleted if !known => out.push(format!(
                    "{event:?} {name} at {rv}, which the watch never had"
                )),
                _ => {}
            }
            if event == WatchEventType::Deleted {
                self.replica.remove(&name);
            } else {
                self.replica.insert(name, rv);
            }
        }
        let now: BTreeMap<String, i64> = list(cluster, "pods")
            .iter()
            .map(|p| (key(p), resource_version(p)))
            .collect();
        if now != self.replica {
            let differ: Vec<String> = now
                .iter()
                .filter(|(k, v)| self.replica.get(*k) != Some(v))
                .map(|(k, v)| format!("{k}@{v}"))
                .chain(
                    self.replica
                        .iter()
                        .filter(|(k, _)| !now.contains_key(*k))
                        .map(|(k, v)| format!("{k}@{v} (gone)")),
                )
                .collect();
            out.push(format!(
                "the pods the watch has told of differ from the store's: {}",
                differ.join(", ")
            ));
            self.replica = now;
        }
        out
    }
}

fn resource_version(obj: &Value) -> i64 {
    text(obj, "/metadata/resourceVersion").parse().unwrap_or(0)
}

//! The kubelet: one per VM (master included). It watches the pods bound to its node, runs them
//! through its node's container runtime, and reports back through the apiserver: pod status
//! (the `status` subresource), Events, the node's Lease and the Node's status.
//!
//! ```text
//!  informer (pods with spec.nodeName=<node>) ──▶ pod workers (pod_workers.rs) ──CRI──▶ runtime
//!        ▲                                             │ effects: Decisions + Events
//!        │                                             ▼
//!   apiserver ◀── PATCH pods/status, POST events, DELETE pod (grace 0), PUT lease, PATCH nodes/status
//! ```
//!
//! One reconcile, in order: failures from the [`failures::NodeHandle`]; the PLEG relist (what the
//! runtime did since the last look); static pods; every pod worker's `sync`; pod statuses that
//! changed; finished deletions; mirror pods; the Lease and the Node status; usage figures.
//!
//! Mirrors: `pkg/kubelet/kubelet.go` (`syncLoop`: config updates, PLEG events, housekeeping),
//! `pkg/kubelet/status/status_manager.go` (write a pod's status only when it changed; finish a
//! graceful delete with a grace-0 delete once everything stopped), `pkg/kubelet/pleg` (relist
//! every second), `pkg/kubelet/config/file.go` with `kubelet_pods.go` `deleteOrphanedMirrorPods`
//! (a manifest taken out of `/etc/kubernetes/manifests` stops its static pod with the pod's
//! grace period, then its mirror pod is deleted with grace 0; put back, the pod runs again with
//! the same uid and gets a new mirror pod).
//! Simplified: status writes are merge patches of the whole status; no
//! volumes, no eviction manager (but the OOM killer, see `failures.rs`). The manifests directory
//! is not watched: the shell's `mv` tells the kubelet (`Failure::RemoveStaticPod`,
//! `RestoreStaticPod`) and wakes it, so it acts at once, where upstream's inotify watch acts
//! within moments and its re-list every 20 s (`fileCheckFrequency`) catches anything missed; the
//! mirror pod is deleted once the containers stopped rather than at the next 2 s housekeeping.

pub mod backoff;
pub mod containerd;
pub mod cri;
pub mod failures;
pub mod heartbeat;
pub mod pod_workers;
pub mod probes;
pub mod static_pods;
pub mod stats;
pub mod status;

use crate::sim::api::JsonPointer;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::sim::api::{name as api_name, FieldSelector};
use crate::sim::apiserver::events::{build_event, record_request, EventSpec};
use crate::sim::apiserver::request::{DeleteOptions, PatchType};
use crate::sim::apiserver::{ApiError, ApiRequest, ApiResponse, Credentials, Verb};
use crate::sim::clock::{seconds_to_ticks, Ticks, TICKS_PER_SECOND};
use crate::sim::component::{Component, Context, Decision, DecisionId, ObjectEvent, Reconcile};
use crate::sim::network::cidr::Ipv4Cidr;
use crate::sim::network::ipam::HostLocalIpam;
use crate::sim::trace::{Actor, Seq, TraceKind, WatchEventType};

use self::backoff::Backoff;
use self::cri::{Cri, CriEvent};
use self::failures::{Failure, NodeHandle};
use self::pod_workers::{Effect, PodWorker, RuntimeStep, SyncEnv, WorkerPhase};
use self::stats::{ContainerUsage, NodeUsage, PodUsage};
use self::status::{condition_json, timestamp};

/// The PLEG relist period: how often the kubelet looks at its runtime while it has pods.
pub const PLEG_RELIST_TICKS: Ticks = seconds_to_ticks(1);
/// How long MemoryPressure stays True after the OOM killer ran.
const MEMORY_PRESSURE_TICKS: Ticks = seconds_to_ticks(60);

/// Builds a fresh runtime for the node (at start, and again after a VM reboot).
pub type RuntimeFactory = Box<dyn Fn() -> Box<dyn Cri>>;

/// What the kubelet knows about its VM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeConfig {
    pub name: String,
    pub ip: String,
    pub cpus: u32,
    pub memory_bytes: u64,
    pub pod_cidr: String,
    /// Run the kubeadm control-plane static pods (master only).
    pub static_pods: bool,
}

impl NodeConfig {
    /// The sandbox's VMs: master 2 vCPU, the nodes 1 vCPU, 1 GiB each.
    pub fn lab(name: &str) -> Option<NodeConfig> {
        let vm = crate::sim::vms::lab_vm(name)?;
        Some(NodeConfig {
            name: vm.name.to_string(),
            ip: vm.ip.to_string(),
            cpus: vm.vcpus,
            memory_bytes: vm.memory_bytes,
            pod_cidr: vm.pod_cidr.to_string(),
            static_pods: vm.role == crate::sim::vms::VmRole::ControlPlane,
        })
    }
}

/// The mirror pod of one static pod.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Mirror {
    /// The pod's name, `kube-scheduler-master`.
    name: String,
    exists: bool,
    /// A create sent and not answered yet.
    in_flight: bool,
    /// A delete sent (its static pod is gone) and its watch event not seen yet.
    deleting: bool,
}

pub struct Kubelet {
    config: NodeConfig,
    make_runtime: RuntimeFactory,
    cri: Box<dyn Cri>,
    ipam: HostLocalIpam,
    workers: BTreeMap<String, Box<PodWorker>>,
    /// The delivery that last touched each pod (by uid): the cause of what the worker does.
    causes: BTreeMap<String, Seq>,
    /// The seq of the step that set each running timer, by (pod uid, timer key): see
    /// [`pod_workers::Effect`]. The step its end leads to is caused by it.
    timers: BTreeMap<(String, String), Seq>,
    /// Steps that set a timer, returned but not yet recorded (the cluster tells their seqs).
    timers_pending: BTreeMap<DecisionId, Box<(String, String)>>,
    next_decision_id: u64,
    last_status: BTreeMap<String, Value>,
    condition_times: BTreeMap<(String, String), Box<(bool, Ticks)>>,
    /// Static pods by uid, with their mirror's state; and their pod objects. A mirror outlives
    /// its static pod until the kubelet has deleted it.
    mirrors: BTreeMap<String, Box<Mirror>>,
    static_pods: BTreeMap<String, Value>,
    /// Failures that wait for something before they can be handled (a static pod put back while
    /// its old worker still stops), tried again at each sync.
    deferred_failures: Vec<Failure>,
    crash_backoff: Backoff,
    pull_backoff: Backoff,
    node_uid: String,
    lease_renewed_ticks: Option<Ticks>,
    node_status_ticks: Option<Ticks>,
    last_node_status: Option<Value>,
    node_condition_times: BTreeMap<String, (bool, Ticks)>,
    runtime_down_since: Option<Ticks>,
    runtime_synced: bool,
    network_cut: bool,
    held: Vec<ObjectEvent>,
    /// Grace-0 deletes sent, by uid.
    deleting: BTreeSet<String>,
    /// Containers the node's OOM killer took (their exit is reported as OOMKilled).
    oom_killed: BTreeSet<String>,
    memory_pressure_until: Option<Ticks>,
    boots: u32,
    handle: NodeHandle,
    /// `registrationCompleted`: this process has registered its Node (or found it there). The
    /// lab's boot registers every node, so a kubelet starts registered; a restart forgets it.
    registration_completed: bool,
}

impl Kubelet {
    /// A kubelet for `config`, driving runtimes made by `make_runtime`.
    pub fn new(config: NodeConfig, make_runtime: RuntimeFactory) -> Self {
        let ipam = Self::ipam_for(&config.pod_cidr);
        let cri = make_runtime();
        let mut kubelet = Kubelet {
            config,
            make_runtime,
            cri,
            ipam,
            workers: BTreeMap::new(),
            causes: BTreeMap::new(),
            timers: BTreeMap::new(),
            timers_pending: BTreeMap::new(),
            next_decision_id: 0,
            last_status: BTreeMap::new(),
            condition_times: BTreeMap::new(),
            mirrors: BTreeMap::new(),
            static_pods: BTreeMap::new(),
            deferred_failures: Vec::new(),
            crash_backoff: Backoff::default(),
            pull_backoff: Backoff::default(),
            node_uid: String::new(),
            lease_renewed_ticks: None,
            node_status_ticks: None,
            last_node_status: None,
            node_condition_times: BTreeMap::new(),
            runtime_down_since: None,
            runtime_synced: false,
            network_cut: false,
            held: Vec::new(),
            deleting: BTreeSet::new(),
            oom_killed: BTreeSet::new(),
            memory_pressure_until: None,
            boots: 1,
            handle: NodeHandle::default(),
            registration_completed: true,
        };
        kubelet.handle.0.borrow_mut().runtime = kubelet.cri.shared_runtime();
        if kubelet.config.static_pods {
            for (_, manifest) in static_pods::kubeadm_manifests(&kubelet.config.ip) {
                let pod = static_pods::static_pod(
                    &manifest,
                    &kubelet.config.name,
                    "2025-06-01T00:00:00Z",
                );
                let uid = pod
                    .ptr("/metadata/uid")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                kubelet.add_static_pod(uid, pod);
            }
        }
        kubelet
    }

    /// A static pod read from the manifests directory: a worker runs it, a mirror pod will show
    /// it in the apiserver.
    fn add_static_pod(&mut self, uid: String, pod: Value) {
        let name = pod
            .ptr("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        self.mirrors.entry(uid.clone()).or_insert(Box::new(Mirror {
            name,
            ..Mirror::default()
        }));
        self.workers
            .insert(uid.clone(), Box::new(PodWorker::new(&pod)));
        self.static_pods.insert(uid, pod);
    }

    /// The kubelet of one of the lab's VMs (`master`, `node1`, `node2`) driving containerd as
    /// kubeadm left it. Add it with `Cluster::add_component`; keep its [`Kubelet::handle`].
    pub fn lab(node: &str) -> Option<Kubelet> {
        let registries = std::rc::Rc::new(std::cell::RefCell::new(
            crate::sim::runtime::Registries::standard(),
        ));
        Kubelet::lab_with(node, registries)
    }

    /// The same kubelet, its containerd pulling from the lab's shared `registries`.
    pub fn lab_with(
        node: &str,
        registries: crate::sim::runtime::registry::SharedRegistries,
    ) -> Option<Kubelet> {
        let config = NodeConfig::lab(node)?;
        let factory = containerd::Containerd::factory_with(
            node,
            config.cpus,
            std::rc::Rc::clone(&registries),
        );
        let kubelet = Kubelet::new(config, factory);
        kubelet.handle.0.borrow_mut().registries = Some(registries);
        Some(kubelet)
    }

    /// host-local over the node's pod CIDR (a bad CIDR falls back to node1's: a config bug).
    fn ipam_for(pod_cidr: &str) -> HostLocalIpam {
        Ipv4Cidr::parse(pod_cidr)
            .ok()
            .and_then(|cidr| HostLocalIpam::new(cidr).ok())
            .unwrap_or_else(|| {
                HostLocalIpam::new(crate::sim::network::default_nodes()[1].pod_cidr)
                    .expect("the lab's pod CIDR is valid")
            })
    }

    /// The handle the UI keeps: failures in, usage figures out.
    pub fn handle(&self) -> NodeHandle {
        self.handle.clone()
    }

    pub fn node(&self) -> &str {
        &self.config.name
    }

    /// The workers, for tests and the UI's node panel.
    pub fn workers(&self) -> &BTreeMap<String, Box<PodWorker>> {
        &self.workers
    }

    pub fn runtime(&self) -> &dyn Cri {
        self.cri.as_ref()
    }

    /// A connection reaching `pod_ip:port` on this node: the pod's containers share one network
    /// namespace, so the first whose process listens on the port answers. None: no pod here
    /// has that IP (the packet has nowhere to go).
    pub fn serve_http(
        &mut self,
        pod_ip: &str,
        port: u16,
        path: &str,
        client_ip: &str,
        user_agent: &str,
        now: Ticks,
    ) -> Option<crate::sim::runtime::apps::HttpOutcome> {
        use crate::sim::runtime::apps::HttpOutcome;
        let worker = self
            .workers
            .values()
            .find(|w| !w.host_network && w.sandbox.as_ref().is_some_and(|s| s.ip == pod_ip))?;
        let ids: Vec<String> = worker
            .containers
            .iter()
            .filter_map(|c| c.container_id.clone())
            .collect();
        let mut outcome = HttpOutcome::Refused;
        for id in ids {
            outcome = self
                .cri
                .http_request(&id, port, path, client_ip, user_agent, now);
            if outcome != HttpOutcome::Refused {
                break;
            }
        }
        Some(outcome)
    }

    /// The sandbox a pod runs in on this node (port-forward's error names it).
    pub fn sandbox_id(&self, namespace: &str, pod: &str) -> Option<&str> {
        self.worker_by_name(namespace, pod)?
            .sandbox
            .as_ref()
            .map(|s| s.id.as_str())
    }

    fn credentials_for(node: &str) -> Credentials {
        Credentials::ClientCertificate {
            common_name: format!("system:node:{node}"),
            organizations: vec!["system:nodes".to_string()],
        }
    }

    fn worker_by_name(&self, namespace: &str, pod: &str) -> Option<&PodWorker> {
        self.workers
            .values()
            .map(Box::as_ref)
            .find(|w| w.namespace == namespace && w.name == pod)
    }

    // ---- failures ----------------------------------------------------------------------------

    fn apply_failures(&mut self, now: Ticks, epoch: i64, out: &mut Vec<Decision>) {
        let mut inbox = std::mem::take(&mut self.deferred_failures);
        inbox.extend(self.handle.take_inbox());
        for failure in inbox {
            let message = match &failure {
                Failure::StopRuntime => {
                    self.cri.stop_runtime(now);
                    "containerd stopped: CRI calls fail; containers keep running".to_string()
                }
                Failure::StartRuntime => {
                    self.cri.start_runtime(now);
                    "containerd started".to_string()
                }
                Failure::StopVm => {
                    "the VM is powered off: kubelet, containerd and every container are gone".into()
                }
                Failure::StartVm => {
                    self.reboot(now);
                    "the VM booted: a fresh containerd; every pod's sandbox and containers will be created again".into()
                }
                Failure::CutNetwork => {
                    self.network_cut = true;
                    format!(
                        "{} cannot reach the apiserver at 172.16.20.11:6443",
                        self.config.name
                    )
                }
                Failure::RestoreNetwork => {
                    self.network_cut = false;
                    for event in std::mem::take(&mut self.held) {
                        self.observe_now(&event);
                    }
                    format!("{} reaches the apiserver again", self.config.name)
                }
                Failure::KillContainer {
                    namespace,
                    pod,
                    container,
                } => {
                    let id = self.worker_by_name(namespace, pod).and_then(|w| {
                        w.running_containers()
                            .into_iter()
                            .find(|(n, _)| n == container)
                            .map(|(_, id)| id)
                    });
                    match id {
                        Some(id) if self.cri.kill_container(&id, now) => {
                            format!("kill -9 of container {container} in pod {namespace}/{pod}")
                        }
                        _ => format!("no running container {container} in pod {namespace}/{pod}"),
                    }
                }
                Failure::LeakMemory {
                    namespace,
                    pod,
                    container,
                    bytes_per_second,
                } => {
                    let id = self.worker_by_name(namespace, pod).and_then(|w| {
                        w.running_containers()
                            .into_iter()
                            .find(|(n, _)| n == container)
                            .map(|(_, id)| id)
                    });
                    match id {
                        Some(id) if self.cri.exhaust_memory(&id, *bytes_per_second, now) => format!(
                            "container {container} in pod {namespace}/{pod} leaks {bytes_per_second} bytes/s"
                        ),
                        _ => format!("no running container {container} in pod {namespace}/{pod}"),
                    }
                }
                Failure::RemoveStaticPod { name } => self.remove_static_pod(name),
                Failure::RestoreStaticPod { name } => {
                    match self.restore_static_pod(name, now, epoch) {
                        Some(message) => message,
                        None => {
                            self.deferred_failures.push(failure);
                            continue;
                        }
                    }
                }
                Failure::ExhaustNodeMemory => {
                    // The kernel's OOM killer picks the biggest user (highest oom_score).
                    let mut biggest: Option<(u64, String, String)> = None;
                    for w in self.workers.values() {
                        for (name, id) in w.running_containers() {
                            let (_, memory) = self.cri.usage(&id, now);
                            let who = format!("{}/{} container {name}", w.namespace, w.name);
                            if biggest.as_ref().is_none_or(|b| memory > b.0) {
                                biggest = Some((memory, id, who));
                            }
                        }
                    }
                    self.memory_pressure_until = Some(now + MEMORY_PRESSURE_TICKS);
                    match biggest {
                        Some((memory, id, who)) if self.cri.kill_container(&id, now) => {
                            self.oom_killed.insert(id);
                            format!("node memory exhausted: the OOM killer killed {who} ({memory} bytes)")
                        }
                        _ => "node memory exhausted: no container to kill".to_string(),
                    }
                }
            };
            self.handle.0.borrow_mut().last_outcome = Some(message.clone());
            out.push(Decision::new(
                "NodeFailure",
                format!("{failure:?}: {message}"),
            ));
        }
    }

    /// The file source no longer lists the static pod named `name` (`kube-scheduler`): its
    /// worker stops the containers with the pod's grace period and is forgotten; the mirror pod
    /// is deleted after that (see the mirror pods in `reconcile`).
    fn remove_static_pod(&mut self, name: &str) -> String {
        let pod_name = format!("{name}-{}", self.config.name);
        let uid = self
            .static_pods
            .iter()
            .find(|(_, pod)| api_name(pod) == pod_name)
            .map(|(uid, _)| uid.clone());
        let Some(uid) = uid else {
            return format!("no static pod {pod_name} runs here");
        };
        self.static_pods.remove(&uid);
        if let Some(w) = self.workers.get_mut(&uid) {
            w.removed_from_source();
        }
        format!(
            "{}/{name}.yaml is gone: stopping static pod {pod_name}, then deleting its mirror pod",
            static_pods::MANIFESTS_DIR
        )
    }

    /// The static pod named `name` is read again from its kubeadm manifest (same content, same
    /// uid). None while the worker of its previous run still stops: the kubelet tries again at
    /// its next sync.
    fn restore_static_pod(&mut self, name: &str, now: Ticks, epoch: i64) -> Option<String> {
        let manifest = static_pods::kubeadm_manifests(&self.config.ip)
            .into_iter()
            .map(|(_, m)| m)
            .find(|m| api_name(m) == name);
        let Some(manifest) = manifest else {
            return Some(format!("kubeadm writes no manifest named {name}"));
        };
        let pod = static_pods::static_pod(&manifest, &self.config.name, &timestamp(epoch, now));
        let uid = static_pods::config_hash(&manifest);
        let pod_name = api_name(&pod).to_string();
        if self.static_pods.contains_key(&uid) {
            return Some(format!("static pod {pod_name} already runs"));
        }
        if self.workers.contains_key(&uid) {
            return None;
        }
        self.add_static_pod(uid, pod);
        Some(format!(
            "{}/{name}.yaml is back: starting static pod {pod_name}",
            static_pods::MANIFESTS_DIR
        ))
    }

    /// A VM boot: a new runtime, nothing running; every pod starts over.
    fn reboot(&mut self, now: Ticks) {
        self.cri = (self.make_runtime)();
        self.handle.0.borrow_mut().runtime = self.cri.shared_runtime();
        self.boots += 1;
        self.ipam = Self::ipam_for(&self.config.pod_cidr);
        for w in self.workers.values_mut() {
            w.node_rebooted(now);
        }
        self.runtime_down_since = None;
        self.runtime_synced = false;
    }

    // ---- informer ----------------------------------------------------------------------------

    fn observe_now(&mut self, event: &ObjectEvent) {
        match event.resource {
            "nodes" if event.name() == self.config.name => {
                self.node_uid = event
                    .object
                    .ptr("/metadata/uid")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                // Like tryUpdateNodeStatus, which compares against the Node it reads back: when
                // the node controller has set Ready to Unknown (we were stopped or cut off),
                // our last report is stale, so the next status check writes again.
                let ready_in_api = event
                    .object
                    .ptr("/status/conditions")
                    .and_then(Value::as_array)
                    .and_then(|cs| {
                        cs.iter()
                            .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
                    })
                    .and_then(|c| c.get("status").and_then(Value::as_str))
                    .map(str::to_string);
                let ready_reported = self.last_node_status.as_ref().and_then(|s| {
                    s.ptr("/conditions")
                        .and_then(Value::as_array)
                        .and_then(|cs| {
                            cs.iter()
                                .find(|c| c.get(0).and_then(Value::as_str) == Some("Ready"))
                        })
                        .and_then(|c| c.get(1).and_then(Value::as_bool))
                        .map(|up| if up { "True" } else { "False" }.to_string())
                });
                if ready_in_api.is_some()
                    && ready_reported.is_some()
                    && ready_in_api != ready_reported
                {
                    self.last_node_status = None;
                }
            }
            "pods" => {
                let node = event.object.ptr("/spec/nodeName").and_then(Value::as_str);
                if node != Some(self.config.name.as_str()) {
                    return;
                }
                if static_pods::is_mirror(&event.object) {
                    let hash = event
                        .object
                        .ptr("/metadata/annotations/kubernetes.io~1config.mirror")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if let Some(m) = self.mirrors.get_mut(hash) {
                        m.exists = event.event != WatchEventType::Deleted;
                        m.in_flight = false;
                        m.deleting &= m.exists;
                        if !m.exists {
                            self.last_status.remove(hash);
                        }
                    }
                    return;
                }
                let uid = event
                    .object
                    .ptr("/metadata/uid")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if uid.is_empty() {
                    return;
                }
                // Only pods the kubelet runs (or is about to) keep a cause.
                let known = self.workers.contains_key(&uid);
                if known || event.event != WatchEventType::Deleted {
                    self.causes.insert(uid.clone(), event.seq);
                }
                match event.event {
                    WatchEventType::Deleted => {
                        if let Some(w) = self.workers.get_mut(&uid) {
                            w.object_deleted();
                        }
                    }
                    _ => match self.workers.get_mut(&uid) {
                        Some(w) => w.update(&event.object),
                        None => {
                            // A finished pod seen again after a restart is not run again.
                            let phase = event.object.ptr("/status/phase").and_then(Value::as_str);
                            if !matches!(phase, Some("Succeeded" | "Failed")) {
                                self.workers
                                    .insert(uid, Box::new(PodWorker::new(&event.object)));
                            }
                        }
                    },
                }
            }
            _ => {}
        }
    }

    // ---- status ------------------------------------------------------------------------------

    fn transition_time(
        times: &mut BTreeMap<(String, String), Box<(bool, Ticks)>>,
        uid: &str,
        kind: &str,
        status: bool,
        now: Ticks,
    ) -> Ticks {
        let key = (uid.to_string(), kind.to_string());
        match times.get(&key).map(|time| **time) {
            Some((s, t)) if s == status => t,
            _ => {
                times.insert(key, Box::new((status, now)));
                now
            }
        }
    }

    /// The status the kubelet reports for a worker (`generateAPIPodStatus`).
    fn pod_status(
        &mut self,
        uid: &str,
        existing: Option<&Value>,
        now: Ticks,
        epoch: i64,
    ) -> Option<Value> {
        let w = self.workers.get(uid)?;
        let init: Vec<_> = w.init_containers.iter().map(|c| c.view()).collect();
        let containers: Vec<_> = w.containers.iter().map(|c| c.view()).collect();
        let phase = match w.phase {
            WorkerPhase::Succeeded => "Succeeded",
            WorkerPhase::Failed => "Failed",
            _ => status::api_phase(&w.restart_policy, &init, &containers),
        };
        let sandbox_ready = w.sandbox.is_some();
        let mut conditions = Vec::new();
        for (kind, ok, reason, message) in
            status::kubelet_conditions(phase, sandbox_ready, &init, &containers)
        {
            let t = Self::transition_time(&mut self.condition_times, uid, kind, ok, now);
            conditions.push(condition_json(
                kind,
                ok,
                reason,
                &message,
                &timestamp(epoch, t),
            ));
        }
        let scheduled = existing
            .and_then(|p| p.ptr("/status/conditions"))
            .and_then(Value::as_array)
            .and_then(|cs| {
                cs.iter()
                    .find(|c| c.get("type").and_then(Value::as_str) == Some("PodScheduled"))
                    .cloned()
            });
        conditions.push(scheduled.unwrap_or_else(|| {
            condition_json(
                "PodScheduled",
                true,
                "",
                "",
                &timestamp(epoch, w.start_ticks.unwrap_or(now)),
            )
        }));
        let mut status = json!({
            "phase": phase,
            "conditions": conditions,
            "hostIP": self.config.ip,
            "hostIPs": [{"ip": self.config.ip}],
            "containerStatuses": containers.iter().map(|c| status::container_status_json(c, epoch)).collect::<Vec<_>>(),
        });
        if let Some(sandbox) = &w.sandbox {
            status["podIP"] = json!(sandbox.ip);
            status["podIPs"] = json!([{"ip": sandbox.ip}]);
        } else if let Some(last) = self.last_status.get(uid) {
            // A finished pod keeps the IP it had.
            if let Some(ip) = last.get("podIP") {
                status["podIP"] = ip.clone();
                status["podIPs"] = json!([{"ip": ip}]);
            }
        }
        if let Some(start) = w.start_ticks {
            status["startTime"] = json!(timestamp(epoch, start));
        }
        if !init.is_empty() {
            status["initContainerStatuses"] = json!(init
                .iter()
                .map(|c| status::container_status_json(c, epoch))
                .collect::<Vec<_>>());
        }
        if let Some(spec) = existing.and_then(|p| p.get("spec")) {
            status["qosClass"] = json!(crate::sim::apiserver::admission::qos_class(spec));
        }
        Some(status)
    }

    fn event_request(
        &self,
        ctx: &mut Context,
        involved: &Value,
        effect: &Effect,
    ) -> Option<ApiRequest> {
        let (event_type, field_path) = effect.event.as_ref()?;
        let spec = EventSpec {
            event_type: *event_type,
            reason: &effect.reason,
            message: &effect.message,
            component: "kubelet",
            host: &self.config.name,
        };
        let mut event = build_event(involved, &spec, ctx.clock, ctx.rng, ctx.events_named);
        if let Some(path) = field_path {
            event["involvedObject"]["fieldPath"] = json!(path);
        }
        Some(record_request(
            Self::credentials_for(&self.config.name),
            event,
        ))
    }

    // ---- heartbeats --------------------------------------------------------------------------

    /// A heartbeat decision (`timer` is `lease` or `node-status`): caused by the previous one of
    /// its kind, whose write set the timer that ended now, not by whatever was delivered last.
    fn heartbeat_decision(&mut self, timer: &str, decision: Decision) -> Decision {
        let key = (String::new(), timer.to_string());
        let id = self.next_decision_id();
        let previous = self.timers.get(&key).copied();
        self.timers_pending.insert(id, Box::new(key));
        let mut decision = decision.id(id);
        decision.cause = previous.or(decision.cause);
        decision
    }

    fn heartbeat(&mut self, ctx: &mut Context, epoch: i64, out: &mut Vec<Decision>) {
        let now = ctx.now;
        let node = self.config.name.clone();
        let credentials = Self::credentials_for(&node);
        // registerWithAPIServer: once per process, before anything else about the node. Only a
        // restarted kubelet whose Node was deleted (`kubectl delete node`) has anything to do.
        if !self.registration_completed && !self.network_cut {
            self.registration_completed = true;
            if ctx.lister.get("nodes", None, &node).is_none() {
                let mut object = crate::sim::cluster::node_object(
                    &node,
                    &self.config.ip,
                    self.config.cpus,
                    &self.config.pod_cidr,
                );
                // Registered without conditions: the status update right after writes them.
                if let Some(status) = object.get_mut("status").and_then(Value::as_object_mut) {
                    status.remove("conditions");
                }
                self.last_node_status = None;
                self.node_status_ticks = None;
                let register = Decision::new(
                    "RegisterNode",
                    format!("Attempting to register node {node}"),
                )
                .action(ApiRequest::new(credentials.clone(), Verb::Create, "nodes").body(object));
                out.push(self.heartbeat_decision("node-status", register));
            }
        }
        let lease_due = self
            .lease_renewed_ticks
            .is_none_or(|t| now >= t + heartbeat::LEASE_RENEW_INTERVAL_TICKS);
        if lease_due {
            self.lease_renewed_ticks = Some(now);
            if self.network_cut {
                let failed = Decision::new(
                    "FailedToUpdateLease",
                    format!("failed to update lease, error: Put \"https://172.16.20.11:6443/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{node}?timeout=10s\": dial tcp 172.16.20.11:6443: connect: no route to host"),
                );
                out.push(self.heartbeat_decision("lease", failed));
            } else {
                let renew = heartbeat::micro_time(epoch, now);
                let body = heartbeat::lease(&node, &self.node_uid, &renew);
                let exists = ctx
                    .lister
                    .get("leases", Some("kube-node-lease"), &node)
                    .is_some();
                let verb = if exists { Verb::Update } else { Verb::Create };
                let mut request = ApiRequest::new(credentials.clone(), verb, "leases")
                    .namespace("kube-node-lease")
                    .body(body);
                if exists {
                    request = request.name(node.clone());
                }
                let renew = Decision::new(
                    "RenewLease",
                    format!("node {node} renews its Lease (renewTime {renew})"),
                )
                .action(request);
                out.push(self.heartbeat_decision("lease", renew));
            }
        }
        let status_due = self
            .node_status_ticks
            .is_none_or(|t| now >= t + heartbeat::NODE_STATUS_UPDATE_TICKS);
        if !status_due {
            return;
        }
        let readiness = heartbeat::readiness(
            if self.cri.is_up() {
                None
            } else {
                self.runtime_down_since
            },
            self.runtime_synced,
            now,
        );
        let pressure = self.memory_pressure_until.is_some_and(|t| now < t);
        let (capacity, allocatable) =
            heartbeat::resources(self.config.cpus, self.config.memory_bytes);
        let images = heartbeat::images_json(&self.cri.images());
        let conditions_now = heartbeat::conditions(&readiness, pressure);
        // Changed = any condition status/reason/message, or the images, or allocatable.
        let summary = json!({
            "conditions": conditions_now.iter().map(|(k, s, r, m)| json!([k, s, r, m])).collect::<Vec<_>>(),
            "images": images, "allocatable": allocatable,
        });
        let report_due = self
            .last_node_status
            .as_ref()
            .is_none_or(|last| last != &summary)
            || self
                .node_status_ticks
                .is_none_or(|t| now >= t + heartbeat::NODE_STATUS_REPORT_TICKS);
        // The 10 s check happens either way; the write only when due.
        if !report_due {
            return;
        }
        if self.network_cut {
            let failed = Decision::new(
                "FailedToUpdateNodeStatus",
                format!("Error updating node status, will retry: error getting node \"{node}\": Get \"https://172.16.20.11:6443/api/v1/nodes/{node}?timeout=10s\": dial tcp 172.16.20.11:6443: connect: no route to host"),
            );
            out.push(self.heartbeat_decision("node-status", failed));
            self.node_status_ticks = Some(now);
            return;
        }
        self.node_status_ticks = Some(now);
        self.last_node_status = Some(summary);
        let heartbeat_time = timestamp(epoch, now);
        let conditions: Vec<Value> = conditions_now
            .iter()
            .map(|(kind, status, reason, message)| {
                let key = kind.to_string();
                let since = match self.node_condition_times.get(&key) {
                    Some((s, t)) if s == status => *t,
                    _ => {
                        self.node_condition_times.insert(key, (*status, now));
                        now
                    }
                };
                json!({
                    "type": kind, "status": if *status { "True" } else { "False" },
                    "reason": reason, "message": message,
                    "lastHeartbeatTime": heartbeat_time,
                    "lastTransitionTime": timestamp(epoch, since),
                })
            })
            .collect();
        let body = crate::sim::api::json_template(
            r#"{"status": {
            "capacity": "${capacity}", "allocatable": "${allocatable}", "conditions": "${conditions}",
            "addresses": [{"type": "InternalIP", "address": "${ip}"}, {"type": "Hostname", "address": "${node}"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": "${nodeInfo}", "images": "${images}"
        }}"#,
            &[
                ("capacity", capacity),
                ("allocatable", allocatable),
                ("conditions", conditions.into()),
                ("ip", self.config.ip.as_str().into()),
                ("node", node.as_str().into()),
                (
                    "nodeInfo",
                    heartbeat::node_info(
                        &format!("{:032x}", self.boots),
                        &format!("{:032x}", node.len()),
                    ),
                ),
                ("images", images),
            ],
        );
        let update = Decision::new(
            "NodeStatusUpdate",
            format!(
                "node {node}: Ready={} ({})",
                readiness.ready, readiness.message
            ),
        )
        .action(
            ApiRequest::new(credentials, Verb::Patch, "nodes")
                .name(node.clone())
                .subresource("status")
                .patch(PatchType::Merge, body),
        );
        out.push(self.heartbeat_decision("node-status", update));
    }

    fn usage(&self, now: Ticks) {
        let mut pods = BTreeMap::new();
        for w in self.workers.values() {
            let containers: Vec<ContainerUsage> = w
                .running_containers()
                .into_iter()
                .map(|(name, id)| {
                    let (cpu_millis, memory_bytes) = self.cri.usage(&id, now);
                    ContainerUsage {
                        name,
                        cpu_millis,
                        memory_bytes,
                    }
                })
                .collect();
            if containers.is_empty() {
                continue;
            }
            pods.insert(
                format!("{}/{}", w.namespace, w.name),
                PodUsage {
                    namespace: w.namespace.clone(),
                    name: w.name.clone(),
                    containers,
                },
            );
        }
        let node = NodeUsage::from_pods(pods.values(), self.config.cpus, self.config.memory_bytes);
        let mut shared = self.handle.0.borrow_mut();
        shared.pods = pods;
        shared.node = node;
    }
}

impl Component for Kubelet {
    fn name(&self) -> String {
        format!("kubelet@{}", self.config.name)
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }

    fn actor(&self) -> Actor {
        Actor::new("kubelet", &self.config.name)
    }

    fn credentials(&self) -> Credentials {
        Self::credentials_for(&self.config.name)
    }

    fn watches(&self) -> Vec<&'static str> {
        vec!["nodes", "pods"]
    }

    /// Upstream's kubelet lists and watches only its own Node (`metadata.name=<node>`) and the
    /// pods bound to it (`spec.nodeName=<node>`, `pkg/kubelet/config/apiserver.go`): it is never
    /// told about other nodes' pods nor about pods not yet scheduled.
    fn watch_selector(&self, resource: &str) -> Option<FieldSelector> {
        let field = match resource {
            "pods" => "spec.nodeName",
            "nodes" => "metadata.name",
            _ => return None,
        };
        FieldSelector::parse(&format!("{field}={}", self.config.name)).ok()
    }

    fn observe(&mut self, event: &ObjectEvent) {
        if self.network_cut {
            // The watch is broken: the change is seen when the network comes back.
            self.held.push(event.clone());
            return;
        }
        self.observe_now(event);
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let now = ctx.now;
        let epoch = ctx.clock.unix_seconds() - (now / TICKS_PER_SECOND) as i64;
        let mut out: Vec<Decision> = Vec::new();
        self.apply_failures(now, epoch, &mut out);

        // Runtime health, as the kubelet's runtime status check sees it.
        if self.cri.is_up() {
            self.runtime_down_since = None;
        } else {
            self.runtime_down_since.get_or_insert(now);
        }

        // PLEG relist: container exits and finished pulls go to their pods.
        let mut effects: BTreeMap<String, Vec<Effect>> = BTreeMap::new();
        let events = self.cri.relist(now);
        {
            let Kubelet {
                workers,
                cri,
                ipam,
                crash_backoff,
                pull_backoff,
                config,
                oom_killed,
                ..
            } = self;
            let mut release_list: Vec<String> = Vec::new();
            {
                let mut allocate = |id: &str| {
                    ipam.allocate(id)
                        .map(|ip| ip.to_string())
                        .map_err(|e| e.to_string())
                };
                let mut release = |id: &str| release_list.push(id.to_string());
                let mut env = SyncEnv {
                    now,
                    rng: ctx.rng,
                    cri: cri.as_mut(),
                    node_ip: &config.ip,
                    allocate_ip: &mut allocate,
                    release_ip: &mut release,
                    crash_backoff,
                    pull_backoff,
                };
                for mut event in events {
                    if let CriEvent::ContainerExited {
                        container_id,
                        reason,
                        ..
                    } = &mut event
                    {
                        if oom_killed.remove(container_id.as_str()) {
                            *reason = "OOMKilled".to_string();
                        }
                    }
                    for (uid, w) in workers.iter_mut() {
                        let done = w.on_runtime_event(&event, &mut env);
                        effects.entry(uid.clone()).or_default().extend(done);
                    }
                }
                // Every worker syncs: the state machine moves.
                for (uid, w) in workers.iter_mut() {
                    let done = w.sync(&mut env);
                    effects.entry(uid.clone()).or_default().extend(done);
                }
            }
            // Addresses go back to host-local after the sync, so none is handed out twice in it.
            for id in release_list {
                ipam.release(&id);
            }
        }
        self.runtime_synced = true;

        // Effects become Decisions (and Events), and the runtime's steps become containerd's and
        // the registry's trace events. Causes, most specific first: the step that set the timer
        // whose end this is (a `Pulled` is caused by its `PullImage`); else the previous step of
        // the same container in this sync, else of the pod (`Created` follows `Pulled`); else the
        // pod's last delivery.
        let uids: Vec<String> = self.workers.keys().cloned().collect();
        let mut last_of_pod: BTreeMap<String, DecisionId> = BTreeMap::new();
        for uid in &uids {
            let cause = self.causes.get(uid).copied();
            let Some(w) = self.workers.get(uid) else {
                continue;
            };
            let is_static = self.static_pods.contains_key(uid);
            let (namespace, name) = (w.namespace.clone(), w.name.clone());
            let object_deleted = w.is_object_deleted();
            // The object Events and statuses are about: the pod, or a static pod's mirror.
            let involved = ctx.lister.get_shared("pods", Some(&namespace), &name);
            let mut last_of_container: BTreeMap<String, DecisionId> = BTreeMap::new();
            let mut last_cri: Option<DecisionId> = None;
            for effect in effects.remove(uid).unwrap_or_default() {
                let id = self.next_decision_id();
                let container = effect.container().map(str::to_string);
                let previous = container
                    .as_ref()
                    .and_then(|c| last_of_container.get(c))
                    .or(last_of_pod.get(uid))
                    .copied();
                let timer_seq = effect
                    .ends
                    .as_ref()
                    .and_then(|t| self.timers.get(&(uid.clone(), t.clone())))
                    .copied();
                let pod_ref = format!("{namespace}/{name}");
                let mut decision = match &effect.runtime {
                    Some(RuntimeStep::Cri {
                        call,
                        container,
                        detail,
                    }) => Decision::step(
                        Actor::new("containerd", &self.config.name),
                        TraceKind::Cri {
                            call: call.clone(),
                            pod: Some(pod_ref),
                            container: container.clone(),
                            detail: detail.clone(),
                        },
                    ),
                    Some(RuntimeStep::Blob {
                        repository,
                        digest,
                        size_bytes,
                    }) => Decision::step(
                        Actor::new("registry", "master"),
                        TraceKind::RegistryBlob {
                            repository: repository.clone(),
                            digest: digest.clone(),
                            size_bytes: *size_bytes,
                            node: self.config.name.clone(),
                        },
                    ),
                    None => {
                        let mut d =
                            Decision::new(&effect.reason, format!("{pod_ref}: {}", effect.message));
                        if !self.network_cut {
                            // A static pod's Events are about its mirror when it has one.
                            let obj = involved.as_deref().or_else(|| self.static_pods.get(uid));
                            if let Some(obj) = obj {
                                if let Some(request) = self.event_request(ctx, obj, &effect) {
                                    d = d.action(request);
                                }
                            }
                        }
                        d
                    }
                };
                decision.id = Some(id);
                match &effect.runtime {
                    // A blob is served for the PullImage just before it.
                    Some(RuntimeStep::Blob { .. }) => decision.after = last_cri,
                    // A CRI call is caused by the kubelet decision that asked for it.
                    Some(RuntimeStep::Cri { .. }) => decision.after = previous,
                    None => decision.after = if timer_seq.is_some() { None } else { previous },
                }
                decision.cause = timer_seq.or(cause);
                if let Some(timer) = &effect.starts {
                    self.timers_pending
                        .insert(id, Box::new((uid.clone(), timer.clone())));
                }
                match &effect.runtime {
                    Some(RuntimeStep::Cri { .. }) => last_cri = Some(id),
                    Some(RuntimeStep::Blob { .. }) => {}
                    None => {
                        if let Some(c) = container {
                            last_of_container.insert(c, id);
                        }
                        last_of_pod.insert(uid.clone(), id);
                    }
                }
                out.push(decision);
            }
            // Pod status, when it changed (the status manager's diff).
            let object_gone =
                object_deleted || (is_static && !self.mirrors.get(uid).is_some_and(|m| m.exists));
            if !object_gone && involved.is_some() && !self.network_cut {
                // needsReconcile (`pkg/kubelet/status/status_manager.go`, run by `syncBatch`):
                // when the apiserver's copy of this pod no longer says what we last sent (the
                // node lifecycle controller marked it NotReady while we were stopped or cut
                // off), our cache is stale: forget it, so the status goes out again though
                // nothing changed on the node. Without this the pod runs, `1/1 Running`, and
                // stays NotReady for good: out of its Service's endpoints, not counted by its
                // ReplicaSet (issue 13: a Deployment stuck at 2/3).
                let api_status = involved
                    .as_ref()
                    .filter(|pod| is_object_of(pod, uid))
                    .and_then(|pod| pod.get("status"));
                let mut reconciling = false;
                if let (Some(api), Some(sent)) = (api_status, self.last_status.get(uid)) {
                    if !status::status_by_kubelet_equal(api, sent) {
                        self.last_status.remove(uid);
                        reconciling = true;
                        // A condition the API holds with the other status has changed twice
                        // since we sent it: it goes back now (upstream's
                        // `updateLastTransitionTime` against the apiserver's status).
                        self.condition_times.retain(|(u, kind), time| {
                            u != uid
                                || status::condition_status(api, kind).is_none_or(|s| s == time.0)
                        });
                    }
                }
                if let Some(status) = self.pod_status(uid, involved.as_deref(), now, epoch) {
                    if self.last_status.get(uid) != Some(&status) {
                        let phase = status["phase"].as_str().unwrap_or("").to_string();
                        self.last_status.insert(uid.clone(), status.clone());
                        let message = if reconciling {
                            format!(
                                "{namespace}/{name}: pod status is inconsistent with cached status (another writer changed it): phase {phase}, status sent to the apiserver again"
                            )
                        } else {
                            format!(
                                "{namespace}/{name}: phase {phase}, status sent to the apiserver"
                            )
                        };
                        let mut decision = Decision::new("StatusUpdate", message).action(
                            ApiRequest::new(self.credentials(), Verb::Patch, "pods")
                                .namespace(namespace.clone())
                                .name(name.clone())
                                .subresource("status")
                                .patch(PatchType::Merge, json!({"status": status})),
                        );
                        // The status reports what this sync did, if it did anything.
                        decision.cause = cause;
                        decision.after = last_of_pod.get(uid).copied();
                        out.push(decision);
                    }
                }
            }
        }

        // Finished terminations: delete the pod object with grace 0, forget the worker.
        let finished: Vec<String> = self
            .workers
            .iter()
            .filter(|(_, w)| w.phase == WorkerPhase::Terminated)
            .map(|(uid, _)| uid.clone())
            .collect();
        for uid in finished {
            let Some(w) = self.workers.get(&uid) else {
                continue;
            };
            if w.is_object_deleted() {
                self.forget(&uid);
                continue;
            }
            if self.network_cut || self.deleting.contains(&uid) {
                continue;
            }
            self.deleting.insert(uid.clone());
            let mut request = ApiRequest::new(self.credentials(), Verb::Delete, "pods")
                .namespace(w.namespace.clone())
                .name(w.name.clone());
            request.delete_options = DeleteOptions {
                grace_period_seconds: Some(0),
                propagation_policy: None,
            };
            let mut decision = Decision::new(
                "DeletePod",
                format!(
                    "{}/{}: every container stopped; deleting the pod object with grace period 0",
                    w.namespace, w.name
                ),
            )
            .action(request);
            decision.cause = self.causes.get(&uid).copied();
            decision.after = last_of_pod.get(&uid).copied();
            out.push(decision);
        }

        // Mirror pods for the static pods: created for each static pod that has none; deleted
        // (grace 0, `deleteOrphanedMirrorPods` in housekeeping) once a removed static pod's
        // worker is gone, so the pod's containers have stopped before `kubectl get pods` loses it.
        if !self.network_cut && !self.node_uid.is_empty() {
            let node = self.config.name.clone();
            for (uid, mirror) in self.mirrors.iter_mut() {
                if mirror.in_flight || mirror.deleting {
                    continue;
                }
                let Some(pod) = self.static_pods.get(uid) else {
                    if mirror.exists && !self.workers.contains_key(uid) {
                        mirror.deleting = true;
                        let mut request =
                            ApiRequest::new(Self::credentials_for(&node), Verb::Delete, "pods")
                                .namespace("kube-system")
                                .name(mirror.name.clone());
                        request.delete_options = DeleteOptions {
                            grace_period_seconds: Some(0),
                            propagation_policy: None,
                        };
                        out.push(
                            Decision::new(
                                "DeleteMirrorPod",
                                format!(
                                    "static pod {} is no longer in {}: deleting its mirror pod",
                                    mirror.name,
                                    static_pods::MANIFESTS_DIR
                                ),
                            )
                            .action(request),
                        );
                    }
                    continue;
                };
                if mirror.exists {
                    continue;
                }
                mirror.in_flight = true;
                let body = static_pods::mirror_pod(pod, &node, &self.node_uid);
                let name = body
                    .ptr("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                out.push(
                    Decision::new(
                        "CreateMirrorPod",
                        format!(
                            "static pod {name} from {}: creating its mirror pod",
                            static_pods::MANIFESTS_DIR
                        ),
                    )
                    .action(
                        ApiRequest::new(Self::credentials_for(&node), Verb::Create, "pods")
                            .namespace("kube-system")
                            .body(body),
                    ),
                );
            }
        }
        // A removed static pod's mirror is forgotten once it is gone from the apiserver.
        let static_pods = &self.static_pods;
        self.mirrors.retain(|uid, m| {
            static_pods.contains_key(uid) || m.exists || m.in_flight || m.deleting
        });

        self.heartbeat(ctx, epoch, &mut out);
        self.usage(now);

        // When to look again: every PLEG period while pods exist, else at the next heartbeat.
        let next_heartbeat =
            heartbeat::LEASE_RENEW_INTERVAL_TICKS.min(heartbeat::NODE_STATUS_UPDATE_TICKS);
        let requeue = if self.workers.is_empty() {
            next_heartbeat
        } else {
            let soonest = self
                .workers
                .values()
                .filter_map(|w| w.next_wakeup(&self.crash_backoff, &self.pull_backoff))
                .filter(|t| *t > now)
                .min()
                .map_or(PLEG_RELIST_TICKS, |t| (t - now).min(PLEG_RELIST_TICKS));
            soonest.max(1)
        };
        Reconcile {
            decisions: out,
            requeue_after: Some(requeue),
            more: false,
            unfinished: false,
        }
    }

    fn on_recorded(&mut self, id: DecisionId, seq: Seq) {
        if let Some(timer) = self.timers_pending.remove(&id) {
            self.timers.insert(*timer, seq);
        }
    }

    fn on_restart(&mut self) {
        self.registration_completed = false;
    }

    fn on_response(&mut self, request: &ApiRequest, result: &Result<ApiResponse, ApiError>) {
        let failed = result.is_err();
        match (
            request.resource.as_str(),
            request.subresource.as_deref(),
            request.verb,
        ) {
            ("pods", Some("status"), _) if failed => {
                // Send it again on the next sync.
                if let Some(uid) = self.uid_of(request) {
                    self.last_status.remove(&uid);
                }
            }
            ("pods", None, Verb::Delete) => {
                let mirror = self
                    .mirrors
                    .values_mut()
                    .find(|m| m.deleting && request.name.as_deref() == Some(m.name.as_str()));
                if let Some(m) = mirror {
                    // A mirror pod's delete: no worker to forget. Gone already (NotFound): done.
                    if failed {
                        m.deleting = false;
                        m.exists = false;
                    }
                } else if let Some(uid) = self.uid_of(request) {
                    self.forget(&uid);
                }
            }
            ("pods", None, Verb::Create) if failed => {
                let already = result.as_ref().err().is_some_and(|e| {
                    e.reason == crate::sim::apiserver::StatusReason::AlreadyExists
                });
                for m in self.mirrors.values_mut() {
                    if m.in_flight {
                        m.in_flight = false;
                        m.exists = already;
                    }
                }
            }
            ("nodes", Some("status"), _) if failed => {
                self.last_node_status = None;
            }
            ("nodes", None, Verb::Create) if failed => {
                // Try again on the next status check, unless it is there after all.
                self.registration_completed = result.as_ref().err().is_some_and(|e| {
                    e.reason == crate::sim::apiserver::StatusReason::AlreadyExists
                });
            }
            _ => {}
        }
    }
}

/// Is `pod` (from the apiserver) the object of the worker `uid`: the pod itself, or the mirror
/// pod of the static pod `uid`? (Not a newer pod that took the same name.)
fn is_object_of(pod: &Value, uid: &str) -> bool {
    pod.ptr("/metadata/uid").and_then(Value::as_str) == Some(uid)
        || pod
            .ptr("/metadata/annotations/kubernetes.io~1config.mirror")
            .and_then(Value::as_str)
            == Some(uid)
}

impl Kubelet {
    fn uid_of(&self, request: &ApiRequest) -> Option<String> {
        let (ns, name) = (request.namespace.as_deref()?, request.name.as_deref()?);
        self.workers
            .iter()
            .find(|(_, w)| w.namespace == ns && w.name == name)
            .map(|(uid, _)| uid.clone())
    }

    fn next_decision_id(&mut self) -> DecisionId {
        self.next_decision_id += 1;
        DecisionId(self.next_decision_id)
    }

    fn forget(&mut self, uid: &str) {
        self.workers.remove(uid);
        self.causes.remove(uid);
        self.timers.retain(|(u, _), _| u != uid);
        self.timers_pending.retain(|_, timer| timer.0 != uid);
        self.last_status.remove(uid);
        self.deleting.remove(uid);
        self.condition_times.retain(|(u, _), _| u != uid);
        self.crash_backoff.reset_prefix(&format!("{uid}/"));
        self.pull_backoff.reset_prefix(&format!("{uid}/"));
    }
}

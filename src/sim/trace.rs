//! The one append-only trace: every step any component takes, in order, with its cause.
//!
//! The UI never invents a step: it animates these events. `cause` points at the event that led to
//! this one (a watch delivery is caused by a store commit, a controller's create by that delivery),
//! so the UI can draw an arrow from cause to effect and group events into the deployment steps.
//!
//! Each event says, as fields rather than text:
//! - **who**: `actor` is a typed [`Component`] (one box of the page, or the clock, the network,
//!   the student's shell), the VM, and for kube-controller-manager which loop
//!   (`controller: deployment-controller`);
//! - **about what**: `object` is an [`ObjectRef`] (resource, namespace, name, uid). A `Request`
//!   names what the client asked for (no uid yet; nothing for a list or a `generateName`
//!   create); a `Response`, `StoreCommit` and `WatchDelivery` name the stored object with its
//!   uid; a `Decision` names what the component decided about, when it says;
//! - **which version**: a `StoreCommit` carries etcd's revision, create_revision and version, a
//!   `Response` the written resourceVersion.
//!
//! **Command roots.** A line the student types is a `Command` event with no cause; every request
//! the line sends without another cause (kubectl's, etcdctl's writes, curl's first hop, a
//! `systemctl stop`) names it, so everything the line led to chains back to it, and a `Settled`
//! event closes it once the cluster has settled. Heartbeats and other timer work in the same
//! window have no such chain: they were not caused by the line.
//!
//! **Bounded.** A trace keeps at most [`TRACE_EVENTS_MAX`] events: past it, whole commands are
//! dropped from the oldest end. Seqs stay absolute ([`Trace::first_seq`] is how far back it
//! reaches), and the cluster compacts the store to the same point (`Cluster::history_floor`).

use crate::sim::api::JsonPointer;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use super::chunked::{Chunked, Slice};

use super::apiserver::Verb;
use super::clock::Ticks;
use super::scheduler::record::CycleRecord;

/// The position of an event in the trace; strictly increasing from 0.
pub type Seq = u64;

/// Who acted: one box the page draws, or one of the few actors that are not a box (the clock, the
/// student's shell, the network between the VMs). Serialized as its upstream name (`kubelet`,
/// `kube-apiserver`), the string the trace carried before it was typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// The student's kubectl (and the admin kubectl that installs the add-ons).
    Kubectl,
    KubeApiserver,
    Etcd,
    KubeScheduler,
    /// The process; which of its loops acted is [`Actor::controller`].
    KubeControllerManager,
    Kubelet,
    Containerd,
    /// The image registry a runtime pulls from (docker.io, registry.k8s.io).
    Registry,
    KubeProxy,
    CoreDns,
    /// `kubeadm init`/`join`: the boot objects.
    Kubeadm,
    /// Simulated time moving on (`sleep`, or the loop waiting for the next timer).
    Clock,
    /// A VM's kernel rules (iptables NAT, masquerade) that a packet passes.
    Netfilter,
    /// The wire between VMs (flannel's VXLAN link).
    Network,
    /// The student's terminal: the line typed, and the clients it runs that are not kubectl
    /// (`curl`, `nslookup` on a VM or through `kubectl exec`).
    Shell,
}

impl Component {
    /// Every variant, in declaration order (for parsing, and for a page that lists them).
    pub const ALL: [Component; 15] = [
        Component::Kubectl,
        Component::KubeApiserver,
        Component::Etcd,
        Component::KubeScheduler,
        Component::KubeControllerManager,
        Component::Kubelet,
        Component::Containerd,
        Component::Registry,
        Component::KubeProxy,
        Component::CoreDns,
        Component::Kubeadm,
        Component::Clock,
        Component::Netfilter,
        Component::Network,
        Component::Shell,
    ];

    /// The upstream name: the binary, or what the course calls the actor.
    pub fn name(self) -> &'static str {
        match self {
            Component::Kubectl => "kubectl",
            Component::KubeApiserver => "kube-apiserver",
            Component::Etcd => "etcd",
            Component::KubeScheduler => "kube-scheduler",
            Component::KubeControllerManager => "kube-controller-manager",
            Component::Kubelet => "kubelet",
            Component::Containerd => "containerd",
            Component::Registry => "registry",
            Component::KubeProxy => "kube-proxy",
            Component::CoreDns => "coredns",
            Component::Kubeadm => "kubeadm",
            Component::Clock => "clock",
            Component::Netfilter => "netfilter",
            Component::Network => "network",
            Component::Shell => "shell",
        }
    }

    /// The variant whose [`Component::name`] is `name`; None for any other string (a saved trace
    /// from elsewhere, or a typo).
    pub fn from_name(name: &str) -> Option<Component> {
        Component::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl std::fmt::Display for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// So that `e.actor.component == "kubelet"`, written when the actor was a string, still reads.
impl PartialEq<str> for Component {
    fn eq(&self, other: &str) -> bool {
        self.name() == other
    }
}

impl PartialEq<&str> for Component {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

impl Serialize for Component {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Component {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Component::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown component {name:?}")))
    }
}

/// Who did something: a component, the VM it runs on, and for kube-controller-manager which of
/// its loops.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Actor {
    pub component: Component,
    /// `master`, `node1`, `node2`.
    pub vm: String,
    /// The control loop inside kube-controller-manager, by its upstream name
    /// (`deployment-controller`, `replicaset-controller`, `node-lifecycle-controller`); None for
    /// every other component, and for the manager's shared informers (a watch delivery reaches
    /// the process, not one loop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<String>,
}

impl Actor {
    /// An actor by its component's upstream name. Panics on a name that is no [`Component`]:
    /// names are written in the code, never typed by the student, so an unknown one is a bug.
    pub fn new(component: &str, vm: &str) -> Self {
        let Some(component) = Component::from_name(component) else {
            panic!("Actor::new: {component:?} is not a trace::Component name");
        };
        Actor::of(component, vm)
    }

    pub fn of(component: Component, vm: &str) -> Self {
        Actor {
            component,
            vm: vm.to_string(),
            controller: None,
        }
    }

    /// One loop of kube-controller-manager (which runs on master), by its upstream name.
    pub fn controller(loop_name: &str) -> Self {
        Actor {
            controller: Some(loop_name.to_string()),
            ..Actor::of(Component::KubeControllerManager, "master")
        }
    }

    /// kubectl as the student runs it, on master (the course notes' lab).
    pub fn kubectl() -> Self {
        Actor::of(Component::Kubectl, "master")
    }

    pub fn apiserver() -> Self {
        Actor::of(Component::KubeApiserver, "master")
    }

    pub fn etcd() -> Self {
        Actor::of(Component::Etcd, "master")
    }

    /// The student's terminal on `vm`.
    pub fn shell(vm: &str) -> Self {
        Actor::of(Component::Shell, vm)
    }
}

/// Which object an event is about, as kubectl would name it (`pods default/web-6dc5-x2`) plus
/// its uid when known. The uid tells two lives of one name apart: a pod deleted and created again
/// under the same name is another object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    /// The plural, as in a request's path: `pods`, `deployments`, `nodes`.
    pub resource: String,
    /// None for a cluster-scoped resource (nodes, namespaces).
    pub namespace: Option<String>,
    pub name: String,
    pub uid: Option<String>,
}

impl ObjectRef {
    pub fn new(resource: &str, namespace: Option<&str>, name: &str) -> Self {
        ObjectRef {
            resource: resource.to_string(),
            namespace: namespace.filter(|ns| !ns.is_empty()).map(str::to_string),
            name: name.to_string(),
            uid: None,
        }
    }

    pub fn with_uid(mut self, uid: Option<&str>) -> Self {
        self.uid = uid.filter(|u| !u.is_empty()).map(str::to_string);
        self
    }

    /// The object `object` (its `metadata.namespace`, `name` and `uid`) of `resource`. None
    /// when it has no name yet (only a `generateName`).
    pub fn of(resource: &str, object: &serde_json::Value) -> Option<Self> {
        let meta = |field: &str| {
            object
                .ptr(&format!("/metadata/{field}"))
                .and_then(serde_json::Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let name = meta("name")?;
        Some(ObjectRef::new(resource, meta("namespace"), name).with_uid(meta("uid")))
    }

    /// The object stored at an etcd key of kube-apiserver's layout:
    /// `/registry/<prefix>/<namespace>/<name>` for a namespaced resource and
    /// `/registry/<prefix>/<name>` for a cluster-scoped one, where the prefix is not always the
    /// plural (`minions` for nodes, `services/specs`, `controllers` for replicationcontrollers;
    /// apps resources have no group in the key: `/registry/deployments/default/web`). None for a
    /// key outside that layout (an `etcdctl put /foo`).
    pub fn from_key(key: &str, uid: Option<&str>) -> Option<Self> {
        let rest = key.strip_prefix("/registry/")?;
        // The longest matching prefix wins: `services/specs/` and `services/endpoints/` before
        // any shorter one that might share a first segment.
        let (info, tail) = super::api::resources::RESOURCES
            .iter()
            .filter_map(|info| {
                let tail = rest.strip_prefix(info.etcd_prefix)?.strip_prefix('/')?;
                Some((info, tail))
            })
            .max_by_key(|(info, _)| info.etcd_prefix.len())?;
        let (namespace, name) = if info.namespaced {
            let (ns, name) = tail.split_once('/')?;
            (Some(ns), name)
        } else {
            (None, tail)
        };
        if name.is_empty() || name.contains('/') || namespace.is_some_and(str::is_empty) {
            return None;
        }
        Some(ObjectRef::new(info.plural, namespace, name).with_uid(uid))
    }
}

impl std::fmt::Display for ObjectRef {
    /// `pods default/web-x2`, `nodes node1`: what a line of a page shows.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.resource, self.name),
            None => write!(f, "{} {}", self.resource, self.name),
        }
    }
}

/// The stages of kube-apiserver's request path, in the order a request passes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ApiStage {
    Authentication,
    Authorization,
    MutatingAdmission,
    Validation,
    ValidatingAdmission,
    Storage,
}

/// What kind of change a watcher was told about, as in a Kubernetes watch stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WatchEventType {
    Added,
    Modified,
    Deleted,
}

impl WatchEventType {
    /// The event's `type` in a watch stream: `ADDED`, `MODIFIED`, `DELETED`.
    pub fn as_str(self) -> &'static str {
        match self {
            WatchEventType::Added => "ADDED",
            WatchEventType::Modified => "MODIFIED",
            WatchEventType::Deleted => "DELETED",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TraceKind {
    /// A client sent a request to the apiserver.
    Request {
        verb: Verb,
        resource: String,
        subresource: Option<String>,
        namespace: Option<String>,
        name: Option<String>,
        user: Option<String>,
    },
    /// One stage of the apiserver's request path passed (or refused, with why).
    ApiStage {
        stage: ApiStage,
        passed: bool,
        detail: String,
    },
    /// The apiserver answered a request. `resource_version` is the written object's
    /// resourceVersion after the write (the revision of the request's last commit); None when
    /// nothing was written (a read, a refusal).
    Response {
        code: u16,
        message: String,
        resource_version: Option<i64>,
    },
    /// etcd committed a write at `revision`. `create_revision` and `version` are what etcd's
    /// KeyValue holds after it: the revision that created this life of the key and the number of
    /// puts since; for a delete both are 0, as etcd reports a tombstone.
    StoreCommit {
        key: String,
        revision: i64,
        create_revision: i64,
        version: i64,
        deleted: bool,
    },
    /// A component's watch (informer) received a change.
    WatchDelivery {
        watcher: String,
        key: String,
        revision: i64,
        event: WatchEventType,
    },
    /// A component decided something: `reason` is a short upstream-style word (`Scheduled`,
    /// `SuccessfulCreate`, `FilterFailed`), `message` says what and why.
    Decision { reason: String, message: String },
    /// Simulated time moved on (`sleep`, or waiting for the next timer).
    TimePassed { to_ticks: Ticks },
    /// A kubelet called its node's container runtime: recorded as containerd's own step (actor
    /// `containerd@<node>`), caused by the kubelet decision that asked for it.
    Cri {
        call: CriCall,
        /// `namespace/name` of the pod the call is for.
        pod: Option<String>,
        container: Option<String>,
        /// What the runtime did, for people (ids, the pod IP, the image reference).
        detail: String,
    },
    /// A registry served one layer blob (`GET /v2/<repository>/blobs/<digest>`) to the
    /// containerd of `node`, pulling an image; caused by that `PullImage`.
    RegistryBlob {
        /// `docker.io/library/nginx`.
        repository: String,
        digest: String,
        size_bytes: u64,
        node: String,
    },
    /// Docker on a VM built, pushed or pulled an image (`docker build|push|pull`, or the pull
    /// `docker run` does): each layer with whether the destination had it already (`cached`:
    /// "CACHED" / "Layer already exists" / "Already exists") or it moved (built, uploaded to
    /// the registry, downloaded from it). Caused by the line that did it.
    Image {
        action: ImageAction,
        /// The normalized reference: `docker.io/devbelly/kubia:latest`.
        image: String,
        /// The VM whose Docker acted.
        host: String,
        layers: Vec<LayerPull>,
    },
    /// One scheduling cycle of kube-scheduler as data: per node, each Filter plugin's verdict
    /// (with upstream's reason) and each Score plugin's raw, normalized and weighted score, the
    /// totals, the pick and its tie-break, or the `0/3 nodes are available: ...` failure. The
    /// `Scheduled`/`FailedScheduling` decision that follows is caused by it.
    SchedulingCycle(Box<CycleRecord>),
    /// The student's shell ran one complete line on `host` (a heredoc's whole text once its
    /// delimiter arrived; `a && b` is one line). The root of everything the line caused: each
    /// request its commands send without another cause names this event as its cause.
    Command { line: String, host: String },
    /// The work of the line whose `Command` event is `command` has settled: the cluster ran
    /// until quiet (`idle`), or until the shell's settle limit stopped it (`idle` false).
    Settled { command: Seq, idle: bool },
}

/// The CRI calls a kubelet makes (`k8s.io/cri-api` `RuntimeService` / `ImageService`), named as
/// in the API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CriCall {
    RunPodSandbox,
    /// `image` as the pod spec names it; `layers` as the node's content store held them when
    /// the pull resolved (cached: "Already exists"; otherwise downloaded from the registry).
    PullImage {
        image: String,
        layers: Vec<LayerPull>,
    },
    CreateContainer,
    StartContainer,
    StopContainer,
    RemoveContainer,
    StopPodSandbox,
    RemovePodSandbox,
}

impl CriCall {
    /// The call's name in the CRI API (`RunPodSandbox`, `PullImage`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            CriCall::RunPodSandbox => "RunPodSandbox",
            CriCall::PullImage { .. } => "PullImage",
            CriCall::CreateContainer => "CreateContainer",
            CriCall::StartContainer => "StartContainer",
            CriCall::StopContainer => "StopContainer",
            CriCall::RemoveContainer => "RemoveContainer",
            CriCall::StopPodSandbox => "StopPodSandbox",
            CriCall::RemovePodSandbox => "RemovePodSandbox",
        }
    }
}

/// What Docker did with an image ([`TraceKind::Image`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageAction {
    /// `docker build`: the layers are the image's; `cached` ones came from the build cache or
    /// the base image already on the VM.
    Build,
    /// `docker push`: layers from the VM to the registry.
    Push,
    /// `docker pull`: layers from the registry to the VM.
    Pull,
}

/// One layer of a pulled image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerPull {
    pub digest: String,
    pub size_bytes: u64,
    /// The node already had it (`docker pull` prints "Already exists"): nothing was downloaded.
    pub cached: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEvent {
    pub seq: Seq,
    pub tick: Ticks,
    /// Shared with the recent events of the same actor ([`Trace::record_about`]).
    pub actor: Arc<Actor>,
    pub kind: TraceKind,
    pub cause: Option<Seq>,
    /// The object the event is about, when there is one and it is known (see the module doc);
    /// shared with the recent events about the same object (a request's stages, its commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<Arc<ObjectRef>>,
}

/// The most events a [`Trace`] keeps by default. The budget: one event serializes to about
/// 200–400 bytes of JSON and takes about 280 bytes in memory (176 in the log, the rest its own
/// strings; its actor and object are shared: `examples/memory_profile.rs` at 1,000 pods), so
/// 250 000 events are some 70 MB at most, what a browser tab can hold beside the page; and a long
/// session fits:
/// `kubectl create deployment` with three pods is about 600 events, a boot about 2 500, so the
/// budget keeps a few hundred typed lines of history.
pub const TRACE_EVENTS_MAX: usize = 250_000;

/// A run of the trace's events, oldest first (as `&[TraceEvent]`: `len`, `iter`, `get`, `[i]`).
pub type Events<'a> = Slice<'a, TraceEvent>;

/// How many of the newest events [`Trace::record_about`] looks through for an actor or object
/// to share.
const RECENT_SHARED: usize = 16;

/// The append-only log. Events are never changed once recorded; to stay within its budget the
/// trace forgets whole commands from its oldest end (see [`Trace::record_about`]), while seqs stay
/// absolute: an event keeps its seq, and [`Trace::first_seq`] says how far back the trace reaches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// In chunks, so that a long trace never moves nor holds two copies of itself while it grows
    /// (`chunked`'s module doc).
    events: Chunked<TraceEvent>,
    /// The seq of `events[0]`: how many events were dropped from the front.
    #[serde(default)]
    first_seq: Seq,
    /// The budget, a setting of this process rather than part of the record.
    #[serde(skip, default = "default_capacity_events")]
    capacity_events: usize,
}

fn default_capacity_events() -> usize {
    TRACE_EVENTS_MAX
}

impl Default for Trace {
    fn default() -> Self {
        Trace::with_capacity_events(TRACE_EVENTS_MAX)
    }
}

impl Trace {
    pub fn new() -> Self {
        Trace::default()
    }

    /// A trace that keeps at most `capacity_events` events (at least 1).
    pub fn with_capacity_events(capacity_events: usize) -> Self {
        Trace {
            events: Chunked::default(),
            first_seq: 0,
            capacity_events: capacity_events.max(1),
        }
    }

    /// Changes the budget (at least 1 event); drops from the front at once if over it.
    pub fn set_capacity_events(&mut self, capacity_events: usize) {
        self.capacity_events = capacity_events.max(1);
        self.enforce_budget();
    }

    pub fn capacity_events(&self) -> usize {
        self.capacity_events
    }

    /// The seq of the oldest event still kept: 0 until the budget made the trace drop some.
    pub fn first_seq(&self) -> Seq {
        self.first_seq
    }

    /// The seq the next event will get (every event ever recorded, dropped or not).
    pub fn next_seq(&self) -> Seq {
        self.first_seq + self.events.len() as Seq
    }

    /// Over budget: drops everything before the oldest `Command` root that leaves at most
    /// `capacity_events` events, so what remains starts with a whole typed line and all it
    /// caused. With no such root (one line caused more than the budget, or the trace has no
    /// commands, as in a test that drives the cluster directly) it drops the oldest events down
    /// to seven eighths of the budget instead: memory stays bounded whatever happens, and the
    /// slack keeps the front from being shifted on every later event.
    fn enforce_budget(&mut self) {
        let len = self.events.len();
        if len <= self.capacity_events {
            return;
        }
        let keep_from = len - self.capacity_events;
        let cut = self
            .events
            .iter()
            .enumerate()
            .skip(keep_from.max(1))
            .find(|(_, e)| matches!(e.kind, TraceKind::Command { .. }))
            .map(|(i, _)| i)
            .unwrap_or_else(|| len - self.capacity_events * 7 / 8);
        self.events.drop_front(cut);
        self.first_seq += cut as Seq;
    }

    /// Appends an event about no particular object and returns its seq, for later events to
    /// name as their cause.
    pub fn record(
        &mut self,
        tick: Ticks,
        actor: Actor,
        kind: TraceKind,
        cause: Option<Seq>,
    ) -> Seq {
        self.record_about(tick, actor, kind, cause, None)
    }

    /// Appends an event about `object` and returns its seq.
    pub fn record_about(
        &mut self,
        tick: Ticks,
        actor: Actor,
        kind: TraceKind,
        cause: Option<Seq>,
        object: Option<ObjectRef>,
    ) -> Seq {
        let seq = self.next_seq();
        if let Some(cause) = cause {
            assert!(
                cause < seq,
                "a trace event's cause must come before it ({cause} >= {seq})"
            );
        }
        if let Some(last) = self.events.last() {
            assert!(tick >= last.tick, "trace ticks went backwards");
        }
        // A busy cluster records the same few actors and, for each request, the same object
        // several times in a row (its stages, its commit, the watch deliveries): one copy each,
        // shared with the recent events that have it. Half the trace's memory at 1,000 pods.
        let recent = self
            .events
            .from(self.events.len().saturating_sub(RECENT_SHARED));
        let actor = recent
            .iter()
            .rev()
            .find(|e| *e.actor == actor)
            .map_or_else(|| Arc::new(actor), |e| Arc::clone(&e.actor));
        let object = object.map(|object| {
            recent
                .iter()
                .rev()
                .filter_map(|e| e.object.as_ref())
                .find(|o| ***o == object)
                .map_or_else(|| Arc::new(object), Arc::clone)
        });
        self.events.push(TraceEvent {
            seq,
            tick,
            actor,
            kind,
            cause,
            object,
        });
        self.enforce_budget();
        seq
    }

    /// The events kept, oldest first; `events()[0]` has seq [`Trace::first_seq`].
    pub fn events(&self) -> Events<'_> {
        self.events.all()
    }

    /// The events recorded at or after `seq` that are still kept: what is new since the UI last
    /// looked (all that is kept, when `seq` was dropped meanwhile).
    pub fn since(&self, seq: Seq) -> Events<'_> {
        // `from` clamps a start past the end to an empty run.
        let start = usize::try_from(seq.saturating_sub(self.first_seq)).unwrap_or(usize::MAX);
        self.events.from(start)
    }

    /// How many events are kept (not the next seq once the budget dropped some: see
    /// [`Trace::next_seq`]).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// A short digest of the whole trace (`<events>:<FNV-1a 64 of its JSON>`), so a native run
    /// and a browser run of the same seed and commands can be compared through one line.
    /// FNV-1a rather than a hasher from std: std's hash algorithms may change between releases,
    /// and this value is kept in a fixture.
    pub fn fingerprint(&self) -> String {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let json = serde_json::to_vec(&self.events).unwrap_or_default();
        let hash = json
            .iter()
            .fold(OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME));
        format!("{}:{hash:016x}", self.events.len())
    }

    /// The event `seq`; None when it was never recorded or was dropped by the budget.
    pub fn get(&self, seq: Seq) -> Option<&TraceEvent> {
        let index = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
        self.events.get(index)
    }

    /// Follows `cause` links back to the root: the chain from the typed line to this event. It
    /// stops at the oldest event still kept when the budget dropped the rest.
    pub fn causal_chain(&self, seq: Seq) -> Vec<Seq> {
        let mut chain = Vec::new();
        let mut next = Some(seq);
        while let Some(s) = next {
            let Some(event) = self.get(s) else { break };
            chain.push(s);
            next = event.cause;
        }
        chain.reverse();
        chain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(reason: &str) -> TraceKind {
        TraceKind::Decision {
            reason: reason.into(),
            message: String::new(),
        }
    }

    #[test]
    fn events_are_numbered_in_order_and_chain_back_to_their_root() {
        let mut trace = Trace::new();
        let a = trace.record(0, Actor::kubectl(), decision("a"), None);
        let b = trace.record(5, Actor::apiserver(), decision("b"), Some(a));
        let _ = trace.record(5, Actor::etcd(), decision("unrelated"), None);
        let d = trace.record(9, Actor::etcd(), decision("d"), Some(b));
        assert_eq!((a, b, d), (0, 1, 3));
        assert_eq!(trace.causal_chain(d), vec![0, 1, 3]);
        assert_eq!(trace.since(2).len(), 2);
        assert_eq!(trace.since(99).len(), 0);
    }

    #[test]
    fn over_budget_the_trace_drops_whole_commands_from_the_front_and_keeps_seqs() {
        let mut trace = Trace::with_capacity_events(5);
        let command = |trace: &mut Trace, line: &str, effects: usize| {
            let root = trace.record(
                0,
                Actor::shell("master"),
                TraceKind::Command {
                    line: line.into(),
                    host: "master".into(),
                },
                None,
            );
            let mut last = root;
            for _ in 0..effects {
                last = trace.record(0, Actor::kubectl(), decision("x"), Some(last));
            }
            root
        };
        let a = command(&mut trace, "a", 2); // seqs 0..=2
        let b = command(&mut trace, "b", 1); // 3..=4
        assert_eq!((trace.first_seq(), trace.len()), (0, 5));
        let c = command(&mut trace, "c", 1); // 5..=6: a goes, b and c stay
        assert_eq!((a, b, c), (0, 3, 5));
        assert_eq!(trace.first_seq(), b);
        assert_eq!(trace.next_seq(), 7);
        assert_eq!(trace.get(a), None);
        assert_eq!(trace.get(c).map(|e| e.seq), Some(c));
        assert_eq!(
            trace.since(0).len(),
            4,
            "since a dropped seq: all that is kept"
        );
        assert_eq!(trace.since(c).len(), 2);
        assert_eq!(trace.causal_chain(6), vec![5, 6]);
        // One line bigger than the budget: the oldest events go, down to 7/8 of it.
        let d = command(&mut trace, "d", 9);
        assert!((4..=5).contains(&trace.len()), "{}", trace.len());
        assert_eq!(trace.get(d), None);
        assert_eq!(trace.next_seq(), 17);
        assert_eq!(trace.events()[0].seq, trace.first_seq());
    }

    #[test]
    #[should_panic(expected = "cause must come before")]
    fn a_cause_from_the_future_is_a_bug() {
        let mut trace = Trace::new();
        trace.record(0, Actor::kubectl(), decision("a"), Some(0));
    }

    #[test]
    fn a_component_is_written_as_its_upstream_name_and_read_back() {
        for component in Component::ALL {
            let json = serde_json::to_string(&component).unwrap();
            assert_eq!(json, format!("\"{}\"", component.name()));
            assert_eq!(serde_json::from_str::<Component>(&json).unwrap(), component);
        }
        assert!(serde_json::from_str::<Component>("\"kubelet2\"").is_err());
        assert!(Component::Kubectl == "kubectl");
    }

    #[test]
    fn a_controller_loop_is_kube_controller_manager_on_master_and_named_only_when_set() {
        let actor = Actor::controller("deployment-controller");
        assert_eq!(actor.component, Component::KubeControllerManager);
        assert_eq!(actor.vm, "master");
        let json = serde_json::to_value(&actor).unwrap();
        assert_eq!(json["controller"], "deployment-controller");
        let plain = serde_json::to_value(Actor::kubectl()).unwrap();
        assert!(plain.get("controller").is_none());
    }

    #[test]
    #[should_panic(expected = "not a trace::Component name")]
    fn an_actor_with_an_unknown_component_name_is_a_bug() {
        Actor::new("container-runtime", "node1");
    }

    #[test]
    fn an_etcd_key_names_its_object_in_kube_apiservers_layout() {
        let cases = [
            (
                "/registry/pods/default/web",
                Some(("pods", Some("default"), "web")),
            ),
            ("/registry/minions/node1", Some(("nodes", None, "node1"))),
            (
                "/registry/namespaces/dev",
                Some(("namespaces", None, "dev")),
            ),
            (
                "/registry/deployments/default/web",
                Some(("deployments", Some("default"), "web")),
            ),
            (
                "/registry/services/specs/default/kubernetes",
                Some(("services", Some("default"), "kubernetes")),
            ),
            (
                "/registry/services/endpoints/default/kubernetes",
                Some(("endpoints", Some("default"), "kubernetes")),
            ),
            ("/registry/pods/default", None),
            ("/foo", None),
            ("/registry/unknown/x", None),
        ];
        for (key, expected) in cases {
            let got = ObjectRef::from_key(key, Some("u-1"));
            let want = expected.map(|(r, ns, n)| ObjectRef::new(r, ns, n).with_uid(Some("u-1")));
            assert_eq!(got, want, "{key}");
        }
    }

    #[test]
    fn a_trace_round_trips_through_json() {
        let mut trace = Trace::new();
        trace.record(
            1,
            Actor::etcd(),
            TraceKind::StoreCommit {
                key: "/registry/pods/default/web".into(),
                revision: 2,
                create_revision: 2,
                version: 1,
                deleted: false,
            },
            None,
        );
        let json = serde_json::to_string(&trace).unwrap();
        assert_eq!(serde_json::from_str::<Trace>(&json).unwrap(), trace);
    }
}

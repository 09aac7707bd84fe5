//! The one append-only trace: every step any component takes, in order, with its cause.
//!
//! The UI never invents a step: it animates these events. `cause` points at the event that led to
//! this one (a watch delivery is caused by a store commit, a controller's create by that delivery),
//! so the UI can draw an arrow from cause to effect and group events into the deployment steps.

use serde::{Deserialize, Serialize};

use super::apiserver::Verb;
use super::clock::Ticks;
use super::scheduler::record::CycleRecord;

/// The position of an event in the trace; strictly increasing from 0.
pub type Seq = u64;

/// Who did something: a component and the VM it runs on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// `kubectl`, `kube-apiserver`, `etcd`, `kube-scheduler`, `kube-controller-manager`, `kubelet`,
    /// `container-runtime`, `kube-proxy`.
    pub component: String,
    /// `master`, `node1`, `node2`.
    pub vm: String,
}

impl Actor {
    pub fn new(component: &str, vm: &str) -> Self {
        Actor {
            component: component.to_string(),
            vm: vm.to_string(),
        }
    }

    /// kubectl as the student runs it, on master (the course notes' lab).
    pub fn kubectl() -> Self {
        Actor::new("kubectl", "master")
    }

    pub fn apiserver() -> Self {
        Actor::new("kube-apiserver", "master")
    }

    pub fn etcd() -> Self {
        Actor::new("etcd", "master")
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
    /// The apiserver answered a request.
    Response { code: u16, message: String },
    /// etcd committed a write at `revision`.
    StoreCommit {
        key: String,
        revision: i64,
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
    /// One scheduling cycle of kube-scheduler as data: per node, each Filter plugin's verdict
    /// (with upstream's reason) and each Score plugin's raw, normalized and weighted score, the
    /// totals, the pick and its tie-break, or the `0/3 nodes are available: ...` failure. The
    /// `Scheduled`/`FailedScheduling` decision that follows is caused by it.
    SchedulingCycle(Box<CycleRecord>),
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
    pub actor: Actor,
    pub kind: TraceKind,
    pub cause: Option<Seq>,
}

/// The append-only log. Events are never changed or removed once recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    events: Vec<TraceEvent>,
}

impl Trace {
    pub fn new() -> Self {
        Trace::default()
    }

    /// Appends an event and returns its seq, for later events to name as their cause.
    pub fn record(
        &mut self,
        tick: Ticks,
        actor: Actor,
        kind: TraceKind,
        cause: Option<Seq>,
    ) -> Seq {
        let seq = self.events.len() as Seq;
        if let Some(cause) = cause {
            assert!(
                cause < seq,
                "a trace event's cause must come before it ({cause} >= {seq})"
            );
        }
        if let Some(last) = self.events.last() {
            assert!(tick >= last.tick, "trace ticks went backwards");
        }
        self.events.push(TraceEvent {
            seq,
            tick,
            actor,
            kind,
            cause,
        });
        seq
    }

    pub fn events(&self) -> &[TraceEvent] {
        &self.events
    }

    /// The events recorded at or after `seq`: what is new since the UI last looked.
    pub fn since(&self, seq: Seq) -> &[TraceEvent] {
        let start = (seq as usize).min(self.events.len());
        &self.events[start..]
    }

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

    pub fn get(&self, seq: Seq) -> Option<&TraceEvent> {
        self.events.get(seq as usize)
    }

    /// Follows `cause` links back to the root: the chain from a kubectl request to this event.
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
    #[should_panic(expected = "cause must come before")]
    fn a_cause_from_the_future_is_a_bug() {
        let mut trace = Trace::new();
        trace.record(0, Actor::kubectl(), decision("a"), Some(0));
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
                deleted: false,
            },
            None,
        );
        let json = serde_json::to_string(&trace).unwrap();
        assert_eq!(serde_json::from_str::<Trace>(&json).unwrap(), trace);
    }
}

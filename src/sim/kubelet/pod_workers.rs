//! The per-pod worker: one state machine per pod bound to this node, driven by `sync`.
//!
//! ```text
//!  Pending ──sandbox + IP──▶ ContainerCreating ──all containers started──▶ Running
//!     │                         │   (init containers first, in order)        │  restarts per
//!     │                         │                                            │  restartPolicy
//!     │                         └──────────────┬─────────────────────────────┤
//!     │                                        ▼                             ▼
//!     └──deletionTimestamp──────────────▶ Terminating ◀───────────── Succeeded / Failed
//!                                   (preStop, stop with grace)   (Never/OnFailure, all done)
//!                                              │ all containers exited, sandbox removed
//!                                              ▼
//!                                         Terminated (the kubelet deletes the pod, grace 0)
//! ```
//!
//! Mirrors: `pkg/kubelet/pod_workers.go` (one worker per pod, terminating → terminated) and
//! `pkg/kubelet/kuberuntime/kuberuntime_manager.go` `SyncPod` / `computePodActions` (sandbox
//! first, then init containers one at a time, then every container; restart per policy with
//! CrashLoopBackOff) with `kuberuntime_container.go` `startContainer` (pull, create, start, and
//! the Events `Pulling`, `Pulled`, `Created`, `Started`, `Killing`, `BackOff`, `Failed`).
//! Simplified: no volumes, no sidecars, no in-place resize; preStop `sleep` (or an exec hook of
//! `sleep N`) delays the stop signal by N seconds, other hooks run instantly.
//!
//! Every CRI call a sync makes is also returned as an [`Effect`] with a [`RuntimeStep`], right
//! after the decision that asked for it, so the trace shows containerd (and, for the layers a
//! pull downloads, the registry) acting in its own name; timers (a pull, a back-off, a stop's
//! grace period, a running process) are named so that what ends one is caused by what set it.

use crate::sim::api::JsonPointer;
use serde_json::Value;

use crate::sim::apiserver::events::EventType;
use crate::sim::clock::{seconds_to_ticks, Ticks, TICKS_PER_SECOND};
use crate::sim::rng::Rng;

use super::backoff::{go_duration, Backoff};
use super::cri::{ContainerSpec, Cri, CriEvent, PullLayers, SandboxSpec};
use super::probes::{parse_probe, ProbeKind, ProbeResult, ProbeWorker};
use super::status::{ContainerState, ContainerStatusView, Terminated};
use crate::sim::trace::{CriCall, LayerPull};

/// Where a pod is in its life on this node. Each variant says how it is left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkerPhase {
    /// Seen, nothing running yet. Left for `ContainerCreating` once the pause sandbox runs with
    /// an IP, or for `Terminating` if the pod is deleted first. A sandbox failure keeps it here
    /// (event `FailedCreatePodSandBox`) and it tries again on the next sync.
    Pending,
    /// The sandbox runs; init containers run one after another, then the containers are pulled,
    /// created and started. Left for `Running` once every container has started, for `Failed`
    /// when an init container fails under restartPolicy Never, for `Terminating` on deletion.
    ContainerCreating,
    /// Every container has started once. Crashed containers restart per restartPolicy (with
    /// back-off) without leaving this state. Left for `Succeeded`/`Failed` when no container runs
    /// and none will restart, for `Terminating` on deletion.
    Running,
    /// Deletion requested: preStop hooks, then the stop signal, SIGKILL at `deadline_ticks`.
    /// Left for `Terminated` once every container has exited and the sandbox is removed.
    Terminating { deadline_ticks: Ticks },
    /// Every container exited 0 and none restarts (restartPolicy Never or OnFailure). The sandbox
    /// is stopped. Left only for `Terminating` when the pod is deleted.
    Succeeded,
    /// A container (or init container) failed and will not restart. Left like `Succeeded`.
    Failed,
    /// Nothing of the pod is left on the node. The kubelet deletes the pod object (grace 0) and
    /// forgets the worker: a final state.
    Terminated,
}

/// One thing the worker did: traced as a Decision, and recorded as an Event when `event` is set
/// (with the container's field path, `spec.containers{web}`); or, with `runtime` set, a call the
/// runtime carried out for it, which the trace draws as containerd's (or the registry's) step.
///
/// Timers: a step that sets one names it in `starts` (`pull/web`: the pull runs until the PLEG
/// sees it end); the step the timer's end leads to names it in `ends`, so the kubelet can make
/// the one caused by the other (a `Pulled` by its `PullImage`), whatever was delivered meanwhile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effect {
    pub reason: String,
    pub message: String,
    pub event: Option<(EventType, Option<String>)>,
    pub runtime: Option<RuntimeStep>,
    pub starts: Option<String>,
    pub ends: Option<String>,
}

/// A step the runtime took at the kubelet's request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuntimeStep {
    /// One CRI call, named as in the CRI API.
    Cri {
        call: CriCall,
        container: Option<String>,
        detail: String,
    },
    /// The registry served a layer the node lacked, for the `PullImage` just before it.
    Blob {
        repository: String,
        digest: String,
        size_bytes: u64,
    },
}

impl Effect {
    fn decision(reason: &str, message: impl Into<String>) -> Self {
        Effect {
            reason: reason.to_string(),
            message: message.into(),
            event: None,
            runtime: None,
            starts: None,
            ends: None,
        }
    }

    fn event(
        event_type: EventType,
        reason: &str,
        message: impl Into<String>,
        field_path: Option<String>,
    ) -> Self {
        Effect {
            event: Some((event_type, field_path)),
            ..Effect::decision(reason, message)
        }
    }

    /// A CRI call; `reason` is the call's name, so a list of effects reads in order.
    fn cri(call: CriCall, container: Option<&str>, detail: impl Into<String>) -> Self {
        let name = match &call {
            CriCall::PullImage { .. } => "PullImage".to_string(),
            other => format!("{other:?}"),
        };
        let detail = detail.into();
        Effect {
            runtime: Some(RuntimeStep::Cri {
                call,
                container: container.map(str::to_string),
                detail: detail.clone(),
            }),
            ..Effect::decision(&name, detail)
        }
    }

    fn starts(mut self, timer: String) -> Self {
        self.starts = Some(timer);
        self
    }

    fn ends(mut self, timer: String) -> Self {
        self.ends = Some(timer);
        self
    }

    /// The container this step is about, if any: from the CRI call or the Event's field path
    /// (`spec.containers{web}`).
    pub fn container(&self) -> Option<&str> {
        if let Some(RuntimeStep::Cri { container, .. }) = &self.runtime {
            return container.as_deref();
        }
        let path = self.event.as_ref()?.1.as_deref()?;
        path.split_once('{')?.1.strip_suffix('}')
    }
}

/// A CRI call's outcome for the trace: `<what> (<id>)`, or the runtime's error.
fn outcome_text(outcome: Result<(), String>, id: &str, what: &str) -> String {
    match outcome {
        Ok(()) => format!("{what} ({})", &id[..id.len().min(13)]),
        Err(e) => format!("failed: {e}"),
    }
}

/// The steps of a `PullImage` the worker just sent: the call (which the pull's end answers) and,
/// for a pull that fetches anything, one blob served by the registry per layer the node lacked.
fn pull_steps(
    container: &str,
    image: &str,
    reference: &str,
    plan: Option<PullLayers>,
    effects: &mut Vec<Effect>,
) {
    let (repository, layers, joined) = match plan {
        Some(p) => (p.repository, p.layers, p.joined),
        None => (String::new(), Vec::new(), false),
    };
    let missing: Vec<&LayerPull> = layers.iter().filter(|l| !l.cached).collect();
    let bytes: u64 = missing.iter().map(|l| l.size_bytes).sum();
    let detail = if joined {
        format!("{reference}: joins the pull of the same image already under way")
    } else if layers.is_empty() {
        format!("{reference}: resolving")
    } else {
        format!(
            "{reference}: {} of {} layers to download ({bytes} bytes), {} already exist",
            missing.len(),
            layers.len(),
            layers.len() - missing.len()
        )
    };
    let blobs: Vec<Effect> = if joined {
        Vec::new()
    } else {
        missing
            .iter()
            .map(|l| Effect {
                runtime: Some(RuntimeStep::Blob {
                    repository: repository.clone(),
                    digest: l.digest.clone(),
                    size_bytes: l.size_bytes,
                }),
                ..Effect::decision("Blob", format!("{repository} {}", l.digest))
            })
            .collect()
    };
    effects.push(
        Effect::cri(
            CriCall::PullImage {
                image: image.to_string(),
                layers,
            },
            Some(container),
            detail,
        )
        .starts(pull_timer(container)),
    );
    effects.extend(blobs);
}

/// The timer keys of one container (see [`Effect`]).
fn pull_timer(container: &str) -> String {
    format!("pull/{container}")
}
fn pull_backoff_timer(container: &str) -> String {
    format!("pull-backoff/{container}")
}
fn crash_backoff_timer(container: &str) -> String {
    format!("backoff/{container}")
}
fn run_timer(container: &str) -> String {
    format!("run/{container}")
}
fn stop_timer(container: &str) -> String {
    format!("stop/{container}")
}

/// containerd's StopContainer for `container`: the stop signal sent, SIGKILL after
/// `grace_seconds`, and the timer that ends at that deadline.
fn stop_effect(
    container: &str,
    outcome: Result<(), String>,
    id: &str,
    grace_seconds: u64,
) -> Effect {
    Effect::cri(
        CriCall::StopContainer,
        Some(container),
        outcome_text(
            outcome,
            id,
            &format!("stop signal sent, SIGKILL in {grace_seconds}s"),
        ),
    )
    .starts(stop_timer(container))
}

/// The pod's sandbox: the pause container's id and the pod's IP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sandbox {
    pub id: String,
    pub ip: String,
    pub attempt: u32,
}

/// A pull in flight for one container.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PullWait {
    reference: String,
    started_ticks: Ticks,
    /// The creation attempt the pull is for.
    attempt: u32,
}

/// One container of the pod and everything the kubelet remembers about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerRecord {
    pub name: String,
    pub image: String,
    pub spec: ContainerSpec,
    pub pull_policy: String,
    pub is_init: bool,
    pub state: ContainerState,
    pub last_state: Option<Terminated>,
    pub restart_count: u32,
    /// How many times it was created (the CRI attempt number).
    attempts: u32,
    pub image_ref: String,
    pub image_id: String,
    pub container_id: Option<String>,
    pub probes: Vec<ProbeWorker>,
    pre_stop_sleep_ticks: Ticks,
    pull: Option<PullWait>,
    /// The attempt whose image pull completed (so the start that follows does not pull again).
    pulled_for_attempt: Option<u32>,
    /// When the PLEG saw the last pull fail.
    pull_failed_ticks: Option<Ticks>,
    /// Stop already sent while terminating.
    stop_sent: bool,
    /// Killed because a probe failed (the restart is not a failure of the app).
    killed_by_probe: bool,
}

impl ContainerRecord {
    fn from_spec(c: &Value, is_init: bool) -> Self {
        let text = |f: &str| c.get(f).and_then(Value::as_str).unwrap_or("").to_string();
        let strings = |f: &str| -> Vec<String> {
            c.get(f)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let env = c
            .get("env")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|e| {
                        Some((
                            e.get("name")?.as_str()?.to_string(),
                            e.get("value")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let limit = |r: &str| {
            c.ptr(&format!("/resources/limits/{r}"))
                .and_then(Value::as_str)
        };
        let memory_limit_bytes = limit("memory")
            .and_then(|q| crate::sim::api::quantity::memory_bytes(q).ok())
            .and_then(|b| u64::try_from(b).ok());
        let cpu_limit_millis = limit("cpu")
            .and_then(|q| crate::sim::api::quantity::cpu_millis(q).ok())
            .and_then(|m| u64::try_from(m).ok());
        let name = text("name");
        let image = text("image");
        let probes = if is_init {
            Vec::new()
        } else {
            [
                ProbeKind::Startup,
                ProbeKind::Liveness,
                ProbeKind::Readiness,
            ]
            .into_iter()
            .filter_map(|k| parse_probe(c, k).map(|s| ProbeWorker::new(k, s)))
            .collect()
        };
        let pre_stop = c.ptr("/lifecycle/preStop");
        let pre_stop_sleep_ticks = pre_stop
            .and_then(|p| p.ptr("/sleep/seconds"))
            .and_then(Value::as_u64)
            .or_else(|| {
                let argv: Vec<&str> = pre_stop?
                    .ptr("/exec/command")?
                    .as_array()?
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                let line = argv.last()?;
                let rest = line.trim().strip_prefix("sleep")?;
                rest.trim().parse::<u64>().ok()
            })
            .map_or(0, seconds_to_ticks);
        let pull_policy = match text("imagePullPolicy") {
            p if p.is_empty() => {
                if image.ends_with(":latest")
                    || !image.rsplit('/').next().unwrap_or("").contains(':')
                {
                    "Always".to_string()
                } else {
                    "IfNotPresent".to_string()
                }
            }
            p => p,
        };
        ContainerRecord {
            spec: ContainerSpec {
                name: name.clone(),
                attempt: 0,
                image: image.clone(),
                command: strings("command"),
                args: strings("args"),
                env,
                memory_limit_bytes,
                cpu_limit_millis,
            },
            name,
            image,
            pull_policy,
            is_init,
            state: ContainerState::Waiting {
                reason: if is_init {
                    "PodInitializing"
                } else {
                    "ContainerCreating"
                }
                .to_string(),
                message: String::new(),
            },
            last_state: None,
            restart_count: 0,
            attempts: 0,
            image_ref: String::new(),
            image_id: String::new(),
            container_id: None,
            probes,
            pre_stop_sleep_ticks,
            pull: None,
            pulled_for_attempt: None,
            pull_failed_ticks: None,
            stop_sent: false,
            killed_by_probe: false,
        }
    }

    fn field_path(&self) -> Option<String> {
        let list = if self.is_init {
            "initContainers"
        } else {
            "containers"
        };
        Some(format!("spec.{list}{{{}}}", self.name))
    }

    fn running_id(&self) -> Option<&str> {
        match self.state {
            ContainerState::Running { .. } => self.container_id.as_deref(),
            _ => None,
        }
    }

    fn probe_result(&self, kind: ProbeKind) -> Option<ProbeResult> {
        self.probes
            .iter()
            .find(|p| p.kind == kind)
            .map(|p| p.result)
    }

    /// `started`: running and past its startup probe (if any).
    pub fn started(&self) -> bool {
        matches!(self.state, ContainerState::Running { .. })
            && self
                .probe_result(ProbeKind::Startup)
                .is_none_or(|r| r == ProbeResult::Success)
    }

    /// `ready`: started and passing its readiness probe (if any).
    pub fn ready(&self) -> bool {
        self.started()
            && self
                .probe_result(ProbeKind::Readiness)
                .is_none_or(|r| r == ProbeResult::Success)
    }

    pub fn view(&self) -> ContainerStatusView {
        ContainerStatusView {
            name: self.name.clone(),
            image: if self.image_ref.is_empty() {
                self.image.clone()
            } else {
                self.image_ref.clone()
            },
            image_id: self.image_id.clone(),
            container_id: self.container_id.clone(),
            state: self.state.clone(),
            last_state: self.last_state.clone(),
            ready: !self.is_init && self.ready(),
            started: !self.is_init && self.started(),
            restart_count: self.restart_count,
        }
    }

    fn is_waiting(&self) -> bool {
        matches!(self.state, ContainerState::Waiting { .. })
    }

    fn exited(&self) -> Option<&Terminated> {
        match &self.state {
            ContainerState::Terminated(t) => Some(t),
            _ => None,
        }
    }
}

/// What a sync may use besides the worker itself.
pub struct SyncEnv<'a> {
    pub now: Ticks,
    pub rng: &'a mut Rng,
    pub cri: &'a mut dyn Cri,
    pub node_ip: &'a str,
    /// Hands out the pod IP (host-local IPAM over the node's pod CIDR).
    pub allocate_ip: &'a mut dyn FnMut(&str) -> Result<String, String>,
    pub release_ip: &'a mut dyn FnMut(&str),
    pub crash_backoff: &'a mut Backoff,
    pub pull_backoff: &'a mut Backoff,
}

/// One pod on this node. See the module doc.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodWorker {
    pub uid: String,
    pub namespace: String,
    pub name: String,
    pub phase: WorkerPhase,
    pub restart_policy: String,
    pub host_network: bool,
    pub grace_period_seconds: u64,
    pub sandbox: Option<Sandbox>,
    sandbox_attempts: u32,
    pub init_containers: Vec<ContainerRecord>,
    pub containers: Vec<ContainerRecord>,
    pub start_ticks: Option<Ticks>,
    /// Deletion requested by the apiserver (deletionTimestamp), with the grace it allows.
    deletion_grace_seconds: Option<u64>,
    /// The pod object is gone (force delete): stop at once.
    object_deleted: bool,
}

impl PodWorker {
    /// A worker for a pod object as the informer delivered it.
    pub fn new(pod: &Value) -> Self {
        let text = |p: &str| pod.ptr(p).and_then(Value::as_str).unwrap_or("").to_string();
        let list = |p: &str, init: bool| -> Vec<ContainerRecord> {
            pod.ptr(p)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|c| ContainerRecord::from_spec(c, init))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut worker = PodWorker {
            uid: text("/metadata/uid"),
            namespace: text("/metadata/namespace"),
            name: text("/metadata/name"),
            phase: WorkerPhase::Pending,
            restart_policy: match text("/spec/restartPolicy") {
                p if p == "Never" || p == "OnFailure" => p,
                _ => "Always".to_string(),
            },
            host_network: pod.ptr("/spec/hostNetwork").and_then(Value::as_bool) == Some(true),
            grace_period_seconds: pod
                .ptr("/spec/terminationGracePeriodSeconds")
                .and_then(Value::as_u64)
                .unwrap_or(30),
            sandbox: None,
            sandbox_attempts: 0,
            init_containers: list("/spec/initContainers", true),
            containers: list("/spec/containers", false),
            start_ticks: None,
            deletion_grace_seconds: None,
            object_deleted: false,
        };
        // With init containers to run first, the app containers wait in PodInitializing.
        if !worker.init_containers.is_empty() {
            for c in worker.containers.iter_mut() {
                c.state = ContainerState::Waiting {
                    reason: "PodInitializing".into(),
                    message: String::new(),
                };
            }
        }
        worker.update(pod);
        worker
    }

    /// A newer version of the pod object: only deletion matters to the worker (a pod's
    /// containers cannot change once created, except the image, which the sandbox ignores).
    pub fn update(&mut self, pod: &Value) {
        if pod.ptr("/metadata/deletionTimestamp").is_some() {
            let grace = pod
                .ptr("/metadata/deletionGracePeriodSeconds")
                .and_then(Value::as_u64)
                .unwrap_or(self.grace_period_seconds);
            self.deletion_grace_seconds =
                Some(self.deletion_grace_seconds.map_or(grace, |g| g.min(grace)));
        }
    }

    /// The pod object was removed from the apiserver (force delete): stop everything now.
    pub fn object_deleted(&mut self) {
        self.object_deleted = true;
        self.deletion_grace_seconds = Some(0);
    }

    /// The pod's source no longer lists it (a static pod whose manifest left the manifests
    /// directory): its containers stop with the pod's own grace period, as `killPod` does, and
    /// there is no pod object left to delete afterwards.
    pub fn removed_from_source(&mut self) {
        self.object_deleted = true;
        let grace = self.grace_period_seconds;
        self.deletion_grace_seconds =
            Some(self.deletion_grace_seconds.map_or(grace, |g| g.min(grace)));
    }

    pub fn is_object_deleted(&self) -> bool {
        self.object_deleted
    }

    /// `web-abc_default(uid)`, as kubelet messages name a pod.
    pub fn pod_ref(&self) -> String {
        format!("{}_{}({})", self.name, self.namespace, self.uid)
    }

    fn backoff_key(&self, container: &str) -> String {
        format!("{}/{container}", self.uid)
    }

    fn all_records(&mut self) -> impl Iterator<Item = &mut ContainerRecord> {
        self.init_containers
            .iter_mut()
            .chain(self.containers.iter_mut())
    }

    /// When the worker next needs to run even if nothing changes (probes, back-off ends, the
    /// grace deadline); pulls and running processes are noticed by the PLEG relist.
    pub fn next_wakeup(&self, crash_backoff: &Backoff, pull_backoff: &Backoff) -> Option<Ticks> {
        let mut times: Vec<Ticks> = Vec::new();
        for c in self.init_containers.iter().chain(&self.containers) {
            times.extend(c.probes.iter().filter_map(ProbeWorker::next_due_ticks));
            if let Some(t) = crash_backoff.until_ticks(&self.backoff_key(&c.name)) {
                times.push(t);
            }
            if let Some(t) = pull_backoff.until_ticks(&self.backoff_key(&c.image)) {
                times.push(t);
            }
        }
        if let WorkerPhase::Terminating { deadline_ticks } = self.phase {
            times.push(deadline_ticks);
        }
        times.into_iter().min()
    }

    /// Does the worker wait on the runtime (a pull, a start, a stop)? Then the PLEG must relist.
    pub fn busy(&self) -> bool {
        matches!(
            self.phase,
            WorkerPhase::Terminating { .. } | WorkerPhase::ContainerCreating | WorkerPhase::Pending
        ) || self
            .init_containers
            .iter()
            .chain(&self.containers)
            .any(|c| c.pull.is_some())
    }

    /// A runtime event for this pod's containers (from the PLEG relist).
    pub fn on_runtime_event(&mut self, event: &CriEvent, env: &mut SyncEnv) -> Vec<Effect> {
        let mut effects = Vec::new();
        match event {
            CriEvent::ContainerExited {
                container_id,
                exit_code,
                reason,
                finished_tick,
            } => {
                let pod = format!("{}/{}", self.namespace, self.name);
                for c in self.all_records() {
                    if c.container_id.as_deref() != Some(container_id.as_str()) {
                        continue;
                    }
                    let ContainerState::Running { started_ticks } = c.state else {
                        continue;
                    };
                    c.state = ContainerState::Terminated(Terminated {
                        exit_code: *exit_code,
                        reason: reason.clone(),
                        started_ticks,
                        finished_ticks: *finished_tick,
                        container_id: container_id.clone(),
                    });
                    c.probes.iter_mut().for_each(ProbeWorker::container_stopped);
                    // Asked to stop (deletion, a failed probe): the StopContainer caused the
                    // exit; otherwise the process ended by itself, in the run StartContainer began.
                    let timer = if c.stop_sent || c.killed_by_probe {
                        stop_timer(&c.name)
                    } else {
                        run_timer(&c.name)
                    };
                    effects.push(
                        Effect::decision(
                            "ContainerDied",
                            format!(
                                "PLEG: container {} of pod {pod} exited with code {exit_code} ({reason})",
                                c.name
                            ),
                        )
                        .ends(timer),
                    );
                }
            }
            CriEvent::PullCompleted {
                reference,
                size_bytes,
                started_tick,
                finished_tick,
            } => {
                for c in self
                    .init_containers
                    .iter_mut()
                    .chain(self.containers.iter_mut())
                {
                    let Some(pull) = &c.pull else { continue };
                    if &pull.reference != reference {
                        continue;
                    }
                    let waited = finished_tick.saturating_sub(pull.started_ticks);
                    let took = finished_tick.saturating_sub(*started_tick);
                    c.pulled_for_attempt = Some(pull.attempt);
                    c.pull = None;
                    effects.push(
                        Effect::event(
                            EventType::Normal,
                            "Pulled",
                            format!(
                                "Successfully pulled image \"{}\" in {} ({} including waiting). Image size: {size_bytes} bytes.",
                                c.image,
                                go_duration(took),
                                go_duration(waited)
                            ),
                            c.field_path(),
                        )
                        .ends(pull_timer(&c.name)),
                    );
                    env.pull_backoff.reset(&format!("{}/{}", self.uid, c.image));
                }
            }
            CriEvent::PullFailed {
                reference, message, ..
            } => {
                let uid = self.uid.clone();
                for c in self
                    .init_containers
                    .iter_mut()
                    .chain(self.containers.iter_mut())
                {
                    let Some(pull) = &c.pull else { continue };
                    if &pull.reference != reference {
                        continue;
                    }
                    c.pull = None;
                    effects.push(
                        Effect::event(
                            EventType::Warning,
                            "Failed",
                            format!("Failed to pull image \"{}\": {message}", c.image),
                            c.field_path(),
                        )
                        .ends(pull_timer(&c.name)),
                    );
                    effects.push(Effect::event(
                        EventType::Warning,
                        "Failed",
                        "Error: ErrImagePull",
                        c.field_path(),
                    ));
                    c.state = ContainerState::Waiting {
                        reason: "ErrImagePull".into(),
                        message: message.clone(),
                    };
                    c.pull_failed_ticks = Some(env.now);
                    env.pull_backoff
                        .next(&format!("{uid}/{}", c.image), env.now);
                }
            }
        }
        effects
    }

    /// The state machine's one transition function: looks at the pod and the runtime, acts,
    /// moves `phase`, and returns what it did. See the module doc for the states.
    pub fn sync(&mut self, env: &mut SyncEnv) -> Vec<Effect> {
        let mut effects = Vec::new();
        if !env.cri.is_up() {
            // Nothing can be started or stopped while containerd is down; the status stays as it
            // was and the node reports NotReady.
            return effects;
        }
        if let Some(grace) = self.deletion_grace_seconds {
            if !matches!(
                self.phase,
                WorkerPhase::Terminating { .. } | WorkerPhase::Terminated
            ) {
                let deadline_ticks = env.now + seconds_to_ticks(grace);
                effects.push(Effect::decision(
                    "Terminating",
                    format!(
                        "pod {}/{} is being deleted: stopping its containers with a grace period of {grace}s",
                        self.namespace, self.name
                    ),
                ));
                self.phase = WorkerPhase::Terminating { deadline_ticks };
            }
        }
        match self.phase.clone() {
            WorkerPhase::Pending => {
                if self.ensure_sandbox(env, &mut effects) {
                    self.phase = WorkerPhase::ContainerCreating;
                    self.start_ticks.get_or_insert(env.now);
                    self.sync_containers(env, &mut effects);
                }
            }
            WorkerPhase::ContainerCreating | WorkerPhase::Running => {
                self.sync_containers(env, &mut effects);
            }
            WorkerPhase::Terminating { deadline_ticks } => {
                self.sync_terminating(deadline_ticks, env, &mut effects);
            }
            WorkerPhase::Succeeded | WorkerPhase::Failed | WorkerPhase::Terminated => {}
        }
        effects
    }

    fn ensure_sandbox(&mut self, env: &mut SyncEnv, effects: &mut Vec<Effect>) -> bool {
        if self.sandbox.is_some() {
            return true;
        }
        let ip = if self.host_network {
            env.node_ip.to_string()
        } else {
            match (env.allocate_ip)(&self.uid) {
                Ok(ip) => ip,
                Err(e) => {
                    effects.push(Effect::event(
                        EventType::Warning,
                        "FailedCreatePodSandBox",
                        format!("Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox: plugin type=\"flannel\" failed (add): {e}"),
                        None,
                    ));
                    return false;
                }
            }
        };
        let spec = SandboxSpec {
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            uid: self.uid.clone(),
            attempt: self.sandbox_attempts,
            ip: ip.clone(),
        };
        match env.cri.run_pod_sandbox(spec, env.rng, env.now) {
            Ok(id) => {
                effects.push(Effect::decision(
                    "SandboxCreated",
                    format!(
                        "RunPodSandbox for {}/{}: pause container {} with IP {ip}",
                        self.namespace,
                        self.name,
                        &id[..id.len().min(13)]
                    ),
                ));
                effects.push(Effect::cri(
                    CriCall::RunPodSandbox,
                    None,
                    format!(
                        "pause container {} running in a new network namespace with IP {ip}",
                        &id[..id.len().min(13)]
                    ),
                ));
                if self.sandbox_attempts > 0 {
                    effects.push(Effect::event(
                        EventType::Normal,
                        "SandboxChanged",
                        "Pod sandbox changed, it will be killed and re-created.",
                        None,
                    ));
                }
                self.sandbox_attempts += 1;
                self.sandbox = Some(Sandbox {
                    id,
                    ip,
                    attempt: self.sandbox_attempts - 1,
                });
                true
            }
            Err(e) => {
                if !self.host_network {
                    (env.release_ip)(&self.uid);
                }
                effects.push(Effect::event(
                    EventType::Warning,
                    "FailedCreatePodSandBox",
                    format!("Failed to create pod sandbox: {e}"),
                    None,
                ));
                false
            }
        }
    }

    /// Init containers in order, then every container: `computePodActions`.
    fn sync_containers(&mut self, env: &mut SyncEnv, effects: &mut Vec<Effect>) {
        // Init containers: the first one not yet completed is the only one that may run.
        let mut index = 0;
        while index < self.init_containers.len() {
            let done = self.init_containers[index]
                .exited()
                .is_some_and(|t| t.exit_code == 0);
            if done {
                index += 1;
                continue;
            }
            let failed_for_good = self.init_containers[index]
                .exited()
                .is_some_and(|t| t.exit_code != 0)
                && self.restart_policy == "Never";
            if failed_for_good {
                self.finish(false, env, effects);
                return;
            }
            self.sync_one(true, index, env, effects);
            return;
        }
        for i in 0..self.containers.len() {
            self.sync_one(false, i, env, effects);
        }
        self.run_probes(env, effects);
        let all_started = self.containers.iter().all(|c| {
            c.restart_count > 0
                || matches!(c.state, ContainerState::Running { .. })
                || c.exited().is_some()
        });
        if self.phase == WorkerPhase::ContainerCreating && all_started {
            self.phase = WorkerPhase::Running;
            effects.push(Effect::decision(
                "PodRunning",
                format!(
                    "every container of {}/{} has started",
                    self.namespace, self.name
                ),
            ));
        }
        // Done for good: nothing runs and nothing will restart.
        let nothing_left = !self.containers.is_empty()
            && self.containers.iter().all(|c| {
                c.exited()
                    .is_some_and(|t| match self.restart_policy.as_str() {
                        "Never" => true,
                        "OnFailure" => t.exit_code == 0,
                        _ => false,
                    })
            });
        if nothing_left {
            let ok = self
                .containers
                .iter()
                .all(|c| c.exited().is_some_and(|t| t.exit_code == 0));
            self.finish(ok, env, effects);
        }
    }

    fn finish(&mut self, succeeded: bool, env: &mut SyncEnv, effects: &mut Vec<Effect>) {
        self.phase = if succeeded {
            WorkerPhase::Succeeded
        } else {
            WorkerPhase::Failed
        };
        effects.push(Effect::decision(
            if succeeded {
                "PodSucceeded"
            } else {
                "PodFailed"
            },
            format!(
                "pod {}/{} finished: no container runs and none will restart (restartPolicy {})",
                self.namespace, self.name, self.restart_policy
            ),
        ));
        // A finished pod keeps no sandbox: upstream kills it so the IP is free again.
        if let Some(sandbox) = self.sandbox.take() {
            let outcome = env.cri.stop_pod_sandbox(&sandbox.id, env.now);
            effects.push(Effect::cri(
                CriCall::StopPodSandbox,
                None,
                outcome_text(outcome, &sandbox.id, "sandbox stopped, its IP released"),
            ));
            if !self.host_network {
                (env.release_ip)(&self.uid);
            }
        }
    }

    fn record_mut(&mut self, init: bool, index: usize) -> Option<&mut ContainerRecord> {
        if init {
            self.init_containers.get_mut(index)
        } else {
            self.containers.get_mut(index)
        }
    }

    /// One container: restart it if it exited and the policy says so, start it if it never ran.
    fn sync_one(&mut self, init: bool, index: usize, env: &mut SyncEnv, effects: &mut Vec<Effect>) {
        let policy = self.restart_policy.clone();
        let pod_ref = self.pod_ref();
        let uid = self.uid.clone();
        let Some(c) = self.record_mut(init, index) else {
            return;
        };
        if c.pull.is_some() || matches!(c.state, ContainerState::Running { .. }) {
            return;
        }
        if let Some(t) = c.exited().cloned() {
            let restart = match policy.as_str() {
                "Always" => true,
                "OnFailure" => t.exit_code != 0 || c.killed_by_probe,
                // Never: not even after a liveness kill.
                _ => false,
            };
            if !restart {
                return;
            }
            // CrashLoopBackOff: the wait runs from the container's finishedAt.
            let key = format!("{uid}/{}", c.name);
            if env
                .crash_backoff
                .in_backoff_since(&key, t.finished_ticks, env.now)
            {
                let wait = env.crash_backoff.current_ticks(&key).unwrap_or(0);
                let first = !matches!(&c.state, ContainerState::Waiting { reason, .. } if reason == "CrashLoopBackOff");
                c.last_state = Some(t);
                c.state = ContainerState::Waiting {
                    reason: "CrashLoopBackOff".into(),
                    message: format!(
                        "back-off {} restarting failed container={} pod={pod_ref}",
                        go_duration(wait),
                        c.name
                    ),
                };
                if first {
                    effects.push(
                        Effect::event(
                            EventType::Warning,
                            "BackOff",
                            format!(
                                "Back-off restarting failed container {} in pod {pod_ref}",
                                c.name
                            ),
                            c.field_path(),
                        )
                        .starts(crash_backoff_timer(&c.name)),
                    );
                }
                return;
            }
            env.crash_backoff.next(&key, t.finished_ticks);
            c.last_state = Some(t);
            c.restart_count += 1;
            c.killed_by_probe = false;
            // Restarting: until the new container exists (a re-pull may come first) it waits.
            c.state = ContainerState::Waiting {
                reason: "ContainerCreating".into(),
                message: String::new(),
            };
        } else if let ContainerState::Waiting { reason, .. } = &c.state {
            if reason == "CrashLoopBackOff" {
                let key = format!("{uid}/{}", c.name);
                let finished = c.last_state.as_ref().map_or(0, |t| t.finished_ticks);
                if env.crash_backoff.in_backoff_since(&key, finished, env.now) {
                    return;
                }
                env.crash_backoff.next(&key, finished);
                c.restart_count += 1;
                c.state = ContainerState::Waiting {
                    reason: "ContainerCreating".into(),
                    message: String::new(),
                };
                // The back-off's end is what restarts it: the first step names that timer.
                let timer = crash_backoff_timer(&c.name);
                let first = effects.len();
                self.start_container(init, index, env, effects);
                if let Some(e) = effects.get_mut(first) {
                    e.ends = Some(timer);
                }
                return;
            }
        }
        self.start_container(init, index, env, effects);
    }

    /// `startContainer`: ensure the image, create, start.
    fn start_container(
        &mut self,
        init: bool,
        index: usize,
        env: &mut SyncEnv,
        effects: &mut Vec<Effect>,
    ) {
        let uid = self.uid.clone();
        let Some(sandbox_id) = self.sandbox.as_ref().map(|s| s.id.clone()) else {
            return;
        };
        let Some(c) = self.record_mut(init, index) else {
            return;
        };
        let pull_key = format!("{uid}/{}", c.image);
        let present = env.cri.image(&c.image);
        // A pull that finished for this very attempt is not repeated.
        let pulled_now = c.pulled_for_attempt == Some(c.attempts);
        let must_pull = !pulled_now
            && match c.pull_policy.as_str() {
                "Always" => true,
                "Never" => false,
                _ => present.is_none(),
            };
        if c.pull_policy == "Never" && present.is_none() {
            let message = format!(
                "Container image \"{}\" is not present with pull policy of Never",
                c.image
            );
            if !matches!(&c.state, ContainerState::Waiting { reason, .. } if reason == "ErrImageNeverPull")
            {
                effects.push(Effect::event(
                    EventType::Warning,
                    "ErrImageNeverPull",
                    message.clone(),
                    c.field_path(),
                ));
            }
            c.state = ContainerState::Waiting {
                reason: "ErrImageNeverPull".into(),
                message,
            };
            return;
        }
        if must_pull {
            // The sync that saw the pull fail reports ErrImagePull; the back-off shows after.
            let failed_just_now = c.pull_failed_ticks == Some(env.now);
            if failed_just_now {
                return;
            }
            if env.pull_backoff.in_backoff(&pull_key, env.now) {
                let message = format!("Back-off pulling image \"{}\"", c.image);
                if !matches!(&c.state, ContainerState::Waiting { reason, .. } if reason == "ImagePullBackOff")
                {
                    effects.push(
                        Effect::event(
                            EventType::Normal,
                            "BackOff",
                            message.clone(),
                            c.field_path(),
                        )
                        .starts(pull_backoff_timer(&c.name)),
                    );
                    effects.push(Effect::event(
                        EventType::Warning,
                        "Failed",
                        "Error: ImagePullBackOff",
                        c.field_path(),
                    ));
                }
                c.state = ContainerState::Waiting {
                    reason: "ImagePullBackOff".into(),
                    message,
                };
                return;
            }
            let after_backoff = matches!(&c.state, ContainerState::Waiting { reason, .. } if reason == "ImagePullBackOff");
            // What the pull will fetch, seen before the call: whether a pull of the same image is
            // already under way (this one then joins it, as containerd does, and fetches nothing).
            let plan = env.cri.pull_layers(&c.image);
            match env.cri.pull_image(&c.image, env.now) {
                Ok(reference) => {
                    let pulling = Effect::event(
                        EventType::Normal,
                        "Pulling",
                        format!("Pulling image \"{}\"", c.image),
                        c.field_path(),
                    );
                    effects.push(if after_backoff {
                        pulling.ends(pull_backoff_timer(&c.name))
                    } else {
                        pulling
                    });
                    pull_steps(&c.name, &c.image, &reference, plan, effects);
                    c.pull = Some(PullWait {
                        reference,
                        started_ticks: env.now,
                        attempt: c.attempts,
                    });
                    if c.restart_count == 0 {
                        c.state = ContainerState::Waiting {
                            reason: if init {
                                "PodInitializing"
                            } else {
                                "ContainerCreating"
                            }
                            .into(),
                            message: String::new(),
                        };
                    }
                }
                Err(e) => {
                    effects.push(Effect::event(
                        EventType::Warning,
                        "Failed",
                        format!("Failed to pull image \"{}\": {e}", c.image),
                        c.field_path(),
                    ));
                    c.state = ContainerState::Waiting {
                        reason: "ErrImagePull".into(),
                        message: e,
                    };
                    env.pull_backoff.next(&pull_key, env.now);
                }
            }
            return;
        }
        if !pulled_now {
            effects.push(Effect::event(
                EventType::Normal,
                "Pulled",
                format!("Container image \"{}\" already present on machine", c.image),
                c.field_path(),
            ));
        }
        let Some(image) = env.cri.image(&c.image) else {
            return;
        };
        let mut spec = c.spec.clone();
        spec.attempt = c.attempts;
        match env
            .cri
            .create_container(&sandbox_id, spec, env.rng, env.now)
        {
            Ok(id) => {
                c.attempts += 1;
                effects.push(Effect::event(
                    EventType::Normal,
                    "Created",
                    format!("Created container: {}", c.name),
                    c.field_path(),
                ));
                effects.push(Effect::cri(
                    CriCall::CreateContainer,
                    Some(&c.name),
                    format!(
                        "container {} created in sandbox {} from {}",
                        &id[..id.len().min(13)],
                        &sandbox_id[..sandbox_id.len().min(13)],
                        c.image
                    ),
                ));
                match env.cri.start_container(&id, env.now) {
                    Ok(()) => {
                        let info = env.cri.container(&id);
                        c.image_ref = info
                            .as_ref()
                            .map_or_else(|| c.image.clone(), |i| i.image_ref.clone());
                        c.image_id = image.repo_digest.clone();
                        c.container_id = Some(id);
                        let started_ticks = info.and_then(|i| i.started_tick).unwrap_or(env.now);
                        c.state = ContainerState::Running { started_ticks };
                        c.stop_sent = false;
                        c.probes
                            .iter_mut()
                            .for_each(|p| p.container_started(started_ticks));
                        effects.push(Effect::event(
                            EventType::Normal,
                            "Started",
                            format!("Started container {}", c.name),
                            c.field_path(),
                        ));
                        // The process now runs until it exits or is stopped: its exit and its
                        // probes come from this start.
                        effects.push(
                            Effect::cri(
                                CriCall::StartContainer,
                                Some(&c.name),
                                format!(
                                    "container {} running",
                                    c.container_id
                                        .as_deref()
                                        .map_or("", |i| &i[..i.len().min(13)])
                                ),
                            )
                            .starts(run_timer(&c.name)),
                        );
                    }
                    Err(e) => {
                        effects.push(Effect::cri(
                            CriCall::StartContainer,
                            Some(&c.name),
                            format!("failed: {e}"),
                        ));
                        c.container_id = Some(id.clone());
                        c.state = ContainerState::Terminated(Terminated {
                            exit_code: 128,
                            reason: "StartError".into(),
                            started_ticks: env.now,
                            finished_ticks: env.now,
                            container_id: id,
                        });
                        effects.push(Effect::event(
                            EventType::Warning,
                            "Failed",
                            format!("Error: {e}"),
                            c.field_path(),
                        ));
                    }
                }
            }
            Err(e) => {
                effects.push(Effect::cri(
                    CriCall::CreateContainer,
                    Some(&c.name),
                    format!("failed: {e}"),
                ));
                effects.push(Effect::event(
                    EventType::Warning,
                    "Failed",
                    format!("Error: {e}"),
                    c.field_path(),
                ));
                c.state = ContainerState::Waiting {
                    reason: "CreateContainerError".into(),
                    message: e,
                };
            }
        }
    }

    /// Runs the probes that are due. Liveness or startup failure kills the container.
    fn run_probes(&mut self, env: &mut SyncEnv, effects: &mut Vec<Effect>) {
        let pod_ip = self
            .sandbox
            .as_ref()
            .map(|s| s.ip.clone())
            .unwrap_or_default();
        let grace = self.grace_period_seconds;
        for c in self.containers.iter_mut() {
            let Some(id) = c.running_id().map(str::to_string) else {
                continue;
            };
            let startup_done = c
                .probe_result(ProbeKind::Startup)
                .is_none_or(|r| r == ProbeResult::Success);
            let mut kill: Option<ProbeKind> = None;
            for p in c.probes.iter_mut() {
                if !p.due(env.now) || (p.kind != ProbeKind::Startup && !startup_done) {
                    continue;
                }
                if p.kind == ProbeKind::Startup && p.result == ProbeResult::Success {
                    continue;
                }
                let outcome = env
                    .cri
                    .probe(&id, &p.spec.action, &pod_ip, env.node_ip, env.now);
                let flipped = p.record(outcome.is_ok(), env.now);
                // Probes run on a period that began when the container started.
                if let Err(why) = &outcome {
                    effects.push(
                        Effect::event(
                            EventType::Warning,
                            "Unhealthy",
                            format!("{} probe failed: {why}", p.kind.as_str()),
                            Some(format!("spec.containers{{{}}}", c.name)),
                        )
                        .ends(run_timer(&c.name)),
                    );
                }
                if let Some(result) = flipped {
                    effects.push(
                        Effect::decision(
                            "ProbeResult",
                            format!("{} probe of {} is now {result:?}", p.kind.as_str(), c.name),
                        )
                        .ends(run_timer(&c.name)),
                    );
                    if result == ProbeResult::Failure
                        && matches!(p.kind, ProbeKind::Liveness | ProbeKind::Startup)
                    {
                        kill = Some(p.kind);
                    }
                }
            }
            if let Some(kind) = kill {
                let what = if kind == ProbeKind::Liveness {
                    "liveness"
                } else {
                    "startup"
                };
                effects.push(Effect::event(
                    EventType::Normal,
                    "Killing",
                    format!(
                        "Container {} failed {what} probe, will be restarted",
                        c.name
                    ),
                    Some(format!("spec.containers{{{}}}", c.name)),
                ));
                c.killed_by_probe = true;
                let outcome = env.cri.stop_container(&id, grace, env.now);
                effects.push(stop_effect(&c.name, outcome, &id, grace));
                c.probes.iter_mut().for_each(ProbeWorker::container_stopped);
            }
        }
    }

    /// Terminating: preStop, stop signal, SIGKILL at the deadline, then the sandbox goes.
    fn sync_terminating(
        &mut self,
        deadline_ticks: Ticks,
        env: &mut SyncEnv,
        effects: &mut Vec<Effect>,
    ) {
        let now = env.now;
        for c in self
            .init_containers
            .iter_mut()
            .chain(self.containers.iter_mut())
        {
            c.pull = None;
            let Some(id) = c.running_id().map(str::to_string) else {
                if c.is_waiting() && !c.stop_sent {
                    c.stop_sent = true;
                }
                continue;
            };
            if c.stop_sent {
                continue;
            }
            c.stop_sent = true;
            effects.push(Effect::event(
                EventType::Normal,
                "Killing",
                format!("Stopping container {}", c.name),
                c.field_path(),
            ));
            // preStop runs first and eats into the grace period; the stop signal follows it.
            let remaining_ticks = deadline_ticks.saturating_sub(now);
            let hook_ticks = c.pre_stop_sleep_ticks.min(remaining_ticks);
            if hook_ticks > 0 {
                effects.push(Effect::decision(
                    "PreStopHook",
                    format!(
                        "preStop hook of {} runs for {}",
                        c.name,
                        go_duration(hook_ticks)
                    ),
                ));
            }
            let timeout_seconds = remaining_ticks.saturating_sub(hook_ticks) / TICKS_PER_SECOND;
            // The hook's sleep: the signal goes out when it ends (the runtime's timer counts
            // from then); modelled as a stop whose SIGKILL is at the deadline.
            let timeout_seconds = timeout_seconds + hook_ticks / TICKS_PER_SECOND;
            let outcome = env.cri.stop_container(&id, timeout_seconds, now);
            effects.push(stop_effect(&c.name, outcome, &id, timeout_seconds));
        }
        let any_running = self
            .init_containers
            .iter()
            .chain(&self.containers)
            .any(|c| matches!(c.state, ContainerState::Running { .. }));
        if any_running && now < deadline_ticks {
            return;
        }
        if any_running {
            // Past the deadline the runtime's SIGKILL has landed; the relist will show it.
            return;
        }
        // The decision first, then the CRI calls that carry it out.
        effects.push(Effect::decision(
            "PodTerminated",
            format!(
                "every container of {}/{} has stopped and its sandbox is gone",
                self.namespace, self.name
            ),
        ));
        if let Some(sandbox) = self.sandbox.take() {
            let outcome = env.cri.stop_pod_sandbox(&sandbox.id, now);
            effects.push(Effect::cri(
                CriCall::StopPodSandbox,
                None,
                outcome_text(outcome, &sandbox.id, "sandbox stopped, its IP released"),
            ));
            let outcome = env.cri.remove_pod_sandbox(&sandbox.id, now);
            effects.push(Effect::cri(
                CriCall::RemovePodSandbox,
                None,
                outcome_text(outcome, &sandbox.id, "sandbox removed"),
            ));
            if !self.host_network {
                (env.release_ip)(&self.uid);
            }
        }
        for c in self.init_containers.iter().chain(&self.containers) {
            if let Some(id) = &c.container_id {
                let outcome = env.cri.remove_container(id, now);
                effects.push(Effect::cri(
                    CriCall::RemoveContainer,
                    Some(&c.name),
                    outcome_text(outcome, id, "container removed"),
                ));
            }
        }
        env.crash_backoff.reset_prefix(&format!("{}/", self.uid));
        self.phase = WorkerPhase::Terminated;
    }

    /// The VM restarted: every container and the sandbox are gone. The next sync builds a new
    /// sandbox (attempt + 1) and starts the containers again, each counting one restart.
    pub fn node_rebooted(&mut self, now: Ticks) {
        self.sandbox = None;
        for c in self
            .init_containers
            .iter_mut()
            .chain(self.containers.iter_mut())
        {
            c.pull = None;
            c.probes.iter_mut().for_each(ProbeWorker::container_stopped);
            if let (ContainerState::Running { started_ticks }, Some(id)) =
                (&c.state, &c.container_id)
            {
                c.state = ContainerState::Terminated(Terminated {
                    exit_code: 255,
                    reason: "Unknown".into(),
                    started_ticks: *started_ticks,
                    finished_ticks: now,
                    container_id: id.clone(),
                });
            }
        }
        if matches!(self.phase, WorkerPhase::Running) {
            self.phase = WorkerPhase::Pending;
        }
        if self.phase == WorkerPhase::ContainerCreating {
            self.phase = WorkerPhase::Pending;
        }
    }

    /// The ids of the running containers, by name (for failures and `kubectl top`).
    pub fn running_containers(&self) -> Vec<(String, String)> {
        self.containers
            .iter()
            .chain(&self.init_containers)
            .filter_map(|c| Some((c.name.clone(), c.running_id()?.to_string())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::kubelet::cri::{Behaviour, ScriptedRuntime};
    use serde_json::json;

    struct World {
        cri: ScriptedRuntime,
        rng: Rng,
        crash: Backoff,
        pull: Backoff,
        next_ip: u8,
    }

    impl World {
        fn new() -> Self {
            World {
                cri: ScriptedRuntime::new()
                    .with_image("nginx:1.27", 14_000_000, Behaviour::default())
                    .with_image(
                        "busybox:1.36",
                        1_400_000,
                        Behaviour {
                            exit_after: Some((1_000, 0)),
                            ..Behaviour::default()
                        },
                    ),
                rng: Rng::new(1),
                crash: Backoff::default(),
                pull: Backoff::default(),
                next_ip: 2,
            }
        }

        /// One kubelet pass at `now`: relist, then sync. Returns the effects' reasons.
        fn pass(&mut self, w: &mut PodWorker, now: Ticks) -> Vec<String> {
            let mut ip = self.next_ip;
            let mut allocate = |_: &str| {
                ip += 1;
                Ok(format!("10.244.1.{}", ip - 1))
            };
            let mut release = |_: &str| {};
            let events = self.cri.relist(now);
            let mut env = SyncEnv {
                now,
                rng: &mut self.rng,
                cri: &mut self.cri,
                node_ip: "172.16.20.12",
                allocate_ip: &mut allocate,
                release_ip: &mut release,
                crash_backoff: &mut self.crash,
                pull_backoff: &mut self.pull,
            };
            let mut effects = Vec::new();
            for e in &events {
                effects.extend(w.on_runtime_event(e, &mut env));
            }
            effects.extend(w.sync(&mut env));
            self.next_ip = ip;
            // The kubelet's own steps; the runtime's (CRI calls) are checked apart.
            effects
                .into_iter()
                .filter(|e| e.runtime.is_none())
                .map(|e| e.reason)
                .collect()
        }
    }

    fn pod(spec: serde_json::Value) -> serde_json::Value {
        json!({"metadata": {"name": "web", "namespace": "default", "uid": "u1"}, "spec": spec})
    }

    #[test]
    fn a_pod_moves_pending_creating_running_terminating_terminated() {
        let mut world = World::new();
        let mut w = PodWorker::new(&pod(
            json!({"containers": [{"name": "web", "image": "nginx:1.27"}]}),
        ));
        assert_eq!(w.phase, WorkerPhase::Pending);
        let first = world.pass(&mut w, 0);
        assert_eq!(first, ["SandboxCreated", "Pulling"]);
        assert_eq!(w.phase, WorkerPhase::ContainerCreating);
        assert_eq!(
            w.sandbox.as_ref().map(|s| s.ip.as_str()),
            Some("10.244.1.2")
        );
        // 14 MB at 14 MB/s: the pull ends at 1 s.
        assert_eq!(
            world.pass(&mut w, 1_000),
            ["Pulled", "Created", "Started", "PodRunning"]
        );
        assert_eq!(w.phase, WorkerPhase::Running);
        assert!(w.containers[0].ready());
        let mut deleted = pod(json!({"containers": [{"name": "web", "image": "nginx:1.27"}]}));
        deleted["metadata"]["deletionTimestamp"] = json!("2025-06-01T00:00:32Z");
        deleted["metadata"]["deletionGracePeriodSeconds"] = json!(30);
        w.update(&deleted);
        assert_eq!(world.pass(&mut w, 2_000), ["Terminating", "Killing"]);
        assert_eq!(
            w.phase,
            WorkerPhase::Terminating {
                deadline_ticks: 32_000
            }
        );
        // nginx stops 100 ms after its stop signal; the next relist sees it and the sandbox goes.
        assert_eq!(
            world.pass(&mut w, 3_000),
            ["ContainerDied", "PodTerminated"]
        );
        assert_eq!(w.phase, WorkerPhase::Terminated);
        assert!(w.sandbox.is_none());
    }

    #[test]
    fn an_image_already_present_is_not_pulled_with_if_not_present() {
        let mut world = World::new();
        world.cri = world.cri.clone().with_present("nginx:1.27");
        let mut w = PodWorker::new(&pod(
            json!({"containers": [{"name": "web", "image": "nginx:1.27"}]}),
        ));
        assert_eq!(
            world.pass(&mut w, 0),
            [
                "SandboxCreated",
                "Pulled",
                "Created",
                "Started",
                "PodRunning"
            ]
        );
        assert_eq!(w.containers[0].image_ref, "docker.io/library/nginx:1.27");
    }

    #[test]
    fn a_pod_with_restart_policy_never_succeeds_when_its_container_exits_zero() {
        let mut world = World::new();
        let mut w = PodWorker::new(&pod(json!({"restartPolicy": "Never",
            "containers": [{"name": "once", "image": "busybox:1.36"}]})));
        world.pass(&mut w, 0);
        world.pass(&mut w, 1_000);
        assert_eq!(w.phase, WorkerPhase::Running);
        let reasons = world.pass(&mut w, 3_000);
        assert_eq!(reasons, ["ContainerDied", "PodSucceeded"]);
        assert_eq!(w.phase, WorkerPhase::Succeeded);
        assert!(
            w.sandbox.is_none(),
            "a finished pod gives its sandbox and IP back"
        );
    }

    #[test]
    fn nothing_moves_while_the_runtime_is_down() {
        let mut world = World::new();
        world.cri.stop_runtime(0);
        let mut w = PodWorker::new(&pod(
            json!({"containers": [{"name": "web", "image": "nginx"}]}),
        ));
        assert!(world.pass(&mut w, 0).is_empty());
        assert_eq!(w.phase, WorkerPhase::Pending);
    }
}

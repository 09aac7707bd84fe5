//! The container runtime of one node behind a CRI-shaped interface: what the kubelet calls.
//!
//! ```text
//!   RunPodSandbox ─▶ sandbox Ready (pause running) ──StopPodSandbox──▶ NotReady ──Remove──▶ gone
//!   CreateContainer ─▶ CONTAINER_CREATED ──StartContainer──▶ CONTAINER_RUNNING ─┐
//!        │                        │ exec not found: EXITED 128 StartError        │ exits / StopContainer
//!        │                        ▼                                              ▼ (stop signal, SIGKILL
//!        └──────────────── RemoveContainer ◀─────────────── CONTAINER_EXITED  at the grace period's end,
//!                                                           Completed / Error / OOMKilled   137)
//! ```
//! The runtime is pure and tick-driven: every call takes `now`; `advance(now)` moves pulls and
//! processes forward and returns what happened (pull results, container exits) for the kubelet
//! to record. Ids are 64 hex digits from the cluster's seeded RNG.
//!
//! Mirrors: `k8s.io/cri-api` `api.proto` (RuntimeService and ImageService method and field names,
//! container states) and containerd's CRI plugin: its error texts, the image's StopSignal sent
//! on StopContainer, SIGKILL at the timeout, reasons `Completed`/`Error`/`OOMKilled`/`StartError`.
//! Simplified: StopContainer returns at once and the exit is observed through `advance` (the real
//! call blocks up to the timeout); one network namespace per sandbox whose IP the caller gives;
//! while containerd is down its shims keep containers running, exits are held until it returns.

use std::collections::BTreeMap;
use std::fmt;

use super::apps::{ExecResult, HttpOutcome, Process, Signal, SpawnConfig, Usage};
use super::image_store::{
    ImageRecord, ImageStore, LayerProgress, Pull, PullEvent, DEFAULT_BANDWIDTH_BYTES_PER_SECOND,
};
use super::logs::{log_path, LogBuffer, LogLine};
use super::reference::parse_image_ref;
use super::registry::{ImageSpec, PullError, Registries};
use super::shell::Files;
use crate::sim::clock::{Ticks, DEFAULT_EPOCH_UNIX_SECONDS, TICKS_PER_SECOND};
use crate::sim::rng::Rng;
use crate::sim::sort::StableSort;

/// The sandbox image kubeadm 1.32 configures.
pub const SANDBOX_IMAGE: &str = "registry.k8s.io/pause:3.10";
pub const CONTAINERD_SOCKET: &str = "/run/containerd/containerd.sock";
const SNAPSHOTS_DIR: &str = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots";

/// gRPC status codes the CRI returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Unknown,
    InvalidArgument,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    Unavailable,
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Code::Unknown => "Unknown",
            Code::InvalidArgument => "InvalidArgument",
            Code::NotFound => "NotFound",
            Code::AlreadyExists => "AlreadyExists",
            Code::FailedPrecondition => "FailedPrecondition",
            Code::Unavailable => "Unavailable",
        })
    }
}

/// A failed CRI call; `Display` is what the kubelet logs and puts in Events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CriError {
    pub code: Code,
    pub desc: String,
}

impl fmt::Display for CriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rpc error: code = {} desc = {}", self.code, self.desc)
    }
}

impl CriError {
    fn new(code: Code, desc: impl Into<String>) -> Self {
        CriError {
            code,
            desc: desc.into(),
        }
    }

    fn unavailable() -> Self {
        CriError::new(
            Code::Unavailable,
            format!("connection error: desc = \"transport: Error while dialing: dial unix {CONTAINERD_SOCKET}: connect: connection refused\""),
        )
    }

    fn container_not_found(id: &str) -> Self {
        CriError::new(
            Code::NotFound,
            format!("an error occurred when try to find container \"{id}\": not found"),
        )
    }

    fn sandbox_not_found(id: &str) -> Self {
        CriError::new(
            Code::NotFound,
            format!("an error occurred when try to find sandbox \"{id}\": not found"),
        )
    }
}

/// A failed pull as the kubelet receives it from PullImage: NotFound for a missing tag or
/// repository on a plain registry, Unknown otherwise.
impl From<&PullError> for CriError {
    fn from(error: &PullError) -> Self {
        let code = if error.is_not_found() {
            Code::NotFound
        } else {
            Code::Unknown
        };
        CriError::new(code, error.to_string())
    }
}

/// `PodSandboxConfig`: what the kubelet knows about the pod.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PodSandboxConfig {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub attempt: u32,
    pub hostname: String,
    /// The pod IP the CNI plugin assigned (the network module owns IPAM).
    pub ip: String,
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodSandboxState {
    SandboxReady,
    SandboxNotReady,
}

#[derive(Clone, Debug)]
pub struct PodSandbox {
    pub id: String,
    pub config: PodSandboxConfig,
    pub state: PodSandboxState,
    pub created_tick: Ticks,
    /// When StopPodSandbox ended the pause process.
    pub stopped_tick: Option<Ticks>,
    pause: Option<Process>,
}

/// `ContainerConfig`: what the kubelet derives from the pod spec's container.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ContainerConfig {
    pub name: String,
    pub attempt: u32,
    /// As the pod spec wrote it (`nginx:1.27`).
    pub image: String,
    /// Replaces the image's ENTRYPOINT when not empty.
    pub command: Vec<String>,
    /// Replaces the image's CMD when not empty.
    pub args: Vec<String>,
    /// Already expanded by the kubelet (`$(VAR)` references, Service variables).
    pub env: Vec<(String, String)>,
    /// `resources.limits.memory`; the cgroup OOM-kills past it.
    pub memory_limit_bytes: Option<u64>,
    pub cpu_limit_millis: Option<u64>,
    /// Mounted files (volumes), path -> content.
    pub files: Files,
    pub labels: BTreeMap<String, String>,
}

/// `ContainerState` in api.proto.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerState {
    ContainerCreated,
    ContainerRunning,
    ContainerExited,
    ContainerUnknown,
}

impl ContainerState {
    /// crictl's word for it.
    pub fn crictl(self) -> &'static str {
        match self {
            ContainerState::ContainerCreated => "Created",
            ContainerState::ContainerRunning => "Running",
            ContainerState::ContainerExited => "Exited",
            ContainerState::ContainerUnknown => "Unknown",
        }
    }
}

/// A container and its `ContainerStatus` fields.
#[derive(Clone, Debug)]
pub struct Container {
    pub id: String,
    pub pod_sandbox_id: String,
    pub config: ContainerConfig,
    /// Normalized reference: `docker.io/library/nginx:1.27`.
    pub image_ref: String,
    /// `sha256:...` image id.
    pub image_id: String,
    /// `docker.io/library/nginx@sha256:...`, what pod status calls `imageID`.
    pub repo_digest: String,
    pub state: ContainerState,
    pub created_tick: Ticks,
    pub started_tick: Option<Ticks>,
    pub finished_tick: Option<Ticks>,
    pub exit_code: i32,
    /// `Completed`, `Error`, `OOMKilled`, `StartError`.
    pub reason: String,
    pub message: String,
    pub log_path: String,
    pub snapshot_id: u64,
    /// The argv the process runs (entrypoint/command + cmd/args).
    pub argv: Vec<String>,
    log: LogBuffer,
    process: Option<Process>,
    kill_tick: Option<Ticks>,
    oom_killed: bool,
}

impl Container {
    pub fn log(&self) -> &LogBuffer {
        &self.log
    }
}

/// What happened while time passed; the kubelet records these and updates pod status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuntimeEvent {
    Pull(PullEvent),
    ContainerExited {
        container_id: String,
        pod_sandbox_id: String,
        name: String,
        exit_code: i32,
        reason: String,
        finished_tick: Ticks,
    },
}

/// The overlay mount of a running container, as `mount | grep overlay` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverlayMount {
    /// Read-only image layers, top layer first (overlayfs order).
    pub lowerdirs: Vec<String>,
    pub upperdir: String,
    pub workdir: String,
    pub merged: String,
    /// Files the container wrote or was given (its writable layer's contents).
    pub upper_files: Vec<String>,
}

impl OverlayMount {
    pub fn options(&self) -> String {
        format!(
            "lowerdir={},upperdir={},workdir={}",
            self.lowerdirs.join(":"),
            self.upperdir,
            self.workdir
        )
    }
}

/// How a probe went, before the kubelet words it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeOutcome {
    Success(String),
    Failure(String),
}

#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    pub node_name: String,
    pub cpus: u32,
    pub bandwidth_bytes_per_second: u64,
    pub epoch_unix_seconds: i64,
}

impl RuntimeConfig {
    pub fn new(node_name: &str, cpus: u32) -> Self {
        RuntimeConfig {
            node_name: node_name.to_string(),
            cpus,
            bandwidth_bytes_per_second: DEFAULT_BANDWIDTH_BYTES_PER_SECOND,
            epoch_unix_seconds: DEFAULT_EPOCH_UNIX_SECONDS,
        }
    }
}

/// containerd on one node.
#[derive(Clone, Debug)]
pub struct Runtime {
    pub config: RuntimeConfig,
    up: bool,
    store: ImageStore,
    sandboxes: BTreeMap<String, Box<PodSandbox>>,
    containers: BTreeMap<String, Box<Container>>,
    /// Events not yet handed to the kubelet (held while containerd is down).
    pending: Vec<RuntimeEvent>,
    last_tick: Ticks,
}

/// A 64-hex-digit id, as containerd's `util.GenerateID` makes (crictl shows the first 13).
pub fn generate_id(rng: &mut Rng) -> String {
    (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect()
}

impl Runtime {
    /// A runtime whose store already holds the sandbox image, as after kubeadm's preflight.
    pub fn new(config: RuntimeConfig, registries: &Registries) -> Self {
        let mut store = ImageStore::new(config.bandwidth_bytes_per_second);
        if let Ok(r) = parse_image_ref(SANDBOX_IMAGE) {
            if let Ok(spec) = registries.resolve(&r) {
                store.preload(spec, &r.to_string(), true, 0);
            }
        }
        Runtime {
            config,
            up: true,
            store,
            sandboxes: BTreeMap::new(),
            containers: BTreeMap::new(),
            pending: Vec::new(),
            last_tick: 0,
        }
    }

    fn check_up(&self) -> Result<(), CriError> {
        if self.up {
            Ok(())
        } else {
            Err(CriError::unavailable())
        }
    }

    pub fn is_up(&self) -> bool {
        self.up
    }

    pub fn images(&self) -> &ImageStore {
        &self.store
    }

    /// Installs images at once (the control-plane images kubeadm pulled before the lab).
    pub fn preload(
        &mut self,
        image: &str,
        registries: &Registries,
        now: Ticks,
    ) -> Result<(), String> {
        let r = parse_image_ref(image).map_err(|e| e.to_string())?;
        let spec = registries.resolve(&r).map_err(|e| e.to_string())?;
        self.store.preload(spec, &r.to_string(), false, now);
        Ok(())
    }

    /// An image made on this node (`docker build`, `docker tag`), installed under `reference`.
    pub fn load_image(&mut self, spec: &ImageSpec, reference: &str, now: Ticks) {
        self.store.preload(spec, reference, false, now);
    }

    /// `docker rmi`: see [`ImageStore::untag`].
    pub fn untag_image(&mut self, reference: &str) -> Option<(String, bool)> {
        self.store.untag(reference)
    }

    // ------------------------------------------------------------ time

    /// Moves pulls and processes forward to `now`; returns what happened, oldest first.
    pub fn advance(&mut self, now: Ticks) -> Vec<RuntimeEvent> {
        self.catch_up(now);
        if self.up {
            std::mem::take(&mut self.pending)
        } else {
            Vec::new()
        }
    }

    fn catch_up(&mut self, now: Ticks) {
        let now = now.max(self.last_tick);
        if self.up {
            let pulls = self.store.advance(now);
            self.pending
                .extend(pulls.into_iter().map(RuntimeEvent::Pull));
        }
        for container in self.containers.values_mut() {
            let Some(process) = container.process.as_mut() else {
                continue;
            };
            if container.state != ContainerState::ContainerRunning {
                continue;
            }
            let mut lines = Vec::new();
            let oom_tick = container.config.memory_limit_bytes.and_then(|limit| {
                process.oom_tick(
                    limit,
                    self.last_tick.max(container.started_tick.unwrap_or(0)),
                )
            });
            let kill_tick = container.kill_tick;
            let bound = [oom_tick, kill_tick]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(Ticks::MAX);
            process.advance(now.min(bound), &mut lines);
            let exit = match process.exited() {
                Some((tick, code)) => Some((tick, code, false)),
                None if bound <= now => {
                    process.signal(Signal::Sigkill, bound);
                    Some((bound, Signal::Sigkill.exit_code(), oom_tick == Some(bound)))
                }
                None => None,
            };
            for line in lines {
                container.log.push(line.tick, line.stream, &line.text);
            }
            if let Some((tick, code, oom)) = exit {
                container.state = ContainerState::ContainerExited;
                container.finished_tick = Some(tick);
                container.exit_code = code;
                container.oom_killed = oom;
                container.reason = if oom {
                    "OOMKilled".into()
                } else if code == 0 {
                    "Completed".into()
                } else {
                    "Error".into()
                };
                self.pending.push(RuntimeEvent::ContainerExited {
                    container_id: container.id.clone(),
                    pod_sandbox_id: container.pod_sandbox_id.clone(),
                    name: container.config.name.clone(),
                    exit_code: code,
                    reason: container.reason.clone(),
                    finished_tick: tick,
                });
            }
        }
        for sandbox in self.sandboxes.values_mut() {
            if let Some(pause) = sandbox.pause.as_mut() {
                pause.advance(now, &mut Vec::new());
            }
        }
        self.last_tick = now;
    }

    // ------------------------------------------------------------ RuntimeService: sandboxes

    pub fn run_pod_sandbox(
        &mut self,
        config: PodSandboxConfig,
        rng: &mut Rng,
        now: Ticks,
    ) -> Result<String, CriError> {
        self.check_up()?;
        self.catch_up(now);
        let name = format!(
            "{}_{}_{}_{}",
            config.name, config.namespace, config.uid, config.attempt
        );
        if let Some(existing) = self.sandboxes.values().find(|s| {
            let c = &s.config;
            format!("{}_{}_{}_{}", c.name, c.namespace, c.uid, c.attempt) == name
        }) {
            return Err(CriError::new(
                Code::Unknown,
                format!("failed to reserve sandbox name \"{name}\": name \"{name}\" is reserved for \"{}\"", existing.id),
            ));
        }
        let pause_spec = self
            .store
            .find(SANDBOX_IMAGE_NORMALIZED)
            .map(|r| r.spec.clone())
            .ok_or_else(|| {
                CriError::new(
                    Code::Unknown,
                    format!("failed to get sandbox image \"{SANDBOX_IMAGE}\": failed to get image \"{SANDBOX_IMAGE}\" from the content store: image not found"),
                )
            })?;
        let id = generate_id(rng);
        let pause = Process::spawn(
            &pause_spec,
            self.spawn_config(&pause_spec.entrypoint, &config, &[], &Files::new()),
            now,
        )
        .ok();
        self.sandboxes.insert(
            id.clone(),
            Box::new(PodSandbox {
                id: id.clone(),
                config,
                state: PodSandboxState::SandboxReady,
                created_tick: now,
                stopped_tick: None,
                pause,
            }),
        );
        Ok(id)
    }

    fn spawn_config(
        &self,
        argv: &[String],
        sandbox: &PodSandboxConfig,
        env: &[(String, String)],
        files: &Files,
    ) -> SpawnConfig {
        SpawnConfig {
            argv: argv.to_vec(),
            env: env.iter().cloned().collect(),
            hostname: if sandbox.hostname.is_empty() {
                sandbox.name.clone()
            } else {
                sandbox.hostname.clone()
            },
            pod_ip: sandbox.ip.clone(),
            cpus: self.config.cpus,
            epoch_unix_seconds: self.config.epoch_unix_seconds,
            files: files.clone(),
        }
    }

    /// Stops every container of the sandbox at once and the pause process; the sandbox stays
    /// listed as NotReady until removed. Stopping a missing sandbox is not an error.
    pub fn stop_pod_sandbox(&mut self, pod_sandbox_id: &str, now: Ticks) -> Result<(), CriError> {
        self.check_up()?;
        self.catch_up(now);
        let ids: Vec<String> = self
            .containers
            .values()
            .filter(|c| {
                c.pod_sandbox_id == pod_sandbox_id && c.state == ContainerState::ContainerRunning
            })
            .map(|c| c.id.clone())
            .collect();
        for id in ids {
            if let Some(c) = self.containers.get_mut(&id) {
                c.kill_tick = Some(now);
            }
        }
        self.catch_up(now);
        if let Some(sandbox) = self.sandboxes.get_mut(pod_sandbox_id) {
            if let Some(pause) = sandbox.pause.as_mut() {
                pause.signal(Signal::Sigkill, now);
            }
            if sandbox.state == PodSandboxState::SandboxReady {
                sandbox.stopped_tick = Some(now);
            }
            sandbox.state = PodSandboxState::SandboxNotReady;
        }
        Ok(())
    }

    pub fn remove_pod_sandbox(&mut self, pod_sandbox_id: &str, now: Ticks) -> Result<(), CriError> {
        self.stop_pod_sandbox(pod_sandbox_id, now)?;
        self.containers
            .retain(|_, c| c.pod_sandbox_id != pod_sandbox_id);
        self.sandboxes.remove(pod_sandbox_id);
        Ok(())
    }

    pub fn pod_sandbox_status(&self, pod_sandbox_id: &str) -> Result<&PodSandbox, CriError> {
        self.check_up()?;
        self.sandboxes
            .get(pod_sandbox_id)
            .map(Box::as_ref)
            .ok_or_else(|| CriError::sandbox_not_found(pod_sandbox_id))
    }

    /// Sandboxes, newest first (as crictl shows them).
    pub fn list_pod_sandbox(&self) -> Result<Vec<&PodSandbox>, CriError> {
        self.check_up()?;
        Ok(self.sandboxes_newest_first())
    }

    pub(super) fn sandboxes_newest_first(&self) -> Vec<&PodSandbox> {
        let mut v: Vec<&PodSandbox> = self.sandboxes.values().map(Box::as_ref).collect();
        v.stable_sort_by(|a, b| b.created_tick.cmp(&a.created_tick).then(a.id.cmp(&b.id)));
        v
    }

    // ------------------------------------------------------------ ImageService

    /// Starts pulling `image` (or joins a pull in progress). The result arrives as a
    /// `RuntimeEvent::Pull` from `advance`; progress is in `pull_progress`.
    /// Returns the normalized reference to poll.
    pub fn pull_image(
        &mut self,
        image: &str,
        registries: &Registries,
        now: Ticks,
    ) -> Result<String, CriError> {
        self.check_up()?;
        self.catch_up(now);
        let reference = parse_image_ref(image).map_err(|e| {
            CriError::new(Code::Unknown, format!("failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": {e}"))
        })?;
        self.store.start_pull(&reference, registries, now);
        Ok(reference.to_string())
    }

    pub fn pull(&self, reference: &str) -> Option<&Pull> {
        self.store.pull(reference)
    }

    /// What `PullImage(image)` fetches: the repository, each layer with whether the node's
    /// content store holds it now ("Already exists"), and whether a pull of the same image is
    /// already under way (a new one joins it). None when the reference does not parse or the
    /// registry does not have it (the pull will fail).
    #[allow(clippy::type_complexity)]
    pub fn pull_layers(
        &self,
        image: &str,
        registries: &Registries,
    ) -> Option<(String, Vec<(String, u64, bool)>, bool)> {
        let reference = parse_image_ref(image).ok()?;
        let spec = registries.resolve(&reference).ok()?;
        let joined = self.store.pull(&reference.to_string()).is_some_and(|p| {
            matches!(
                p.phase,
                super::image_store::PullPhase::Resolving { .. }
                    | super::image_store::PullPhase::Downloading
            )
        });
        let layers = spec
            .layers
            .iter()
            .map(|l| {
                let cached = self.store.layer(&l.digest).is_some();
                (l.digest.clone(), l.size_bytes, cached)
            })
            .collect();
        Some((spec.repository.clone(), layers, joined))
    }

    pub fn pull_progress(&self, reference: &str) -> Vec<LayerProgress> {
        self.store.pull_progress(reference)
    }

    /// `ImageStatus`: `Ok(None)` when the node does not have it.
    pub fn image_status(&self, image: &str) -> Result<Option<&ImageRecord>, CriError> {
        self.check_up()?;
        Ok(match parse_image_ref(image) {
            Ok(r) => self.store.find(&r.to_string()),
            Err(_) => self.store.find(image),
        })
    }

    /// Does the node have `image`? (the kubelet's pull-policy question)
    pub fn has_image(&self, image: &str) -> bool {
        matches!(self.image_status(image), Ok(Some(_)))
    }

    pub fn list_images(&self) -> Result<Vec<&ImageRecord>, CriError> {
        self.check_up()?;
        Ok(self.store.images().collect())
    }

    /// Removing an image that is not there succeeds, as in containerd.
    pub fn remove_image(&mut self, image: &str) -> Result<(), CriError> {
        self.check_up()?;
        let key = parse_image_ref(image)
            .map(|r| r.to_string())
            .unwrap_or_else(|_| image.to_string());
        if !self.store.remove(&key) {
            self.store.remove(image);
        }
        Ok(())
    }

    // ------------------------------------------------------------ RuntimeService: containers

    pub fn create_container(
        &mut self,
        pod_sandbox_id: &str,
        config: ContainerConfig,
        rng: &mut Rng,
        now: Ticks,
    ) -> Result<String, CriError> {
        self.check_up()?;
        self.catch_up(now);
        let sandbox = self
            .sandboxes
            .get(pod_sandbox_id)
            .map(Box::as_ref)
            .ok_or_else(|| CriError::sandbox_not_found(pod_sandbox_id))?;
        if sandbox.state != PodSandboxState::SandboxReady {
            return Err(CriError::new(Code::Unknown, format!("failed to create containerd container: sandbox container \"{pod_sandbox_id}\" is not running")));
        }
        let s = &sandbox.config;
        let name = format!(
            "{}_{}_{}_{}_{}",
            config.name, s.name, s.namespace, s.uid, config.attempt
        );
        if let Some(existing) = self.containers.values().find(|c| {
            c.pod_sandbox_id == pod_sandbox_id
                && c.config.name == config.name
                && c.config.attempt == config.attempt
        }) {
            return Err(CriError::new(Code::Unknown, format!("failed to reserve container name \"{name}\": name \"{name}\" is reserved for \"{}\"", existing.id)));
        }
        let reference = parse_image_ref(&config.image).map_err(|e| {
            CriError::new(
                Code::Unknown,
                format!("failed to resolve image \"{}\": {e}", config.image),
            )
        })?;
        let normalized = reference.to_string();
        let record = self.store.find(&normalized).ok_or_else(|| {
            CriError::new(
                Code::NotFound,
                format!("failed to get image config: image \"{normalized}\": not found"),
            )
        })?;
        let spec = record.spec.clone();
        let image_id = record.id.clone();
        let repo_digest = record
            .repo_digests
            .iter()
            .find(|d| d.starts_with(&format!("{}@", reference.name())))
            .or_else(|| record.repo_digests.iter().next())
            .cloned()
            .unwrap_or_default();
        let log_path = log_path(&s.namespace, &s.name, &s.uid, &config.name, config.attempt);
        let argv = compose_argv(&spec, &config);
        let id = generate_id(rng);
        let snapshot_id = self.store.new_snapshot_id();
        self.containers.insert(
            id.clone(),
            Box::new(Container {
                id: id.clone(),
                pod_sandbox_id: pod_sandbox_id.to_string(),
                config,
                image_ref: normalized,
                image_id,
                repo_digest,
                state: ContainerState::ContainerCreated,
                created_tick: now,
                started_tick: None,
                finished_tick: None,
                exit_code: 0,
                reason: String::new(),
                message: String::new(),
                log_path,
                snapshot_id,
                argv,
                log: LogBuffer::default(),
                process: None,
                kill_tick: None,
                oom_killed: false,
            }),
        );
        Ok(id)
    }

    pub fn start_container(&mut self, container_id: &str, now: Ticks) -> Result<(), CriError> {
        self.check_up()?;
        self.catch_up(now);
        let container = self
            .containers
            .get(container_id)
            .map(Box::as_ref)
            .ok_or_else(|| CriError::container_not_found(container_id))?;
        if container.state != ContainerState::ContainerCreated {
            return Err(CriError::new(
                Code::Unknown,
                format!(
                    "container \"{container_id}\" is in {} state",
                    state_name(container.state)
                ),
            ));
        }
        let sandbox = self
            .sandboxes
            .get(&container.pod_sandbox_id)
            .ok_or_else(|| CriError::sandbox_not_found(&container.pod_sandbox_id))?;
        let spec = self
            .store
            .find(&container.image_id)
            .map(|r| r.spec.clone())
            .ok_or_else(|| {
                CriError::new(
                    Code::NotFound,
                    format!("image \"{}\" not found", container.image_ref),
                )
            })?;
        let mut env: Vec<(String, String)> = spec.env.clone();
        env.extend(container.config.env.iter().cloned());
        let spawn = self.spawn_config(
            &container.argv,
            &sandbox.config,
            &env,
            &container.config.files,
        );
        let result = Process::spawn(&spec, spawn, now);
        let Some(container) = self.containers.get_mut(container_id) else {
            return Err(CriError::container_not_found(container_id));
        };
        match result {
            Ok(process) => {
                container.process = Some(process);
                container.state = ContainerState::ContainerRunning;
                container.started_tick = Some(now);
                // Lines due at the start tick (entrypoint output) are logged at once.
                self.catch_up(now);
                Ok(())
            }
            Err(e) => {
                // runc could not exec the command: the container is left exited with 128.
                container.state = ContainerState::ContainerExited;
                container.started_tick = Some(now);
                container.finished_tick = Some(now);
                container.exit_code = 128;
                container.reason = "StartError".into();
                container.message = e.0.clone();
                Err(CriError::new(Code::Unknown, e.0))
            }
        }
    }

    /// Sends the image's stop signal; SIGKILL follows after `timeout_seconds` (at once for 0).
    /// The exit shows up in `advance`. Stopping a container that is not running succeeds.
    pub fn stop_container(
        &mut self,
        container_id: &str,
        timeout_seconds: u64,
        now: Ticks,
    ) -> Result<(), CriError> {
        self.check_up()?;
        self.catch_up(now);
        let stop_signal = {
            let container = self
                .containers
                .get(container_id)
                .ok_or_else(|| CriError::container_not_found(container_id))?;
            self.store
                .find(&container.image_id)
                .map(|r| r.spec.stop_signal)
                .unwrap_or(Signal::Sigterm)
        };
        let Some(container) = self.containers.get_mut(container_id) else {
            return Err(CriError::container_not_found(container_id));
        };
        if container.state != ContainerState::ContainerRunning {
            return Ok(());
        }
        let kill_at = now.saturating_add(timeout_seconds.saturating_mul(TICKS_PER_SECOND));
        container.kill_tick = Some(container.kill_tick.map_or(kill_at, |k| k.min(kill_at)));
        if timeout_seconds > 0 {
            if let Some(process) = container.process.as_mut() {
                process.signal(stop_signal, now);
            }
        }
        self.catch_up(now);
        Ok(())
    }

    /// Removes a container (force-stopping it first, as containerd does).
    pub fn remove_container(&mut self, container_id: &str, now: Ticks) -> Result<(), CriError> {
        self.check_up()?;
        self.catch_up(now);
        if let Some(c) = self.containers.get_mut(container_id) {
            if c.state == ContainerState::ContainerRunning {
                c.kill_tick = Some(now);
                self.catch_up(now);
            }
        }
        self.containers.remove(container_id);
        Ok(())
    }

    pub fn container_status(&self, container_id: &str) -> Result<&Container, CriError> {
        self.check_up()?;
        self.containers
            .get(container_id)
            .map(Box::as_ref)
            .ok_or_else(|| CriError::container_not_found(container_id))
    }

    /// Containers, newest first; `pod_sandbox_id` filters like `crictl ps --pod`.
    pub fn list_containers(
        &self,
        pod_sandbox_id: Option<&str>,
    ) -> Result<Vec<&Container>, CriError> {
        self.check_up()?;
        Ok(self.containers_newest_first(pod_sandbox_id))
    }

    pub(super) fn containers_newest_first(&self, pod_sandbox_id: Option<&str>) -> Vec<&Container> {
        let mut v: Vec<&Container> = self
            .containers
            .values()
            .map(Box::as_ref)
            .filter(|c| pod_sandbox_id.is_none_or(|p| c.pod_sandbox_id == p))
            .collect();
        v.stable_sort_by(|a, b| b.created_tick.cmp(&a.created_tick).then(a.id.cmp(&b.id)));
        v
    }

    pub(super) fn sandbox(&self, id: &str) -> Option<&PodSandbox> {
        self.sandboxes.get(id).map(Box::as_ref)
    }

    /// The container of `name` in a sandbox: the current attempt, or with `previous` the one
    /// before it (`kubectl logs --previous`).
    pub fn find_container(
        &self,
        pod_sandbox_id: &str,
        name: &str,
        previous: bool,
    ) -> Option<&Container> {
        let mut attempts: Vec<&Container> = self
            .containers
            .values()
            .map(Box::as_ref)
            .filter(|c| c.pod_sandbox_id == pod_sandbox_id && c.config.name == name)
            .collect();
        attempts.stable_sort_by_key(|c| (c.config.attempt, c.created_tick));
        let n = attempts.len();
        if previous {
            n.checked_sub(2).and_then(|i| attempts.get(i).copied())
        } else {
            attempts.last().copied()
        }
    }

    /// Log lines of a container, for `kubectl logs`. Logs stay readable while containerd is
    /// down: the kubelet reads the log files directly.
    pub fn container_log(&self, container_id: &str) -> Option<&LogBuffer> {
        self.containers.get(container_id).map(|c| &c.log)
    }

    // ------------------------------------------------------------ exec, probes, traffic

    /// `ExecSync`: runs a command in a running container (kubectl exec, exec probes).
    pub fn exec_sync(
        &mut self,
        container_id: &str,
        argv: &[String],
        now: Ticks,
    ) -> Result<ExecResult, CriError> {
        self.exec_with_stdin(container_id, argv, None, now)
    }

    /// `Exec` with stdin (`kubectl exec -i`): the whole of it, as sent before it closed.
    pub fn exec_with_stdin(
        &mut self,
        container_id: &str,
        argv: &[String],
        stdin: Option<&str>,
        now: Ticks,
    ) -> Result<ExecResult, CriError> {
        self.check_up()?;
        self.catch_up(now);
        let container = self
            .containers
            .get_mut(container_id)
            .ok_or_else(|| CriError::container_not_found(container_id))?;
        let process = match (&container.state, container.process.as_mut()) {
            (ContainerState::ContainerRunning, Some(p)) => p,
            _ => {
                return Err(CriError::new(
                    Code::Unknown,
                    format!("container {container_id} is not running"),
                ));
            }
        };
        process
            .exec_with_stdin(argv, stdin, now)
            .map_err(|e| CriError::new(Code::Unknown, e.0))
    }

    pub fn probe_exec(&mut self, container_id: &str, argv: &[String], now: Ticks) -> ProbeOutcome {
        match self.exec_sync(container_id, argv, now) {
            Ok(r) if r.exit_code == 0 => ProbeOutcome::Success(r.stdout),
            Ok(r) => ProbeOutcome::Failure(format!(
                "command {:?} exited with {}: {}",
                argv.join(" "),
                r.exit_code,
                r.stdout + &r.stderr
            )),
            Err(e) => ProbeOutcome::Failure(e.to_string()),
        }
    }

    /// An HTTP request to a container's port (Service traffic, httpGet probes).
    #[allow(clippy::too_many_arguments)]
    pub fn http_request(
        &mut self,
        container_id: &str,
        method: &str,
        port: u16,
        path: &str,
        client_ip: &str,
        user_agent: &str,
        now: Ticks,
    ) -> HttpOutcome {
        self.catch_up(now);
        let Some(container) = self.containers.get_mut(container_id) else {
            return HttpOutcome::Refused;
        };
        let (ContainerState::ContainerRunning, Some(process)) =
            (container.state, container.process.as_mut())
        else {
            return HttpOutcome::Refused;
        };
        let mut lines: Vec<LogLine> = Vec::new();
        let outcome = process.http(now, method, port, path, client_ip, user_agent, &mut lines);
        for line in lines {
            container.log.push(line.tick, line.stream, &line.text);
        }
        outcome
    }

    /// An httpGet probe, worded as the kubelet's prober words its results.
    pub fn probe_http(
        &mut self,
        container_id: &str,
        pod_ip: &str,
        port: u16,
        path: &str,
        node_ip: &str,
        now: Ticks,
    ) -> ProbeOutcome {
        let url = format!("http://{pod_ip}:{port}{path}");
        match self.http_request(container_id, "GET", port, path, node_ip, "kube-probe/1.32", now) {
            HttpOutcome::Response { status, body } if (200..400).contains(&status) => ProbeOutcome::Success(body),
            HttpOutcome::Response { status, .. } => ProbeOutcome::Failure(format!("HTTP probe failed with statuscode: {status}")),
            HttpOutcome::Refused => ProbeOutcome::Failure(format!("Get \"{url}\": dial tcp {pod_ip}:{port}: connect: connection refused")),
            HttpOutcome::NotHttp => ProbeOutcome::Failure(format!("Get \"{url}\": net/http: HTTP/1.x transport connection broken: malformed HTTP response")),
        }
    }

    /// A tcpSocket probe: does the port accept a connection?
    pub fn probe_tcp(
        &mut self,
        container_id: &str,
        pod_ip: &str,
        port: u16,
        now: Ticks,
    ) -> ProbeOutcome {
        self.catch_up(now);
        let listening = self
            .containers
            .get(container_id)
            .filter(|c| c.state == ContainerState::ContainerRunning)
            .and_then(|c| c.process.as_ref())
            .is_some_and(|p| p.listens(port, now));
        if listening {
            ProbeOutcome::Success(String::new())
        } else {
            ProbeOutcome::Failure(format!(
                "dial tcp {pod_ip}:{port}: connect: connection refused"
            ))
        }
    }

    /// `kubectl top` figures for a container (zero once it exited). CPU is capped by the
    /// container's limit, as CFS quota throttles it.
    pub fn container_usage(&self, container_id: &str, now: Ticks) -> Usage {
        let Some(c) = self
            .containers
            .get(container_id)
            .filter(|c| c.state == ContainerState::ContainerRunning)
        else {
            return Usage::default();
        };
        let mut usage = c.process.as_ref().map(|p| p.usage(now)).unwrap_or_default();
        if let Some(limit) = c.config.cpu_limit_millis {
            usage.cpu_millis = usage.cpu_millis.min(limit);
        }
        usage
    }

    /// The overlayfs mount of a container: read-only image layers and its writable layer.
    pub fn container_mounts(&self, container_id: &str) -> Option<OverlayMount> {
        let c = self.containers.get(container_id)?;
        let record = self.store.find(&c.image_id)?;
        let lowerdirs = record
            .spec
            .layers
            .iter()
            .rev()
            .filter_map(|l| self.store.layer(&l.digest))
            .map(|l| format!("{SNAPSHOTS_DIR}/{}/fs", l.snapshot_id))
            .collect();
        let image_files: Vec<String> = c
            .process
            .as_ref()
            .map(|p| p.files.keys().cloned().collect())
            .unwrap_or_default();
        Some(OverlayMount {
            lowerdirs,
            upperdir: format!("{SNAPSHOTS_DIR}/{}/fs", c.snapshot_id),
            workdir: format!("{SNAPSHOTS_DIR}/{}/work", c.snapshot_id),
            merged: format!(
                "/run/containerd/io.containerd.runtime.v2.task/k8s.io/{}/rootfs",
                c.id
            ),
            upper_files: image_files,
        })
    }

    // ------------------------------------------------------------ failures

    /// `systemctl stop containerd`: every CRI call fails Unavailable; pulls are cancelled;
    /// containers keep running under their shims.
    pub fn stop_runtime(&mut self, now: Ticks) {
        self.catch_up(now);
        let aborted = self.store.abort_pulls(now);
        for reference in aborted {
            if let Some(pull) = self.store.pull(&reference) {
                if let super::image_store::PullPhase::Failed {
                    error,
                    finished_tick,
                } = &pull.phase
                {
                    self.pending.push(RuntimeEvent::Pull(PullEvent::Failed {
                        reference: reference.clone(),
                        error: error.clone(),
                        finished_tick: *finished_tick,
                    }));
                }
            }
        }
        self.up = false;
    }

    pub fn start_runtime(&mut self, now: Ticks) {
        self.catch_up(now);
        self.up = true;
    }

    /// `kill -9` from the node: exit 137, reason Error.
    pub fn kill_container(&mut self, container_id: &str, now: Ticks) -> bool {
        self.catch_up(now);
        match self.containers.get_mut(container_id) {
            Some(c) if c.state == ContainerState::ContainerRunning => {
                c.kill_tick = Some(now);
                self.catch_up(now);
                true
            }
            _ => false,
        }
    }

    /// Makes a running container allocate memory without end until its limit OOM-kills it.
    pub fn exhaust_memory(
        &mut self,
        container_id: &str,
        bytes_per_second: u64,
        now: Ticks,
    ) -> bool {
        self.catch_up(now);
        match self
            .containers
            .get_mut(container_id)
            .and_then(|c| c.process.as_mut())
        {
            Some(p) => {
                p.inject_memory_leak(bytes_per_second, now);
                true
            }
            None => false,
        }
    }
}

const SANDBOX_IMAGE_NORMALIZED: &str = "registry.k8s.io/pause:3.10";

fn state_name(state: ContainerState) -> &'static str {
    match state {
        ContainerState::ContainerCreated => "CONTAINER_CREATED",
        ContainerState::ContainerRunning => "CONTAINER_RUNNING",
        ContainerState::ContainerExited => "CONTAINER_EXITED",
        ContainerState::ContainerUnknown => "CONTAINER_UNKNOWN",
    }
}

/// Docker's rule, which Kubernetes follows: `command` replaces ENTRYPOINT (and drops the image
/// CMD), `args` replaces CMD.
pub fn compose_argv(spec: &ImageSpec, config: &ContainerConfig) -> Vec<String> {
    let entrypoint = if config.command.is_empty() {
        spec.entrypoint.clone()
    } else {
        config.command.clone()
    };
    let cmd = if !config.args.is_empty() {
        config.args.clone()
    } else if config.command.is_empty() {
        spec.cmd.clone()
    } else {
        Vec::new()
    };
    entrypoint.into_iter().chain(cmd).collect()
}

//! What the kubelet needs from its node's container runtime: the CRI calls, seen from the
//! kubelet's side.
//!
//! Mirrors: `k8s.io/cri-api` `RuntimeService` / `ImageService` as `pkg/kubelet/kuberuntime`
//! calls them (RunPodSandbox, PullImage, CreateContainer, StartContainer, StopContainer with a
//! timeout, RemoveContainer, ContainerStatus, ExecSync for probes) plus the PLEG's relist, which
//! here is `relist`: what changed since the last look.
//! Simplified: one trait with plain values, so the pod workers can be driven by the real
//! runtime (`crate::sim::runtime`) or by [`ScriptedRuntime`] in tests; errors are the runtime's
//! message text (the kubelet only words them into Events and waiting messages).

use std::collections::BTreeMap;

use crate::sim::clock::{Ticks, TICKS_PER_SECOND};
use crate::sim::rng::Rng;
use crate::sim::sort::StableSort;

/// What the kubelet passes to `RunPodSandbox`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxSpec {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub attempt: u32,
    pub ip: String,
}

/// What the kubelet passes to `CreateContainer`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerSpec {
    pub name: String,
    pub attempt: u32,
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub memory_limit_bytes: Option<u64>,
    pub cpu_limit_millis: Option<u64>,
}

/// `ContainerStatus` as the kubelet reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerInfo {
    pub id: String,
    pub running: bool,
    pub exit_code: i32,
    /// `Completed`, `Error`, `OOMKilled`, `StartError` once exited.
    pub reason: String,
    pub started_tick: Option<Ticks>,
    pub finished_tick: Option<Ticks>,
    /// `docker.io/library/nginx:latest`.
    pub image_ref: String,
    /// `sha256:...` (the image's config digest).
    pub image_id: String,
}

/// An image the node holds, for `status.images` and the `Pulled` event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    /// `docker.io/library/nginx@sha256:...`.
    pub repo_digest: String,
    pub repo_tags: Vec<String>,
    pub size_bytes: u64,
}

/// The layers of an image a pull fetches: see [`Cri::pull_layers`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullLayers {
    /// `docker.io/library/nginx`: where the missing blobs come from.
    pub repository: String,
    pub layers: Vec<crate::sim::trace::LayerPull>,
    /// A pull of the same image is already under way on the node: a new `PullImage` joins it
    /// (containerd pulls an image once) and fetches nothing itself.
    pub joined: bool,
}

/// What changed in the runtime since the last relist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CriEvent {
    PullCompleted {
        /// The normalized reference `pull_image` returned.
        reference: String,
        size_bytes: u64,
        started_tick: Ticks,
        finished_tick: Ticks,
    },
    PullFailed {
        reference: String,
        /// The registry's answer as containerd words it (`... not found`).
        message: String,
        finished_tick: Ticks,
    },
    ContainerExited {
        container_id: String,
        exit_code: i32,
        reason: String,
        finished_tick: Ticks,
    },
}

/// How a probe reached the container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeAction {
    HttpGet { port: u16, path: String },
    TcpSocket { port: u16 },
    Exec { command: Vec<String> },
}

/// The container runtime of one node, as the kubelet uses it. Every call takes `now`.
pub trait Cri {
    /// Is containerd answering? (`systemctl stop containerd` makes every call fail.)
    fn is_up(&self) -> bool;
    /// PLEG relist: moves the runtime to `now` and returns what happened.
    fn relist(&mut self, now: Ticks) -> Vec<CriEvent>;
    fn run_pod_sandbox(
        &mut self,
        spec: SandboxSpec,
        rng: &mut Rng,
        now: Ticks,
    ) -> Result<String, String>;
    fn stop_pod_sandbox(&mut self, sandbox_id: &str, now: Ticks) -> Result<(), String>;
    fn remove_pod_sandbox(&mut self, sandbox_id: &str, now: Ticks) -> Result<(), String>;
    /// The node's copy of `image`, if it has one.
    fn image(&self, image: &str) -> Option<ImageInfo>;
    fn images(&self) -> Vec<ImageInfo>;
    /// Starts a pull; the result is a `PullCompleted`/`PullFailed` from `relist`.
    /// Returns the normalized reference the result will name.
    fn pull_image(&mut self, image: &str, now: Ticks) -> Result<String, String>;
    /// The layers a pull of `image` fetches, as the node holds them now (for the trace's
    /// `PullImage` and the registry's blobs). None when unknown (a scripted runtime, or an image
    /// the registry does not have).
    fn pull_layers(&self, _image: &str) -> Option<PullLayers> {
        None
    }
    fn create_container(
        &mut self,
        sandbox_id: &str,
        spec: ContainerSpec,
        rng: &mut Rng,
        now: Ticks,
    ) -> Result<String, String>;
    fn start_container(&mut self, container_id: &str, now: Ticks) -> Result<(), String>;
    /// Stop signal now, SIGKILL after `timeout_seconds`; the exit comes from `relist`.
    fn stop_container(
        &mut self,
        container_id: &str,
        timeout_seconds: u64,
        now: Ticks,
    ) -> Result<(), String>;
    fn remove_container(&mut self, container_id: &str, now: Ticks) -> Result<(), String>;
    fn container(&self, container_id: &str) -> Option<ContainerInfo>;
    /// Runs a probe; `Ok(())` on success, `Err(why)` worded as the kubelet's prober words it.
    fn probe(
        &mut self,
        container_id: &str,
        action: &ProbeAction,
        pod_ip: &str,
        node_ip: &str,
        now: Ticks,
    ) -> Result<(), String>;
    /// (CPU millicores, memory bytes) a running container uses now.
    fn usage(&self, container_id: &str, now: Ticks) -> (u64, u64);
    // Failures the UI injects.
    fn stop_runtime(&mut self, now: Ticks);
    fn start_runtime(&mut self, now: Ticks);
    /// `kill -9` of the container's main process.
    fn kill_container(&mut self, container_id: &str, now: Ticks) -> bool;
    /// Makes the container leak memory until it is OOM-killed.
    fn exhaust_memory(&mut self, container_id: &str, bytes_per_second: u64, now: Ticks) -> bool;
    /// Service traffic reaching the container's port; a runtime without apps refuses it.
    fn http_request(
        &mut self,
        _container_id: &str,
        _port: u16,
        _path: &str,
        _client_ip: &str,
        _user_agent: &str,
        _now: Ticks,
    ) -> crate::sim::runtime::apps::HttpOutcome {
        crate::sim::runtime::apps::HttpOutcome::Refused
    }
    /// The real runtime behind this CRI, shared for read-mostly views (`crictl`, `kubectl
    /// logs`/`exec`); None for scripted runtimes in tests.
    fn shared_runtime(
        &self,
    ) -> Option<std::rc::Rc<std::cell::RefCell<crate::sim::runtime::Runtime>>> {
        None
    }
}

/// How a scripted image's process behaves once started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Behaviour {
    /// Exits with this code after this long; None runs until stopped.
    pub exit_after: Option<(Ticks, i32)>,
    /// The HTTP status its port answers with, by time since start (first match from the end).
    pub http_status_from: Vec<(Ticks, u16)>,
    pub memory_bytes: u64,
    pub cpu_millis: u64,
    /// Memory grows this much per second (a leak).
    pub memory_growth_bytes_per_second: u64,
    /// Ticks it takes to exit after the stop signal (None: ignores SIGTERM, dies at SIGKILL).
    pub stop_after_ticks: Option<Ticks>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            exit_after: None,
            http_status_from: vec![(0, 200)],
            memory_bytes: 3 * 1024 * 1024,
            cpu_millis: 1,
            memory_growth_bytes_per_second: 0,
            stop_after_ticks: Some(100),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct ScriptedImage {
    size_bytes: u64,
    behaviour: Behaviour,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct ScriptedContainer {
    sandbox_id: String,
    spec: ContainerSpec,
    image_ref: String,
    info: ContainerInfo,
    behaviour: Behaviour,
    /// When the process dies: its own exit, the stop signal's effect, SIGKILL, or OOM.
    exit_at: Option<(Ticks, i32, &'static str)>,
}

/// A small, deterministic stand-in runtime for the kubelet's own tests: images from a table,
/// pulls at a fixed bandwidth, processes that follow a [`Behaviour`].
#[derive(Clone, Debug)]
pub struct ScriptedRuntime {
    up: bool,
    bandwidth_bytes_per_second: u64,
    registry: BTreeMap<String, ScriptedImage>,
    present: BTreeMap<String, u64>,
    /// reference -> (started, finishes, size), or failure.
    pulls: BTreeMap<String, (Ticks, Ticks, Option<u64>)>,
    sandboxes: BTreeMap<String, SandboxSpec>,
    containers: BTreeMap<String, ScriptedContainer>,
    pending: Vec<CriEvent>,
}

/// `nginx` → `docker.io/library/nginx:latest`, as Docker normalizes names.
pub fn normalize_image(image: &str) -> String {
    let (name, tag) = match image.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n.to_string(), t.to_string()),
        _ => (image.to_string(), "latest".to_string()),
    };
    let first = name.split('/').next().unwrap_or("");
    let qualified = if !name.contains('/') {
        format!("docker.io/library/{name}")
    } else if first.contains('.') || first.contains(':') || first == "localhost" {
        name
    } else {
        format!("docker.io/{name}")
    };
    format!("{qualified}:{tag}")
}

impl ScriptedRuntime {
    pub fn new() -> Self {
        ScriptedRuntime {
            up: true,
            bandwidth_bytes_per_second: 14_000_000,
            registry: BTreeMap::new(),
            present: BTreeMap::new(),
            pulls: BTreeMap::new(),
            sandboxes: BTreeMap::new(),
            containers: BTreeMap::new(),
            pending: Vec::new(),
        }
    }

    /// Puts an image in the simulated registry.
    pub fn with_image(mut self, image: &str, size_bytes: u64, behaviour: Behaviour) -> Self {
        self.registry.insert(
            normalize_image(image),
            ScriptedImage {
                size_bytes,
                behaviour,
            },
        );
        self
    }

    /// Puts an image on the node already (as kubeadm's preflight pulls).
    pub fn with_present(mut self, image: &str) -> Self {
        let reference = normalize_image(image);
        let size = self.registry.get(&reference).map_or(0, |i| i.size_bytes);
        self.present.insert(reference, size);
        self
    }

    fn digest(reference: &str) -> String {
        // A stable fake digest: FNV-1a of the reference, repeated to 64 hex digits.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in reference.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
        format!("{h:016x}").repeat(4)
    }

    fn advance(&mut self, now: Ticks) {
        let done: Vec<String> = self
            .pulls
            .iter()
            .filter(|(_, (_, finish, _))| *finish <= now)
            .map(|(r, _)| r.clone())
            .collect();
        for reference in done {
            let Some((started, finished, size)) = self.pulls.remove(&reference) else {
                continue;
            };
            match size {
                Some(size_bytes) => {
                    self.present.insert(reference.clone(), size_bytes);
                    self.pending.push(CriEvent::PullCompleted {
                        reference,
                        size_bytes,
                        started_tick: started,
                        finished_tick: finished,
                    });
                }
                None => {
                    self.pending.push(CriEvent::PullFailed {
                        message: format!(
                            "rpc error: code = Unknown desc = failed to pull and unpack image \"{reference}\": failed to resolve reference \"{reference}\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"
                        ),
                        reference,
                        finished_tick: finished,
                    })
                }
            }
        }
        for c in self.containers.values_mut() {
            if !c.info.running {
                continue;
            }
            let Some(started) = c.info.started_tick else {
                continue;
            };
            let mut candidates: Vec<(Ticks, i32, &'static str)> = Vec::new();
            if let Some(at) = c.exit_at {
                candidates.push(at);
            }
            if let Some((after, code)) = c.behaviour.exit_after {
                candidates.push((
                    started + after,
                    code,
                    if code == 0 { "Completed" } else { "Error" },
                ));
            }
            if let (Some(limit), growth) = (
                c.spec.memory_limit_bytes,
                c.behaviour.memory_growth_bytes_per_second,
            ) {
                if c.behaviour.memory_bytes >= limit {
                    candidates.push((started, 137, "OOMKilled"));
                } else if growth > 0 {
                    let seconds = (limit - c.behaviour.memory_bytes).div_ceil(growth);
                    candidates.push((started + seconds * TICKS_PER_SECOND, 137, "OOMKilled"));
                }
            }
            let Some(&(tick, code, reason)) = candidates.iter().min_by_key(|c| c.0) else {
                continue;
            };
            if tick <= now {
                c.info.running = false;
                c.info.exit_code = code;
                c.info.reason = reason.to_string();
                c.info.finished_tick = Some(tick);
                self.pending.push(CriEvent::ContainerExited {
                    container_id: c.info.id.clone(),
                    exit_code: code,
                    reason: reason.to_string(),
                    finished_tick: tick,
                });
            }
        }
        self.pending.stable_sort_by_key(|e| match e {
            CriEvent::PullCompleted { finished_tick, .. }
            | CriEvent::PullFailed { finished_tick, .. }
            | CriEvent::ContainerExited { finished_tick, .. } => *finished_tick,
        });
    }

    fn check_up(&self) -> Result<(), String> {
        if self.up {
            Ok(())
        } else {
            Err("rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: connection refused\"".to_string())
        }
    }

    fn memory_now(c: &ScriptedContainer, now: Ticks) -> u64 {
        let since = now.saturating_sub(c.info.started_tick.unwrap_or(now)) / TICKS_PER_SECOND;
        c.behaviour.memory_bytes + since * c.behaviour.memory_growth_bytes_per_second
    }
}

impl Default for ScriptedRuntime {
    fn default() -> Self {
        ScriptedRuntime::new()
    }
}

impl Cri for ScriptedRuntime {
    fn is_up(&self) -> bool {
        self.up
    }

    fn relist(&mut self, now: Ticks) -> Vec<CriEvent> {
        if !self.up {
            return Vec::new();
        }
        self.advance(now);
        std::mem::take(&mut self.pending)
    }

    fn run_pod_sandbox(
        &mut self,
        spec: SandboxSpec,
        rng: &mut Rng,
        _now: Ticks,
    ) -> Result<String, String> {
        self.check_up()?;
        let id = (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect();
        self.sandboxes.insert(String::clone(&id), spec);
        Ok(id)
    }

    fn stop_pod_sandbox(&mut self, sandbox_id: &str, now: Ticks) -> Result<(), String> {
        self.check_up()?;
        for c in self.containers.values_mut() {
            if c.sandbox_id == sandbox_id && c.info.running && c.exit_at.is_none() {
                c.exit_at = Some((now, 137, "Error"));
            }
        }
        self.advance(now);
        Ok(())
    }

    fn remove_pod_sandbox(&mut self, sandbox_id: &str, now: Ticks) -> Result<(), String> {
        self.stop_pod_sandbox(sandbox_id, now)?;
        self.containers.retain(|_, c| c.sandbox_id != sandbox_id);
        self.sandboxes.remove(sandbox_id);
        Ok(())
    }

    fn image(&self, image: &str) -> Option<ImageInfo> {
        let reference = normalize_image(image);
        let size_bytes = *self.present.get(&reference)?;
        let repo = reference.rsplit_once(':').map_or("", |(r, _)| r);
        Some(ImageInfo {
            repo_digest: format!("{repo}@sha256:{}", Self::digest(&reference)),
            repo_tags: vec![reference.clone()],
            size_bytes,
        })
    }

    fn images(&self) -> Vec<ImageInfo> {
        self.present.keys().filter_map(|r| self.image(r)).collect()
    }

    fn pull_image(&mut self, image: &str, now: Ticks) -> Result<String, String> {
        self.check_up()?;
        let reference = normalize_image(image);
        if !self.pulls.contains_key(&reference) {
            let entry = match self.registry.get(&reference) {
                // Every layer is already here: only the manifest is fetched.
                Some(i) if self.present.contains_key(&reference) => {
                    (now, now + 200, Some(i.size_bytes))
                }
                Some(i) => {
                    let ticks = (i.size_bytes * TICKS_PER_SECOND)
                        .div_ceil(self.bandwidth_bytes_per_second.max(1));
                    (now, now + ticks.max(1), Some(i.size_bytes))
                }
                // The registry answers 404 after one round trip.
                None => (now, now + 300, None),
            };
            self.pulls.insert(reference.clone(), entry);
        }
        Ok(reference)
    }

    fn create_container(
        &mut self,
        sandbox_id: &str,
        spec: ContainerSpec,
        rng: &mut Rng,
        now: Ticks,
    ) -> Result<String, String> {
        self.check_up()?;
        if !self.sandboxes.contains_key(sandbox_id) {
            return Err(format!(
                "rpc error: code = NotFound desc = an error occurred when try to find sandbox \"{sandbox_id}\": not found"
            ));
        }
        let reference = normalize_image(&spec.image);
        if !self.present.contains_key(&reference) {
            return Err(format!(
                "failed to get image config: image \"{reference}\": not found"
            ));
        }
        let behaviour = self
            .registry
            .get(&reference)
            .map(|i| i.behaviour.clone())
            .unwrap_or_default();
        let id: String = (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect();
        let _ = now;
        self.containers.insert(
            id.clone(),
            ScriptedContainer {
                sandbox_id: sandbox_id.to_string(),
                spec,
                image_ref: reference.clone(),
                info: ContainerInfo {
                    id: id.clone(),
                    running: false,
                    exit_code: 0,
                    reason: String::new(),
                    started_tick: None,
                    finished_tick: None,
                    image_ref: reference.clone(),
                    image_id: format!("sha256:{}", Self::digest(&format!("{reference}#config"))),
                },
                behaviour,
                exit_at: None,
            },
        );
        Ok(id)
    }

    fn start_container(&mut self, container_id: &str, now: Ticks) -> Result<(), String> {
        self.check_up()?;
        let c = self
            .containers
            .get_mut(container_id)
            .ok_or_else(|| format!("container \"{container_id}\" not found"))?;
        c.info.running = true;
        c.info.started_tick = Some(now);
        self.advance(now);
        Ok(())
    }

    fn stop_container(
        &mut self,
        container_id: &str,
        timeout_seconds: u64,
        now: Ticks,
    ) -> Result<(), String> {
        self.check_up()?;
        if let Some(c) = self.containers.get_mut(container_id) {
            if c.info.running {
                let kill = now + timeout_seconds * TICKS_PER_SECOND;
                let at = match c.behaviour.stop_after_ticks {
                    Some(after) if now + after < kill => (now + after, 0, "Completed"),
                    _ => (kill, 137, "Error"),
                };
                if c.exit_at.is_none_or(|e| at.0 < e.0) {
                    c.exit_at = Some(at);
                }
            }
        }
        self.advance(now);
        Ok(())
    }

    fn remove_container(&mut self, container_id: &str, _now: Ticks) -> Result<(), String> {
        self.check_up()?;
        self.containers.remove(container_id);
        Ok(())
    }

    fn container(&self, container_id: &str) -> Option<ContainerInfo> {
        self.containers.get(container_id).map(|c| c.info.clone())
    }

    fn probe(
        &mut self,
        container_id: &str,
        action: &ProbeAction,
        pod_ip: &str,
        _node_ip: &str,
        now: Ticks,
    ) -> Result<(), String> {
        self.advance(now);
        let running = self.containers.get(container_id).filter(|c| c.info.running);
        match action {
            ProbeAction::HttpGet { port, path } => {
                let Some(c) = running else {
                    return Err(format!(
                        "Get \"http://{pod_ip}:{port}{path}\": dial tcp {pod_ip}:{port}: connect: connection refused"
                    ));
                };
                let since = now.saturating_sub(c.info.started_tick.unwrap_or(now));
                let status = c
                    .behaviour
                    .http_status_from
                    .iter()
                    .rev()
                    .find(|(from, _)| *from <= since)
                    .map_or(200, |(_, s)| *s);
                if (200..400).contains(&status) {
                    Ok(())
                } else {
                    Err(format!("HTTP probe failed with statuscode: {status}"))
                }
            }
            ProbeAction::TcpSocket { port } => match running {
                Some(_) => Ok(()),
                None => Err(format!(
                    "dial tcp {pod_ip}:{port}: connect: connection refused"
                )),
            },
            ProbeAction::Exec { .. } => match running {
                Some(_) => Ok(()),
                None => Err(format!("container {container_id} is not running")),
            },
        }
    }

    fn usage(&self, container_id: &str, now: Ticks) -> (u64, u64) {
        self.containers
            .get(container_id)
            .filter(|c| c.info.running)
            .map_or((0, 0), |c| {
                (c.behaviour.cpu_millis, Self::memory_now(c, now))
            })
    }

    fn stop_runtime(&mut self, now: Ticks) {
        self.advance(now);
        self.up = false;
    }

    fn start_runtime(&mut self, now: Ticks) {
        self.up = true;
        self.advance(now);
    }

    fn kill_container(&mut self, container_id: &str, now: Ticks) -> bool {
        match self.containers.get_mut(container_id) {
            Some(c) if c.info.running => {
                c.exit_at = Some((now, 137, "Error"));
                self.advance(now);
                true
            }
            _ => false,
        }
    }

    fn exhaust_memory(&mut self, container_id: &str, bytes_per_second: u64, now: Ticks) -> bool {
        self.advance(now);
        match self.containers.get_mut(container_id) {
            Some(c) if c.info.running => {
                // Re-base the leak at now: memory so far stays, growth starts.
                let current = Self::memory_now(c, now);
                c.behaviour.memory_bytes = current;
                c.behaviour.memory_growth_bytes_per_second = bytes_per_second;
                c.info.started_tick = Some(now);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_normalize_as_docker_does() {
        for (given, normalized) in [
            ("nginx", "docker.io/library/nginx:latest"),
            ("nginx:1.27", "docker.io/library/nginx:1.27"),
            ("luksa/kubia", "docker.io/luksa/kubia:latest"),
            (
                "registry.k8s.io/etcd:3.5.16-0",
                "registry.k8s.io/etcd:3.5.16-0",
            ),
            ("localhost:5000/app", "localhost:5000/app:latest"),
        ] {
            assert_eq!(normalize_image(given), normalized, "{given}");
        }
    }

    #[test]
    fn a_scripted_pull_takes_size_over_bandwidth_and_an_unknown_image_fails() {
        let mut rt = ScriptedRuntime::new().with_image("nginx", 70_000_000, Behaviour::default());
        rt.pull_image("nginx", 0).unwrap();
        rt.pull_image("ngnix", 0).unwrap();
        let events = rt.relist(10_000);
        assert!(matches!(
            &events[0],
            CriEvent::PullFailed {
                finished_tick: 300,
                ..
            }
        ));
        assert!(matches!(
            &events[1],
            CriEvent::PullCompleted {
                finished_tick: 5_000,
                size_bytes: 70_000_000,
                ..
            }
        ));
        assert!(rt.image("nginx").is_some());
    }
}

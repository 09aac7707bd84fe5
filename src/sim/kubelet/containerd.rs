//! The kubelet's CRI client for the node's containerd (`crate::sim::runtime::Runtime`).
//!
//! Mirrors: `pkg/kubelet/cri/remote` (the kubelet's gRPC client of the CRI): each [`Cri`] call is
//! one RuntimeService/ImageService call; errors reach the kubelet as gRPC statuses
//! (`rpc error: code = NotFound desc = ...`).
//! Simplified: the registries are one in-memory value the lab's nodes share (no network).

use std::cell::RefCell;
use std::rc::Rc;

use crate::sim::clock::Ticks;
use crate::sim::rng::Rng;
use crate::sim::runtime::cri::ProbeOutcome;
use crate::sim::runtime::image_store::PullEvent;
use crate::sim::runtime::registry::{Registries, SharedRegistries, CNI_IMAGE, KUBEADM_IMAGES};
use crate::sim::runtime::{
    ContainerConfig, ContainerState, CriError, PodSandboxConfig, Runtime, RuntimeConfig,
    RuntimeEvent,
};

use super::cri::{
    ContainerInfo, ContainerSpec, Cri, CriEvent, ImageInfo, ProbeAction, PullLayers, SandboxSpec,
};
use super::RuntimeFactory;
use crate::sim::trace::LayerPull;

/// containerd on one node, with the registries it pulls from.
pub struct Containerd {
    /// Shared with the node's [`crate::sim::kubelet::failures::NodeHandle`] so the terminal
    /// (`crictl`, `kubectl logs`, `kubectl exec`) reads the same containerd the kubelet drives.
    runtime: Rc<RefCell<Runtime>>,
    /// The lab's registries, shared by every node (and by `docker push` on the VMs).
    registries: SharedRegistries,
}

impl Containerd {
    /// containerd as kubeadm leaves it: the control-plane images and the CNI image already
    /// pulled (`kubeadm config images pull`), nothing running.
    pub fn kubeadm_node(node: &str, cpus: u32) -> Self {
        Self::kubeadm_node_with(node, cpus, Rc::new(RefCell::new(Registries::standard())))
    }

    /// The same, pulling from the lab's shared registries.
    pub fn kubeadm_node_with(node: &str, cpus: u32, registries: SharedRegistries) -> Self {
        let runtime = {
            let standard = registries.borrow();
            let mut runtime = Runtime::new(RuntimeConfig::new(node, cpus), &standard);
            for image in KUBEADM_IMAGES.iter().chain([&CNI_IMAGE]) {
                // An image missing from the catalog is a catalog bug; the node simply lacks it.
                let _ = runtime.preload(image, &standard, 0);
            }
            runtime
        };
        Containerd {
            runtime: Rc::new(RefCell::new(runtime)),
            registries,
        }
    }

    /// A [`RuntimeFactory`] for a node: every boot starts a fresh containerd with the
    /// kubeadm images in its store.
    pub fn factory(node: &str, cpus: u32) -> RuntimeFactory {
        Self::factory_with(node, cpus, Rc::new(RefCell::new(Registries::standard())))
    }

    /// A [`RuntimeFactory`] whose containerds pull from the lab's shared registries.
    pub fn factory_with(node: &str, cpus: u32, registries: SharedRegistries) -> RuntimeFactory {
        let node = node.to_string();
        Box::new(move || {
            Box::new(Containerd::kubeadm_node_with(
                &node,
                cpus,
                Rc::clone(&registries),
            ))
        })
    }

    /// The runtime itself, for `crictl`, `kubectl logs` and the UI's node panel.
    pub fn runtime(&self) -> std::cell::Ref<'_, Runtime> {
        self.runtime.borrow()
    }
}

fn text(e: CriError) -> String {
    e.to_string()
}

impl Cri for Containerd {
    fn shared_runtime(&self) -> Option<Rc<RefCell<Runtime>>> {
        Some(Rc::clone(&self.runtime))
    }

    fn is_up(&self) -> bool {
        self.runtime.borrow().is_up()
    }

    fn relist(&mut self, now: Ticks) -> Vec<CriEvent> {
        self.runtime
            .borrow_mut()
            .advance(now)
            .into_iter()
            .map(|event| match event {
                RuntimeEvent::Pull(PullEvent::Completed {
                    reference,
                    size_bytes,
                    started_tick,
                    finished_tick,
                    ..
                }) => CriEvent::PullCompleted {
                    reference,
                    size_bytes,
                    started_tick,
                    finished_tick,
                },
                RuntimeEvent::Pull(PullEvent::Failed {
                    reference,
                    error,
                    finished_tick,
                }) => CriEvent::PullFailed {
                    reference,
                    message: CriError::from(&error).to_string(),
                    finished_tick,
                },
                RuntimeEvent::ContainerExited {
                    container_id,
                    exit_code,
                    reason,
                    finished_tick,
                    ..
                } => CriEvent::ContainerExited {
                    container_id,
                    exit_code,
                    reason,
                    finished_tick,
                },
            })
            .collect()
    }

    fn run_pod_sandbox(
        &mut self,
        spec: SandboxSpec,
        rng: &mut Rng,
        now: Ticks,
    ) -> Result<String, String> {
        let config = PodSandboxConfig {
            hostname: spec.name.clone(),
            name: spec.name,
            namespace: spec.namespace,
            uid: spec.uid,
            attempt: spec.attempt,
            ip: spec.ip,
            labels: Default::default(),
        };
        self.runtime
            .borrow_mut()
            .run_pod_sandbox(config, rng, now)
            .map_err(text)
    }

    fn stop_pod_sandbox(&mut self, sandbox_id: &str, now: Ticks) -> Result<(), String> {
        self.runtime
            .borrow_mut()
            .stop_pod_sandbox(sandbox_id, now)
            .map_err(text)
    }

    fn remove_pod_sandbox(&mut self, sandbox_id: &str, now: Ticks) -> Result<(), String> {
        self.runtime
            .borrow_mut()
            .remove_pod_sandbox(sandbox_id, now)
            .map_err(text)
    }

    fn image(&self, image: &str) -> Option<ImageInfo> {
        let runtime = self.runtime.borrow();
        let record = runtime.image_status(image).ok()??;
        Some(ImageInfo {
            repo_digest: record
                .repo_digests
                .iter()
                .next()
                .cloned()
                .unwrap_or_default(),
            repo_tags: record.repo_tags.iter().cloned().collect(),
            size_bytes: record.size_bytes,
        })
    }

    fn images(&self) -> Vec<ImageInfo> {
        self.runtime
            .borrow_mut()
            .list_images()
            .map(|list| {
                list.into_iter()
                    .map(|record| ImageInfo {
                        repo_digest: record
                            .repo_digests
                            .iter()
                            .next()
                            .cloned()
                            .unwrap_or_default(),
                        repo_tags: record.repo_tags.iter().cloned().collect(),
                        size_bytes: record.size_bytes,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn pull_image(&mut self, image: &str, now: Ticks) -> Result<String, String> {
        self.runtime
            .borrow_mut()
            .pull_image(image, &self.registries.borrow(), now)
            .map_err(text)
    }

    fn pull_layers(&self, image: &str) -> Option<PullLayers> {
        let (repository, layers, joined) = self
            .runtime
            .borrow()
            .pull_layers(image, &self.registries.borrow())?;
        Some(PullLayers {
            repository,
            joined,
            layers: layers
                .into_iter()
                .map(|(digest, size_bytes, cached)| LayerPull {
                    digest,
                    size_bytes,
                    cached,
                })
                .collect(),
        })
    }

    fn create_container(
        &mut self,
        sandbox_id: &str,
        spec: ContainerSpec,
        rng: &mut Rng,
        now: Ticks,
    ) -> Result<String, String> {
        let config = ContainerConfig {
            name: spec.name,
            attempt: spec.attempt,
            image: spec.image,
            command: spec.command,
            args: spec.args,
            env: spec.env,
            memory_limit_bytes: spec.memory_limit_bytes,
            cpu_limit_millis: spec.cpu_limit_millis,
            files: Default::default(),
            labels: Default::default(),
        };
        self.runtime
            .borrow_mut()
            .create_container(sandbox_id, config, rng, now)
            .map_err(text)
    }

    fn start_container(&mut self, container_id: &str, now: Ticks) -> Result<(), String> {
        self.runtime
            .borrow_mut()
            .start_container(container_id, now)
            .map_err(text)
    }

    fn stop_container(
        &mut self,
        container_id: &str,
        timeout_seconds: u64,
        now: Ticks,
    ) -> Result<(), String> {
        self.runtime
            .borrow_mut()
            .stop_container(container_id, timeout_seconds, now)
            .map_err(text)
    }

    fn remove_container(&mut self, container_id: &str, now: Ticks) -> Result<(), String> {
        self.runtime
            .borrow_mut()
            .remove_container(container_id, now)
            .map_err(text)
    }

    fn container(&self, container_id: &str) -> Option<ContainerInfo> {
        let runtime = self.runtime.borrow();
        let c = runtime.container_status(container_id).ok()?;
        Some(ContainerInfo {
            id: c.id.clone(),
            running: c.state == ContainerState::ContainerRunning,
            exit_code: c.exit_code,
            reason: c.reason.clone(),
            started_tick: c.started_tick,
            finished_tick: c.finished_tick,
            image_ref: c.image_ref.clone(),
            image_id: c.image_id.clone(),
        })
    }

    fn probe(
        &mut self,
        container_id: &str,
        action: &ProbeAction,
        pod_ip: &str,
        node_ip: &str,
        now: Ticks,
    ) -> Result<(), String> {
        let outcome = match action {
            ProbeAction::HttpGet { port, path } => self.runtime.borrow_mut().probe_http(
                container_id,
                pod_ip,
                *port,
                path,
                node_ip,
                now,
            ),
            ProbeAction::TcpSocket { port } => {
                self.runtime
                    .borrow_mut()
                    .probe_tcp(container_id, pod_ip, *port, now)
            }
            ProbeAction::Exec { command } => {
                self.runtime
                    .borrow_mut()
                    .probe_exec(container_id, command, now)
            }
        };
        match outcome {
            ProbeOutcome::Success(_) => Ok(()),
            ProbeOutcome::Failure(why) => Err(why),
        }
    }

    fn usage(&self, container_id: &str, now: Ticks) -> (u64, u64) {
        let u = self.runtime.borrow_mut().container_usage(container_id, now);
        (u.cpu_millis, u.memory_bytes)
    }

    fn stop_runtime(&mut self, now: Ticks) {
        self.runtime.borrow_mut().stop_runtime(now);
    }

    fn start_runtime(&mut self, now: Ticks) {
        self.runtime.borrow_mut().start_runtime(now);
    }

    fn kill_container(&mut self, container_id: &str, now: Ticks) -> bool {
        self.runtime.borrow_mut().kill_container(container_id, now)
    }

    fn exhaust_memory(&mut self, container_id: &str, bytes_per_second: u64, now: Ticks) -> bool {
        self.runtime
            .borrow_mut()
            .exhaust_memory(container_id, bytes_per_second, now)
    }

    fn http_request(
        &mut self,
        container_id: &str,
        port: u16,
        path: &str,
        client_ip: &str,
        user_agent: &str,
        now: Ticks,
    ) -> crate::sim::runtime::apps::HttpOutcome {
        self.runtime.borrow_mut().http_request(
            container_id,
            "GET",
            port,
            path,
            client_ip,
            user_agent,
            now,
        )
    }
}

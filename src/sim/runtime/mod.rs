//! The container runtime of each simulated node (containerd behind the CRI), the image
//! registries it pulls from, and the simulated programs that run in its containers.
//!
//! - [`reference`](mod@reference): image names parsed and normalized as Docker does.
//! - [`registry`]: Docker Hub, registry.k8s.io and hub.example.com with real-world images.
//! - [`image_store`]: a node's content store: shared layers, pulls at a simulated bandwidth.
//! - [`cri`]: the CRI-shaped runtime the kubelet drives, tick by tick.
//! - [`apps`] and [`shell`]: what each image does when it runs; a small `sh -c` interpreter.
//! - [`logs`]: per-container log buffers for `kubectl logs`.
//! - [`views`]: `crictl` and `docker` text from the runtime's state.
//!
//! Pure and deterministic: no wall clock, ids from the cluster's seeded RNG, ordered maps.
//!
//! How a kubelet drives it (every call takes the simulated `now`):
//! ```text
//!   let registries = Registries::standard();              // one per cluster, shared by nodes
//!   let mut rt = Runtime::new(RuntimeConfig::new("node1", 1), &registries);
//!   rt.preload(image, &registries, 0)                      // kubeadm's pre-pulled images
//!   let sandbox = rt.run_pod_sandbox(PodSandboxConfig { name, namespace, uid, ip, .. }, rng, now)?;
//!   if !rt.has_image("nginx:1.27") { rt.pull_image("nginx:1.27", &registries, now)?; }
//!   loop { for event in rt.advance(now) { /* RuntimeEvent::Pull(Completed | Failed), ContainerExited */ } }
//!   rt.pull_progress("docker.io/library/nginx:1.27")     // per-layer bytes and docker-pull states
//!   let id = rt.create_container(&sandbox, ContainerConfig { name, image, command, args, env, .. }, rng, now)?;
//!   rt.start_container(&id, now)?;                         // Err + exit 128 StartError if exec fails
//!   rt.probe_http / probe_tcp / probe_exec, rt.http_request (Service traffic)
//!   rt.container_status(&id)?                              // state, exit_code, reason, started/finished
//!   rt.find_container(&sandbox, "nginx", previous).log()   // kubectl logs [--previous]
//!   rt.stop_container(&id, grace_seconds, now)?; rt.remove_container(&id, now)?;
//!   rt.stop_pod_sandbox(&sandbox, now)?; rt.remove_pod_sandbox(&sandbox, now)?;
//! ```
//! Failures to inject: `stop_runtime`/`start_runtime`, `kill_container`, `exhaust_memory`.

pub mod apps;
pub mod build;
pub mod cri;
pub mod digest;
pub mod dockerfile;
pub mod image_store;
pub mod logs;
pub mod reference;
pub mod registry;
pub mod shell;
pub mod views;

pub use cri::{
    Container, ContainerConfig, ContainerState, CriError, PodSandbox, PodSandboxConfig, Runtime,
    RuntimeConfig, RuntimeEvent,
};
pub use registry::Registries;

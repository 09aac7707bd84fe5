//! The container runtime of each simulated node (containerd behind the CRI), the image
//! registries it pulls from, and the simulated programs that run in its containers.
//!
//! - [`reference`]: image names parsed and normalized as Docker does.
//! - [`registry`]: Docker Hub, registry.k8s.io and hub.example.com with real-world images.
//! - [`image_store`]: a node's content store: shared layers, pulls at a simulated bandwidth.
//! - [`cri`]: the CRI-shaped runtime the kubelet drives, tick by tick.
//! - [`apps`] and [`shell`]: what each image does when it runs; a small `sh -c` interpreter.
//! - [`logs`]: per-container log buffers for `kubectl logs`.
//! - [`views`]: `crictl` and `docker` text from the runtime's state.
//!
//! Pure and deterministic: no wall clock, ids from the cluster's seeded RNG, ordered maps.

pub mod apps;
pub mod cri;
pub mod digest;
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

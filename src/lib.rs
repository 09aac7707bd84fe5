//! Kube Sandbox: a Kubernetes control plane and three virtual machines, simulated.
//!
//! - [`sim`] is the deterministic simulation core. It never touches the browser: no web-sys,
//!   js-sys or yew, no wall clock, no OS randomness.
//! - [`present`] turns the core's state and trace into what the UI shows; pure and natively tested.
//! - `web` (wasm32 only) is the Yew app: the only place that touches the DOM or browser storage.
//! - [`chaos`] (native only) plays random fault schedules on the lab and checks invariants
//!   (`cargo xtask chaos`); it is kept out of the page's bundle.

#[cfg(not(target_arch = "wasm32"))]
pub mod chaos;
pub mod present;
#[cfg(not(target_arch = "wasm32"))]
pub mod serve;
pub mod sim;

#[cfg(target_arch = "wasm32")]
pub mod web;

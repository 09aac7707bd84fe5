//! The deterministic simulation core (see `../shared/DESIGN.md`, "Rules of the core").
//!
//! Same seed + same commands = same trace, natively and in wasm: ordered maps wherever order can be
//! seen, one seeded RNG ([`rng::Rng`]), logical time ([`clock::Ticks`]).

pub mod addons;
pub mod api;
pub mod apiserver;
pub mod chunked;
pub mod clock;
pub mod cluster;
pub mod component;
pub mod controller;
pub mod etcd;
pub mod kubectl;
pub mod kubelet;
pub mod lab;
pub mod lessons;
pub mod network;
pub mod rng;
pub mod runtime;
pub mod scheduler;
pub mod sort;
pub mod text;
pub mod trace;
pub mod vms;

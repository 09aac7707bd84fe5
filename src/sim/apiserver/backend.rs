//! The store the apiserver talks to: `sim::etcd`, re-exported from one place so the apiserver and
//! the cluster loop name one backend.

pub use crate::sim::etcd::*;

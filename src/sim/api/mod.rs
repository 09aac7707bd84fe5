//! The Kubernetes object model: the kinds served ([`resources`]), decoding and validation.
//!
//! Objects travel through the core as `serde_json::Value` (the shape the apiserver stores in etcd)
//! and are read as typed `k8s_openapi` structs where a component needs their fields.

pub mod resources;

//! kube-apiserver: the request path (authentication → authorization → mutating admission →
//! validation → validating admission → storage) over the etcd-like store.

pub mod request;

pub use request::{ApiClient, ApiError, ApiRequest, ApiResponse, Credentials, StatusReason, Verb};

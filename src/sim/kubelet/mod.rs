//! The kubelet (being written).

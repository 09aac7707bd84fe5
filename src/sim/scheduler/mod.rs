//! kube-scheduler (being written).

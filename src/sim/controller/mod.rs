//! kube-controller-manager's controllers (being written).

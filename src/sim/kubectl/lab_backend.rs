//! The booted lab behind the shell: everything [`Cluster`] answers, plus the three VMs'
//! handles, so the terminal reaches the node side (containerd, usage figures, failures).
//!
//! Mirrors: a root shell on the course's kubeadm + Vagrant lab, where `kubectl` reaches the
//! apiserver and `crictl`/`systemctl` reach the VM's own containerd and kubelet.
//! Simplified: `Lab` dereferences to its `Cluster`, so code written against the cluster (the
//! UI's `ClusterView::of(shell.backend())`) keeps working when the shell runs on the lab.

use std::ops::{Deref, DerefMut};

use super::Backend;
use crate::sim::apiserver::request::ApiClient;
use crate::sim::apiserver::{ApiError, ApiRequest, ApiResponse};
use crate::sim::clock::Ticks;
use crate::sim::cluster::Cluster;
use crate::sim::etcd::{RangeRequest, RangeResult, StoreError};
use crate::sim::kubelet::failures::NodeHandle;
use crate::sim::lab::Lab;
use crate::sim::trace::Seq;

impl ApiClient for Lab {
    fn call(&mut self, request: ApiRequest) -> Result<ApiResponse, ApiError> {
        self.cluster.call(request)
    }
}

impl Backend for Lab {
    fn settle(&mut self, limit_ticks: Ticks) -> bool {
        self.cluster.settle(limit_ticks)
    }

    fn begin_command(&mut self, line: &str, host: &str) -> Option<Seq> {
        Some(self.cluster.begin_command(line, host))
    }

    fn end_command(&mut self, command: Seq, idle: bool) {
        self.cluster.end_command(command, idle);
    }

    fn begin_settle(&mut self, limit_ticks: Ticks) -> Option<crate::sim::cluster::Run> {
        Backend::begin_settle(&mut self.cluster, limit_ticks)
    }

    fn settle_slice(&mut self, run: &mut crate::sim::cluster::Run, budget: usize) -> Option<bool> {
        Backend::settle_slice(&mut self.cluster, run, budget)
    }

    fn advance(&mut self, ticks: Ticks) {
        Backend::advance(&mut self.cluster, ticks);
    }

    fn unix_seconds(&self) -> i64 {
        self.cluster.unix_seconds()
    }

    fn etcd_range(&self, request: &RangeRequest) -> Result<RangeResult, StoreError> {
        self.cluster.etcd_range(request)
    }

    fn cluster_mut(&mut self) -> Option<&mut Cluster> {
        Some(&mut self.cluster)
    }

    fn now_ticks(&self) -> Ticks {
        self.cluster.now()
    }

    fn node_names(&self) -> Vec<String> {
        self.nodes.iter().map(|(n, _)| n.clone()).collect()
    }

    fn node(&self, node: &str) -> Option<NodeHandle> {
        Lab::node(self, node).cloned()
    }

    fn component_running(&self, name: &str) -> Option<bool> {
        self.cluster.component_running(name)
    }

    fn set_component_running(&mut self, name: &str, running: bool) -> bool {
        self.cluster.set_component_running(name, running)
    }

    fn wake_component(&mut self, name: &str) -> bool {
        self.cluster.wake_component(name)
    }
}

impl Deref for Lab {
    type Target = Cluster;

    fn deref(&self) -> &Cluster {
        &self.cluster
    }
}

impl DerefMut for Lab {
    fn deref_mut(&mut self) -> &mut Cluster {
        &mut self.cluster
    }
}

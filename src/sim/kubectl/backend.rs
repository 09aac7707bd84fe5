//! The real cluster behind the shell: kubectl's requests go to `Cluster::submit` (through
//! `ApiClient`), etcdctl reads the cluster's store directly, and each typed line lets the control
//! loops run until idle (`run_until_idle`) or until the shell's settle limit.
//!
//! Mirrors: a kubeadm master, where kubectl reaches kube-apiserver and etcdctl reaches etcd on
//! 127.0.0.1:2379.
//! Simplified: etcdctl reads without going through the apiserver's trace, as the real one does.

use super::Backend;
use crate::sim::clock::Ticks;
use crate::sim::cluster::Cluster;
use crate::sim::etcd::{RangeRequest, RangeResult, StoreError};
use crate::sim::trace::Seq;

impl Backend for Cluster {
    fn settle(&mut self, limit_ticks: Ticks) -> bool {
        self.run_until_settled(limit_ticks).idle
    }

    fn begin_command(&mut self, line: &str, host: &str) -> Option<Seq> {
        Some(Cluster::begin_command(self, line, host))
    }

    fn end_command(&mut self, command: Seq, idle: bool) {
        Cluster::end_command(self, command, idle);
    }

    fn begin_settle(&mut self, limit_ticks: Ticks) -> Option<crate::sim::cluster::Run> {
        Some(Cluster::begin_settle(self, limit_ticks))
    }

    fn settle_slice(&mut self, run: &mut crate::sim::cluster::Run, budget: usize) -> Option<bool> {
        self.continue_run(run, budget).map(|outcome| outcome.idle)
    }

    fn advance(&mut self, ticks: Ticks) {
        Cluster::advance(self, ticks);
    }

    fn unix_seconds(&self) -> i64 {
        Cluster::unix_seconds(self)
    }

    fn etcd_range(&self, request: &RangeRequest) -> Result<RangeResult, StoreError> {
        self.store().range(request)
    }

    fn cluster_mut(&mut self) -> Option<&mut Cluster> {
        Some(self)
    }

    fn now_ticks(&self) -> Ticks {
        self.now()
    }

    fn component_running(&self, name: &str) -> Option<bool> {
        self.components()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, running)| running)
    }

    fn set_component_running(&mut self, name: &str, running: bool) -> bool {
        if running {
            self.start_component(name)
        } else {
            self.stop_component(name)
        }
    }

    fn wake_component(&mut self, name: &str) -> bool {
        Cluster::wake_component(self, name)
    }
}

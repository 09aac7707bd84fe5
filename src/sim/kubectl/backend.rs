//! The real cluster behind the shell.

use super::Backend;
use crate::sim::clock::Ticks;
use crate::sim::cluster::Cluster;
use crate::sim::etcd::{RangeRequest, RangeResult, StoreError};

impl Backend for Cluster {
    fn settle(&mut self, limit_ticks: Ticks) {
        self.run_until_idle(limit_ticks);
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
}

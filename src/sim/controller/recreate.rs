//! The Recreate strategy: every old pod goes before any new one starts.
//!
//! Mirrors: `pkg/controller/deployment/recreate.go` (`rolloutRecreate`,
//! `scaleDownOldReplicaSetsForRecreate`, `oldPodsRunning`, `scaleUpNewReplicaSetForRecreate`).

use crate::sim::api::JsonPointer;
use serde_json::Value;

use super::controller_utils as cu;
use super::deployment::DeploymentSync;
use super::deployment_util::spec_replicas;

impl DeploymentSync<'_, '_> {
    /// `rolloutRecreate`.
    pub fn rollout_recreate(&mut self) {
        self.sync_revision(false);
        let mut scaled_down = false;
        for i in self.old_indices() {
            if spec_replicas(&self.rss[i]) > 0 {
                scaled_down |= self.scale_replica_set(i, 0, "Recreate: old replica sets go first");
            }
        }
        if scaled_down {
            self.sync_status();
            return;
        }
        if self.old_pods_running() {
            self.sync_status();
            return;
        }
        if self.new_rs.is_none() {
            self.sync_revision(true);
        }
        if let Some(n) = self.new_rs {
            let desired = spec_replicas(&self.d);
            self.scale_replica_set(n, desired, "Recreate: old pods are gone");
        }
        if self.is_complete() {
            self.cleanup();
        }
        self.sync_status();
    }

    /// `oldPodsRunning`: a pod of an old ReplicaSet that has not finished (terminating pods
    /// count: their containers may still run).
    fn old_pods_running(&self) -> bool {
        let ns = crate::sim::api::namespace(&self.d).to_string();
        let old: Vec<Value> = self.old_refs().into_iter().cloned().collect();
        if old
            .iter()
            .any(|r| super::deployment_util::status_i64(r, "replicas") > 0)
        {
            return true;
        }
        self.ctx.lister.list("pods", Some(&ns)).iter().any(|pod| {
            old.iter().any(|rs| cu::is_controlled_by(pod, rs))
                && !matches!(
                    pod.ptr("/status/phase").and_then(Value::as_str),
                    Some("Succeeded" | "Failed")
                )
        })
    }
}

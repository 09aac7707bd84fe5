//! The RollingUpdate strategy: grow the new ReplicaSet into the surge room, shrink the old ones
//! as far as availability allows, repeat as pods become ready.
//!
//! Mirrors: `pkg/controller/deployment/rolling.go` (`rolloutRolling`, `reconcileNewReplicaSet`,
//! `reconcileOldReplicaSets`, `cleanupUnhealthyReplicas`,
//! `scaleDownOldReplicaSetsForRollingUpdate`).
//! Simplified: available = ready (no minReadySeconds).

use super::deployment::DeploymentSync;
use super::deployment_util::{self as du, spec_replicas, status_i64};
use crate::sim::api::JsonPointer;
use crate::sim::sort::StableSort;

impl DeploymentSync<'_, '_> {
    /// `rolloutRolling`.
    pub fn rollout_rolling(&mut self) {
        self.sync_revision(true);
        if self.reconcile_new_replica_set() {
            self.sync_status();
            return;
        }
        if self.reconcile_old_replica_sets() {
            self.sync_status();
            return;
        }
        if self.is_complete() {
            self.cleanup();
        }
        self.sync_status();
    }

    /// `DeploymentComplete`: the new ReplicaSet has every replica, all available, no old pods.
    pub fn is_complete(&self) -> bool {
        let desired = spec_replicas(&self.d);
        let Some(n) = self.new_rs else {
            return false;
        };
        let new = &self.rss[n];
        let old_pods: i64 = self
            .old_refs()
            .iter()
            .map(|r| status_i64(r, "replicas"))
            .sum();
        status_i64(new, "replicas") == desired
            && status_i64(new, "availableReplicas") == desired
            && old_pods == 0
    }

    /// `reconcileNewReplicaSet`: returns whether the new ReplicaSet was scaled.
    fn reconcile_new_replica_set(&mut self) -> bool {
        let Some(n) = self.new_rs else {
            return false;
        };
        let desired = spec_replicas(&self.d);
        let current = spec_replicas(&self.rss[n]);
        if current == desired {
            return false;
        }
        if current > desired {
            return self.scale_replica_set(
                n,
                desired,
                &format!("desired {desired}, new replica set has {current}"),
            );
        }
        let all = self.all_refs();
        let target = du::new_rs_new_replicas(&self.d, &all, &self.rss[n]);
        let surge = du::max_surge(&self.d);
        let total = du::replica_count(&all);
        self.scale_replica_set(
            n,
            target,
            &format!(
                "{total} pods of at most {desired} + maxSurge {surge}: new replica set may grow"
            ),
        )
    }

    /// `reconcileOldReplicaSets`: returns whether any old ReplicaSet was scaled down.
    fn reconcile_old_replica_sets(&mut self) -> bool {
        let old_pods = du::replica_count(&self.old_refs());
        if old_pods == 0 {
            return false;
        }
        let all_pods = du::replica_count(&self.all_refs());
        let desired = spec_replicas(&self.d);
        let max_unavailable = du::max_unavailable(&self.d);
        let min_available = desired - max_unavailable;
        let new_unavailable = self
            .new_rs
            .map(|n| spec_replicas(&self.rss[n]) - status_i64(&self.rss[n], "availableReplicas"))
            .unwrap_or(0);
        let max_scaled_down = all_pods - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return false;
        }
        let cleaned = self.cleanup_unhealthy_replicas(max_scaled_down);
        let scaled = self.scale_down_old_replica_sets_for_rolling_update(min_available);
        cleaned + scaled > 0
    }

    fn old_by_creation(&self) -> Vec<usize> {
        let mut old = self.old_indices();
        old.stable_sort_by_key(|i| {
            let rs = &self.rss[*i];
            (
                rs.ptr("/metadata/creationTimestamp")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                crate::sim::api::name(rs).to_string(),
            )
        });
        old
    }

    /// `cleanupUnhealthyReplicas`: old ReplicaSets first lose the pods that are not available
    /// anyway, up to `max_cleanup`.
    fn cleanup_unhealthy_replicas(&mut self, max_cleanup: i64) -> i64 {
        let mut total = 0;
        for i in self.old_by_creation() {
            if total >= max_cleanup {
                break;
            }
            let rs = &self.rss[i];
            let replicas = spec_replicas(rs);
            let available = status_i64(rs, "availableReplicas");
            if replicas == 0 || replicas == available {
                continue;
            }
            let count = (max_cleanup - total).min(replicas - available);
            self.scale_replica_set(
                i,
                replicas - count,
                &format!("{} of its pods are not available", replicas - available),
            );
            total += count;
        }
        total
    }

    /// `scaleDownOldReplicaSetsForRollingUpdate`: shrink old ReplicaSets, oldest first, while
    /// more than `min_available` pods stay available.
    fn scale_down_old_replica_sets_for_rolling_update(&mut self, min_available: i64) -> i64 {
        let available = du::available_count(&self.all_refs());
        if available <= min_available {
            return 0;
        }
        let total_scale_down = available - min_available;
        let mut scaled = 0;
        for i in self.old_by_creation() {
            if scaled >= total_scale_down {
                break;
            }
            let replicas = spec_replicas(&self.rss[i]);
            if replicas == 0 {
                continue;
            }
            let count = replicas.min(total_scale_down - scaled);
            self.scale_replica_set(
                i,
                replicas - count,
                &format!("{available} available, at least {min_available} must stay"),
            );
            scaled += count;
        }
        scaled
    }
}

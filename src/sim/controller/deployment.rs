//! The Deployment controller: ReplicaSets per pod template, rolled by strategy.
//!
//! Mirrors: `pkg/controller/deployment/deployment_controller.go` (`syncDeployment`,
//! `getReplicaSetsForDeployment` with adoption), `sync.go` (`sync`, `scale`,
//! `getAllReplicaSetsAndSyncRevision`, `getNewReplicaSet`, `cleanupDeployment`,
//! `syncDeploymentStatus`, `calculateStatus`, `isScalingEvent`), `progress.go`
//! (`syncRolloutStatus`'s conditions), `rolling.go`, `recreate.go` (in [`super::rolling`] and
//! [`super::recreate`]).
//! A rollout that makes no progress for `progressDeadlineSeconds` (600 s by default) is marked
//! `Progressing False ProgressDeadlineExceeded` (`DeploymentTimedOut`, woken by
//! `requeueStuckDeployment`).
//! Simplified: a pod-template-hash collision bumps `status.collisionCount` on the next sync; one
//! sync sends all its writes at once, and the next step sees their results (upstream waits for
//! each call).

use crate::sim::api::JsonPointer;
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::controller_utils::{
    self as cu, compute_hash, is_being_deleted, is_controlled_by, key_of,
    DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY,
};
use super::deployment_util::{self as du, spec_replicas, status_i64};
use super::{credentials, event, merge_patch, request, status_patch, WorkQueue};
use crate::sim::api::selector::selector_from_optional;
use crate::sim::apiserver::events::EventType;
use crate::sim::apiserver::{ApiError, ApiRequest, ApiResponse, Credentials, StatusReason, Verb};
use crate::sim::component::{Component, Context, Decision, ObjectEvent, Reconcile};
use crate::sim::sort::StableSort;
use crate::sim::trace::{Actor, Seq};

pub const COMPONENT: &str = "deployment-controller";

#[derive(Default)]
pub struct DeploymentController {
    queue: WorkQueue,
    /// Namespaces where an orphan ReplicaSet appeared: look for a Deployment to adopt it.
    orphan_namespaces: BTreeMap<String, Seq>,
    /// ReplicaSet creates refused as AlreadyExists: the Deployment key whose collisionCount must
    /// grow, with the name that collided.
    collisions: BTreeMap<String, u32>,
    pending_creates: BTreeMap<String, String>,
    /// Deployments to sync again at a time (their progress deadline), with the cause to name.
    due: BTreeMap<String, (crate::sim::clock::Ticks, Seq)>,
}

impl DeploymentController {
    pub fn new() -> Self {
        DeploymentController::default()
    }
}

/// One sync of one Deployment: what it read, and the decisions it takes.
pub struct DeploymentSync<'c, 'x> {
    pub ctx: &'c mut Context<'x>,
    pub d: Value,
    pub cause: Seq,
    pub decisions: Vec<Decision>,
    /// Every ReplicaSet the Deployment owns, as this sync has left them (local copies updated
    /// after each scale, so later steps of the same sync see the new sizes).
    pub rss: Vec<Value>,
    pub new_rs: Option<usize>,
    pub created_new_rs: bool,
    /// Look at the Deployment again after this long: its rollout is stuck short of the deadline.
    pub requeue_after: Option<crate::sim::clock::Ticks>,
}

impl<'c, 'x> DeploymentSync<'c, 'x> {
    pub fn name(&self) -> &str {
        crate::sim::api::name(&self.d)
    }

    pub fn old_indices(&self) -> Vec<usize> {
        (0..self.rss.len())
            .filter(|i| Some(*i) != self.new_rs)
            .collect()
    }

    pub fn all_refs(&self) -> Vec<&Value> {
        self.rss.iter().collect()
    }

    pub fn old_refs(&self) -> Vec<&Value> {
        self.old_indices()
            .into_iter()
            .map(|i| &self.rss[i])
            .collect()
    }

    /// `scaleReplicaSetAndRecordEvent`: patch the size and the desired/max annotations, record
    /// `ScalingReplicaSet`. Returns whether anything was written.
    pub fn scale_replica_set(&mut self, index: usize, new_scale: i64, why: &str) -> bool {
        let new_scale = new_scale.max(0);
        let desired = spec_replicas(&self.d);
        let max = desired + du::max_surge(&self.d);
        let rs = &self.rss[index];
        let old_scale = spec_replicas(rs);
        let annotation = |k: &str| {
            rs.ptr("/metadata/annotations")
                .and_then(|a| a.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let annotations_current = annotation(du::DESIRED_REPLICAS_ANNOTATION)
            == Some(desired.to_string())
            && annotation(du::MAX_REPLICAS_ANNOTATION) == Some(max.to_string());
        if old_scale == new_scale && annotations_current {
            return false;
        }
        let patch = json!({
            "metadata": {"annotations": {
                du::DESIRED_REPLICAS_ANNOTATION: desired.to_string(),
                du::MAX_REPLICAS_ANNOTATION: max.to_string(),
            }},
            "spec": {"replicas": new_scale},
        });
        let request = merge_patch("replicasets", rs, patch.clone());
        let rs_name = crate::sim::api::name(rs).to_string();
        let mut decision = Decision::new(
            "ScalingReplicaSet",
            format!(
                "deployment {}: {why}: replica set {rs_name} {old_scale} → {new_scale}",
                self.name()
            ),
        )
        .caused_by(self.cause)
        .action(request);
        if old_scale != new_scale {
            let direction = if new_scale > old_scale { "up" } else { "down" };
            let message =
                format!("Scaled {direction} replica set {rs_name} from {old_scale} to {new_scale}");
            let d = self.d.clone();
            decision.actions.push(event(
                self.ctx,
                &d,
                EventType::Normal,
                "ScalingReplicaSet",
                &message,
                COMPONENT,
            ));
        }
        self.decisions.push(decision);
        self.rss[index] = crate::sim::apiserver::patch::merge_patch(&self.rss[index], &patch);
        true
    }

    /// `getNewReplicaSet` + the revision bookkeeping of `getAllReplicaSetsAndSyncRevision`:
    /// finds the ReplicaSet whose template equals the Deployment's, gives it the next revision if
    /// it was an old one (rollout undo), or creates it when `create` is set.
    pub fn sync_revision(&mut self, create: bool) {
        let template = self.d.ptr("/spec/template").cloned().unwrap_or(json!({}));
        let mut matching: Vec<usize> = (0..self.rss.len())
            .filter(|i| {
                du::equal_ignore_hash(
                    self.rss[*i].ptr("/spec/template").unwrap_or(&Value::Null),
                    &template,
                )
            })
            .collect();
        // Several equal templates: the oldest wins (`FindNewReplicaSet` sorts by creation).
        matching.stable_sort_by_key(|i| {
            let rs = &self.rss[*i];
            (
                rs.ptr("/metadata/creationTimestamp")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                crate::sim::api::name(rs).to_string(),
            )
        });
        self.new_rs = matching.first().copied();
        let old: Vec<&Value> = self.old_refs();
        let new_revision = du::max_revision(&old) + 1;
        let name = self.name().to_string();
        if let Some(i) = self.new_rs {
            let current = du::revision(&self.rss[i]);
            if current < new_revision {
                // An old template is back (`kubectl rollout undo`): its ReplicaSet becomes the
                // newest revision, and remembers the revisions it had.
                let mut history: Vec<String> = self.rss[i]
                    .ptr("/metadata/annotations")
                    .and_then(|a| a.get(du::REVISION_HISTORY_ANNOTATION))
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(|s| s.split(',').map(str::to_string).collect())
                    .unwrap_or_default();
                if current > 0 {
                    history.push(current.to_string());
                }
                let mut annotations = json!({du::REVISION_ANNOTATION: new_revision.to_string()});
                if !history.is_empty() {
                    annotations[du::REVISION_HISTORY_ANNOTATION] = json!(history.join(","));
                }
                let patch = json!({"metadata": {"annotations": annotations}});
                let rs_name = crate::sim::api::name(&self.rss[i]).to_string();
                self.decisions.push(
                    Decision::new(
                        "UpdateRevision",
                        format!(
                            "deployment {name}: template matches replica set {rs_name} (revision {current}): it becomes revision {new_revision}"
                        ),
                    )
                    .caused_by(self.cause)
                    .action(merge_patch("replicasets", &self.rss[i], patch.clone())),
                );
                self.rss[i] = crate::sim::apiserver::patch::merge_patch(&self.rss[i], &patch);
            }
        } else if create {
            self.create_new_replica_set(template, new_revision);
        }
        // The new ReplicaSet carries the Deployment's own annotations (a change-cause, say).
        if let Some(i) = self.new_rs {
            let copied = du::annotations_to_copy(&self.d, &self.rss[i]);
            if !copied.is_empty() {
                let rs_name = crate::sim::api::name(&self.rss[i]).to_string();
                let keys: Vec<&str> = copied.keys().map(String::as_str).collect();
                let message = format!(
                    "deployment {name}: copying annotations {} to replica set {rs_name}",
                    keys.join(", ")
                );
                let patch = json!({"metadata": {"annotations": copied}});
                self.decisions.push(
                    Decision::new("UpdateAnnotations", message)
                        .caused_by(self.cause)
                        .action(merge_patch("replicasets", &self.rss[i], patch.clone())),
                );
                self.rss[i] = crate::sim::apiserver::patch::merge_patch(&self.rss[i], &patch);
            }
        }
        // The Deployment carries its current revision too.
        if let Some(i) = self.new_rs {
            let revision = du::revision(&self.rss[i]).to_string();
            let current = self
                .d
                .ptr("/metadata/annotations")
                .and_then(|a| a.get(du::REVISION_ANNOTATION))
                .and_then(Value::as_str);
            if current != Some(revision.as_str()) {
                let patch =
                    json!({"metadata": {"annotations": {du::REVISION_ANNOTATION: revision}}});
                self.decisions.push(
                    Decision::new(
                        "UpdateRevision",
                        format!("deployment {name}: revision {revision}"),
                    )
                    .caused_by(self.cause)
                    .action(merge_patch("deployments", &self.d, patch)),
                );
            }
        }
    }

    fn create_new_replica_set(&mut self, template: Value, revision: i64) {
        let collision_count = self
            .d
            .ptr("/status/collisionCount")
            .and_then(Value::as_u64)
            .map(|c| c as u32);
        let hash = compute_hash(&template, collision_count);
        let name = format!("{}-{hash}", self.name());
        let mut rs_template = template.clone();
        if !rs_template.get("metadata").is_some_and(Value::is_object) {
            rs_template["metadata"] = json!({});
        }
        if !rs_template["metadata"]
            .get("labels")
            .is_some_and(Value::is_object)
        {
            rs_template["metadata"]["labels"] = json!({});
        }
        rs_template["metadata"]["labels"][DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY] = json!(hash);
        let mut selector = self.d.ptr("/spec/selector").cloned().unwrap_or(json!({}));
        if !selector.get("matchLabels").is_some_and(Value::is_object) {
            selector["matchLabels"] = json!({});
        }
        selector["matchLabels"][DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY] = json!(hash);
        let desired = spec_replicas(&self.d);
        let mut rs = crate::sim::api::json_template(
            r#"{
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "${name}", "namespace": "${namespace}", "labels": "${labels}",
                         "annotations": {}, "ownerReferences": ["${owner}"]},
            "spec": {"replicas": 0, "minReadySeconds": "${minReadySeconds}",
                     "selector": "${selector}", "template": "${template}"}
        }"#,
            &[
                ("name", name.as_str().into()),
                ("namespace", crate::sim::api::namespace(&self.d).into()),
                ("labels", rs_template["metadata"]["labels"].clone()),
                ("owner", cu::new_controller_ref(&self.d)),
                (
                    "minReadySeconds",
                    self.d
                        .ptr("/spec/minReadySeconds")
                        .cloned()
                        .unwrap_or(0.into()),
                ),
                ("selector", selector),
                ("template", rs_template),
            ],
        );
        let mut annotations = du::annotations_to_copy(&self.d, &Value::Null);
        for (key, value) in [
            (du::DESIRED_REPLICAS_ANNOTATION, desired.to_string()),
            (
                du::MAX_REPLICAS_ANNOTATION,
                (desired + du::max_surge(&self.d)).to_string(),
            ),
            (du::REVISION_ANNOTATION, revision.to_string()),
        ] {
            annotations.insert(key.to_string(), json!(value));
        }
        rs["metadata"]["annotations"] = Value::Object(annotations);
        let all = self.all_refs();
        let replicas = du::new_rs_new_replicas(&self.d, &all, &rs);
        rs["spec"]["replicas"] = json!(replicas);
        let dname = self.name().to_string();
        let mut decision = Decision::new(
            "ScalingReplicaSet",
            format!(
                "deployment {dname}: no replica set has the current template: creating {name} (pod-template-hash {hash}, revision {revision}) with {replicas} replicas"
            ),
        )
        .caused_by(self.cause)
        .action(
            request(
                Verb::Create,
                "replicasets",
                Some(crate::sim::api::namespace(&self.d)),
            )
            .body(rs.clone()),
        );
        if replicas > 0 {
            let d = self.d.clone();
            decision.actions.push(event(
                self.ctx,
                &d,
                EventType::Normal,
                "ScalingReplicaSet",
                &format!("Scaled up replica set {name} from 0 to {replicas}"),
                COMPONENT,
            ));
        }
        self.decisions.push(decision);
        self.rss.push(rs);
        self.new_rs = Some(self.rss.len() - 1);
        self.created_new_rs = true;
    }

    /// `scale`: a Deployment resized (or paused) keeps its ReplicaSets in proportion.
    pub fn scale(&mut self) {
        let desired = spec_replicas(&self.d);
        let active: Vec<usize> = (0..self.rss.len())
            .filter(|i| spec_replicas(&self.rss[*i]) > 0)
            .collect();
        // FindActiveOrLatest: one active RS (or none: the newest) takes all the replicas.
        let single = match active.len() {
            0 => self.new_rs.or_else(|| {
                let mut all: Vec<usize> = (0..self.rss.len()).collect();
                all.stable_sort_by_key(|i| du::revision(&self.rss[*i]));
                all.last().copied()
            }),
            1 => Some(active[0]),
            _ => None,
        };
        if let Some(i) = single {
            if spec_replicas(&self.rss[i]) != desired || active.len() <= 1 {
                self.scale_replica_set(i, desired, &format!("desired {desired}"));
            }
            return;
        }
        if let Some(n) = self.new_rs {
            if du::is_saturated(&self.d, &self.rss[n]) {
                for i in self.old_indices() {
                    if spec_replicas(&self.rss[i]) > 0 {
                        self.scale_replica_set(i, 0, "new replica set saturated");
                    }
                }
                return;
            }
        }
        if !du::is_rolling_update(&self.d) {
            return;
        }
        let all_active: Vec<&Value> = active.iter().map(|i| &self.rss[*i]).collect();
        let current = du::replica_count(&all_active);
        let allowed = if desired > 0 {
            desired + du::max_surge(&self.d)
        } else {
            0
        };
        let to_add = allowed - current;
        // Bigger first; among equals, newer first when growing, older first when shrinking.
        let mut order = active.clone();
        order.stable_sort_by(|a, b| {
            let (ra, rb) = (&self.rss[*a], &self.rss[*b]);
            let size = spec_replicas(rb).cmp(&spec_replicas(ra));
            let ts = |o: &Value| {
                o.ptr("/metadata/creationTimestamp")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let age = if to_add > 0 {
                ts(rb).cmp(&ts(ra))
            } else {
                ts(ra).cmp(&ts(rb))
            };
            size.then(age)
        });
        let mut added = 0;
        let mut sizes: BTreeMap<usize, i64> = BTreeMap::new();
        for i in &order {
            let rs = &self.rss[*i];
            let proportion = du::get_proportion(rs, &self.d, to_add, added);
            sizes.insert(*i, spec_replicas(rs) + proportion);
            added += proportion;
        }
        if to_add != 0 && to_add != added {
            if let Some(first) = order.first() {
                let leftover = to_add - added;
                if let Some(s) = sizes.get_mut(first) {
                    *s = (*s + leftover).max(0);
                }
            }
        }
        for (i, size) in sizes {
            self.scale_replica_set(i, size, &format!("proportional scaling to {desired}"));
        }
    }

    /// `cleanupDeployment`: keep at most `revisionHistoryLimit` old, empty ReplicaSets.
    pub fn cleanup(&mut self) {
        let limit = self
            .d
            .ptr("/spec/revisionHistoryLimit")
            .and_then(Value::as_i64)
            .unwrap_or(10)
            .max(0) as usize;
        let mut cleanable: Vec<usize> = self
            .old_indices()
            .into_iter()
            .filter(|i| !is_being_deleted(&self.rss[*i]))
            .collect();
        if cleanable.len() <= limit {
            return;
        }
        cleanable.stable_sort_by_key(|i| du::revision(&self.rss[*i]));
        let diff = cleanable.len() - limit;
        for i in cleanable.into_iter().take(diff) {
            let rs = &self.rss[i];
            let generation = rs
                .ptr("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if status_i64(rs, "replicas") != 0
                || spec_replicas(rs) != 0
                || generation > status_i64(rs, "observedGeneration")
            {
                continue;
            }
            let rs_name = crate::sim::api::name(rs).to_string();
            self.decisions.push(
                Decision::new(
                    "CleanupReplicaSet",
                    format!(
                        "deployment {}: more than revisionHistoryLimit {limit} old replica sets: deleting {rs_name} (revision {})",
                        self.name(),
                        du::revision(rs)
                    ),
                )
                .caused_by(self.cause)
                .action(super::delete("replicasets", rs)),
            );
        }
    }

    /// `calculateStatus` + `syncRolloutStatus`: the numbers and the two conditions.
    pub fn sync_status(&mut self) {
        let all = self.all_refs();
        let desired = spec_replicas(&self.d);
        let available: i64 = all.iter().map(|r| status_i64(r, "availableReplicas")).sum();
        let ready: i64 = all.iter().map(|r| status_i64(r, "readyReplicas")).sum();
        let replicas: i64 = all.iter().map(|r| status_i64(r, "replicas")).sum();
        let total_spec = du::replica_count(&all);
        let updated = self
            .new_rs
            .map(|i| status_i64(&self.rss[i], "replicas"))
            .unwrap_or(0);
        let unavailable = (total_spec - available).max(0);
        let generation = self
            .d
            .ptr("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let now = self.ctx.clock.rfc3339();
        let mut conditions: Vec<Value> = self
            .d
            .ptr("/status/conditions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let min_available = desired - du::max_unavailable(&self.d);
        let available_condition = if available >= min_available {
            du::condition(
                "Available",
                "True",
                du::MINIMUM_REPLICAS_AVAILABLE,
                "Deployment has minimum availability.",
                &now,
            )
        } else {
            du::condition(
                "Available",
                "False",
                du::MINIMUM_REPLICAS_UNAVAILABLE,
                "Deployment does not have minimum availability.",
                &now,
            )
        };
        du::set_condition(&mut conditions, available_condition);
        let paused = self.d.ptr("/spec/paused").and_then(Value::as_bool) == Some(true);
        let rs_name = self
            .new_rs
            .map(|i| crate::sim::api::name(&self.rss[i]).to_string())
            .unwrap_or_default();
        let was_paused = du::progressing_condition(&conditions).is_some_and(|c| {
            c.get("reason").and_then(Value::as_str) == Some(du::PAUSED_DEPLOY_REASON)
        });
        if paused {
            du::set_condition(
                &mut conditions,
                du::condition(
                    "Progressing",
                    "Unknown",
                    du::PAUSED_DEPLOY_REASON,
                    "Deployment is paused",
                    &now,
                ),
            );
        } else if was_paused {
            du::set_condition(
                &mut conditions,
                du::condition(
                    "Progressing",
                    "Unknown",
                    du::RESUMED_DEPLOY_REASON,
                    "Deployment is resumed",
                    &now,
                ),
            );
        } else if self.new_rs.is_some() {
            // getNewReplicaSet: the new ReplicaSet was created, or found with no estimate yet.
            if self.created_new_rs {
                du::set_condition(
                    &mut conditions,
                    du::condition(
                        "Progressing",
                        "True",
                        du::NEW_REPLICA_SET_REASON,
                        &format!("Created new replica set \"{rs_name}\""),
                        &now,
                    ),
                );
            } else if du::progressing_condition(&conditions).is_none() {
                du::set_condition(
                    &mut conditions,
                    du::condition(
                        "Progressing",
                        "True",
                        du::FOUND_NEW_RS_REASON,
                        &format!("Found new replica set \"{rs_name}\""),
                        &now,
                    ),
                );
            }
        }
        let deadline = du::progress_deadline_seconds(&self.d);
        let counts = du::RolloutCounts {
            replicas,
            updated,
            ready,
            available,
        };
        // DeploymentComplete (the new status observes this generation).
        let complete = replicas == desired && updated == desired && available == desired;
        // syncRolloutStatus: whether the rollout progressed since the last status, finished, or
        // has made no progress for longer than progressDeadlineSeconds.
        let current = du::progressing_condition(&conditions).cloned();
        let finished_before = current.as_ref().is_some_and(|c| {
            c.get("reason").and_then(Value::as_str) == Some(du::NEW_RS_AVAILABLE_REASON)
        }) && replicas == updated;
        if deadline.is_none() {
            du::remove_condition(&mut conditions, "Progressing");
        } else if !paused && !was_paused && !finished_before {
            if complete {
                du::set_condition(
                    &mut conditions,
                    du::condition(
                        "Progressing",
                        "True",
                        du::NEW_RS_AVAILABLE_REASON,
                        &format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
                        &now,
                    ),
                );
            } else if counts.progressed_since(&du::RolloutCounts::of(&self.d)) {
                // Progress moves lastUpdateTime, which the deadline counts from, even when the
                // reason stays the same (set_condition would keep the old times).
                let mut c = du::condition(
                    "Progressing",
                    "True",
                    du::REPLICA_SET_UPDATED_REASON,
                    &format!("ReplicaSet \"{rs_name}\" is progressing."),
                    &now,
                );
                if let Some(old) = current
                    .as_ref()
                    .filter(|o| o.get("status").and_then(Value::as_str) == Some("True"))
                {
                    c["lastTransitionTime"] =
                        old.get("lastTransitionTime").cloned().unwrap_or_default();
                }
                du::remove_condition(&mut conditions, "Progressing");
                conditions.push(c);
            } else if let (Some(deadline), Some(c)) = (deadline, &current) {
                if du::timed_out(c, deadline, self.ctx.clock.unix_seconds()) {
                    du::set_condition(
                        &mut conditions,
                        du::condition(
                            "Progressing",
                            "False",
                            du::TIMED_OUT_REASON,
                            &format!("ReplicaSet \"{rs_name}\" has timed out progressing."),
                            &now,
                        ),
                    );
                }
            }
        }
        // Upstream keeps Available before Progressing.
        conditions
            .stable_sort_by_key(|c| c.get("type").and_then(Value::as_str) != Some("Available"));
        let mut status = json!({
            "observedGeneration": generation,
            "replicas": replicas,
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": available,
            "unavailableReplicas": unavailable,
            "conditions": conditions,
        });
        if let Some(c) = self.d.ptr("/status/collisionCount") {
            status["collisionCount"] = c.clone();
        }
        let current = self.d.get("status").cloned().unwrap_or(json!({}));
        let differs = status.as_object().is_some_and(|m| {
            m.iter()
                .any(|(k, v)| current.get(k).unwrap_or(&json!(0)) != v)
        });
        if differs {
            self.decisions.push(
                Decision::new(
                    "UpdateStatus",
                    format!(
                        "deployment {}: replicas {replicas}, updated {updated}, ready {ready}, available {available}, unavailable {unavailable}",
                        self.name()
                    ),
                )
                .caused_by(self.cause)
                .action(status_patch("deployments", &self.d, status)),
            );
        } else {
            // requeueStuckDeployment: with no progress to report, look again when the deadline
            // would pass.
            self.requeue_after = match (deadline, du::progressing_condition(&conditions)) {
                (Some(deadline), Some(c)) if !complete && !paused => {
                    du::until_deadline(c, deadline, self.ctx.clock.unix_seconds())
                }
                _ => None,
            };
        }
    }

    /// `isScalingEvent`: an active ReplicaSet was sized for a different replica count.
    pub fn is_scaling_event(&self) -> bool {
        let desired = spec_replicas(&self.d).to_string();
        self.rss.iter().filter(|r| spec_replicas(r) > 0).any(|r| {
            r.ptr("/metadata/annotations")
                .and_then(|a| a.get(du::DESIRED_REPLICAS_ANNOTATION))
                .and_then(Value::as_str)
                .is_some_and(|v| v != desired)
        })
    }

    /// `sync`: only scaling, as for a paused Deployment or a resize.
    pub fn sync_scale_only(&mut self) {
        self.sync_revision(false);
        self.scale();
        let paused = self.d.ptr("/spec/paused").and_then(Value::as_bool) == Some(true);
        if paused {
            self.cleanup();
        }
        self.sync_status();
    }
}

impl DeploymentController {
    fn deployment_key_of_rs(rs: &Value) -> Option<String> {
        let r = cu::get_controller_of(rs)?;
        if r.get("kind").and_then(Value::as_str) != Some("Deployment") {
            return None;
        }
        let name = r.get("name").and_then(Value::as_str)?;
        Some(format!("{}/{name}", crate::sim::api::namespace(rs)))
    }

    /// `syncDeployment` for one key.
    fn sync_deployment(&mut self, ctx: &mut Context, key: &str, cause: Seq, out: &mut Reconcile) {
        let (ns, name) = cu::split_key(key);
        let Some(mut d) = ctx.lister.get("deployments", ns, name) else {
            return;
        };
        let ns = ns.unwrap_or("default").to_string();
        let Ok(selector) = selector_from_optional(d.ptr("/spec/selector")) else {
            return;
        };
        if selector.is_empty() {
            out.decisions.push(
                Decision::new(
                    "SelectingAll",
                    format!("deployment {name}: This deployment will select all pods: refusing"),
                )
                .caused_by(cause),
            );
            return;
        }
        if let Some(bump) = self.collisions.remove(key) {
            let count = d
                .ptr("/status/collisionCount")
                .and_then(Value::as_u64)
                .unwrap_or(0)
                + u64::from(bump);
            out.decisions.push(
                Decision::new(
                    "HashCollision",
                    format!("deployment {name}: a replica set with the hash name exists with another template: collisionCount {count}"),
                )
                .caused_by(cause)
                .action(status_patch("deployments", &d, json!({"collisionCount": count}))),
            );
            if let Some(status) = d.get_mut("status").and_then(Value::as_object_mut) {
                status.insert("collisionCount".into(), json!(count));
            } else {
                d["status"] = json!({"collisionCount": count});
            }
        }
        // getReplicaSetsForDeployment: ours, plus matching orphans (adopted).
        let mut rss = Vec::new();
        let mut adopt = Decision::new("Adopt", String::new()).caused_by(cause);
        for rs in ctx.lister.list("replicasets", Some(&ns)) {
            if is_controlled_by(&rs, &d) {
                rss.push(rs);
            } else if cu::get_controller_of(&rs).is_none()
                && !is_being_deleted(&d)
                && selector.matches_labels_of(&rs)
            {
                let mut refs = cu::owner_references(&rs).to_vec();
                refs.push(cu::new_controller_ref(&d));
                adopt.actions.push(merge_patch(
                    "replicasets",
                    &rs,
                    json!({"metadata": {"ownerReferences": refs}}),
                ));
                rss.push(rs);
            }
        }
        if !adopt.actions.is_empty() {
            adopt.message = format!(
                "deployment {name}: adopting {} orphan replica set(s)",
                adopt.actions.len()
            );
            out.decisions.push(adopt);
        }
        let mut sync = DeploymentSync {
            ctx,
            d,
            cause,
            decisions: Vec::new(),
            rss,
            new_rs: None,
            created_new_rs: false,
            requeue_after: None,
        };
        let paused = sync.d.ptr("/spec/paused").and_then(Value::as_bool) == Some(true);
        if is_being_deleted(&sync.d) {
            sync.sync_revision(false);
            sync.sync_status();
        } else if paused || sync.is_scaling_event() {
            sync.sync_scale_only();
        } else if du::is_rolling_update(&sync.d) {
            sync.rollout_rolling();
        } else {
            sync.rollout_recreate();
        }
        let created = sync
            .new_rs
            .filter(|_| sync.created_new_rs)
            .map(|i| crate::sim::api::name(&sync.rss[i]).to_string());
        if let Some(rs_name) = created {
            self.pending_creates
                .insert(format!("{ns}/{rs_name}"), key.to_string());
        }
        match sync.requeue_after {
            Some(after) => {
                let due = sync.ctx.now + after;
                self.due.insert(key.to_string(), (due, cause));
            }
            None => {
                self.due.remove(key);
            }
        }
        out.decisions.extend(sync.decisions);
    }
}

impl Component for DeploymentController {
    fn name(&self) -> String {
        COMPONENT.to_string()
    }

    fn actor(&self) -> Actor {
        Actor::controller(&self.name())
    }

    fn credentials(&self) -> Credentials {
        credentials()
    }

    fn watches(&self) -> Vec<&'static str> {
        vec!["deployments", "replicasets", "pods"]
    }

    fn observe(&mut self, ev: &ObjectEvent) {
        match ev.resource {
            "deployments" => self.queue.add(key_of(&ev.object), ev.seq),
            "replicasets" => match Self::deployment_key_of_rs(&ev.object) {
                Some(owner) => self.queue.add(owner, ev.seq),
                None => {
                    if cu::get_controller_of(&ev.object).is_none() {
                        self.orphan_namespaces
                            .insert(crate::sim::api::namespace(&ev.object).to_string(), ev.seq);
                    }
                }
            },
            // Recreate waits for the old pods to be gone: a pod deletion may unblock it.
            "pods" if ev.event == crate::sim::trace::WatchEventType::Deleted => {
                self.orphan_namespaces
                    .insert(crate::sim::api::namespace(&ev.object).to_string(), ev.seq);
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let mut out = Reconcile::default();
        let mut work = self.queue.take();
        for (ns, seq) in std::mem::take(&mut self.orphan_namespaces) {
            for d in ctx.lister.list("deployments", Some(&ns)) {
                work.entry(key_of(&d)).or_insert(seq);
            }
        }
        for (key, (due, seq)) in &self.due {
            if *due <= ctx.now {
                work.entry(key.clone()).or_insert(*seq);
            }
        }
        for (key, cause) in work {
            let first = out.decisions.len();
            self.due.remove(&key);
            self.sync_deployment(ctx, &key, cause, &mut out);
            super::about_synced(&mut out, first, &ctx.lister, "deployments", &key);
        }
        out.requeue_after = self
            .due
            .values()
            .map(|(due, _)| due.saturating_sub(ctx.now).max(1))
            .min();
        out
    }

    fn on_response(&mut self, request: &ApiRequest, result: &Result<ApiResponse, ApiError>) {
        if request.resource != "replicasets" || request.verb != Verb::Create {
            return;
        }
        let rs_name = request
            .body
            .as_ref()
            .map(|b| crate::sim::api::name(b).to_string())
            .unwrap_or_default();
        let ns = request.namespace.clone().unwrap_or_default();
        if let Some(dkey) = self.pending_creates.remove(&format!("{ns}/{rs_name}")) {
            if let Err(e) = result {
                if e.reason == StatusReason::AlreadyExists {
                    *self.collisions.entry(dkey).or_default() += 1;
                }
            }
        }
    }
}

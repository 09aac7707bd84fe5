//! The Deployment controller's arithmetic and bookkeeping, as pure functions over JSON objects.
//!
//! Mirrors: `pkg/controller/deployment/util/deployment_util.go` (`ResolveFenceposts`,
//! `NewRSNewReplicas`, `GetProportion`, `getReplicaSetFraction`, `MaxRevision`,
//! `EqualIgnoreHash`, `SetNewReplicaSetAnnotations`, `IsSaturated`, the condition reasons) and
//! `intstr.GetScaledValueFromIntOrPercent`.
//! Simplified: minReadySeconds is not modelled (available = ready).

use crate::sim::api::JsonPointer;
use serde_json::{json, Value};

use super::controller_utils::DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY;
use crate::sim::sort::StableSort;

pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
pub const DESIRED_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/max-replicas";
pub const REVISION_HISTORY_ANNOTATION: &str = "deployment.kubernetes.io/revision-history";

/// Annotations a Deployment does not pass on to its ReplicaSets (upstream's `skipCopyAnnotation`):
/// the controller's own bookkeeping and kubectl's last-applied configuration.
pub const SKIPPED_ANNOTATIONS: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION_ANNOTATION,
    REVISION_HISTORY_ANNOTATION,
    DESIRED_REPLICAS_ANNOTATION,
    MAX_REPLICAS_ANNOTATION,
    "deprecated.deployment.rollback.to",
];

/// The annotations of `from` (a Deployment or a ReplicaSet) that `to` lacks or has with another
/// value, skipping [`SKIPPED_ANNOTATIONS`]: upstream's `copyDeploymentAnnotationsToReplicaSet`
/// (a Deployment → its new ReplicaSet, so `kubernetes.io/change-cause` reaches
/// `kubectl rollout history`) and its reverse for a rollback.
pub fn annotations_to_copy(from: &Value, to: &Value) -> serde_json::Map<String, Value> {
    let theirs = to.ptr("/metadata/annotations");
    from.ptr("/metadata/annotations")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(k, _)| !SKIPPED_ANNOTATIONS.contains(&k.as_str()))
        .filter(|(k, v)| theirs.and_then(|t| t.get(k.as_str())) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

// Condition reasons, verbatim from deployment_util.go.
pub const NEW_RS_AVAILABLE_REASON: &str = "NewReplicaSetAvailable";
pub const REPLICA_SET_UPDATED_REASON: &str = "ReplicaSetUpdated";
pub const NEW_REPLICA_SET_REASON: &str = "NewReplicaSetCreated";
pub const FOUND_NEW_RS_REASON: &str = "FoundNewReplicaSet";
pub const MINIMUM_REPLICAS_AVAILABLE: &str = "MinimumReplicasAvailable";
pub const MINIMUM_REPLICAS_UNAVAILABLE: &str = "MinimumReplicasUnavailable";
pub const PAUSED_DEPLOY_REASON: &str = "DeploymentPaused";
pub const RESUMED_DEPLOY_REASON: &str = "DeploymentResumed";
pub const TIMED_OUT_REASON: &str = "ProgressDeadlineExceeded";

/// `HasProgressDeadline`: the deadline in seconds, unless unset or `math.MaxInt32` (no deadline).
pub fn progress_deadline_seconds(d: &Value) -> Option<i64> {
    d.ptr("/spec/progressDeadlineSeconds")
        .and_then(Value::as_i64)
        .filter(|&s| s != i64::from(i32::MAX))
}

/// The `Progressing` condition, if there is one.
pub fn progressing_condition(conditions: &[Value]) -> Option<&Value> {
    conditions
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Progressing"))
}

/// `RemoveDeploymentCondition`.
pub fn remove_condition(conditions: &mut Vec<Value>, kind: &str) {
    conditions.retain(|c| c.get("type").and_then(Value::as_str) != Some(kind));
}

/// The numbers of a Deployment's status that `DeploymentProgressing` compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RolloutCounts {
    pub replicas: i64,
    pub updated: i64,
    pub ready: i64,
    pub available: i64,
}

impl RolloutCounts {
    pub fn of(d: &Value) -> RolloutCounts {
        RolloutCounts {
            replicas: status_i64(d, "replicas"),
            updated: status_i64(d, "updatedReplicas"),
            ready: status_i64(d, "readyReplicas"),
            available: status_i64(d, "availableReplicas"),
        }
    }

    /// `DeploymentProgressing`: more updated, ready or available pods, or fewer old ones.
    pub fn progressed_since(&self, old: &RolloutCounts) -> bool {
        self.updated > old.updated
            || self.replicas - self.updated < old.replicas - old.updated
            || self.ready > old.ready
            || self.available > old.available
    }
}

/// The Unix second the deadline runs out, counted from the condition's lastUpdateTime.
fn deadline_at(condition: &Value, deadline_seconds: i64) -> Option<i64> {
    let from = condition.get("lastUpdateTime").and_then(Value::as_str)?;
    Some(crate::sim::clock::unix_from_rfc3339(from)? + deadline_seconds)
}

/// `DeploymentTimedOut`: no progress since lastUpdateTime for longer than the deadline. A
/// finished rollout never times out; a timed-out one stays so.
pub fn timed_out(condition: &Value, deadline_seconds: i64, now_unix: i64) -> bool {
    match condition.get("reason").and_then(Value::as_str) {
        Some(NEW_RS_AVAILABLE_REASON) => false,
        Some(TIMED_OUT_REASON) => true,
        _ => deadline_at(condition, deadline_seconds).is_some_and(|at| at < now_unix),
    }
}

/// `requeueStuckDeployment`: how long until the deadline has passed (a second after it), for a
/// rollout not yet timed out.
pub fn until_deadline(
    condition: &Value,
    deadline_seconds: i64,
    now_unix: i64,
) -> Option<crate::sim::clock::Ticks> {
    if condition.get("reason").and_then(Value::as_str) == Some(TIMED_OUT_REASON) {
        return None;
    }
    let left = deadline_at(condition, deadline_seconds)? - now_unix;
    let seconds = if left < 1 { 1 } else { left + 1 };
    Some(seconds as u64 * crate::sim::clock::TICKS_PER_SECOND)
}

/// An `intstr.IntOrString` as a spec holds it: `3` or `"25%"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    Int(i64),
    Percent(i64),
}

impl IntOrPercent {
    /// Reads a spec value; a malformed string is an error (validation refuses it upstream).
    pub fn from_value(v: Option<&Value>, default: IntOrPercent) -> Result<IntOrPercent, String> {
        match v {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(IntOrPercent::Int)
                .ok_or_else(|| format!("invalid value for IntOrString: {n}")),
            Some(Value::String(s)) => match s.strip_suffix('%') {
                Some(p) => p
                    .parse()
                    .map(IntOrPercent::Percent)
                    .map_err(|_| format!("invalid value for IntOrString: invalid value {s:?}")),
                None => Err(
                    "invalid value for IntOrString: invalid type: string is not a percentage"
                        .to_string(),
                ),
            },
            Some(other) => Err(format!("invalid value for IntOrString: {other}")),
        }
    }

    /// `GetScaledValueFromIntOrPercent(v, total, roundUp)`.
    pub fn scaled(&self, total: i64, round_up: bool) -> i64 {
        match self {
            IntOrPercent::Int(i) => *i,
            IntOrPercent::Percent(p) => {
                let product = p * total;
                if round_up {
                    (product + 99).div_euclid(100)
                } else {
                    product.div_euclid(100)
                }
            }
        }
    }
}

/// `ResolveFenceposts`: (maxSurge, maxUnavailable) in pods. Surge rounds up, unavailable down;
/// if both come out 0, unavailable is 1 so that a rollout can make progress.
pub fn resolve_fenceposts(
    max_surge: &IntOrPercent,
    max_unavailable: &IntOrPercent,
    desired: i64,
) -> (i64, i64) {
    let surge = max_surge.scaled(desired, true);
    let mut unavailable = max_unavailable.scaled(desired, false);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable)
}

pub fn spec_replicas(obj: &Value) -> i64 {
    obj.ptr("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

pub fn status_i64(obj: &Value, field: &str) -> i64 {
    obj.ptr(&format!("/status/{field}"))
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

pub fn is_rolling_update(d: &Value) -> bool {
    d.ptr("/spec/strategy/type").and_then(Value::as_str) != Some("Recreate")
}

/// The Deployment's fenceposts; (0, 0) for Recreate, where they do not apply.
pub fn fenceposts(d: &Value) -> Result<(i64, i64), String> {
    if !is_rolling_update(d) {
        return Ok((0, 0));
    }
    let surge = IntOrPercent::from_value(
        d.ptr("/spec/strategy/rollingUpdate/maxSurge"),
        IntOrPercent::Percent(25),
    )?;
    let unavailable = IntOrPercent::from_value(
        d.ptr("/spec/strategy/rollingUpdate/maxUnavailable"),
        IntOrPercent::Percent(25),
    )?;
    Ok(resolve_fenceposts(&surge, &unavailable, spec_replicas(d)))
}

pub fn max_surge(d: &Value) -> i64 {
    fenceposts(d).map(|f| f.0).unwrap_or(0)
}

/// `MaxUnavailable`: never more than the replicas.
pub fn max_unavailable(d: &Value) -> i64 {
    let replicas = spec_replicas(d);
    if !is_rolling_update(d) || replicas == 0 {
        return 0;
    }
    fenceposts(d).map(|f| f.1.min(replicas)).unwrap_or(0)
}

/// `GetReplicaCountForReplicaSets`: the sum of `spec.replicas`.
pub fn replica_count(rss: &[&Value]) -> i64 {
    rss.iter().map(|rs| spec_replicas(rs)).sum()
}

pub fn available_count(rss: &[&Value]) -> i64 {
    rss.iter()
        .map(|rs| status_i64(rs, "availableReplicas"))
        .sum()
}

/// `NewRSNewReplicas`: how big the new ReplicaSet may be now. Rolling: grow into the surge room
/// (all pods ≤ replicas + maxSurge) but never past `replicas`. Recreate: straight to `replicas`.
pub fn new_rs_new_replicas(d: &Value, all_rss: &[&Value], new_rs: &Value) -> i64 {
    let replicas = spec_replicas(d);
    if !is_rolling_update(d) {
        return replicas;
    }
    let new_replicas = spec_replicas(new_rs);
    let current = replica_count(all_rss);
    let max_total = replicas + max_surge(d);
    if current >= max_total {
        return new_replicas;
    }
    let scale_up = (max_total - current).min(replicas - new_replicas);
    new_replicas + scale_up.max(0)
}

/// `IsSaturated`: the new RS has all the replicas and all of them are available.
pub fn is_saturated(d: &Value, rs: &Value) -> bool {
    let desired = rs
        .ptr("/metadata/annotations")
        .and_then(|a| a.get(DESIRED_REPLICAS_ANNOTATION))
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<i64>().ok());
    spec_replicas(rs) == spec_replicas(d)
        && desired == Some(spec_replicas(d))
        && status_i64(rs, "availableReplicas") == spec_replicas(d)
}

fn annotation_i64(obj: &Value, key: &str) -> Option<i64> {
    obj.ptr("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

pub fn revision(rs: &Value) -> i64 {
    annotation_i64(rs, REVISION_ANNOTATION).unwrap_or(0)
}

/// `MaxRevision`.
pub fn max_revision(rss: &[&Value]) -> i64 {
    rss.iter().map(|rs| revision(rs)).max().unwrap_or(0)
}

/// `getReplicaSetFraction`: how much `rs` should grow or shrink when the Deployment is scaled
/// mid-rollout, in proportion to its share of the size it was last scaled for.
pub fn get_replica_set_fraction(rs: &Value, d: &Value) -> i64 {
    let replicas = spec_replicas(d);
    if replicas == 0 {
        return -spec_replicas(rs);
    }
    let deployment_max = replicas + max_surge(d);
    let annotated = annotation_i64(rs, MAX_REPLICAS_ANNOTATION)
        .unwrap_or_else(|| status_i64(d, "replicas"))
        .max(1);
    let new_size = (spec_replicas(rs) * deployment_max) as f64 / annotated as f64;
    new_size.round() as i64 - spec_replicas(rs)
}

/// `GetProportion`: `rs`'s part of `to_add`, bounded by what is still to hand out.
pub fn get_proportion(rs: &Value, d: &Value, to_add: i64, added: i64) -> i64 {
    if spec_replicas(rs) == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = get_replica_set_fraction(rs, d);
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

/// A template without the `pod-template-hash` label, for `EqualIgnoreHash`.
pub fn template_without_hash(template: &Value) -> Value {
    let mut t = template.clone();
    if let Some(labels) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove(DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY);
        if labels.is_empty() {
            if let Some(meta) = t.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("labels");
            }
        }
    }
    t
}

/// `EqualIgnoreHash`: two pod templates equal but for the hash label.
pub fn equal_ignore_hash(a: &Value, b: &Value) -> bool {
    // Compared as upstream compares the Go structs: a `null` member is the same as none
    // (`creationTimestamp: null`, which the real kubectl's `rollout undo` sends back).
    without_nulls(&template_without_hash(a)) == without_nulls(&template_without_hash(b))
}

/// The value with every `null` object member left out, at any depth.
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Sorted oldest first by creation time, then name (`ReplicaSetsByCreationTimestamp`).
pub fn sort_by_creation(rss: &mut [&Value]) {
    rss.stable_sort_by(|a, b| {
        let ts = |o: &Value| {
            o.ptr("/metadata/creationTimestamp")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        ts(a)
            .cmp(&ts(b))
            .then_with(|| crate::sim::api::name(a).cmp(crate::sim::api::name(b)))
    });
}

/// A condition object as the Deployment status holds it.
pub fn condition(kind: &str, status: &str, reason: &str, message: &str, now: &str) -> Value {
    json!({"type": kind, "status": status, "lastUpdateTime": now, "lastTransitionTime": now,
           "reason": reason, "message": message})
}

/// `SetDeploymentCondition`: replaces the condition of that type; keeps lastTransitionTime when
/// the status did not change, and keeps the whole condition when nothing but time would change.
pub fn set_condition(conditions: &mut Vec<Value>, new: Value) {
    let kind = new.get("type").cloned();
    if let Some(pos) = conditions
        .iter()
        .position(|c| c.get("type") == kind.as_ref())
    {
        let old = &conditions[pos];
        let same = |f: &str| old.get(f) == new.get(f);
        let same_status = same("status");
        if same_status && same("reason") && same("message") {
            return;
        }
        let mut new = new;
        if same_status {
            new["lastTransitionTime"] = old.get("lastTransitionTime").cloned().unwrap_or_default();
        }
        conditions[pos] = new;
    } else {
        conditions.push(new);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(replicas: i64, surge: Value, unavailable: Value) -> Value {
        json!({"spec": {"replicas": replicas, "strategy": {"type": "RollingUpdate",
               "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}}})
    }

    #[test]
    fn a_null_member_equals_an_absent_one_as_in_the_go_struct() {
        // The real kubectl's `rollout undo` puts back a template with `creationTimestamp: null`;
        // the Deployment must find the ReplicaSet it came from, not make a new one.
        let rs = json!({"metadata": {"labels": {"app": "web", "pod-template-hash": "abc"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}});
        let undone = json!({"metadata": {"creationTimestamp": null, "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}});
        assert!(equal_ignore_hash(&rs, &undone));
        let mut other = undone.clone();
        other["spec"]["containers"][0]["image"] = json!("nginx:1.25");
        assert!(!equal_ignore_hash(&rs, &other));
    }

    #[test]
    fn fenceposts_round_surge_up_and_unavailable_down() {
        let cases = [
            // (replicas, surge, unavailable) → (surge, unavailable)
            (3, json!("25%"), json!("25%"), (1, 0)),
            (4, json!("25%"), json!("25%"), (1, 1)),
            (10, json!("25%"), json!("25%"), (3, 2)),
            (10, json!(0), json!(0), (0, 1)),
            (1, json!("0%"), json!("10%"), (0, 1)),
            (5, json!(2), json!("50%"), (2, 2)),
        ];
        for (replicas, s, u, want) in cases {
            let dep = d(replicas, s.clone(), u.clone());
            assert_eq!(fenceposts(&dep).unwrap(), want, "{replicas} {s} {u}");
        }
    }

    #[test]
    fn a_bad_int_or_string_is_an_error_not_a_panic() {
        assert!(IntOrPercent::from_value(Some(&json!("abc")), IntOrPercent::Int(0)).is_err());
        assert!(IntOrPercent::from_value(Some(&json!("x%")), IntOrPercent::Int(0)).is_err());
        assert!(fenceposts(&d(3, json!("lots"), json!(1))).is_err());
    }

    fn rs(replicas: i64, available: i64) -> Value {
        json!({"spec": {"replicas": replicas}, "status": {"availableReplicas": available}})
    }

    #[test]
    fn the_new_replica_set_grows_only_into_the_surge_room() {
        let dep = d(3, json!("25%"), json!("25%")); // surge 1
        let old = rs(3, 3);
        let new = rs(0, 0);
        assert_eq!(new_rs_new_replicas(&dep, &[&old, &new], &new), 1);
        let new1 = rs(1, 0);
        assert_eq!(
            new_rs_new_replicas(&dep, &[&old, &new1], &new1),
            1,
            "4 pods = 3 + surge: wait"
        );
        let old2 = rs(2, 2);
        assert_eq!(new_rs_new_replicas(&dep, &[&old2, &new1], &new1), 2);
        let recreate = json!({"spec": {"replicas": 3, "strategy": {"type": "Recreate"}}});
        assert_eq!(new_rs_new_replicas(&recreate, &[&old, &new], &new), 3);
    }

    #[test]
    fn proportional_scaling_splits_new_replicas_by_share() {
        // Deployment scaled from 10 to 20 mid-rollout (maxSurge 3 → 5 at 20).
        let dep = json!({"spec": {"replicas": 20, "strategy": {"type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}}, "status": {"replicas": 13}});
        let big = json!({"spec": {"replicas": 8}, "metadata": {"annotations": {MAX_REPLICAS_ANNOTATION: "13"}}});
        let small = json!({"spec": {"replicas": 5}, "metadata": {"annotations": {MAX_REPLICAS_ANNOTATION: "13"}}});
        // 8 * 25 / 13 = 15.38 → 15: +7; 5 * 25 / 13 = 9.6 → 10: +5.
        assert_eq!(get_replica_set_fraction(&big, &dep), 7);
        assert_eq!(get_replica_set_fraction(&small, &dep), 5);
        assert_eq!(get_proportion(&big, &dep, 12, 0), 7);
        assert_eq!(get_proportion(&small, &dep, 12, 7), 5);
        assert_eq!(
            get_proportion(&small, &dep, 12, 10),
            2,
            "bounded by what is left"
        );
        let zero = json!({"spec": {"replicas": 0}});
        assert_eq!(get_replica_set_fraction(&big, &zero), -8);
    }

    #[test]
    fn templates_equal_but_for_the_hash_label_are_the_same_revision() {
        let a = json!({"metadata": {"labels": {"app": "web", "pod-template-hash": "abc"}}, "spec": {"x": 1}});
        let b = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"x": 1}});
        let c = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"x": 2}});
        assert!(equal_ignore_hash(&a, &b));
        assert!(!equal_ignore_hash(&a, &c));
    }

    #[test]
    fn a_condition_keeps_its_transition_time_while_its_status_holds() {
        let mut cs = vec![condition("Available", "True", "A", "m", "t0")];
        set_condition(&mut cs, condition("Available", "True", "B", "m2", "t1"));
        assert_eq!(cs[0]["lastTransitionTime"], json!("t0"));
        assert_eq!(cs[0]["reason"], json!("B"));
        set_condition(&mut cs, condition("Available", "False", "C", "m3", "t2"));
        assert_eq!(cs[0]["lastTransitionTime"], json!("t2"));
    }
}

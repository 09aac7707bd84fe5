//! What every controller shares: the pod-template-hash, ownerReferences (controllerRef),
//! expectations, pod activity/readiness, the deletion ranking of pods and slow-start batches.
//!
//! Mirrors: `pkg/controller/controller_utils.go` (`ComputeHash`, `ControllerExpectations`,
//! `ActivePodsWithRanks.Less`, `FilterActivePods`, `SlowStartInitialBatchSize`),
//! `k8s.io/apimachinery/pkg/util/rand.SafeEncodeString`, `metav1.NewControllerRef`,
//! `metav1.GetControllerOf`.
//! Simplified: `ComputeHash` hashes a canonical JSON of the template (keys sorted, no
//! whitespace) instead of upstream's spew deep-print, which cannot be reproduced byte for byte
//! outside Go; names therefore *look* like upstream's (`web-5d8f7c9b6`) but the digits differ
//! for the same template. The deletion ranking drops upstream's logarithmic time buckets
//! (plain timestamp order) and pod-deletion-cost is read from the annotation as upstream does.

use crate::sim::api::JsonPointer;
use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::sim::clock::Ticks;
use crate::sim::rng::{Rng, SAFE_ALPHABET};
use crate::sim::sort::StableSort;
use crate::sim::trace::Seq;

/// The label a Deployment puts on its ReplicaSets and their pods.
pub const DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY: &str = "pod-template-hash";
/// `SlowStartInitialBatchSize`: the first batch of creates in `manageReplicas`.
pub const SLOW_START_INITIAL_BATCH_SIZE: usize = 1;
/// `BurstReplicas`: at most this many creates or deletes per sync.
pub const BURST_REPLICAS: usize = 500;
/// `controller.kubernetes.io/pod-deletion-cost`.
pub const POD_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";

/// 32-bit FNV-1a, as Go's `hash/fnv.New32a`.
pub fn fnv32a(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in bytes {
        hash ^= u32::from(*b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// `rand.SafeEncodeString`: each byte of `s` picks `alphanums[b % 27]`, so the decimal digits of
/// a hash become letters and digits that cannot spell words.
pub fn safe_encode_string(s: &str) -> String {
    s.bytes()
        .map(|b| SAFE_ALPHABET[b as usize % SAFE_ALPHABET.len()] as char)
        .collect()
}

/// JSON with object keys sorted and no whitespace: a stable text to hash.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// `ComputeHash(template, collisionCount)`: fnv32a over the template (canonical JSON, see the
/// module doc), then the collision count as 8 little-endian bytes (upstream writes a uint32 into
/// an 8-byte buffer), then `SafeEncodeString(fmt.Sprint(hash))`.
pub fn compute_hash(template: &Value, collision_count: Option<u32>) -> String {
    let mut bytes = canonical_json(template).into_bytes();
    if let Some(count) = collision_count {
        let mut buf = [0u8; 8];
        buf[..4].copy_from_slice(&count.to_le_bytes());
        bytes.extend_from_slice(&buf);
    }
    safe_encode_string(&fnv32a(&bytes).to_string())
}

/// A generated name, as the apiserver makes from `generateName`: prefix + 5 safe characters.
pub fn generate_name(prefix: &str, rng: &mut Rng) -> String {
    format!("{prefix}{}", rng.name_suffix(5))
}

/// `metav1.NewControllerRef`: the owner reference a controller puts on what it creates.
pub fn new_controller_ref(owner: &Value) -> Value {
    let text = |field: &str| owner.get(field).and_then(Value::as_str).unwrap_or("");
    crate::sim::api::json_text(
        r#"{"apiVersion": "${apiVersion}", "kind": "${kind}", "name": "${name}", "uid": "${uid}",
            "controller": true, "blockOwnerDeletion": true}"#,
        &[
            ("apiVersion", text("apiVersion")),
            ("kind", text("kind")),
            ("name", crate::sim::api::name(owner)),
            ("uid", uid(owner)),
        ],
    )
}

pub fn uid(obj: &Value) -> &str {
    obj.ptr("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `metav1.GetControllerOf`: the owner reference with `controller: true`, if any.
pub fn get_controller_of(obj: &Value) -> Option<&Value> {
    owner_references(obj)
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
}

pub fn owner_references(obj: &Value) -> &[Value] {
    obj.ptr("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Whether `obj`'s controllerRef points at `owner` (same uid).
pub fn is_controlled_by(obj: &Value, owner: &Value) -> bool {
    get_controller_of(obj)
        .and_then(|r| r.get("uid"))
        .and_then(Value::as_str)
        .is_some_and(|u| !u.is_empty() && u == uid(owner))
}

pub fn is_being_deleted(obj: &Value) -> bool {
    obj.ptr("/metadata/deletionTimestamp").is_some()
}

fn phase(pod: &Value) -> &str {
    pod.ptr("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `IsPodActive`: not Succeeded, not Failed, not being deleted.
pub fn is_pod_active(pod: &Value) -> bool {
    !matches!(phase(pod), "Succeeded" | "Failed") && !is_being_deleted(pod)
}

/// `podutil.IsPodReady`: the Ready condition is True.
pub fn is_pod_ready(pod: &Value) -> bool {
    pod_condition(pod, "Ready")
        .is_some_and(|c| c.get("status").and_then(Value::as_str) == Some("True"))
}

pub fn pod_condition<'a>(pod: &'a Value, kind: &str) -> Option<&'a Value> {
    pod.ptr("/status/conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
}

pub fn node_name(pod: &Value) -> &str {
    pod.ptr("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn restart_count(pod: &Value) -> i64 {
    pod.ptr("/status/containerStatuses")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("restartCount").and_then(Value::as_i64))
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

fn deletion_cost(pod: &Value) -> i64 {
    pod.ptr("/metadata/annotations")
        .and_then(|a| a.get(POD_DELETION_COST))
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn text<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.ptr(pointer).and_then(Value::as_str).unwrap_or("")
}

/// `ActivePodsWithRanks.Less`: `Less` (the first pod is preferred for deletion) as an ordering.
/// `rank_*` is the number of active related pods on the pod's node (doubled-up pods go first).
/// 1 unassigned < assigned; 2 Pending < Unknown < Running; 3 not ready < ready;
/// 4 lower pod-deletion-cost first; 5 higher rank first; 6 ready for less time first;
/// 7 more restarts first; 8 newer first; 9 by uid.
pub fn compare_pods_for_deletion(a: &Value, rank_a: usize, b: &Value, rank_b: usize) -> Ordering {
    let (na, nb) = (node_name(a), node_name(b));
    if na != nb && (na.is_empty() || nb.is_empty()) {
        return if na.is_empty() {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    let ordinal = |p: &Value| match phase(p) {
        "Pending" => 0,
        "Unknown" => 1,
        "Running" => 2,
        _ => 0,
    };
    let by = ordinal(a)
        .cmp(&ordinal(b))
        .then_with(|| is_pod_ready(a).cmp(&is_pod_ready(b)))
        .then_with(|| deletion_cost(a).cmp(&deletion_cost(b)))
        .then_with(|| rank_b.cmp(&rank_a));
    if by != Ordering::Equal {
        return by;
    }
    if is_pod_ready(a) && is_pod_ready(b) {
        // RFC 3339 strings of one format sort as time: later (more recently ready) first.
        let ready_since = |p: &Value| {
            pod_condition(p, "Ready")
                .and_then(|c| c.get("lastTransitionTime"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let by = ready_since(b).cmp(&ready_since(a));
        if by != Ordering::Equal {
            return by;
        }
    }
    restart_count(b)
        .cmp(&restart_count(a))
        .then_with(|| {
            text(b, "/metadata/creationTimestamp").cmp(text(a, "/metadata/creationTimestamp"))
        })
        .then_with(|| uid(a).cmp(uid(b)))
}

/// `getPodsToDelete`: the `diff` pods to delete first, ranked by how many active related pods
/// share their node.
pub fn get_pods_to_delete<'a>(
    filtered: &[&'a Value],
    related: &[&Value],
    diff: usize,
) -> Vec<&'a Value> {
    let mut on_node: BTreeMap<&str, usize> = BTreeMap::new();
    for p in related.iter().filter(|p| is_pod_active(p)) {
        *on_node.entry(node_name(p)).or_default() += 1;
    }
    let mut ranked: Vec<(&Value, usize)> = filtered
        .iter()
        .map(|p| (*p, on_node.get(node_name(p)).copied().unwrap_or(0)))
        .collect();
    ranked.stable_sort_by(|(a, ra), (b, rb)| compare_pods_for_deletion(a, *ra, b, *rb));
    ranked.into_iter().take(diff).map(|(p, _)| p).collect()
}

/// `slowStartBatch`'s batch sizes for `count` creates: 1, 2, 4, ... each at most what is left.
/// Upstream stops at the first batch with a failure; callers here send one batch per sync and
/// send the next only when the previous one has been seen (expectations).
pub fn slow_start_batches(count: usize, initial_batch_size: usize) -> Vec<usize> {
    let mut batches = Vec::new();
    let mut remaining = count;
    let mut size = initial_batch_size.max(1).min(remaining);
    while size > 0 {
        batches.push(size);
        remaining -= size;
        size = (2 * size).min(remaining);
    }
    batches
}

/// `ControllerExpectations`: creates and deletes sent but not yet seen in the informer, per
/// controller key. A controller does not sync a key whose expectations are unmet: it would count
/// pods that are already on their way and create them twice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ControllerExpectations {
    expected: BTreeMap<String, (i64, i64)>,
}

impl ControllerExpectations {
    pub fn expect_creations(&mut self, key: &str, adds: usize) {
        self.expected.entry(key.to_string()).or_default().0 += adds as i64;
    }

    pub fn expect_deletions(&mut self, key: &str, dels: usize) {
        self.expected.entry(key.to_string()).or_default().1 += dels as i64;
    }

    pub fn creation_observed(&mut self, key: &str) {
        if let Some(e) = self.expected.get_mut(key) {
            e.0 = (e.0 - 1).max(0);
        }
    }

    pub fn deletion_observed(&mut self, key: &str) {
        if let Some(e) = self.expected.get_mut(key) {
            e.1 = (e.1 - 1).max(0);
        }
    }

    /// `SatisfiedExpectations`: nothing outstanding.
    pub fn satisfied(&self, key: &str) -> bool {
        self.expected
            .get(key)
            .is_none_or(|(adds, dels)| *adds <= 0 && *dels <= 0)
    }

    pub fn delete(&mut self, key: &str) {
        self.expected.remove(key);
    }
}

/// `GetPodFromTemplate`: a pod for `owner` from its `spec.template`, named `<prefix>xxxxx` by the
/// apiserver (`generateName`), with the controllerRef set.
pub fn pod_from_template(owner: &Value, template: &Value, generate_name: &str) -> Value {
    let namespace = crate::sim::api::namespace(owner);
    let mut metadata = serde_json::Map::new();
    metadata.insert("generateName".into(), json!(generate_name));
    metadata.insert("namespace".into(), json!(namespace));
    for field in ["labels", "annotations"] {
        if let Some(v) = template.get("metadata").and_then(|m| m.get(field)) {
            if v.as_object().is_some_and(|m| !m.is_empty()) {
                metadata.insert(field.into(), v.clone());
            }
        }
    }
    metadata.insert("ownerReferences".into(), json!([new_controller_ref(owner)]));
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": template.get("spec").cloned().unwrap_or(json!({})),
    })
}

/// The `namespace/name` key a work queue holds.
pub fn key_of(obj: &Value) -> String {
    let ns = crate::sim::api::namespace(obj);
    let name = crate::sim::api::name(obj);
    if ns.is_empty() {
        name.to_string()
    } else {
        format!("{ns}/{name}")
    }
}

/// Splits a `namespace/name` key.
pub fn split_key(key: &str) -> (Option<&str>, &str) {
    match key.split_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv32a_matches_the_reference_vectors() {
        // Test vectors from the FNV reference (Go's hash/fnv tests use the same).
        assert_eq!(fnv32a(b""), 0x811c9dc5);
        assert_eq!(fnv32a(b"a"), 0xe40c292c);
        assert_eq!(fnv32a(b"foobar"), 0xbf9cf968);
    }

    #[test]
    fn safe_encoding_maps_each_digit_byte_into_the_safe_alphabet() {
        // '0' is byte 48: 48 % 27 = 21 → '4'; '9' is 57: 57 % 27 = 3 → 'f'.
        assert_eq!(safe_encode_string("0"), "4");
        assert_eq!(safe_encode_string("9"), "f");
        assert_eq!(safe_encode_string("1234567890"), "56789bcdf4");
    }

    #[test]
    fn the_hash_looks_like_upstream_and_changes_with_the_template_and_collisions() {
        let t = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}});
        let h = compute_hash(&t, None);
        assert!((8..=10).contains(&h.len()), "{h}");
        assert!(h.bytes().all(|b| SAFE_ALPHABET.contains(&b)));
        assert_eq!(h, compute_hash(&t, None), "stable");
        let reordered = json!({"spec": {"containers": [{"image": "nginx", "name": "nginx"}]}, "metadata": {"labels": {"app": "web"}}});
        assert_eq!(
            h,
            compute_hash(&reordered, None),
            "key order does not matter"
        );
        let t2 = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}});
        assert_ne!(h, compute_hash(&t2, None));
        assert_ne!(h, compute_hash(&t, Some(1)));
        assert_ne!(compute_hash(&t, Some(0)), compute_hash(&t, Some(1)));
    }

    #[test]
    fn generated_pod_names_have_five_safe_characters() {
        let mut rng = Rng::new(7);
        let name = generate_name("web-5d8f7c9b6-", &mut rng);
        assert_eq!(name.len(), "web-5d8f7c9b6-".len() + 5);
        assert!(name[14..].bytes().all(|b| SAFE_ALPHABET.contains(&b)));
    }

    #[test]
    fn slow_start_batches_double_from_one_up_to_what_is_left() {
        let cases: &[(usize, &[usize])] = &[
            (0, &[]),
            (1, &[1]),
            (3, &[1, 2]),
            (10, &[1, 2, 4, 3]),
            (16, &[1, 2, 4, 8, 1]),
        ];
        for (count, want) in cases {
            assert_eq!(slow_start_batches(*count, 1), *want, "count {count}");
        }
    }

    fn pod(name: &str, node: &str, phase: &str, ready: bool, created: &str) -> Value {
        json!({"metadata": {"name": name, "uid": name, "creationTimestamp": created},
               "spec": {"nodeName": node},
               "status": {"phase": phase, "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]}})
    }

    #[test]
    fn pods_are_deleted_unassigned_first_then_pending_then_not_ready_then_newest() {
        let t0 = "2025-06-01T00:00:00Z";
        let t1 = "2025-06-01T00:01:00Z";
        let running_ready_old = pod("a", "node1", "Running", true, t0);
        let running_ready_new = pod("b", "node2", "Running", true, t1);
        let running_not_ready = pod("c", "node1", "Running", false, t0);
        let pending_assigned = pod("d", "node2", "Pending", false, t0);
        let unassigned = pod("e", "", "Pending", false, t0);
        let all = [
            &running_ready_old,
            &running_ready_new,
            &running_not_ready,
            &pending_assigned,
            &unassigned,
        ];
        let order: Vec<&str> = get_pods_to_delete(&all, &all, 5)
            .into_iter()
            .map(crate::sim::api::name)
            .collect();
        assert_eq!(order, ["e", "d", "c", "b", "a"]);
        assert_eq!(get_pods_to_delete(&all, &all, 2).len(), 2);
    }

    #[test]
    fn a_doubled_up_pod_goes_before_a_lone_one() {
        let a = pod("a", "node1", "Running", true, "2025-06-01T00:00:00Z");
        let b = pod("b", "node2", "Running", true, "2025-06-01T00:00:00Z");
        let c = pod("c", "node2", "Running", true, "2025-06-01T00:00:00Z");
        let picked = get_pods_to_delete(&[&a, &b], &[&a, &b, &c], 1);
        assert_eq!(crate::sim::api::name(picked[0]), "b");
    }

    #[test]
    fn expectations_are_met_only_when_every_create_and_delete_is_seen() {
        let mut e = ControllerExpectations::default();
        assert!(e.satisfied("default/web"));
        e.expect_creations("default/web", 2);
        assert!(!e.satisfied("default/web"));
        e.creation_observed("default/web");
        assert!(!e.satisfied("default/web"));
        e.creation_observed("default/web");
        assert!(e.satisfied("default/web"));
    }

    #[test]
    fn a_controller_ref_blocks_owner_deletion_and_is_found_again() {
        let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-1", "namespace": "default", "uid": "u1"}});
        let pod = pod_from_template(
            &rs,
            &json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": []}}),
            "web-1-",
        );
        assert!(is_controlled_by(&pod, &rs));
        let r = get_controller_of(&pod).unwrap();
        assert_eq!(r["blockOwnerDeletion"], json!(true));
        assert_eq!(r["kind"], json!("ReplicaSet"));
        assert_eq!(pod["metadata"]["generateName"], json!("web-1-"));
    }
}

/// One refused pod create of an owner (`manageReplicasErr`, `manageJob`'s errors).
#[derive(Clone, Debug)]
struct CreateFailure {
    /// The apiserver's message, e.g. `pods "web-x" is forbidden: exceeded quota: ...`.
    message: String,
    /// The decision that sent the refused create: what the report names as its cause.
    seq: Seq,
    /// Refusals in a row: the back-off's exponent.
    failures: u32,
    /// None until reported; then when the owner may try creating again.
    retry_at: Option<Ticks>,
}

/// The refused pod creates of a controller, per owner key: each is reported once (a
/// `FailedCreate` Warning, `Error creating: <message>`) and the owner tries again after the work
/// queue's back-off (`ItemExponentialFailureRateLimiter(base, max)`: `base` doubling up to
/// `max`), or at once when one of its pods or its spec changes (the event handlers' plain
/// `queue.Add`). A sync that needs no more pods forgets the owner (`queue.Forget`).
///
/// The cluster tells the controller the seq of each decision it records that carries an id
/// ([`crate::sim::component::Component::on_recorded`]): create decisions carry one, so that a
/// refusal found in `on_response` names the decision that sent the create.
#[derive(Clone, Debug, Default)]
pub struct CreateFailures {
    /// By owner key, in the order they were first refused (a Vec: no B-tree of these on the page).
    owners: Vec<(String, CreateFailure)>,
    last_create_seq: Option<Seq>,
    base_ticks: Ticks,
    max_ticks: Ticks,
}

/// A refusal to report: the owner key, `Error creating: <message>`, and its cause.
pub struct FailedCreate {
    pub key: String,
    pub message: String,
    pub cause: Seq,
}

impl CreateFailures {
    pub fn new(base_ticks: Ticks, max_ticks: Ticks) -> Self {
        CreateFailures {
            base_ticks,
            max_ticks,
            ..CreateFailures::default()
        }
    }

    /// `on_recorded` of a create decision.
    fn get(&self, key: &str) -> Option<&CreateFailure> {
        self.owners.iter().find(|(k, _)| k == key).map(|(_, f)| f)
    }

    pub fn create_recorded(&mut self, seq: Seq) {
        self.last_create_seq = Some(seq);
    }

    /// `on_response` of a refused create for `owner`. Several refusals of one sync count once.
    pub fn refused(&mut self, owner: String, message: &str) {
        let failure = CreateFailure {
            message: message.to_string(),
            seq: self.last_create_seq.unwrap_or_default(),
            failures: 1,
            retry_at: None,
        };
        match self.owners.iter_mut().find(|(k, _)| *k == owner) {
            Some((_, f)) => {
                let failures = f.failures + u32::from(f.retry_at.is_some());
                *f = CreateFailure {
                    failures,
                    ..failure
                };
            }
            None => self.owners.push((owner, failure)),
        }
    }

    /// Some refusal waits to be reported: reconcile again at once.
    pub fn unreported(&self) -> bool {
        self.owners.iter().any(|(_, f)| f.retry_at.is_none())
    }

    /// The refusals not yet reported, now marked reported with their back-off started.
    pub fn report(&mut self, now: Ticks) -> Vec<FailedCreate> {
        let (base, max) = (self.base_ticks, self.max_ticks);
        let mut out = Vec::new();
        for (key, f) in self.owners.iter_mut().filter(|(_, f)| f.retry_at.is_none()) {
            let shift = f.failures.saturating_sub(1).min(40);
            f.retry_at = Some(now + base.saturating_mul(1 << shift).min(max));
            out.push(FailedCreate {
                key: key.clone(),
                message: format!("Error creating: {}", f.message),
                cause: f.seq,
            });
        }
        out
    }

    /// Owners whose back-off ended, with the refusal that started it (the cause of the retry).
    pub fn due(&self, now: Ticks) -> Vec<(String, Seq)> {
        let due = |f: &CreateFailure| f.retry_at.is_some_and(|at| at <= now);
        let owners = self.owners.iter().filter(|(_, f)| due(f));
        owners.map(|(k, f)| (k.clone(), f.seq)).collect()
    }

    /// May `key` not create now (refused and not yet due)?
    pub fn backing_off(&self, key: &str, now: Ticks) -> bool {
        let f = self.get(key);
        f.is_some_and(|f| f.retry_at.is_none_or(|at| at > now))
    }

    /// The reported refusal of `key`, for a status condition.
    pub fn message(&self, key: &str) -> Option<&str> {
        let f = self.get(key).filter(|f| f.retry_at.is_some());
        f.map(|f| f.message.as_str())
    }

    /// Something about the owner changed: let it try again at its next sync.
    pub fn retry_now(&mut self, key: &str) {
        let found = self.owners.iter_mut().find(|(k, _)| k == key);
        if let Some((_, f)) = found.filter(|(_, f)| f.retry_at.is_some()) {
            f.retry_at = Some(0);
        }
    }

    pub fn forget(&mut self, key: &str) {
        self.owners.retain(|(k, _)| k != key);
    }

    /// How long until the next back-off ends.
    pub fn requeue_after(&self, now: Ticks) -> Option<Ticks> {
        let waits = self.owners.iter().filter_map(|(_, f)| f.retry_at);
        waits.filter(|at| *at > now).map(|at| at - now).min()
    }
}

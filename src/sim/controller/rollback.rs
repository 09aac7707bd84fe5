//! `kubectl rollout undo`: the client copies an old ReplicaSet's template back into the
//! Deployment; the controller then finds that ReplicaSet by template and gives it the next
//! revision ([`super::deployment::DeploymentSync::sync_revision`]).
//!
//! Mirrors: kubectl's `DeploymentRollbacker` (`k8s.io/kubectl/pkg/polymorphichelpers/rollback.go`:
//! find the revision, refuse a paused Deployment, skip when the template already matches, patch
//! `spec.template` and the copied annotations) rather than the deprecated `rollbackTo` field
//! upstream's `rollback.go` still handles.
//! Simplified: the patch is a JSON merge patch (kubectl sends a JSON patch with the same effect).

use crate::sim::api::JsonPointer;
use serde_json::{json, Value};

use super::controller_utils::{is_controlled_by, DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY};
use super::deployment_util::{self as du, template_without_hash};
use crate::sim::sort::StableSort;

/// Annotations kubectl does not copy from the ReplicaSet to the Deployment.

/// The merge patch that rolls `deployment` back to `to_revision` (0: the previous one), chosen
/// among `replica_sets` (the namespace's; only the Deployment's own are considered), or the
/// message kubectl prints when it cannot.
pub fn undo_patch(
    deployment: &Value,
    replica_sets: &[Value],
    to_revision: i64,
) -> Result<Value, String> {
    let name = crate::sim::api::name(deployment);
    if deployment.ptr("/spec/paused").and_then(Value::as_bool) == Some(true) {
        return Err(format!(
            "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/{name}' and try again"
        ));
    }
    let mut owned: Vec<&Value> = replica_sets
        .iter()
        .filter(|rs| is_controlled_by(rs, deployment))
        .collect();
    owned.stable_sort_by_key(|rs| du::revision(rs));
    let target = if to_revision == 0 {
        // The previous revision: the second highest.
        if owned.len() < 2 {
            return Err(format!(
                "no rollout history found for deployment \"{name}\""
            ));
        }
        owned[owned.len() - 2]
    } else {
        match owned.iter().find(|rs| du::revision(rs) == to_revision) {
            Some(rs) => *rs,
            None => {
                return Err(format!(
                    "unable to find specified revision {to_revision} in history"
                ))
            }
        }
    };
    let template = template_without_hash(target.ptr("/spec/template").unwrap_or(&Value::Null));
    let current = deployment.ptr("/spec/template").unwrap_or(&Value::Null);
    if du::equal_ignore_hash(&template, current) {
        return Err(format!(
            "skipped rollback (current template already matches revision {})",
            du::revision(target)
        ));
    }
    let annotations = du::annotations_to_copy(target, &Value::Null);
    let _ = DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY;
    // A merge patch replaces objects key by key: send the whole template under a null-free copy,
    // and null out any template key the old revision lacks so nothing of the current one stays.
    let mut template_patch = template.clone();
    null_missing(current, &mut template_patch);
    let mut patch = json!({"spec": {"template": template_patch}});
    if !annotations.is_empty() {
        patch["metadata"] = json!({"annotations": annotations});
    }
    Ok(patch)
}

/// Sets to null every object key present in `current` but absent in `target`, recursively, so
/// a merge patch of `target` yields exactly `target`.
fn null_missing(current: &Value, target: &mut Value) {
    if let (Some(cur), Some(tgt)) = (current.as_object(), target.as_object_mut()) {
        for (k, v) in cur {
            match tgt.get_mut(k) {
                None => {
                    tgt.insert(k.clone(), Value::Null);
                }
                Some(t) => null_missing(v, t),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d() -> Value {
        json!({"metadata": {"name": "web", "uid": "d1"},
               "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}})
    }

    fn rs(rev: i64, image: &str) -> Value {
        json!({"metadata": {"name": format!("web-{rev}"), "annotations": {du::REVISION_ANNOTATION: rev.to_string()},
                            "ownerReferences": [{"uid": "d1", "controller": true, "kind": "Deployment", "name": "web"}]},
               "spec": {"template": {"metadata": {"labels": {"app": "web", "pod-template-hash": "h"}}, "spec": {"containers": [{"name": "c", "image": image}]}}}})
    }

    #[test]
    fn undo_copies_the_previous_revisions_template_without_its_hash() {
        let patch = undo_patch(&d(), &[rs(1, "nginx:1.26"), rs(2, "nginx:1.27")], 0).unwrap();
        let merged = crate::sim::apiserver::patch::merge_patch(&d(), &patch);
        assert_eq!(
            merged
                .ptr("/spec/template/spec/containers/0/image")
                .unwrap(),
            "nginx:1.26"
        );
        assert!(merged
            .ptr("/spec/template/metadata/labels/pod-template-hash")
            .is_none());
    }

    #[test]
    fn undo_refuses_what_kubectl_refuses() {
        assert_eq!(
            undo_patch(&d(), &[rs(1, "nginx:1.27")], 0).unwrap_err(),
            "no rollout history found for deployment \"web\""
        );
        assert_eq!(
            undo_patch(&d(), &[rs(1, "nginx:1.26"), rs(2, "nginx:1.27")], 7).unwrap_err(),
            "unable to find specified revision 7 in history"
        );
        assert!(
            undo_patch(&d(), &[rs(1, "nginx:1.26"), rs(2, "nginx:1.27")], 2)
                .unwrap_err()
                .starts_with("skipped rollback")
        );
        let mut paused = d();
        paused["spec"]["paused"] = json!(true);
        assert!(undo_patch(&paused, &[], 0)
            .unwrap_err()
            .starts_with("you cannot rollback a paused deployment"));
    }
}

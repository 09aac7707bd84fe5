//! DefaultBinder: binds the pod to the chosen node by creating its `binding` subresource
//! (`POST /api/v1/namespaces/<ns>/pods/<name>/binding`); the apiserver then sets `spec.nodeName`.
//!
//! Mirrors: `pkg/scheduler/framework/plugins/defaultbinder/default_binder.go`.
//! The scheduler itself never writes `spec.nodeName`: binding goes through the apiserver, which
//! refuses it if the pod is already bound, so two schedulers cannot both win.

use serde_json::json;

use crate::sim::apiserver::{ApiRequest, Credentials, Verb};
use crate::sim::scheduler::framework::{ExtensionPoint, Plugin};
use crate::sim::scheduler::node_info::PodInfo;

pub const NAME: &str = "DefaultBinder";

pub struct DefaultBinder;

impl Plugin for DefaultBinder {
    fn name(&self) -> &'static str {
        NAME
    }
    fn extension_points(&self) -> &'static [ExtensionPoint] {
        &[ExtensionPoint::Bind]
    }
}

/// kube-scheduler's client certificate (`/etc/kubernetes/scheduler.conf`): user
/// `system:kube-scheduler`, which RBAC's `system:kube-scheduler` ClusterRole allows to bind.
pub fn scheduler_credentials() -> Credentials {
    Credentials::ClientCertificate {
        common_name: "system:kube-scheduler".to_string(),
        organizations: Vec::new(),
    }
}

/// The Bind request: a `v1.Binding` named after the pod, targeting the node.
pub fn bind(pod: &PodInfo, node_name: &str) -> ApiRequest {
    let body = json!({
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": pod.name, "namespace": pod.namespace, "uid": pod.uid},
        "target": {"kind": "Node", "name": node_name},
    });
    ApiRequest::new(scheduler_credentials(), Verb::Create, "pods")
        .namespace(pod.namespace.clone())
        .name(pod.name.clone())
        .subresource("binding")
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scheduler::node_info::Snapshot;
    use crate::sim::scheduler::testing::pod;

    #[test]
    fn binding_posts_the_binding_subresource_as_the_scheduler() {
        let info = Snapshot::new().pod_info(&pod("web").build());
        let request = bind(&info, "node1");
        assert_eq!(request.verb, Verb::Create);
        assert_eq!(request.resource, "pods");
        assert_eq!(request.subresource.as_deref(), Some("binding"));
        assert_eq!(request.namespace.as_deref(), Some("default"));
        assert_eq!(request.name.as_deref(), Some("web"));
        let body = request.body.unwrap_or_default();
        assert_eq!(body["kind"], "Binding");
        assert_eq!(body["target"]["name"], "node1");
        assert_eq!(body["target"]["kind"], "Node");
        assert_eq!(
            request.credentials,
            Credentials::ClientCertificate {
                common_name: "system:kube-scheduler".into(),
                organizations: vec![]
            }
        );
    }
}

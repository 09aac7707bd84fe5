//! The schemars schemas of every served kind, from `k8s-openapi`: what `tests/api_schema.rs`
//! (strict decoding's `schema.txt`) and `tests/api_explain.rs` (`explain.txt`) both generate from.
//! A newly served kind is added here once.

use std::collections::BTreeMap;

use k8s_openapi::api::{
    apps::v1 as apps, batch::v1 as batch, coordination::v1 as coordination, core::v1 as core,
    discovery::v1 as discovery, rbac::v1 as rbac, scheduling::v1 as scheduling,
};
use kube_sandbox::sim::api::resources::RESOURCES;
use schemars::{generate::SchemaSettings, JsonSchema, SchemaGenerator};
use serde_json::Value;

/// Definition names without the `io.k8s.` every one of them starts with.
pub fn short(name: &str) -> &str {
    name.strip_prefix("io.k8s.").unwrap_or(name)
}

fn root<T: JsonSchema>(gen: &mut SchemaGenerator) -> String {
    let schema = gen.subschema_for::<T>();
    let reference = schema
        .get("$ref")
        .and_then(Value::as_str)
        .expect("every kind is a named definition");
    short(reference.rsplit('/').next().unwrap_or_default()).to_string()
}

/// Each served kind's root definition (short name), and every definition (full name) they reach.
pub fn served_definitions() -> (BTreeMap<&'static str, String>, BTreeMap<String, Value>) {
    let mut gen = SchemaSettings::draft2020_12().into_generator();
    let mut kinds = BTreeMap::new();
    for r in RESOURCES {
        let name = match r.kind {
            "ConfigMap" => root::<core::ConfigMap>(&mut gen),
            "Endpoints" => root::<core::Endpoints>(&mut gen),
            "Event" => root::<core::Event>(&mut gen),
            "Namespace" => root::<core::Namespace>(&mut gen),
            "Node" => root::<core::Node>(&mut gen),
            "Pod" => root::<core::Pod>(&mut gen),
            "ReplicationController" => root::<core::ReplicationController>(&mut gen),
            "ResourceQuota" => root::<core::ResourceQuota>(&mut gen),
            "Secret" => root::<core::Secret>(&mut gen),
            "ServiceAccount" => root::<core::ServiceAccount>(&mut gen),
            "Service" => root::<core::Service>(&mut gen),
            "DaemonSet" => root::<apps::DaemonSet>(&mut gen),
            "Deployment" => root::<apps::Deployment>(&mut gen),
            "ReplicaSet" => root::<apps::ReplicaSet>(&mut gen),
            "CronJob" => root::<batch::CronJob>(&mut gen),
            "Job" => root::<batch::Job>(&mut gen),
            "Lease" => root::<coordination::Lease>(&mut gen),
            "EndpointSlice" => root::<discovery::EndpointSlice>(&mut gen),
            "ClusterRoleBinding" => root::<rbac::ClusterRoleBinding>(&mut gen),
            "ClusterRole" => root::<rbac::ClusterRole>(&mut gen),
            "RoleBinding" => root::<rbac::RoleBinding>(&mut gen),
            "Role" => root::<rbac::Role>(&mut gen),
            "PriorityClass" => root::<scheduling::PriorityClass>(&mut gen),
            other => panic!("served kind {other} has no k8s-openapi type here"),
        };
        kinds.insert(r.kind, name);
    }
    let definitions = gen.take_definitions(true).into_iter().collect();
    (kinds, definitions)
}

//! Service addresses handed out on create and update: `spec.clusterIP(s)` from the service
//! range and `nodePort`s for NodePort and LoadBalancer Services.
//!
//! Mirrors: `pkg/registry/core/service/storage/alloc.go` (`allocateCreate`, `allocateUpdate`,
//! `patchAllocatedValues`): a requested address is honoured or refused with the allocator's
//! error as a 422 field error; an empty one is chosen at random (the allocator's seeded draw);
//! an update that omits `clusterIP` or a port's `nodePort` keeps the old one, as `kubectl apply`
//! of the original manifest expects; changing to `type: ClusterIP` drops the node ports.
//! Simplified: upstream keeps its bitmaps in etcd (`/registry/ranges/serviceips`) and frees an
//! address in the delete's transaction; here the bitmaps are rebuilt from the stored Services on
//! every allocation, so a deleted Service's addresses are free as soon as its key is gone and a
//! restored snapshot never disagrees with its ranges. The cost is one list of Services per
//! Service write, which the sandbox's sizes make cheap.

use crate::sim::api::JsonPointer;
use std::net::Ipv4Addr;

use serde_json::{json, Value};

use super::backend::Store;
use super::request::{ApiError, StatusCause, StatusReason};
use crate::sim::api::resources;
use crate::sim::network::service_ip::{AllocError, ClusterIpAllocator, NodePortAllocator};
use crate::sim::rng::Rng;

fn text<'v>(v: &'v Value, pointer: &str) -> &'v str {
    v.ptr(pointer).and_then(Value::as_str).unwrap_or("")
}

fn key_of(v: &Value) -> (String, String) {
    (
        text(v, "/metadata/namespace").to_string(),
        text(v, "/metadata/name").to_string(),
    )
}

/// The allocators as the stored Services (all but `skip`) have filled them.
fn allocators(store: &Store, skip: &(String, String)) -> (ClusterIpAllocator, NodePortAllocator) {
    let mut ips = ClusterIpAllocator::kubeadm_default();
    let mut ports = NodePortAllocator::default();
    let Some(info) = resources::by_plural("services") else {
        return (ips, ports);
    };
    for svc in crate::sim::apiserver::registry_list(store, info, None) {
        if &key_of(&svc) == skip {
            continue;
        }
        if let Ok(ip) = text(&svc, "/spec/clusterIP").parse::<Ipv4Addr>() {
            let _ = ips.allocate(ip);
        }
        for (i, port) in svc
            .ptr("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(n) = port.get("nodePort").and_then(Value::as_i64) {
                let _ = ports.allocate(n, i);
            }
        }
    }
    (ips, ports)
}

fn to_api_error(name: &str, e: AllocError) -> ApiError {
    match e {
        AllocError::Invalid {
            field,
            value,
            detail,
        } => {
            let message = format!("Invalid value: {value}: {detail}");
            let mut err = ApiError::new(
                StatusReason::Invalid,
                format!("Service \"{name}\" is invalid: {field}: {message}"),
            );
            err.kind = Some("Service".into());
            err.name = Some(name.into());
            err.causes = vec![StatusCause {
                reason: "FieldValueInvalid".into(),
                message,
                field,
            }];
            err
        }
        AllocError::Internal(message) => ApiError::new(
            StatusReason::InternalError,
            format!("Internal error occurred: {message}"),
        ),
    }
}

/// Fills in (or checks) the Service's addresses. `old` is the stored object on update. Returns
/// a note for the trace (`clusterIP 10.101.7.33, nodePort 30080`).
pub fn allocate(
    store: &Store,
    rng: &mut Rng,
    old: Option<&Value>,
    object: &mut Value,
) -> Result<String, ApiError> {
    let own = key_of(object);
    let name = own.1.clone();
    let (mut ips, mut ports) = allocators(store, &own);
    let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut) else {
        return Ok(String::new());
    };
    let kind = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
        .to_string();
    let mut notes = Vec::new();
    if kind == "ExternalName" {
        return Ok(String::new());
    }
    // patchAllocatedValues: what the update leaves out, the old object had.
    if let Some(old_spec) = old.and_then(|o| o.get("spec")) {
        let empty = spec
            .get("clusterIP")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty);
        if empty {
            for field in ["clusterIP", "clusterIPs"] {
                if let Some(v) = old_spec.get(field) {
                    spec.insert(field.into(), v.clone());
                }
            }
        }
        let old_ports = old_spec.get("ports").and_then(Value::as_array);
        if kind == "NodePort" || kind == "LoadBalancer" {
            if let Some(Value::Array(new_ports)) = spec.get_mut("ports") {
                for p in new_ports.iter_mut().filter_map(Value::as_object_mut) {
                    if p.get("nodePort").and_then(Value::as_i64).unwrap_or(0) != 0 {
                        continue;
                    }
                    let same = old_ports.into_iter().flatten().find(|o| {
                        o.get("port") == p.get("port") && o.get("protocol") == p.get("protocol")
                    });
                    if let Some(n) = same.and_then(|o| o.get("nodePort")) {
                        p.insert("nodePort".into(), n.clone());
                    }
                }
            }
        }
    }
    // The ClusterIP.
    let requested = spec
        .get("clusterIP")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if requested == "None" {
        spec.insert("clusterIPs".into(), json!(["None"]));
    } else {
        let ip = if requested.is_empty() {
            ips.allocate_next(rng).map_err(|e| to_api_error(&name, e))?
        } else {
            let Ok(ip) = requested.parse::<Ipv4Addr>() else {
                let e = AllocError::Invalid {
                    field: "spec.clusterIPs[0]".into(),
                    value: format!("\"{requested}\""),
                    detail: "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)".into(),
                };
                return Err(to_api_error(&name, e));
            };
            ips.allocate(ip).map_err(|e| to_api_error(&name, e))?;
            ip
        };
        spec.insert("clusterIP".into(), json!(ip.to_string()));
        spec.insert("clusterIPs".into(), json!([ip.to_string()]));
        notes.push(format!("clusterIP {ip}"));
    }
    // SetDefaults_Service / the dual-stack defaults for a single-stack IPv4 cluster.
    spec.entry("ipFamilies").or_insert(json!(["IPv4"]));
    spec.entry("ipFamilyPolicy").or_insert(json!("SingleStack"));
    spec.entry("internalTrafficPolicy")
        .or_insert(json!("Cluster"));
    // Node ports.
    let wants_node_ports = kind == "NodePort" || kind == "LoadBalancer";
    if wants_node_ports {
        spec.entry("externalTrafficPolicy")
            .or_insert(json!("Cluster"));
    }
    if let Some(Value::Array(port_list)) = spec.get_mut("ports") {
        for (i, p) in port_list
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .enumerate()
        {
            if !wants_node_ports {
                // Updating to ClusterIP releases the node ports (upstream strips them).
                if old.is_some() {
                    p.remove("nodePort");
                }
                continue;
            }
            let port = match p.get("nodePort").and_then(Value::as_i64).unwrap_or(0) {
                0 => ports.allocate_next(rng),
                n => ports.allocate(n, i),
            }
            .map_err(|e| to_api_error(&name, e))?;
            p.insert("nodePort".into(), json!(port));
            notes.push(format!("nodePort {port}"));
        }
    }
    Ok(notes.join(", "))
}

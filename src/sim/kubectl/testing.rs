//! A small in-memory apiserver double for kubectl and shell tests: create, get, list (with
//! `k=v` selectors), strategic-ish merge patch, delete, and an etcd view of what it stores.
//! It is a test fixture, not a product stub: the real cluster lives in `crate::sim::cluster`.

use crate::sim::api::JsonPointer;
use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::Backend;
use crate::sim::api::resources::{by_plural, ResourceInfo};
use crate::sim::apiserver::request::{
    ApiClient, ApiError, ApiRequest, ApiResponse, StatusCause, StatusReason, Verb,
};
use crate::sim::clock::{Clock, Ticks};
use crate::sim::etcd::{bytes, RangeEnd, RangeRequest, RangeResult, Store, StoreError};

#[derive(Default)]
pub struct FakeCluster {
    /// etcd key → object; every write also goes to `store`, which etcdctl reads.
    pub objects: BTreeMap<String, Value>,
    pub store: Store,
    pub clock: Clock,
    pub requests: Vec<ApiRequest>,
    pub settled_ticks: Ticks,
}

impl FakeCluster {
    pub fn new() -> Self {
        FakeCluster::default()
    }

    fn put(&mut self, key: String, obj: &mut Value) {
        obj["metadata"]["resourceVersion"] = json!((self.store.revision() + 1).to_string());
        self.store
            .put(&key, bytes(serde_json::to_vec(obj).unwrap_or_default()));
        self.objects.insert(key, obj.clone());
    }
}

fn key_of(info: &ResourceInfo, ns: Option<&str>, name: &str) -> String {
    info.key(ns, name)
}

fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                    continue;
                }
                match t.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(p))
            if p.iter().all(|i| i.get("name").is_some()) && !p.is_empty() =>
        {
            for item in p {
                let name = item.get("name").cloned();
                let pos = t.iter().position(|e| e.get("name") == name.as_ref());
                if item.get("$patch").and_then(Value::as_str) == Some("delete") {
                    if let Some(i) = pos {
                        t.remove(i);
                    }
                    continue;
                }
                match pos.and_then(|i| t.get_mut(i)) {
                    Some(existing) => merge(existing, item),
                    None => t.push(item.clone()),
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

impl ApiClient for FakeCluster {
    fn call(&mut self, req: ApiRequest) -> Result<ApiResponse, ApiError> {
        self.requests.push(req.clone());
        let Some(info) = by_plural(&req.resource) else {
            return Err(ApiError::new(
                StatusReason::NotFound,
                "the server could not find the requested resource",
            ));
        };
        let ns = if info.namespaced {
            req.namespace.clone()
        } else {
            None
        };
        let qualified = info.qualified_plural();
        match req.verb {
            Verb::Create => {
                let mut obj = req.body.clone().unwrap_or(Value::Null);
                let name = obj
                    .ptr("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if info.kind == "Deployment" && obj.ptr("/spec/selector").is_none() {
                    let mut err = ApiError::new(
                        StatusReason::Invalid,
                        format!(
                            "Deployment.apps \"{name}\" is invalid: spec.selector: Required value"
                        ),
                    );
                    err.kind = Some("Deployment".into());
                    err.name = Some(name);
                    err.causes = vec![StatusCause {
                        reason: "FieldValueRequired".into(),
                        message: "Required value".into(),
                        field: "spec.selector".into(),
                    }];
                    return Err(err);
                }
                let key = key_of(info, ns.as_deref(), &name);
                if self.objects.contains_key(&key) {
                    return Err(ApiError::already_exists(&qualified, &name));
                }
                if let Some(ns) = &ns {
                    obj["metadata"]["namespace"] = json!(ns);
                }
                obj["metadata"]["creationTimestamp"] = json!(self.clock.rfc3339());
                obj["metadata"]["uid"] = json!(format!("uid-{}", self.store.revision()));
                if let Some(m) = obj.as_object_mut() {
                    m.remove("status");
                }
                if info.kind == "Namespace" {
                    obj["status"] = json!({"phase": "Active"});
                }
                if req.dry_run {
                    return Ok(ApiResponse {
                        code: 201,
                        body: obj,
                    });
                }
                self.put(key, &mut obj);
                Ok(ApiResponse {
                    code: 201,
                    body: obj,
                })
            }
            Verb::Get => {
                let name = req.name.clone().unwrap_or_default();
                match self.objects.get(&key_of(info, ns.as_deref(), &name)) {
                    Some(obj) => Ok(ApiResponse {
                        code: 200,
                        body: obj.clone(),
                    }),
                    None => Err(ApiError::not_found(&qualified, &name)),
                }
            }
            Verb::List => {
                let prefix = info.prefix(ns.as_deref());
                let wanted: Vec<(String, String)> = req
                    .list_options
                    .label_selector
                    .as_deref()
                    .unwrap_or("")
                    .split(',')
                    .filter_map(|r| r.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                let items: Vec<Value> = self
                    .objects
                    .range(prefix.clone()..)
                    .take_while(|(k, _)| k.starts_with(&prefix))
                    .map(|(_, o)| o.clone())
                    .filter(|o| {
                        wanted.iter().all(|(k, v)| {
                            o.ptr("/metadata/labels")
                                .and_then(|l| l.get(k))
                                .and_then(Value::as_str)
                                == Some(v)
                        })
                    })
                    .collect();
                Ok(ApiResponse {
                    code: 200,
                    body: json!({"apiVersion": info.api_version(), "kind": format!("{}List", info.kind),
                        "metadata": {"resourceVersion": self.store.revision().to_string()}, "items": items}),
                })
            }
            Verb::Patch | Verb::Update => {
                let name = req.name.clone().unwrap_or_default();
                let key = key_of(info, ns.as_deref(), &name);
                let Some(current) = self.objects.get(&key) else {
                    return Err(ApiError::not_found(&qualified, &name));
                };
                let mut obj = current.clone();
                merge(
                    &mut obj,
                    req.body.as_ref().unwrap_or(&Value::Object(Map::new())),
                );
                self.put(key, &mut obj);
                Ok(ApiResponse {
                    code: 200,
                    body: obj,
                })
            }
            Verb::Delete => {
                let name = req.name.clone().unwrap_or_default();
                let key = key_of(info, ns.as_deref(), &name);
                match self.objects.remove(&key) {
                    Some(obj) => {
                        self.store.delete_range(&key, RangeEnd::Single);
                        Ok(ApiResponse {
                            code: 200,
                            body: obj,
                        })
                    }
                    None => Err(ApiError::not_found(&qualified, &name)),
                }
            }
            _ => Err(ApiError::new(
                StatusReason::MethodNotAllowed,
                "the server does not allow this method on the requested resource",
            )),
        }
    }
}

impl Backend for FakeCluster {
    fn settle(&mut self, limit_ticks: Ticks) -> bool {
        self.settled_ticks += limit_ticks;
        true
    }

    fn advance(&mut self, ticks: Ticks) {
        self.clock.advance_by(ticks);
    }

    fn unix_seconds(&self) -> i64 {
        self.clock.unix_seconds()
    }

    fn etcd_range(&self, req: &RangeRequest) -> Result<RangeResult, StoreError> {
        self.store.range(req)
    }
}

//! The REST handlers and the generic registry: what each verb does to the store after a request
//! is authorized.
//!
//! Mirrors: `k8s.io/apiserver/pkg/registry/generic/registry/store.go` (Create, Update with
//! `GuaranteedUpdate`, graceful Delete with finalizers and propagation policy,
//! `ShouldDeleteDuringUpdate`), the storage layer of `storage/etcd3/store.go` (create = a txn that
//! the key is absent, update = a txn on the old mod_revision, resourceVersion = mod_revision, not
//! stored in the value), the pod `binding` subresource (`pkg/registry/core/pod/storage`), and the
//! status-subresource strategies (status writes change only status; spec writes keep status).
//! Simplified: no dry-run beyond skipping the write; DeleteCollection deletes one by one.

use crate::sim::api::JsonPointer;
use serde_json::{json, Map, Value};
use std::sync::Arc;

use super::admission::{self, NamespaceState};
use super::backend::{
    Bytes, Compare, CompareResult, CompareTarget, KeyValue, RangeEnd, RangeRequest, Revision,
    Store, Txn, TxnOp,
};
use super::checks;
use super::patch;
use super::request::{
    ApiError, ApiRequest, ApiResponse, PatchType, PropagationPolicy, StatusCause, StatusReason,
    Verb,
};
use super::service_alloc;
use super::{Commit, CommitFacts, Tracer};
use crate::sim::api::quota;
use crate::sim::api::resources::{self, ResourceInfo};
use crate::sim::clock::{rfc3339_from_unix, Clock};
use crate::sim::rng::Rng;
use crate::sim::trace::ApiStage;

/// Kinds whose status is written only through the `status` subresource: a main-resource update
/// keeps the stored status, as their upstream strategies' `PrepareForUpdate` do.
pub const STATUS_RESOURCES: &[&str] = &[
    "pods",
    "nodes",
    "namespaces",
    "services",
    "deployments",
    "replicasets",
    "daemonsets",
    "jobs",
    "cronjobs",
    "replicationcontrollers",
    "resourcequotas",
];

/// Kinds whose `metadata.generation` counts spec changes (their controllers report
/// `status.observedGeneration`).
const GENERATION_RESOURCES: &[&str] = &[
    "deployments",
    "replicasets",
    "daemonsets",
    "jobs",
    "cronjobs",
    "replicationcontrollers",
];

/// Kinds whose status a create resets (their `PrepareForCreate`); nodes keep what the kubelet sent.
const CREATE_RESETS_STATUS: &[&str] = &[
    "pods",
    "deployments",
    "replicasets",
    "daemonsets",
    "jobs",
    "cronjobs",
    "replicationcontrollers",
    "services",
    "resourcequotas",
];

/// Generated names keep the prefix to 58 characters so that prefix + 5 fits in 63.
const MAX_GENERATE_NAME_PREFIX: usize = 58;
const GENERATED_SUFFIX_LENGTH: usize = 5;

/// Parses a stored value and sets `metadata.resourceVersion` from the key's mod_revision.
pub fn decode_object(kv: &KeyValue) -> Option<Value> {
    let mut object: Value = serde_json::from_slice(&kv.value).ok()?;
    if let Some(Value::Object(meta)) = object.get_mut("metadata") {
        meta.insert("resourceVersion".into(), json!(kv.mod_revision.to_string()));
    }
    Some(object)
}

/// The value bytes stored in etcd: the object without its resourceVersion.
fn encode(object: &Value) -> Bytes {
    let mut stored = object.clone();
    if let Some(Value::Object(meta)) = stored.get_mut("metadata") {
        meta.remove("resourceVersion");
    }
    let bytes = serde_json::to_vec(&stored).unwrap_or_default();
    Arc::from(bytes)
}

/// Every object of a resource (in one namespace or all), decoded; for the RBAC index.
pub fn list_raw(store: &Store, info: &ResourceInfo, namespace: Option<&str>) -> Vec<Value> {
    let request = RangeRequest::prefix(info.prefix(namespace));
    store
        .range(&request)
        .map(|r| r.kvs.iter().filter_map(decode_object).collect())
        .unwrap_or_default()
}

fn meta_str<'v>(object: &'v Value, field: &str) -> Option<&'v str> {
    object
        .get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
}

fn meta_mut(object: &mut Value) -> &mut Map<String, Value> {
    if !object.get("metadata").is_some_and(Value::is_object) {
        object["metadata"] = json!({});
    }
    match object.get_mut("metadata") {
        Some(Value::Object(m)) => m,
        _ => unreachable!("metadata was just made an object"),
    }
}

fn finalizers(object: &Value) -> Vec<String> {
    let list = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    list(object.ptr("/metadata/finalizers"))
}

/// A namespace also waits for its `spec.finalizers` (`kubernetes`), emptied by the namespace
/// controller through the `finalize` subresource.
fn namespace_finalizers(object: &Value) -> usize {
    object
        .ptr("/spec/finalizers")
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

fn invalid(kind: &str, name: &str, causes: Vec<StatusCause>) -> ApiError {
    let details: Vec<String> = causes
        .iter()
        .map(|c| format!("{}: {}", c.field, c.message))
        .collect();
    let joined = if details.len() == 1 {
        details[0].clone()
    } else {
        format!("[{}]", details.join(", "))
    };
    let mut e = ApiError::new(
        StatusReason::Invalid,
        format!("{kind} \"{name}\" is invalid: {joined}"),
    );
    e.kind = Some(kind.to_string());
    e.name = Some(name.to_string());
    e.causes = causes;
    e
}

/// What an apply gets from a build without server-side apply (the shipped page).
#[cfg(not(feature = "server-side-apply"))]
fn apply_left_out() -> ApiError {
    ApiError::new(StatusReason::BadRequest, super::SERVER_SIDE_APPLY_LEFT_OUT)
}

fn status_success(code: u16) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": code})
}

pub(crate) struct Ctx<'a, 't> {
    pub store: &'a mut Store,
    pub clock: &'a Clock,
    pub rng: &'a mut Rng,
    pub tracer: &'a mut Tracer<'t>,
    pub commits: &'a mut Vec<Commit>,
    pub info: &'static ResourceInfo,
    /// The authenticated user's name: the field manager of a write that names none.
    #[cfg_attr(not(feature = "server-side-apply"), allow(dead_code))]
    pub user: &'a str,
}

impl Ctx<'_, '_> {
    fn not_found(&self, name: &str) -> ApiError {
        ApiError::not_found(&self.info.qualified_plural(), name)
    }

    /// Records a failed stage and returns the error, for `return Err(self.fail(..))`.
    fn fail(&mut self, stage: ApiStage, e: ApiError) -> ApiError {
        self.tracer.stage(stage, false, e.message.clone());
        e
    }

    fn read(&self, key: &str) -> Option<(Value, Revision)> {
        let kv = self.store.get(key)?;
        Some((decode_object(&kv)?, kv.mod_revision))
    }

    pub fn dispatch(
        &mut self,
        request: &ApiRequest,
        namespace: Option<&str>,
    ) -> Result<ApiResponse, ApiError> {
        let sub = request.subresource.as_deref();
        match (request.verb, sub) {
            (Verb::Get, None | Some("status")) => self.get(request, namespace),
            (Verb::List | Verb::Watch, None) => self.list(request, namespace),
            (Verb::Create, None) => self.create(request, namespace),
            (Verb::Create, Some("binding")) if self.info.plural == "pods" => {
                self.bind(request, namespace)
            }
            (Verb::Create, Some("eviction")) if self.info.plural == "pods" => {
                self.evict(request, namespace)
            }
            (Verb::Update | Verb::Patch, None) => self.update(request, namespace, None),
            (Verb::Update | Verb::Patch, Some(s @ "status"))
                if STATUS_RESOURCES.contains(&self.info.plural) =>
            {
                self.update(request, namespace, Some(s))
            }
            (Verb::Update, Some(s @ "finalize")) if self.info.plural == "namespaces" => {
                self.update(request, namespace, Some(s))
            }
            (Verb::Delete, None) => self.delete(request, namespace),
            (Verb::DeleteCollection, None) => self.delete_collection(request, namespace),
            _ => Err(self.fail(ApiStage::Storage, ApiError::not_served())),
        }
    }

    fn required_name(&mut self, request: &ApiRequest) -> Result<String, ApiError> {
        match request.name.as_deref().filter(|n| !n.is_empty()) {
            Some(n) => Ok(n.to_string()),
            None => Err(self.fail(
                ApiStage::Storage,
                ApiError::bad_request("resource name may not be empty"),
            )),
        }
    }

    fn get(
        &mut self,
        request: &ApiRequest,
        namespace: Option<&str>,
    ) -> Result<ApiResponse, ApiError> {
        let name = self.required_name(request)?;
        let key = self.info.key(namespace, &name);
        match self.read(&key) {
            Some((object, revision)) => {
                self.tracer.stage(
                    ApiStage::Storage,
                    true,
                    format!("get {key} (mod_revision {revision})"),
                );
                Ok(ApiResponse {
                    code: 200,
                    body: object,
                })
            }
            None => {
                let e = self.not_found(&name);
                Err(self.fail(ApiStage::Storage, e))
            }
        }
    }

    fn list(
        &mut self,
        request: &ApiRequest,
        namespace: Option<&str>,
    ) -> Result<ApiResponse, ApiError> {
        let filter = checks::ListFilter::parse(
            self.info.kind,
            request.list_options.label_selector.as_deref(),
            request.list_options.field_selector.as_deref(),
        )
        .map_err(|e| self.fail(ApiStage::Storage, e))?;
        let prefix = self.info.prefix(namespace);
        let mut range = RangeRequest::prefix(prefix.as_str());
        range.revision = request.list_options.revision;
        let result = self.store.range(&range).map_err(|e| {
            let reason = match e {
                crate::sim::etcd::StoreError::Compacted { .. } => StatusReason::Expired,
                _ => StatusReason::InternalError,
            };
            let e = ApiError::new(reason, e.to_string());
            self.fail(ApiStage::Storage, e)
        })?;
        let items: Vec<Value> = result
            .kvs
            .iter()
            .filter_map(decode_object)
            .filter(|o| filter.matches(o))
            .collect();
        self.tracer.stage(
            ApiStage::Storage,
            true,
            format!(
                "range {prefix} → {} of {} at revision {}",
                items.len(),
                result.count,
                result.revision
            ),
        );
        Ok(ApiResponse {
            code: 200,
            body: json!({
                "apiVersion": self.info.api_version(),
                "kind": format!("{}List", self.info.kind),
                "metadata": {"resourceVersion": result.revision.to_string()},
                "items": items,
            }),
        })
    }

    fn namespace_state(&self, namespace: &str) -> NamespaceState {
        let Some(info) = resources::by_plural("namespaces") else {
            return NamespaceState::Missing;
        };
        match self.read(&info.key(None, namespace)) {
            None => NamespaceState::Missing,
            Some((ns, _)) => {
                if ns.ptr("/metadata/deletionTimestamp").is_some()
                    || ns.ptr("/status/phase").and_then(Value::as_str) == Some("Terminating")
                {
                    NamespaceState::Terminating
                } else {
                    NamespaceState::Active
                }
            }
        }
    }

    fn create(
        &mut self,
        request: &ApiRequest,
        namespace: Option<&str>,
    ) -> Result<ApiResponse, ApiError> {
        let info = self.info;
        let Some(mut object) = request.body.clone().filter(Value::is_object) else {
            let e = ApiError::bad_request("the body of the request was in an unknown format");
            return Err(self.fail(ApiStage::MutatingAdmission, e));
        };
        // The object must be of the endpoint's kind and namespace.
        let api_version = info.api_version();
        match (
            object.get("apiVersion").and_then(Value::as_str),
            object.get("kind").and_then(Value::as_str),
        ) {
            (Some(v), _) if v != api_version => {
                let e = ApiError::bad_request(format!(
                    "the API version in the data ({v}) does not match the expected API version ({api_version})"
                ));
                return Err(self.fail(ApiStage::MutatingAdmission, e));
            }
            (_, Some(k)) if k != info.kind => {
                let e = ApiError::bad_request(format!(
                    "{k} in version \"{}\" cannot be handled as a {}: the object provided is unrecognized",
                    info.version, info.kind
                ));
                return Err(self.fail(ApiStage::MutatingAdmission, e));
            }
            _ => {}
        }
        object["apiVersion"] = json!(api_version);
        object["kind"] = json!(info.kind);
        // Strict decoding comes before admission upstream: a body of the wrong shape never
        // reaches the defaulting below.
        if let Err(e) = checks::strict_check(info, &object) {
            return Err(self.fail(ApiStage::Validation, e));
        }
        let body_namespace = meta_str(&object, "namespace").map(str::to_string);
        let namespace = if info.namespaced {
            let ns = namespace
                .map(str::to_string)
                .or(body_namespace.clone())
                .unwrap_or_else(|| "default".to_string());
            if body_namespace.as_deref().is_some_and(|b| b != ns) {
                let e = ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                );
                return Err(self.fail(ApiStage::MutatingAdmission, e));
            }
            Some(ns)
        } else {
            None
        };

        // Mutating admission, with the registry's BeforeCreate defaults.
        let mut notes: Vec<String> = Vec::new();
        {
            let meta = meta_mut(&mut object);
            for system_field in [
                "uid",
                "resourceVersion",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "creationTimestamp",
                "generation",
                "selfLink",
                "managedFields",
            ] {
                meta.remove(system_field);
            }
            match &namespace {
                Some(ns) => {
                    meta.insert("namespace".into(), json!(ns));
                }
                None => {
                    meta.remove("namespace");
                }
            }
        }
        if cfg!(feature = "server-side-apply")
            && matches!(request.patch_type, Some(PatchType::Apply { .. }))
        {
            object = self.apply_create(request, object)?;
        }
        let name_given = meta_str(&object, "name").is_some_and(|n| !n.is_empty());
        if !name_given {
            if let Some(prefix) = meta_str(&object, "generateName")
                .filter(|p| !p.is_empty())
                .map(str::to_string)
            {
                let cut: String = prefix.chars().take(MAX_GENERATE_NAME_PREFIX).collect();
                let name = format!("{cut}{}", self.rng.name_suffix(GENERATED_SUFFIX_LENGTH));
                notes.push(format!("generateName → {name}"));
                meta_mut(&mut object).insert("name".into(), json!(name));
            }
        }
        let uid = self.rng.uuid();
        let created = self.clock.rfc3339();
        {
            let meta = meta_mut(&mut object);
            meta.insert("uid".into(), json!(uid));
            meta.insert("creationTimestamp".into(), json!(created));
            if GENERATION_RESOURCES.contains(&info.plural) {
                meta.insert("generation".into(), json!(1));
            }
        }
        notes.push(format!("uid {uid}"));
        notes.push(format!("creationTimestamp {created}"));
        if CREATE_RESETS_STATUS.contains(&info.plural) {
            // PrepareForCreate resets the status to its zero struct, which Go prints as `{}`
            // (a Service's holds an empty `loadBalancer`).
            if let Value::Object(o) = &mut object {
                let empty = match info.plural {
                    "services" => json!({"loadBalancer": {}}),
                    _ => json!({}),
                };
                o.insert("status".into(), empty);
            }
        }
        admission::apply_defaults(info.kind, &mut object);
        let name = meta_str(&object, "name").unwrap_or("").to_string();
        if info.plural == "pods" {
            if let Some(account) = admission::service_account_default(&mut object) {
                let ns = namespace.as_deref().unwrap_or("default");
                let exists = resources::by_plural("serviceaccounts")
                    .is_some_and(|sa| self.store.get(&sa.key(Some(ns), &account)).is_some());
                if !exists {
                    let e = admission::service_account_missing(&name, ns, &account);
                    return Err(self.fail(ApiStage::MutatingAdmission, e));
                }
                notes.push(format!("ServiceAccount: {account}"));
            }
            let class = object
                .ptr("/spec/priorityClassName")
                .and_then(Value::as_str)
                .zip(resources::by_plural("priorityclasses"))
                .and_then(|(n, pc)| self.store.get(&pc.key(None, n)))
                .and_then(|kv| decode_object(&kv));
            match admission::resolve_priority(&mut object, &name, class.as_ref()) {
                Ok(Some(note)) => notes.push(note),
                Ok(None) => {}
                Err(e) => return Err(self.fail(ApiStage::MutatingAdmission, e)),
            }
            if admission::default_toleration_seconds(&mut object) {
                notes.push("DefaultTolerationSeconds: not-ready, unreachable 300s".into());
            }
        }
        self.tracer
            .stage(ApiStage::MutatingAdmission, true, notes.join("; "));

        // Validation.
        if name.is_empty() {
            let e = invalid(
                info.kind,
                "",
                vec![StatusCause {
                    reason: "FieldValueRequired".into(),
                    message: "Required value: name or generateName is required".into(),
                    field: "metadata.name".into(),
                }],
            );
            return Err(self.fail(ApiStage::Validation, e));
        }
        if let Err(e) =
            checks::strict_check(info, &object).and_then(|_| checks::validate_create(info, &object))
        {
            return Err(self.fail(ApiStage::Validation, e));
        }
        let mut valid = "valid".to_string();
        if info.plural == "services" {
            match service_alloc::allocate(self.store, self.rng, None, &mut object) {
                Ok(note) if !note.is_empty() => valid = format!("valid; allocated {note}"),
                Ok(_) => {}
                Err(e) => return Err(self.fail(ApiStage::Validation, e)),
            }
        }
        self.tracer.stage(ApiStage::Validation, true, valid);

        // Validating admission.
        let mut plugins = "NamespaceLifecycle".to_string();
        if let Some(ns) = &namespace {
            let state = self.namespace_state(ns);
            if let Err(e) =
                admission::namespace_lifecycle_create(&info.qualified_plural(), &name, ns, state)
            {
                return Err(self.fail(ApiStage::ValidatingAdmission, e));
            }
            plugins += &self.resource_quota(ns, &name, &object, None, request.dry_run)?;
        }
        self.tracer
            .stage(ApiStage::ValidatingAdmission, true, plugins);

        // Storage: a txn that succeeds only if the key does not exist yet.
        let key = info.key(namespace.as_deref(), &name);
        if request.dry_run {
            self.tracer
                .stage(ApiStage::Storage, true, "dry run: not stored");
            return Ok(ApiResponse {
                code: 201,
                body: object,
            });
        }
        let revision = self.put_if(&key, 0, &object, true)?;
        meta_mut(&mut object).insert("resourceVersion".into(), json!(revision.to_string()));
        Ok(ApiResponse {
            code: 201,
            body: object,
        })
    }

    /// The ResourceQuota plugin: refuses a write that would take a quota of the namespace past
    /// its hard limits and, as upstream does before the object is stored, writes each charged
    /// quota's new `status.used` (the resource-quota controller corrects it later if the write
    /// then fails). Returns the note for the trace: empty when no quota tracks the object.
    fn resource_quota(
        &mut self,
        namespace: &str,
        name: &str,
        new: &Value,
        old: Option<&Value>,
        dry_run: bool,
    ) -> Result<String, ApiError> {
        let Some(rq) = resources::by_plural("resourcequotas") else {
            return Ok(String::new());
        };
        let quotas = list_raw(self.store, rq, Some(namespace));
        if quotas.is_empty() {
            return Ok(String::new());
        }
        let charged = match quota::check(self.info, new, old, &quotas) {
            Ok(charged) => charged,
            Err(why) => {
                let e = admission::forbidden(&self.info.qualified_plural(), name, &why);
                return Err(self.fail(ApiStage::ValidatingAdmission, e));
            }
        };
        let mut note = String::from(", ResourceQuota");
        for (i, used) in charged {
            let q = &quotas[i];
            note += &format!(
                ": {} used {}",
                crate::sim::api::name(q),
                quota::pretty(&used)
            );
            if dry_run {
                continue;
            }
            let key = rq.key(Some(namespace), crate::sim::api::name(q));
            let Some((mut stored, revision)) = self.read(&key) else {
                continue;
            };
            stored["status"]["used"] = quota::list_json(&used);
            self.put_if(&key, revision, &stored, false)?;
        }
        Ok(note)
    }

    /// Writes `object` at `key` if its mod_revision is still `expected` (0 = absent); records the
    /// Storage stage and the commit. When the compare fails: `already exists` for a create, the
    /// optimistic-concurrency conflict for an update. etcd's own refusals (a value over its
    /// request limit) reach the client as etcd words them, with no reason of the apiserver's.
    fn put_if(
        &mut self,
        key: &str,
        expected: Revision,
        object: &Value,
        is_create: bool,
    ) -> Result<Revision, ApiError> {
        let txn = Txn {
            compares: vec![Compare {
                key: key.to_string(),
                target: CompareTarget::ModRevision(expected),
                result: CompareResult::Equal,
            }],
            success: vec![TxnOp::Put {
                key: key.to_string(),
                value: encode(object),
            }],
            failure: vec![],
        };
        let result = match self.store.txn(txn) {
            Ok(result) if result.succeeded => result,
            Ok(_) => {
                let plural = self.info.qualified_plural();
                let name = object
                    .ptr("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let e = if is_create {
                    ApiError::already_exists(&plural, name)
                } else {
                    ApiError::conflict(&plural, name)
                };
                return Err(self.fail(ApiStage::Storage, e));
            }
            Err(e) => {
                let e = ApiError::new(StatusReason::Unknown, e.to_string());
                return Err(self.fail(ApiStage::Storage, e));
            }
        };
        let what = if is_create { "create" } else { "update" };
        self.tracer.stage(
            ApiStage::Storage,
            true,
            format!("txn {what} {key} (mod_revision == {expected})"),
        );
        // etcd's KeyValue after the put: what a page shows beside the revision.
        let stored = self.store.get(key);
        let seq = self.tracer.commit(CommitFacts {
            key,
            revision: result.revision,
            create_revision: stored
                .as_ref()
                .map_or(result.revision, |kv| kv.create_revision),
            version: stored.as_ref().map_or(1, |kv| kv.version),
            deleted: false,
            uid: object.ptr("/metadata/uid").and_then(Value::as_str),
        });
        self.commits.push(Commit {
            key: key.to_string(),
            revision: result.revision,
            seq,
        });
        Ok(result.revision)
    }

    fn delete_if(&mut self, key: &str, expected: Revision) -> Option<Revision> {
        let txn = Txn {
            compares: vec![Compare {
                key: key.to_string(),
                target: CompareTarget::ModRevision(expected),
                result: CompareResult::Equal,
            }],
            success: vec![TxnOp::DeleteRange {
                key: key.to_string(),
                range_end: RangeEnd::Single,
            }],
            failure: vec![],
        };
        // The uid of the life of the key that this delete ends, read before it is gone.
        let uid = self
            .store
            .get(key)
            .and_then(|kv| decode_object(&kv))
            .and_then(|o| o.ptr("/metadata/uid")?.as_str().map(str::to_string));
        let result = self.store.txn(txn).ok()?;
        if !result.succeeded {
            return None;
        }
        self.tracer.stage(
            ApiStage::Storage,
            true,
            format!("txn delete {key} (mod_revision == {expected})"),
        );
        let seq = self.tracer.commit(CommitFacts {
            key,
            revision: result.revision,
            create_revision: 0,
            version: 0,
            deleted: true,
            uid: uid.as_deref(),
        });
        self.commits.push(Commit {
            key: key.to_string(),
            revision: result.revision,
            seq,
        });
        Some(result.revision)
    }

    fn update(
        &mut self,
        request: &ApiRequest,
        namespace: Option<&str>,
        subresource: Option<&str>,
    ) -> Result<ApiResponse, ApiError> {
        let info = self.info;
        let name = self.required_name(request)?;
        let key = info.key(namespace, &name);
        // (A build without server-side apply answers an apply below, and links none of this.)
        let apply = cfg!(feature = "server-side-apply")
            && matches!(request.patch_type, Some(PatchType::Apply { .. }))
            && request.verb == Verb::Patch;
        if apply && subresource.is_some() {
            let e = ApiError::bad_request("apply is not supported on subresources here");
            return Err(self.fail(ApiStage::MutatingAdmission, e));
        }
        let Some((old, old_revision)) = self.read(&key) else {
            if apply {
                // An apply to an object that is not there creates it.
                let mut create = request.clone();
                create.verb = Verb::Create;
                if let Some(meta) = create.body.as_mut().map(meta_mut) {
                    meta.entry("name").or_insert_with(|| json!(name));
                }
                return self.create(&create, namespace);
            }
            let e = self.not_found(&name);
            return Err(self.fail(ApiStage::MutatingAdmission, e));
        };
        let Some(body) = request.body.clone() else {
            let e = ApiError::bad_request("the body of the request was in an unknown format");
            return Err(self.fail(ApiStage::MutatingAdmission, e));
        };
        let mut new = if request.verb == Verb::Patch {
            let patched = match request.patch_type.unwrap_or(PatchType::StrategicMerge) {
                PatchType::Merge => Ok(patch::merge_patch(&old, &body)),
                PatchType::StrategicMerge => patch::strategic_merge_patch(&old, &body),
                PatchType::Json => patch::json_patch(&old, &body),
                PatchType::Apply { force } => match self.server_side_apply(request, &old, force) {
                    Ok(v) => Ok(v),
                    Err(e) => return Err(self.fail(ApiStage::MutatingAdmission, e)),
                },
            };
            match patched {
                Ok(v) if v.is_object() => v,
                Ok(_) => {
                    let e = ApiError::bad_request("the patched object is not an object");
                    return Err(self.fail(ApiStage::MutatingAdmission, e));
                }
                Err(message) => {
                    let e = ApiError::new(StatusReason::Invalid, message);
                    return Err(self.fail(ApiStage::MutatingAdmission, e));
                }
            }
        } else {
            if !body.is_object() {
                let e = ApiError::bad_request("the body of the request was in an unknown format");
                return Err(self.fail(ApiStage::MutatingAdmission, e));
            }
            body
        };
        if let Some(body_name) = meta_str(&new, "name").filter(|n| *n != name) {
            let e = ApiError::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            ));
            return Err(self.fail(ApiStage::MutatingAdmission, e));
        }
        // Optimistic concurrency: a resourceVersion in the body must be the current one.
        if let Some(rv) = meta_str(&new, "resourceVersion").filter(|rv| !rv.is_empty()) {
            if rv != old_revision.to_string() {
                let e = ApiError::conflict(&info.qualified_plural(), &name);
                return Err(self.fail(ApiStage::Storage, e));
            }
        }
        new = self.prepare_update(&old, new, subresource);
        // Only an object that was applied once tracks its fields: the controllers' many writes
        // to the others pay for no manager name, time or apiVersion.
        #[cfg(feature = "server-side-apply")]
        if !apply && super::managed::keeps_fields(&old, &new) {
            let manager = request
                .field_manager
                .clone()
                .unwrap_or_else(|| super::managed::default_manager(self.user));
            let time = self.clock.rfc3339();
            let api_version = info.api_version();
            super::managed::track_update(&old, &mut new, &manager, subresource, &api_version, time);
        }
        self.tracer.stage(
            ApiStage::MutatingAdmission,
            true,
            match subresource {
                Some(s) => format!("{s} subresource: only {s} is changed"),
                None => "system metadata kept; status kept".to_string(),
            },
        );
        if let Err(e) =
            checks::strict_check(info, &new).and_then(|_| checks::validate_update(info, &old, &new))
        {
            return Err(self.fail(ApiStage::Validation, e));
        }
        let mut valid = "valid".to_string();
        if info.plural == "services" && subresource.is_none() {
            match service_alloc::allocate(self.store, self.rng, Some(&old), &mut new) {
                Ok(note) if !note.is_empty() => valid = format!("valid; {note}"),
                Ok(_) => {}
                Err(e) => return Err(self.fail(ApiStage::Validation, e)),
            }
        }
        self.tracer.stage(ApiStage::Validation, true, valid);
        let mut plugins = "NamespaceLifecycle".to_string();
        // Of the kinds served here, only a service's update changes what it uses (its type).
        if let (Some(ns), "services", None) = (namespace, info.plural, subresource) {
            plugins += &self.resource_quota(ns, &name, &new, Some(&old), request.dry_run)?;
        }
        self.tracer
            .stage(ApiStage::ValidatingAdmission, true, plugins);
        if request.dry_run {
            self.tracer
                .stage(ApiStage::Storage, true, "dry run: not stored");
            return Ok(ApiResponse {
                code: 200,
                body: new,
            });
        }
        self.store_update(&key, &name, &old, old_revision, new)
    }

    /// An apply that creates: the applier owns every field it set.
    #[cfg(feature = "server-side-apply")]
    fn apply_create(&mut self, request: &ApiRequest, object: Value) -> Result<Value, ApiError> {
        let manager = match self.apply_manager(request) {
            Ok(m) => m,
            Err(e) => return Err(self.fail(ApiStage::MutatingAdmission, e)),
        };
        let api_version = self.info.api_version();
        Ok(super::managed::apply_create(&super::managed::Apply {
            manager: &manager,
            config: &object,
            force: false,
            api_version: &api_version,
            time: self.clock.rfc3339(),
        }))
    }

    #[cfg(not(feature = "server-side-apply"))]
    fn apply_create(&mut self, _request: &ApiRequest, _object: Value) -> Result<Value, ApiError> {
        Err(self.fail(ApiStage::MutatingAdmission, apply_left_out()))
    }

    /// Server-side apply to the stored `live` object: the object to store, or the conflict.
    #[cfg(feature = "server-side-apply")]
    fn server_side_apply(
        &mut self,
        request: &ApiRequest,
        live: &Value,
        force: bool,
    ) -> Result<Value, ApiError> {
        let manager = self.apply_manager(request)?;
        let api_version = self.info.api_version();
        let config = request
            .body
            .as_ref()
            .filter(|b| b.is_object())
            .ok_or_else(|| {
                ApiError::bad_request("the body of the request was in an unknown format")
            })?;
        super::managed::apply_update(
            live,
            &super::managed::Apply {
                manager: &manager,
                config,
                force,
                api_version: &api_version,
                time: self.clock.rfc3339(),
            },
        )
    }

    #[cfg(not(feature = "server-side-apply"))]
    fn server_side_apply(
        &mut self,
        _request: &ApiRequest,
        _live: &Value,
        _force: bool,
    ) -> Result<Value, ApiError> {
        Err(apply_left_out())
    }

    /// An apply's field manager: required, as kube-apiserver requires it.
    #[cfg(feature = "server-side-apply")]
    fn apply_manager(&self, request: &ApiRequest) -> Result<String, ApiError> {
        request
            .field_manager
            .clone()
            .filter(|m| !m.is_empty())
            .ok_or_else(|| ApiError::bad_request("fieldManager is required for apply requests"))
    }

    /// What an update may change: system fields stay; status only through `status`; spec
    /// changes count in `generation`.
    fn prepare_update(&self, old: &Value, new: Value, subresource: Option<&str>) -> Value {
        let info = self.info;
        match subresource {
            Some("status") => {
                let mut result = old.clone();
                match new.get("status") {
                    Some(status) => result["status"] = status.clone(),
                    None => {
                        if let Value::Object(o) = &mut result {
                            o.remove("status");
                        }
                    }
                }
                result
            }
            Some("finalize") => {
                let mut result = old.clone();
                let finalizers = new.ptr("/spec/finalizers").cloned().unwrap_or(json!([]));
                if let Some(Value::Object(spec)) = result.get_mut("spec") {
                    spec.insert("finalizers".into(), finalizers);
                }
                result
            }
            _ => {
                let mut result = new;
                result["apiVersion"] = json!(info.api_version());
                result["kind"] = json!(info.kind);
                let old_meta = old.get("metadata").cloned().unwrap_or(json!({}));
                let meta = meta_mut(&mut result);
                for kept in [
                    "name",
                    "namespace",
                    "uid",
                    "creationTimestamp",
                    "deletionTimestamp",
                    "deletionGracePeriodSeconds",
                    "generation",
                ] {
                    match old_meta.get(kept) {
                        Some(v) => meta.insert(kept.into(), v.clone()),
                        None => meta.remove(kept),
                    };
                }
                meta.remove("resourceVersion");
                if STATUS_RESOURCES.contains(&info.plural) {
                    match old.get("status") {
                        Some(s) => result["status"] = s.clone(),
                        None => {
                            if let Value::Object(o) = &mut result {
                                o.remove("status");
                            }
                        }
                    }
                }
                if GENERATION_RESOURCES.contains(&info.plural)
                    && old.get("spec") != result.get("spec")
                {
                    let generation = old
                        .ptr("/metadata/generation")
                        .and_then(Value::as_i64)
                        .unwrap_or(0);
                    meta_mut(&mut result).insert("generation".into(), json!(generation + 1));
                }
                admission::apply_defaults(info.kind, &mut result);
                result
            }
        }
    }

    /// The GuaranteedUpdate write: nothing when unchanged; a delete when the last finalizer of a
    /// deleted object is gone; else a txn on the old mod_revision.
    fn store_update(
        &mut self,
        key: &str,
        name: &str,
        old: &Value,
        old_revision: Revision,
        mut new: Value,
    ) -> Result<ApiResponse, ApiError> {
        let mut unchanged_probe = new.clone();
        meta_mut(&mut unchanged_probe)
            .insert("resourceVersion".into(), json!(old_revision.to_string()));
        if unchanged_probe == *old {
            self.tracer
                .stage(ApiStage::Storage, true, "unchanged: no write");
            return Ok(ApiResponse {
                code: 200,
                body: old.clone(),
            });
        }
        let deleting = new.ptr("/metadata/deletionTimestamp").is_some();
        let grace_zero = new
            .ptr("/metadata/deletionGracePeriodSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            == 0;
        if deleting && grace_zero && finalizers(&new).is_empty() && namespace_finalizers(&new) == 0
        {
            return match self.delete_if(key, old_revision) {
                Some(_) => Ok(ApiResponse {
                    code: 200,
                    body: new,
                }),
                None => {
                    let e = ApiError::conflict(&self.info.qualified_plural(), name);
                    Err(self.fail(ApiStage::Storage, e))
                }
            };
        }
        let revision = self.put_if(key, old_revision, &new, false)?;
        meta_mut(&mut new).insert("resourceVersion".into(), json!(revision.to_string()));
        Ok(ApiResponse {
            code: 200,
            body: new,
        })
    }

    fn delete(
        &mut self,
        request: &ApiRequest,
        namespace: Option<&str>,
    ) -> Result<ApiResponse, ApiError> {
        let name = self.required_name(request)?;
        self.delete_one(request, namespace, &name)
    }

    /// `POST pods/<name>/eviction` (`pkg/registry/core/pod/storage/eviction.go`): with no
    /// PodDisruptionBudgets in the sandbox, every eviction is allowed and deletes the pod with
    /// the Eviction's deleteOptions; the answer is a `Success` Status, code 201.
    fn evict(
        &mut self,
        request: &ApiRequest,
        namespace: Option<&str>,
    ) -> Result<ApiResponse, ApiError> {
        let name = self.required_name(request)?;
        let named = request
            .body
            .as_ref()
            .and_then(|b| b.ptr("/metadata/name"))
            .and_then(Value::as_str);
        if named.is_some_and(|n| n != name) {
            let e = ApiError::bad_request("name in URL does not match name in Eviction object");
            return Err(self.fail(ApiStage::Validation, e));
        }
        self.delete_one(request, namespace, &name)?;
        Ok(ApiResponse {
            code: 201,
            body: status_success(201),
        })
    }

    fn delete_one(
        &mut self,
        request: &ApiRequest,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<ApiResponse, ApiError> {
        let info = self.info;
        let key = info.key(namespace, name);
        let Some((old, old_revision)) = self.read(&key) else {
            let e = self.not_found(name);
            return Err(self.fail(ApiStage::ValidatingAdmission, e));
        };
        if info.plural == "namespaces" {
            if let Err(e) = admission::namespace_lifecycle_delete(name) {
                return Err(self.fail(ApiStage::ValidatingAdmission, e));
            }
        }
        self.tracer
            .stage(ApiStage::ValidatingAdmission, true, "NamespaceLifecycle");

        let mut new = old.clone();
        let now = self.clock.unix_seconds();
        // Graceful deletion (pods only): how long the kubelet gets to stop the containers.
        let grace_seconds = if info.plural == "pods" {
            let requested = request.delete_options.grace_period_seconds;
            let spec_grace = old
                .ptr("/spec/terminationGracePeriodSeconds")
                .and_then(Value::as_i64)
                .unwrap_or(30);
            let unscheduled = old
                .ptr("/spec/nodeName")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty);
            let finished = matches!(
                old.ptr("/status/phase").and_then(Value::as_str),
                Some("Succeeded" | "Failed")
            );
            if unscheduled || finished {
                0
            } else {
                requested.unwrap_or(spec_grace).max(0)
            }
        } else {
            0
        };
        // A second delete can only shorten a grace period already running.
        let current_grace = old
            .ptr("/metadata/deletionGracePeriodSeconds")
            .and_then(Value::as_i64);
        let already_deleting = old.ptr("/metadata/deletionTimestamp").is_some();
        let grace_seconds = match current_grace {
            Some(current) if already_deleting => grace_seconds.min(current),
            _ => grace_seconds,
        };
        // Propagation policy: orphan and foreground are finalizers the garbage collector handles.
        let mut fins = finalizers(&old);
        let policy_finalizer = match request.delete_options.propagation_policy {
            Some(PropagationPolicy::Orphan) => Some("orphan"),
            Some(PropagationPolicy::Foreground) => Some("foregroundDeletion"),
            _ => None,
        };
        if let Some(f) = policy_finalizer {
            if !fins.iter().any(|x| x == f) {
                fins.push(f.to_string());
            }
        }
        let waits = !fins.is_empty() || namespace_finalizers(&old) > 0;
        if !waits && grace_seconds == 0 {
            // Immediate deletion.
            if request.dry_run {
                self.tracer
                    .stage(ApiStage::Storage, true, "dry run: not deleted");
                return Ok(ApiResponse {
                    code: 200,
                    body: old,
                });
            }
            return match self.delete_if(&key, old_revision) {
                Some(_) => Ok(ApiResponse {
                    code: 200,
                    body: old,
                }),
                None => {
                    let e = ApiError::conflict(&info.qualified_plural(), name);
                    Err(self.fail(ApiStage::Storage, e))
                }
            };
        }
        // Graceful or finalized: mark the object; the kubelet, a controller or the garbage
        // collector finishes the deletion.
        if already_deleting && current_grace == Some(grace_seconds) && fins == finalizers(&old) {
            self.tracer
                .stage(ApiStage::Storage, true, "already being deleted: no write");
            return Ok(ApiResponse {
                code: 200,
                body: old,
            });
        }
        {
            let meta = meta_mut(&mut new);
            let timestamp = if already_deleting && current_grace == Some(grace_seconds) {
                meta.get("deletionTimestamp")
                    .cloned()
                    .unwrap_or(Value::Null)
            } else {
                json!(rfc3339_from_unix(now + grace_seconds))
            };
            meta.insert("deletionTimestamp".into(), timestamp);
            meta.insert("deletionGracePeriodSeconds".into(), json!(grace_seconds));
            if !fins.is_empty() {
                meta.insert("finalizers".into(), json!(fins));
            }
        }
        if info.plural == "namespaces" {
            if let Some(Value::Object(status)) = new.get_mut("status") {
                status.insert("phase".into(), json!("Terminating"));
            }
        }
        if request.dry_run {
            self.tracer
                .stage(ApiStage::Storage, true, "dry run: not deleted");
            return Ok(ApiResponse {
                code: 200,
                body: new,
            });
        }
        let revision = self.put_if(&key, old_revision, &new, false)?;
        meta_mut(&mut new).insert("resourceVersion".into(), json!(revision.to_string()));
        Ok(ApiResponse {
            code: 200,
            body: new,
        })
    }

    fn delete_collection(
        &mut self,
        request: &ApiRequest,
        namespace: Option<&str>,
    ) -> Result<ApiResponse, ApiError> {
        let listed = self.list(request, namespace)?;
        let names: Vec<(Option<String>, String)> = listed
            .body
            .get("items")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|o| {
                        Some((
                            meta_str(o, "namespace").map(str::to_string),
                            meta_str(o, "name")?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut deleted = Vec::new();
        for (ns, name) in names {
            deleted.push(
                self.delete_one(request, ns.as_deref().or(namespace), &name)?
                    .body,
            );
        }
        Ok(ApiResponse {
            code: 200,
            body: json!({
                "apiVersion": self.info.api_version(),
                "kind": format!("{}List", self.info.kind),
                "metadata": {"resourceVersion": self.store.revision().to_string()},
                "items": deleted,
            }),
        })
    }

    /// `POST pods/<name>/binding`: the scheduler's decision, written as spec.nodeName.
    fn bind(
        &mut self,
        request: &ApiRequest,
        namespace: Option<&str>,
    ) -> Result<ApiResponse, ApiError> {
        let body = request.body.clone().unwrap_or(Value::Null);
        let name = request
            .name
            .clone()
            .filter(|n| !n.is_empty())
            .or_else(|| meta_str(&body, "name").map(str::to_string))
            .unwrap_or_default();
        let node = body
            .ptr("/target/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        self.tracer.stage(
            ApiStage::MutatingAdmission,
            true,
            format!("Binding {name} → {node}"),
        );
        if node.is_empty() {
            let e = invalid(
                "Binding",
                &name,
                vec![StatusCause {
                    reason: "FieldValueRequired".into(),
                    message: "Required value".into(),
                    field: "target.name".into(),
                }],
            );
            return Err(self.fail(ApiStage::Validation, e));
        }
        self.tracer.stage(ApiStage::Validation, true, "valid");
        self.tracer
            .stage(ApiStage::ValidatingAdmission, true, "no plugin objects");
        let key = self.info.key(namespace, &name);
        let Some((mut pod, revision)) = self.read(&key) else {
            let e = self.not_found(&name);
            return Err(self.fail(ApiStage::Storage, e));
        };
        let conflict = |why: String| {
            ApiError::new(
                StatusReason::Conflict,
                format!("Operation cannot be fulfilled on pods/binding \"{name}\": {why}"),
            )
        };
        if pod.ptr("/metadata/deletionTimestamp").is_some() {
            let e = conflict(format!(
                "pod {name} is being deleted, cannot be assigned to a host"
            ));
            return Err(self.fail(ApiStage::Storage, e));
        }
        if let Some(current) = pod
            .ptr("/spec/nodeName")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        {
            let e = conflict(format!(
                "pod {name} is already assigned to node \"{current}\""
            ));
            return Err(self.fail(ApiStage::Storage, e));
        }
        if let Some(Value::Object(spec)) = pod.get_mut("spec") {
            spec.insert("nodeName".into(), json!(node));
        }
        let condition = json!({
            "type": "PodScheduled",
            "status": "True",
            "lastProbeTime": null,
            "lastTransitionTime": self.clock.rfc3339(),
        });
        let status = pod
            .as_object_mut()
            .map(|o| o.entry("status").or_insert_with(|| json!({})));
        if let Some(Value::Object(status)) = status {
            let conditions = status
                .entry("conditions")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = conditions {
                list.retain(|c| c.get("type").and_then(Value::as_str) != Some("PodScheduled"));
                list.push(condition);
            }
        }
        self.put_if(&key, revision, &pod, false)?;
        Ok(ApiResponse {
            code: 201,
            body: status_success(201),
        })
    }
}

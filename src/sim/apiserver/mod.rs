//! kube-apiserver: the request path (authentication → authorization → mutating admission →
//! validation → validating admission → storage) over the etcd-like store.
//!
//! Mirrors: the handler chain of `k8s.io/apiserver` (filters for authn/authz, then the REST
//! handlers of `endpoints/handlers` and the generic registry `registry/generic/registry/store.go`),
//! with each stage recorded as one `TraceKind::ApiStage` so the UI can animate a request.
//! Simplified: one request is handled in one call (no HTTP, no concurrency); a watch is served by
//! the cluster loop's informers rather than by a `Verb::Watch` stream (a `Watch` request answers
//! with the current list, the informer's initial list).

pub mod admission;
pub mod authn;
pub mod backend;
pub mod checks;
pub mod events;
#[cfg(feature = "server-side-apply")]
pub mod managed;
pub mod patch;
pub mod rbac;
mod registry;
pub mod request;
pub mod service_alloc;

use crate::sim::api::JsonPointer;
use serde_json::Value;

pub use authn::{Authenticator, UserInfo};
pub use registry::{decode_object, list_raw as registry_list, STATUS_RESOURCES};
pub use request::{
    ApiClient, ApiError, ApiRequest, ApiResponse, Credentials, Impersonate, StatusReason, Verb,
};

use self::backend::{Revision, Store};
use self::rbac::{Attributes, RbacIndex};
use super::api::resources::{self, ResourceInfo};
use super::clock::Clock;
use super::rng::Rng;
use super::trace::{Actor, ApiStage, ObjectRef, Seq, Trace, TraceKind};

/// What the apiserver works with but does not own: the cluster's store, trace, clock and RNG.
pub struct Env<'a> {
    pub store: &'a mut Store,
    pub trace: &'a mut Trace,
    pub clock: &'a Clock,
    pub rng: &'a mut Rng,
}

/// One store write the request made: the revision and the `StoreCommit` event that recorded it,
/// so that the watch deliveries it causes can point back at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    pub key: String,
    pub revision: Revision,
    pub seq: Seq,
}

/// The outcome of one request, with the trace positions the cluster loop needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Handled {
    pub result: Result<ApiResponse, ApiError>,
    pub request_seq: Seq,
    pub response_seq: Seq,
    pub commits: Vec<Commit>,
}

/// The apiserver's own state: the token authenticator and the parsed RBAC policy.
#[derive(Clone, Debug, Default)]
pub struct Apiserver {
    pub authenticator: Authenticator,
    /// Parsed RBAC objects; None after any RBAC write, rebuilt on the next authorization.
    rbac: Option<RbacIndex>,
}

/// Records the stages of one request, each caused by the one before it.
pub(crate) struct Tracer<'t> {
    trace: &'t mut Trace,
    tick: u64,
    last: Seq,
    /// The object of the last commit and its revision: what the Response names.
    written: Option<(Option<ObjectRef>, Revision)>,
}

/// One commit as the registry reports it to the tracer: the key and etcd's KeyValue fields after
/// the write (`create_revision` and `version` 0 for a delete), and the object's uid.
pub(crate) struct CommitFacts<'a> {
    pub key: &'a str,
    pub revision: Revision,
    pub create_revision: Revision,
    pub version: i64,
    pub deleted: bool,
    pub uid: Option<&'a str>,
}

impl Tracer<'_> {
    pub(crate) fn stage(&mut self, stage: ApiStage, passed: bool, detail: impl Into<String>) {
        self.last = self.trace.record(
            self.tick,
            Actor::apiserver(),
            TraceKind::ApiStage {
                stage,
                passed,
                detail: detail.into(),
            },
            Some(self.last),
        );
    }

    pub(crate) fn commit(&mut self, facts: CommitFacts) -> Seq {
        let object = ObjectRef::from_key(facts.key, facts.uid);
        self.written = Some((object.clone(), facts.revision));
        self.trace.record_about(
            self.tick,
            Actor::etcd(),
            TraceKind::StoreCommit {
                key: facts.key.to_string(),
                revision: facts.revision,
                create_revision: facts.create_revision,
                version: facts.version,
                deleted: facts.deleted,
            },
            Some(self.last),
            object,
        )
    }
}

/// The object a request names before the apiserver has seen it: its namespace and name, or for a
/// create the body's `metadata.name`. None for a list, and for a create with only a
/// `generateName` (the name is made at storage). A subresource request (`pods/binding`) is about
/// the parent object.
fn requested_object(request: &ApiRequest) -> Option<ObjectRef> {
    let info = resources::by_plural(&request.resource);
    let name = request.name.clone().or_else(|| {
        (request.verb == Verb::Create)
            .then(|| {
                request
                    .body
                    .as_ref()?
                    .ptr("/metadata/name")?
                    .as_str()
                    .map(str::to_string)
            })
            .flatten()
    })?;
    if name.is_empty() {
        return None;
    }
    let namespace = request
        .namespace
        .as_deref()
        .filter(|_| info.is_none_or(|i| i.namespaced));
    let resource = info.map_or(request.resource.as_str(), |i| i.plural);
    Some(ObjectRef::new(resource, namespace, &name))
}

fn verb_name(request: &ApiRequest) -> &'static str {
    request.verb.as_str()
}

impl Apiserver {
    pub fn new() -> Self {
        Apiserver::default()
    }

    /// Forgets the parsed RBAC policy (after a restore, or any RBAC write).
    pub fn invalidate_rbac(&mut self) {
        self.rbac = None;
    }

    fn rbac_index(&mut self, store: &Store) -> &RbacIndex {
        if self.rbac.is_none() {
            let load = |plural: &str| -> Vec<Value> {
                resources::by_plural(plural)
                    .map(|info| registry::list_raw(store, info, None))
                    .unwrap_or_default()
            };
            let (cr, crb, r, rb) = (
                load("clusterroles"),
                load("clusterrolebindings"),
                load("roles"),
                load("rolebindings"),
            );
            self.rbac = Some(RbacIndex::build(cr.iter(), crb.iter(), r.iter(), rb.iter()));
        }
        self.rbac.get_or_insert_with(RbacIndex::default)
    }

    /// The RBAC authorizer's answer for `attributes`, from the policy it holds (parsed once
    /// after each RBAC write), without a request or a trace: a SelfSubjectAccessReview's.
    pub fn authorize(&mut self, store: &Store, attributes: &Attributes) -> Result<String, String> {
        self.rbac_index(store).authorize(attributes)
    }

    /// Authenticates without tracing: who these credentials are, for a component that asks.
    pub fn whoami(&self, store: &Store, credentials: &Credentials) -> Result<UserInfo, ApiError> {
        self.authenticator
            .authenticate(credentials, |ns, name| sa_exists(store, ns, name))
    }

    /// Handles one request from `caller`, recording every stage in the trace.
    pub fn handle(
        &mut self,
        env: Env,
        caller: &Actor,
        cause: Option<Seq>,
        request: ApiRequest,
    ) -> Handled {
        let tick = env.clock.now();
        let request_seq = env.trace.record_about(
            tick,
            caller.clone(),
            TraceKind::Request {
                verb: request.verb,
                resource: request.resource.clone(),
                subresource: request.subresource.clone(),
                namespace: request.namespace.clone(),
                name: request.name.clone(),
                // What the client claims before authentication: a certificate's CN.
                user: match &request.credentials {
                    Credentials::ClientCertificate { common_name, .. } => Some(common_name.clone()),
                    _ => None,
                },
            },
            cause,
            requested_object(&request),
        );
        let mut tracer = Tracer {
            trace: env.trace,
            tick,
            last: request_seq,
            written: None,
        };
        let mut commits = Vec::new();
        let result = self.serve(
            env.store,
            env.clock,
            env.rng,
            &mut tracer,
            &mut commits,
            request,
        );
        let (code, message) = match &result {
            Ok(r) => (r.code, String::new()),
            Err(e) => (e.code, e.message.clone()),
        };
        let (object, resource_version) = match tracer.written.take() {
            Some((object, revision)) => (object, Some(revision)),
            None => (None, None),
        };
        let response_seq = tracer.trace.record_about(
            tick,
            Actor::apiserver(),
            TraceKind::Response {
                code,
                message,
                resource_version,
            },
            Some(tracer.last),
            object,
        );
        Handled {
            result,
            request_seq,
            response_seq,
            commits,
        }
    }

    /// The impersonation filter: `user` must be allowed to `impersonate` the user (or service
    /// account) and each group it asks for.
    fn impersonate(
        &mut self,
        store: &Store,
        user: &UserInfo,
        asked: &Impersonate,
    ) -> Result<UserInfo, ApiError> {
        let account = asked
            .user
            .strip_prefix("system:serviceaccount:")
            .and_then(|rest| rest.split_once(':'));
        let mut checks = vec![match account {
            Some((ns, name)) => ("serviceaccounts", Some(ns), name),
            None => ("users", None, asked.user.as_str()),
        }];
        checks.extend(asked.groups.iter().map(|g| ("groups", None, g.as_str())));
        for (resource, namespace, name) in checks {
            let attributes = Attributes {
                user,
                verb: "impersonate",
                api_group: "",
                resource,
                subresource: None,
                namespace,
                name: Some(name),
            };
            if let Err(why) = self.rbac_index(store).authorize(&attributes) {
                return Err(admission::forbidden(resource, name, &why));
            }
        }
        Ok(authn::impersonated(&asked.user, &asked.groups))
    }

    fn serve(
        &mut self,
        store: &mut Store,
        clock: &Clock,
        rng: &mut Rng,
        tracer: &mut Tracer,
        commits: &mut Vec<Commit>,
        request: ApiRequest,
    ) -> Result<ApiResponse, ApiError> {
        // Authentication.
        let user = match self.whoami(store, &request.credentials) {
            Ok(user) => {
                tracer.stage(
                    ApiStage::Authentication,
                    true,
                    format!("user \"{}\" groups {:?}", user.name, user.groups),
                );
                user
            }
            Err(e) => {
                tracer.stage(ApiStage::Authentication, false, e.message.clone());
                return Err(e);
            }
        };
        let user = match &request.impersonate {
            None => user,
            Some(asked) => match self.impersonate(store, &user, asked) {
                Ok(as_user) => {
                    tracer.stage(
                        ApiStage::Authentication,
                        true,
                        format!(
                            "impersonating user \"{}\" groups {:?}",
                            as_user.name, as_user.groups
                        ),
                    );
                    as_user
                }
                Err(e) => {
                    tracer.stage(ApiStage::Authorization, false, e.message.clone());
                    return Err(e);
                }
            },
        };
        let Some(info) = resources::by_plural(&request.resource) else {
            let e = ApiError::not_served();
            tracer.stage(ApiStage::Authorization, false, e.message.clone());
            return Err(e);
        };
        let namespace = if info.namespaced {
            request.namespace.as_deref().filter(|ns| !ns.is_empty())
        } else {
            None
        };

        // Authorization.
        let attributes = Attributes {
            user: &user,
            verb: verb_name(&request),
            api_group: info.group,
            resource: info.plural,
            subresource: request.subresource.as_deref(),
            namespace,
            name: request.name.as_deref(),
        };
        match self.rbac_index(store).authorize(&attributes) {
            Ok(why) => tracer.stage(ApiStage::Authorization, true, why),
            Err(why) => {
                let e = admission::forbidden(
                    &info.qualified_plural(),
                    request.name.as_deref().unwrap_or(""),
                    &why,
                );
                tracer.stage(ApiStage::Authorization, false, e.message.clone());
                return Err(e);
            }
        }

        // The handler reads the body before it decodes it, and reads no more than the limit.
        if let Some(body) = &request.body {
            if encoded_len(body) > MAX_REQUEST_BODY_BYTES {
                let e = ApiError::request_entity_too_large(MAX_REQUEST_BODY_BYTES);
                tracer.stage(ApiStage::Validation, false, e.message.clone());
                return Err(e);
            }
        }

        let mut ctx = registry::Ctx {
            store,
            clock,
            rng,
            tracer,
            commits,
            info,
            user: &user.name,
        };
        let result = ctx.dispatch(&request, namespace);
        if info.group == "rbac.authorization.k8s.io" && !commits.is_empty() {
            self.invalidate_rbac();
        }
        result
    }
}

/// Why a build without the `server-side-apply` feature (the shipped page) refuses an apply.
pub const SERVER_SIDE_APPLY_LEFT_OUT: &str = "server-side apply is not in this build of Kube Sandbox; it runs in the native shell and `kube-sandbox serve`";

/// kube-apiserver's `--max-request-bytes` default (`MaxRequestBodyBytes`): 3 MiB.
pub const MAX_REQUEST_BODY_BYTES: usize = 3 * 1024 * 1024;

/// The bytes of `body` as JSON on the wire. (A counting writer would spare the buffer, but
/// costs the page a second copy of the serializer: 300 bytes of gzip, measured.)
fn encoded_len(body: &Value) -> usize {
    serde_json::to_vec(body).map_or(0, |bytes| bytes.len())
}

fn sa_exists(store: &Store, namespace: &str, name: &str) -> bool {
    resources::by_plural("serviceaccounts")
        .is_some_and(|info| store.get(&info.key(Some(namespace), name)).is_some())
}

/// The resource a request names, for callers that need its kind (kubectl's printers).
pub fn resource_info(plural: &str) -> Option<&'static ResourceInfo> {
    resources::by_plural(plural)
}

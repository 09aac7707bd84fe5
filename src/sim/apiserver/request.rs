//! What a client sends to the apiserver and what it gets back.
//!
//! Mirrors: the REST request attributes kube-apiserver's filters see (`k8s.io/apiserver/pkg/endpoints/request`:
//! verb, resource, subresource, namespace, name, user) and `metav1.Status` for failures.
//! Simplified: no HTTP; a request is a value, handled in one call.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The verbs RBAC rules name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Verb {
    Create,
    Get,
    List,
    Watch,
    Update,
    Patch,
    Delete,
    DeleteCollection,
}

/// Every verb of a resource with the whole REST storage, as discovery and RBAC rules name them.
pub const REST_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

impl Verb {
    /// The lowercase RBAC name: `create`, `deletecollection`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "deletecollection",
        }
    }
}

/// How a client proves who it is. kubectl uses the admin's client certificate by default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Credentials {
    /// No credentials at all: anonymous auth is off, so this gets 401 Unauthorized.
    None,
    /// `Authorization: Bearer <token>`: service account tokens and static user tokens.
    BearerToken(String),
    /// An x509 client certificate: CN is the user, O the groups (kubeadm's admin.conf).
    ClientCertificate {
        common_name: String,
        organizations: Vec<String>,
    },
}

impl Credentials {
    /// The `kubernetes-admin` certificate from kubeadm's `/etc/kubernetes/admin.conf`.
    pub fn admin() -> Self {
        Credentials::ClientCertificate {
            common_name: "kubernetes-admin".to_string(),
            organizations: vec!["kubeadm:cluster-admins".to_string()],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PatchType {
    /// `application/json-patch+json` (RFC 6902).
    Json,
    /// `application/merge-patch+json` (RFC 7386).
    Merge,
    /// `application/strategic-merge-patch+json`: lists merged by their patch merge key.
    StrategicMerge,
    /// `application/apply-patch+yaml`: server-side apply by the request's `fieldManager`;
    /// `force` takes over the fields other managers own.
    Apply { force: bool },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListOptions {
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    /// Read the list as the store was at this revision (a `continue` token's), not now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PropagationPolicy {
    Orphan,
    Background,
    Foreground,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteOptions {
    pub grace_period_seconds: Option<i64>,
    pub propagation_policy: Option<PropagationPolicy>,
}

/// kubectl's `--as` and `--as-group`: the `Impersonate-User` and `Impersonate-Group` headers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Impersonate {
    pub user: String,
    pub groups: Vec<String>,
}

/// One request to the apiserver.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiRequest {
    pub credentials: Credentials,
    /// Whom the authenticated user asks to act as; None: as itself.
    #[serde(default)]
    pub impersonate: Option<Impersonate>,
    pub verb: Verb,
    /// The plural resource name: `pods`, `deployments`.
    pub resource: String,
    /// `status`, `binding`, `scale`.
    pub subresource: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// The object for create/update, or the patch document for patch.
    pub body: Option<Value>,
    pub patch_type: Option<PatchType>,
    pub list_options: ListOptions,
    pub delete_options: DeleteOptions,
    pub dry_run: bool,
    pub field_manager: Option<String>,
}

impl ApiRequest {
    /// A request with only the verb and resource set; fill in the rest with the builder methods.
    pub fn new(credentials: Credentials, verb: Verb, resource: &str) -> Self {
        ApiRequest {
            credentials,
            impersonate: None,
            verb,
            resource: resource.to_string(),
            subresource: None,
            namespace: None,
            name: None,
            body: None,
            patch_type: None,
            list_options: ListOptions::default(),
            delete_options: DeleteOptions::default(),
            dry_run: false,
            field_manager: None,
        }
    }

    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    pub fn subresource(mut self, subresource: impl Into<String>) -> Self {
        self.subresource = Some(subresource.into());
        self
    }

    pub fn patch(mut self, patch_type: PatchType, patch: Value) -> Self {
        self.patch_type = Some(patch_type);
        self.body = Some(patch);
        self
    }
}

/// A successful answer: the HTTP code and the object (or list) the apiserver returned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiResponse {
    pub code: u16,
    pub body: Value,
}

/// `metav1.StatusReason`: the machine-readable why of a failure; kubectl prints it in parentheses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatusReason {
    Unauthorized,
    Forbidden,
    NotFound,
    AlreadyExists,
    Conflict,
    Invalid,
    BadRequest,
    MethodNotAllowed,
    Gone,
    Expired,
    InternalError,
    ServiceUnavailable,
    /// 413: the body is over the apiserver's limit.
    RequestEntityTooLarge,
    /// `StatusReasonUnknown` (empty): an error the apiserver did not turn into a Status of its
    /// own, such as etcd's; kubectl prints it without a reason.
    Unknown,
}

impl StatusReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusReason::Unauthorized => "Unauthorized",
            StatusReason::Forbidden => "Forbidden",
            StatusReason::NotFound => "NotFound",
            StatusReason::AlreadyExists => "AlreadyExists",
            StatusReason::Conflict => "Conflict",
            StatusReason::Invalid => "Invalid",
            StatusReason::BadRequest => "BadRequest",
            StatusReason::MethodNotAllowed => "MethodNotAllowed",
            StatusReason::Gone => "Gone",
            StatusReason::Expired => "Expired",
            StatusReason::InternalError => "InternalError",
            StatusReason::ServiceUnavailable => "ServiceUnavailable",
            StatusReason::RequestEntityTooLarge => "RequestEntityTooLarge",
            StatusReason::Unknown => "",
        }
    }

    /// The HTTP code that goes with the reason.
    pub fn code(self) -> u16 {
        match self {
            StatusReason::Unauthorized => 401,
            StatusReason::Forbidden => 403,
            StatusReason::NotFound => 404,
            StatusReason::AlreadyExists | StatusReason::Conflict => 409,
            StatusReason::Invalid => 422,
            StatusReason::BadRequest => 400,
            StatusReason::MethodNotAllowed => 405,
            StatusReason::Gone | StatusReason::Expired => 410,
            StatusReason::InternalError | StatusReason::Unknown => 500,
            StatusReason::ServiceUnavailable => 503,
            StatusReason::RequestEntityTooLarge => 413,
        }
    }
}

/// One field-level cause of an Invalid error: `spec.selector: Required value`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCause {
    /// `FieldValueRequired`, `FieldValueInvalid`, ...
    pub reason: String,
    pub message: String,
    pub field: String,
}

/// A failed request, as `metav1.Status`. `message` is exactly what kubectl shows after the reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: u16,
    pub reason: StatusReason,
    pub message: String,
    /// The object's kind and name, when the error is about one object.
    pub kind: Option<String>,
    pub name: Option<String>,
    pub causes: Vec<StatusCause>,
}

impl ApiError {
    pub fn new(reason: StatusReason, message: impl Into<String>) -> Self {
        ApiError {
            code: reason.code(),
            reason,
            message: message.into(),
            kind: None,
            name: None,
            causes: Vec::new(),
        }
    }

    /// `pods "web" not found`.
    pub fn not_found(qualified_plural: &str, name: &str) -> Self {
        ApiError::new(
            StatusReason::NotFound,
            format!("{qualified_plural} \"{name}\" not found"),
        )
    }

    /// `pods "web" already exists`.
    pub fn already_exists(qualified_plural: &str, name: &str) -> Self {
        ApiError::new(
            StatusReason::AlreadyExists,
            format!("{qualified_plural} \"{name}\" already exists"),
        )
    }

    /// The optimistic-concurrency failure of an update with a stale resourceVersion.
    pub fn conflict(qualified_plural: &str, name: &str) -> Self {
        ApiError::new(
            StatusReason::Conflict,
            format!(
                "Operation cannot be fulfilled on {qualified_plural} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
            ),
        )
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusReason::BadRequest, message)
    }

    /// `apierrors.NewRequestEntityTooLargeError`: a body over the apiserver's limit.
    pub fn request_entity_too_large(limit: usize) -> Self {
        ApiError::new(
            StatusReason::RequestEntityTooLarge,
            format!("Request entity too large: limit is {limit}"),
        )
    }

    pub fn unauthorized() -> Self {
        ApiError::new(StatusReason::Unauthorized, "Unauthorized")
    }

    /// A path or subresource the apiserver does not serve.
    pub fn not_served() -> Self {
        ApiError::new(
            StatusReason::NotFound,
            "the server could not find the requested resource",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ApiError {}

/// Anything that can answer API requests: the cluster's apiserver, or a test double.
/// kubectl and the components talk to the apiserver only through this.
pub trait ApiClient {
    fn call(&mut self, request: ApiRequest) -> Result<ApiResponse, ApiError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conflict_reads_as_kubectl_shows_it() {
        let err = ApiError::conflict("deployments.apps", "web");
        assert_eq!(err.code, 409);
        assert_eq!(
            err.to_string(),
            "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please apply your changes to the latest version and try again"
        );
    }

    #[test]
    fn reasons_carry_their_http_codes() {
        assert_eq!(ApiError::unauthorized().code, 401);
        assert_eq!(ApiError::not_found("pods", "x").code, 404);
        assert_eq!(StatusReason::Invalid.code(), 422);
    }
}

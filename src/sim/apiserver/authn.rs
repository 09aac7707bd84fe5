//! Authentication: who is asking.
//!
//! Mirrors: kube-apiserver's union authenticator (`k8s.io/apiserver/pkg/authentication`): x509
//! client certificates (CN = user, O = groups), a static token file (`--token-auth-file`) and
//! service account tokens (`system:serviceaccount:<ns>:<name>`). Every authenticated user also gets
//! the group `system:authenticated`.
//! Simplified: certificates are trusted as presented (we have one CA and no TLS); service account
//! tokens are opaque strings issued by the apiserver instead of signed JWTs, but, as upstream, a
//! token stops working once its ServiceAccount is gone.

use std::collections::BTreeMap;

use super::request::{ApiError, Credentials};

/// `user.Info`: the user name and groups the authorizer and admission see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub groups: Vec<String>,
}

pub const AUTHENTICATED_GROUP: &str = "system:authenticated";

/// Whom an impersonating request acts as (the apiserver's impersonation filter): the user with
/// the groups asked for, a service account's own groups, and `system:authenticated`.
pub fn impersonated(name: &str, groups: &[String]) -> UserInfo {
    let mut groups = groups.to_vec();
    let mut add = |g: String| {
        if !groups.contains(&g) {
            groups.push(g);
        }
    };
    if let Some((ns, _)) = name
        .strip_prefix("system:serviceaccount:")
        .and_then(|rest| rest.split_once(':'))
    {
        add("system:serviceaccounts".to_string());
        add(format!("system:serviceaccounts:{ns}"));
    }
    add(AUTHENTICATED_GROUP.to_string());
    UserInfo {
        name: name.to_string(),
        groups,
    }
}
pub const MASTERS_GROUP: &str = "system:masters";

/// What a bearer token stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenOwner {
    /// A line of the static token file: a user with groups.
    User(UserInfo),
    /// A service account token: valid while the ServiceAccount exists.
    ServiceAccount { namespace: String, name: String },
}

/// The tokens the apiserver accepts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Authenticator {
    tokens: BTreeMap<String, TokenOwner>,
}

impl Authenticator {
    pub fn add_static_token(&mut self, token: &str, user: &str, groups: &[&str]) {
        self.tokens.insert(
            token.to_string(),
            TokenOwner::User(UserInfo {
                name: user.to_string(),
                groups: groups.iter().map(|g| g.to_string()).collect(),
            }),
        );
    }

    pub fn add_service_account_token(&mut self, token: &str, namespace: &str, name: &str) {
        self.tokens.insert(
            token.to_string(),
            TokenOwner::ServiceAccount {
                namespace: namespace.to_string(),
                name: name.to_string(),
            },
        );
    }

    /// Resolves credentials to a user. `service_account_exists` lets the token authenticator
    /// refuse tokens of deleted ServiceAccounts, as upstream's legacy token validation does.
    pub fn authenticate(
        &self,
        credentials: &Credentials,
        service_account_exists: impl Fn(&str, &str) -> bool,
    ) -> Result<UserInfo, ApiError> {
        let mut user = match credentials {
            Credentials::None => return Err(ApiError::unauthorized()),
            Credentials::ClientCertificate {
                common_name,
                organizations,
            } => {
                if common_name.is_empty() {
                    return Err(ApiError::unauthorized());
                }
                UserInfo {
                    name: common_name.clone(),
                    groups: organizations.clone(),
                }
            }
            Credentials::BearerToken(token) => match self.tokens.get(token) {
                None => return Err(ApiError::unauthorized()),
                Some(TokenOwner::User(user)) => user.clone(),
                Some(TokenOwner::ServiceAccount { namespace, name }) => {
                    if !service_account_exists(namespace, name) {
                        return Err(ApiError::unauthorized());
                    }
                    service_account_user(namespace, name)
                }
            },
        };
        if !user.groups.iter().any(|g| g == AUTHENTICATED_GROUP) {
            user.groups.push(AUTHENTICATED_GROUP.to_string());
        }
        Ok(user)
    }
}

/// The user a service account authenticates as.
pub fn service_account_user(namespace: &str, name: &str) -> UserInfo {
    UserInfo {
        name: format!("system:serviceaccount:{namespace}:{name}"),
        groups: vec![
            "system:serviceaccounts".to_string(),
            format!("system:serviceaccounts:{namespace}"),
        ],
    }
}

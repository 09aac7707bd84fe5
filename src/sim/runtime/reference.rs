//! Image references, parsed and normalized the way Docker and containerd do.
//!
//! ```text
//!   nginx                        -> docker.io/library/nginx:latest
//!   luksa/kubia                  -> docker.io/luksa/kubia:latest
//!   hub.example.com/nginx:1.27   -> hub.example.com/nginx:1.27
//!   localhost:5000/app@sha256:.. -> localhost:5000/app@sha256:..
//!   [domain/]path[:tag][@digest]   the first component is a domain only if it has '.' or ':',
//!                                  is `localhost`, or has an uppercase letter
//! ```
//!
//! Mirrors: `github.com/distribution/reference` (`ParseNormalizedNamed`, `TagNameOnly`,
//! `FamiliarString`) and its error texts.
//! Simplified: only `sha256` digests; IPv6 domains in brackets are not accepted.

use std::fmt;

pub const DEFAULT_DOMAIN: &str = "docker.io";
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
const OFFICIAL_REPO_PREFIX: &str = "library/";
const NAME_TOTAL_LENGTH_MAX: usize = 255;
const TAG_LENGTH_MAX: usize = 128;

/// A fully qualified image reference.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImageRef {
    /// `docker.io`, `registry.k8s.io`, `hub.example.com`, `localhost:5000`.
    pub domain: String,
    /// `library/nginx`, `coredns/coredns`.
    pub path: String,
    /// `latest` is filled in when neither a tag nor a digest was given.
    pub tag: Option<String>,
    /// `sha256:<64 hex>`.
    pub digest: Option<String>,
}

/// Why a reference does not parse; `Display` is distribution/reference's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReferenceError {
    InvalidFormat,
    NameNotLowercase(String),
    NameTooLong,
    NameEmpty,
    LooksLikeAnId(String),
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReferenceError::InvalidFormat => write!(f, "invalid reference format"),
            ReferenceError::NameNotLowercase(name) => write!(
                f,
                "invalid reference format: repository name ({name}) must be lowercase"
            ),
            ReferenceError::NameTooLong => write!(
                f,
                "repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters"
            ),
            ReferenceError::NameEmpty => {
                write!(f, "repository name must have at least one component")
            }
            ReferenceError::LooksLikeAnId(s) => write!(
                f,
                "invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"
            ),
        }
    }
}

impl ImageRef {
    /// `docker.io/library/nginx`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The familiar form Docker prints: `nginx`, `luksa/kubia`, `registry.k8s.io/pause`.
    pub fn familiar_name(&self) -> String {
        if self.domain == DEFAULT_DOMAIN {
            match self.path.strip_prefix(OFFICIAL_REPO_PREFIX) {
                Some(rest) if !rest.contains('/') => rest.to_string(),
                _ => self.path.clone(),
            }
        } else {
            self.name()
        }
    }

    /// The tag, or `latest` when the reference named neither tag nor digest.
    pub fn tag_or_latest(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(tag), _) => Some(tag),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }
}

impl fmt::Display for ImageRef {
    /// The normalized form containerd pulls and reports: `docker.io/library/nginx:latest`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        if let Some(tag) = self.tag_or_latest() {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// Parses what a user typed in `image:` and normalizes it (`ParseNormalizedNamed` + `TagNameOnly`).
pub fn parse_image_ref(input: &str) -> Result<ImageRef, ReferenceError> {
    if input.is_empty() {
        return Err(ReferenceError::NameEmpty);
    }
    if input.len() == 64 && input.bytes().all(is_lower_hex) {
        return Err(ReferenceError::LooksLikeAnId(input.to_string()));
    }
    let (name_and_tag, digest) = match input.split_once('@') {
        Some((name, digest)) => (name, Some(parse_digest(digest)?)),
        None => (input, None),
    };
    let (domain, remainder) = split_docker_domain(name_and_tag);
    // The tag separator is a ':' after the last '/'; a ':' before it belongs to a port.
    let last_slash = remainder.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (path, tag) = match remainder[last_slash..].find(':') {
        Some(i) => (
            &remainder[..last_slash + i],
            Some(&remainder[last_slash + i + 1..]),
        ),
        None => (remainder.as_str(), None),
    };
    if path.to_lowercase() != path {
        return Err(ReferenceError::NameNotLowercase(path.to_string()));
    }
    if !is_valid_domain(&domain) || !is_valid_path(path) {
        return Err(ReferenceError::InvalidFormat);
    }
    if domain.len() + 1 + path.len() > NAME_TOTAL_LENGTH_MAX {
        return Err(ReferenceError::NameTooLong);
    }
    if let Some(tag) = tag {
        if !is_valid_tag(tag) {
            return Err(ReferenceError::InvalidFormat);
        }
    }
    Ok(ImageRef {
        domain,
        path: path.to_string(),
        tag: tag.map(str::to_string),
        digest,
    })
}

fn split_docker_domain(name: &str) -> (String, String) {
    let (mut domain, mut remainder) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.to_lowercase() != first =>
        {
            (first.to_string(), rest.to_string())
        }
        _ => (DEFAULT_DOMAIN.to_string(), name.to_string()),
    };
    if domain == LEGACY_DEFAULT_DOMAIN {
        domain = DEFAULT_DOMAIN.to_string();
    }
    if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        remainder = format!("{OFFICIAL_REPO_PREFIX}{remainder}");
    }
    (domain, remainder)
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

fn parse_digest(digest: &str) -> Result<String, ReferenceError> {
    match digest.strip_prefix("sha256:") {
        Some(hex) if hex.len() == 64 && hex.bytes().all(is_lower_hex) => Ok(digest.to_string()),
        _ => Err(ReferenceError::InvalidFormat),
    }
}

/// `[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?` components joined by '.', then an optional `:port`.
fn is_valid_domain(domain: &str) -> bool {
    let (host, port) = match domain.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (domain, None),
    };
    if let Some(port) = port {
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    !host.is_empty()
        && host.split('.').all(|part| {
            !part.is_empty()
                && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// Components of `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*` joined by '/'.
fn is_valid_path(path: &str) -> bool {
    !path.is_empty() && path.split('/').all(is_valid_path_component)
}

fn is_valid_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        // A separator run: '.', '_', '__', or any number of '-'.
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &component[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `[\w][\w.-]{0,127}`.
fn is_valid_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    match tag.as_bytes().split_first() {
        Some((first, rest)) => {
            tag.len() <= TAG_LENGTH_MAX
                && word(*first)
                && rest.iter().all(|&b| word(b) || b == b'.' || b == b'-')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(input: &str) -> String {
        match parse_image_ref(input) {
            Ok(r) => r.to_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn references_normalize_as_docker_does() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let table: Vec<(String, String)> = vec![
            ("nginx".into(), "docker.io/library/nginx:latest".into()),
            ("nginx:1.27".into(), "docker.io/library/nginx:1.27".into()),
            ("luksa/kubia".into(), "docker.io/luksa/kubia:latest".into()),
            (
                "docker.io/nginx".into(),
                "docker.io/library/nginx:latest".into(),
            ),
            (
                "index.docker.io/library/nginx".into(),
                "docker.io/library/nginx:latest".into(),
            ),
            (
                "hub.example.com/nginx".into(),
                "hub.example.com/nginx:latest".into(),
            ),
            (
                "localhost:5000/app:v1".into(),
                "localhost:5000/app:v1".into(),
            ),
            (
                "registry.k8s.io/coredns/coredns:v1.11.3".into(),
                "registry.k8s.io/coredns/coredns:v1.11.3".into(),
            ),
            (
                format!("nginx@{digest}"),
                format!("docker.io/library/nginx@{digest}"),
            ),
            (
                format!("nginx:1.27@{digest}"),
                format!("docker.io/library/nginx:1.27@{digest}"),
            ),
        ];
        for (input, want) in table {
            assert_eq!(normalized(&input), want, "{input}");
        }
    }

    #[test]
    fn bad_references_are_refused_with_docker_texts() {
        let table = [
            ("Nginx", "error: invalid reference format: repository name (library/Nginx) must be lowercase"),
            ("nginx:", "error: invalid reference format"),
            ("nginx:-bad", "error: invalid reference format"),
            ("ngi nx", "error: invalid reference format"),
            ("nginx@sha256:abc", "error: invalid reference format"),
            ("-nginx", "error: invalid reference format"),
            ("a//b", "error: invalid reference format"),
            ("", "error: repository name must have at least one component"),
            ("hub.example.com:/x", "error: invalid reference format"),
        ];
        for (input, want) in table {
            assert_eq!(normalized(input), want, "{input:?}");
        }
        let id = "0".repeat(64);
        assert!(normalized(&id).contains("cannot specify 64-byte hexadecimal strings"));
    }

    #[test]
    fn familiar_names_drop_the_default_domain_and_library() {
        let cases = [
            ("nginx:1.27", "nginx"),
            ("luksa/kubia", "luksa/kubia"),
            ("registry.k8s.io/pause:3.10", "registry.k8s.io/pause"),
        ];
        for (input, want) in cases {
            let r = parse_image_ref(input).map(|r| r.familiar_name());
            assert_eq!(r.as_deref(), Ok(want));
        }
    }

    #[test]
    fn no_input_makes_the_parser_panic() {
        for input in [
            "@", ":", "/", "a@", "@sha256:", "a:b:c", "é", "a/../b", "::::", "[::1]/x", "x/",
        ] {
            let _ = parse_image_ref(input);
        }
    }
}

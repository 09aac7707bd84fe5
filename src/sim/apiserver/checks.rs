//! The apiserver's calls into `sim::api`: strict decoding, validation and list selectors, each
//! behind one small function so the request path reads in the apiserver's words.

use crate::sim::api::JsonPointer;
use std::collections::BTreeMap;

use serde_json::Value;

use super::ApiError;
use crate::sim::api::{self, resources::ResourceInfo, FieldSelector, Selector};

/// Unknown fields or bad quantities are a BadRequest (server-side field validation `Strict`).
pub fn strict_check(info: &ResourceInfo, object: &Value) -> Result<(), ApiError> {
    api::strict_check(info, object)
}

/// Per-kind validation on create: `Invalid` with field causes.
pub fn validate_create(info: &ResourceInfo, object: &Value) -> Result<(), ApiError> {
    api::validate_create(info, object)
}

/// Per-kind validation on update (immutable fields and the like).
pub fn validate_update(info: &ResourceInfo, old: &Value, new: &Value) -> Result<(), ApiError> {
    api::validate_update(info, old, new)
}

/// The `labelSelector` and `fieldSelector` of a list, parsed once and applied to every item.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    labels: Option<Selector>,
    fields: Option<FieldSelector>,
}

impl ListFilter {
    /// Parses both selectors; a bad one is the apiserver's 400 with upstream's text.
    pub fn parse(
        kind: &str,
        label_selector: Option<&str>,
        field_selector: Option<&str>,
    ) -> Result<ListFilter, ApiError> {
        let labels = match label_selector {
            Some(s) => Some(api::parse_selector(s).map_err(ApiError::bad_request)?),
            None => None,
        };
        let fields = match field_selector {
            Some(s) => {
                let selector = FieldSelector::parse(s).map_err(ApiError::bad_request)?;
                selector
                    .check_supported(kind)
                    .map_err(ApiError::bad_request)?;
                Some(selector)
            }
            None => None,
        };
        Ok(ListFilter { labels, fields })
    }

    pub fn matches(&self, object: &Value) -> bool {
        let labels_ok = self.labels.as_ref().is_none_or(|selector| {
            let labels: BTreeMap<String, String> = object
                .ptr("/metadata/labels")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            selector.matches(&labels)
        });
        labels_ok && self.fields.as_ref().is_none_or(|f| f.matches(object))
    }
}

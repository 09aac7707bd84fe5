//! How kubectl words the errors it prints.
//!
//! Mirrors: kubectl's `cmdutil.CheckErr` / `StandardErrorMessage` (`Error from server (Reason):
//! message`), its special cases for Unauthorized and Invalid (the message rebuilt from the Status
//! details: kind, name and causes), and `AddSourceToErr` (`error when creating "web.yaml": ...`).

use crate::sim::apiserver::request::{ApiError, StatusReason};

/// The text kubectl prints for a failed request, ending in a newline.
pub fn api_error_text(err: &ApiError) -> String {
    api_error_text_from(err, None)
}

/// The same, for an object read from a file: `source` is the file name (`STDIN` for `-f -`) and
/// `verb` is `creating`, `deleting`, ...
pub fn api_error_text_from(err: &ApiError, source: Option<(&str, &str)>) -> String {
    match err.reason {
        StatusReason::Unauthorized => {
            return format!(
                "error: You must be logged in to the server ({})\n",
                err.message
            );
        }
        StatusReason::Invalid
            if err.kind.is_some() || err.name.is_some() || !err.causes.is_empty() =>
        {
            let prefix = format!(
                "The {} \"{}\" is invalid",
                err.kind.as_deref().unwrap_or(""),
                err.name.as_deref().unwrap_or("")
            );
            // kubectl drops duplicate `field: message` lines.
            let mut lines: Vec<String> = Vec::new();
            for cause in &err.causes {
                let line = if cause.field.is_empty() {
                    cause.message.clone()
                } else {
                    format!("{}: {}", cause.field, cause.message)
                };
                if !lines.contains(&line) {
                    lines.push(line);
                }
            }
            return match lines.as_slice() {
                [] => format!("{prefix}: {}\n", err.message),
                [one] => format!("{prefix}: {one}\n"),
                many => {
                    let mut text = format!("{prefix}: \n");
                    for line in many {
                        text.push_str(&format!("* {line}\n"));
                    }
                    text
                }
            };
        }
        _ => {}
    }
    let message = match source {
        Some((verb, file)) => format!("error when {verb} \"{file}\": {}", err.message),
        None => err.message.clone(),
    };
    match err.reason.as_str() {
        "" => format!("Error from server: {message}\n"),
        reason => format!("Error from server ({reason}): {message}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::apiserver::request::StatusCause;

    fn invalid(causes: &[(&str, &str)]) -> ApiError {
        let mut err = ApiError::new(StatusReason::Invalid, "Deployment.apps \"web\" is invalid");
        err.kind = Some("Deployment".into());
        err.name = Some("web".into());
        err.causes = causes
            .iter()
            .map(|(field, message)| StatusCause {
                reason: "FieldValueRequired".into(),
                message: message.to_string(),
                field: field.to_string(),
            })
            .collect();
        err
    }

    #[test]
    fn errors_from_the_server_carry_their_reason_in_parentheses() {
        assert_eq!(
            api_error_text(&ApiError::not_found("pods", "x")),
            "Error from server (NotFound): pods \"x\" not found\n"
        );
        assert_eq!(
            api_error_text(&ApiError::already_exists("deployments.apps", "web")),
            "Error from server (AlreadyExists): deployments.apps \"web\" already exists\n"
        );
        assert_eq!(
            api_error_text(&ApiError::new(
                StatusReason::Forbidden,
                "pods is forbidden: User \"student\" cannot list resource \"pods\" in API group \"\" in the namespace \"kube-system\""
            )),
            "Error from server (Forbidden): pods is forbidden: User \"student\" cannot list resource \"pods\" in API group \"\" in the namespace \"kube-system\"\n"
        );
    }

    #[test]
    fn unauthorized_asks_the_user_to_log_in() {
        assert_eq!(
            api_error_text(&ApiError::unauthorized()),
            "error: You must be logged in to the server (Unauthorized)\n"
        );
    }

    #[test]
    fn invalid_is_rebuilt_from_kind_name_and_causes() {
        assert_eq!(
            api_error_text(&invalid(&[("spec.selector", "Required value")])),
            "The Deployment \"web\" is invalid: spec.selector: Required value\n"
        );
        assert_eq!(
            api_error_text(&invalid(&[
                ("spec.selector", "Required value"),
                ("spec.template.spec.containers[0].image", "Required value"),
                ("spec.selector", "Required value"),
            ])),
            "The Deployment \"web\" is invalid: \n* spec.selector: Required value\n* spec.template.spec.containers[0].image: Required value\n"
        );
    }

    #[test]
    fn errors_about_an_object_from_a_file_name_the_file() {
        assert_eq!(
            api_error_text_from(
                &ApiError::bad_request("Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.foo\""),
                Some(("creating", "web.yaml"))
            ),
            "Error from server (BadRequest): error when creating \"web.yaml\": Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.foo\"\n"
        );
        // Invalid ignores the source: kubectl prints it from the details.
        assert_eq!(
            api_error_text_from(
                &invalid(&[("spec.selector", "Required value")]),
                Some(("creating", "web.yaml"))
            ),
            "The Deployment \"web\" is invalid: spec.selector: Required value\n"
        );
    }
}

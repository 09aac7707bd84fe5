//! `kubectl edit` with the page's YAML editor as `$EDITOR`.
//!
//! Mirrors: kubectl's edit loop (`kubectl/pkg/cmd/util/editor/editoptions.go`): GET the object,
//! write it as YAML under a comment header into a temporary file, open the editor on it; when
//! the editor is done, drop the `#` lines, and stop with `Edit cancelled, no changes made.` when
//! nothing changed (or the file is empty); otherwise PATCH the object with the difference and
//! print `deployment.apps/web edited`. A save the apiserver refuses keeps the edit open, as
//! kubectl reopens the file with the failure.
//! Simplified: the difference is sent as a JSON merge patch (RFC 7386), where kubectl sends a
//! strategic merge patch for built-in kinds: a list is replaced whole, which is what an edited
//! copy of the whole object means anyway. The native shell has no editor attached and says so.

use serde_json::{Map, Value};

/// What kubectl writes above the object in the file it opens.
pub const EDIT_HEADER: &str =
    "# Please edit the object below. Lines beginning with a '#' will be ignored,
# and an empty file will abort the edit. If an error occurs while saving this file will be
# reopened with the relevant failures.
#
";

/// kubectl's words when the edit changes nothing.
pub const EDIT_CANCELLED: &str = "Edit cancelled, no changes made.\n";

/// An edit the editor has open.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingEdit {
    /// The line that opened it (`kubectl edit deployment web`): the save is traced under it.
    pub line: String,
    /// What names the object, as typed after `edit` (`deployment web -n default`).
    pub target: Vec<String>,
    /// The object as it was read.
    pub original: Value,
    /// The text the editor opens: the header and the object as YAML.
    pub text: String,
}

/// The text without kubectl's comment lines.
pub fn strip_comments(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The JSON merge patch (RFC 7386) that turns `from` into `to`; None when they are equal.
pub fn merge_patch(from: &Value, to: &Value) -> Option<Value> {
    match (from, to) {
        (Value::Object(a), Value::Object(b)) => {
            let mut patch = Map::new();
            for (key, old) in a {
                match b.get(key) {
                    None => {
                        patch.insert(key.clone(), Value::Null);
                    }
                    Some(new) => {
                        if let Some(p) = merge_patch(old, new) {
                            patch.insert(key.clone(), p);
                        }
                    }
                }
            }
            for (key, new) in b {
                if !a.contains_key(key) {
                    patch.insert(key.clone(), new.clone());
                }
            }
            (!patch.is_empty()).then_some(Value::Object(patch))
        }
        (a, b) if a == b => None,
        (_, b) => Some(b.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_merge_patch_names_only_what_changed_and_nulls_what_was_removed() {
        let from =
            json!({"spec": {"replicas": 3, "paused": false, "template": {"a": [1, 2]}}, "x": 1});
        let to = json!({"spec": {"replicas": 5, "template": {"a": [1, 2, 3]}}, "x": 1, "y": "new"});
        assert_eq!(
            merge_patch(&from, &to),
            Some(
                json!({"spec": {"replicas": 5, "paused": null, "template": {"a": [1, 2, 3]}}, "y": "new"})
            )
        );
        assert_eq!(merge_patch(&from, &from), None);
    }

    #[test]
    fn comment_lines_are_dropped_and_the_rest_kept() {
        let text = format!("{EDIT_HEADER}apiVersion: v1\n  # indented comment\nkind: Pod\n");
        assert_eq!(strip_comments(&text), "apiVersion: v1\nkind: Pod\n");
    }
}

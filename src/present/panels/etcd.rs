//! The etcd panel: the `/registry` key tree, one key's history (every remembered revision and
//! what each changed), the store's current and compacted revisions, and the open watches with
//! who holds them.
//!
//! Mirrors: what `etcdctl get /registry --prefix --keys-only`, `etcdctl get KEY -w json`
//! (`create_revision`, `mod_revision`, `version`, etcd's own field names) and
//! `etcdctl get KEY --rev N` show; read straight from the store, as `cluster_view.rs` does, so
//! opening the panel never adds a request to the trace. The tree and the key lists are reads at
//! a revision (`at`), so the panel can follow the player's playhead.
//! Simplified: every informer of a component holds its own etcd watch here; a real
//! kube-apiserver serves informers from its watch cache, which holds one etcd watch per
//! resource. The value is the object as kube-apiserver stores it: without
//! `metadata.resourceVersion`, which is the key's `mod_revision` and is added on every read, so a
//! diff never shows it changing (the history row's revision is it).
//!
//! The diff is a line diff of the value printed as `kubectl get -o yaml` prints it (kubectl's
//! own printer, `sim::kubectl::yaml`), by a longest-common-subsequence table after trimming the
//! common head and tail. It is written here, 60 lines, instead of taken from a crate: the wasm
//! module has about 47 KB (gzip) left in its budget, a diff crate costs more than that buys,
//! and objects of a few hundred lines need nothing cleverer.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::sim::api::resources::RESOURCES;
use crate::sim::apiserver::backend::{RangeRequest, Revision, Store};
use crate::sim::cluster::Cluster;
pub use crate::sim::cluster::OpenWatch;
use crate::sim::etcd::key_index::KeyIndex;
use crate::sim::kubectl::yaml::to_yaml;
use crate::sim::trace::ObjectRef;

/// Where kube-apiserver keeps every object.
pub const REGISTRY_PREFIX: &str = "/registry/";

/// The newest revisions a key's history lists; older ones still remembered are counted in
/// [`KeyHistory::older_unlisted`]. A node Lease renewed every 10 s has hundreds by the hour.
pub const HISTORY_ENTRIES_MAX: usize = 64;

/// Above this many cells (old lines × new lines, after trimming the common head and tail) the
/// diff gives up on the table and shows the middle as removed then added: still true, only not
/// the shortest. Four bytes a cell: 4 MB at most.
pub const DIFF_CELLS_MAX: usize = 1_000_000;

/// At most this many changed fields are named per diff.
pub const CHANGED_FIELDS_MAX: usize = 32;

/// The store's clock: every etcd response header carries `revision`; reads before `compacted`
/// fail with `mvcc: required revision has been compacted`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Revisions {
    pub current: Revision,
    /// 0 when the store was never compacted.
    pub compacted: Revision,
}

/// The panel's header: revisions, sizes and the open watches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtcdSummary {
    pub revisions: Revisions,
    /// Keys that exist now.
    pub live_keys: usize,
    /// Revisions of key-values the store still remembers (what compaction shrinks).
    pub history_len: usize,
    /// Every open watch and its holder, components in registration order.
    pub watches: Vec<OpenWatch>,
}

/// The revisions of `store`.
pub fn revisions(store: &Store) -> Revisions {
    Revisions {
        current: store.revision(),
        compacted: store.compact_revision(),
    }
}

/// The panel's header for `cluster`.
pub fn summary(cluster: &Cluster) -> EtcdSummary {
    let store = cluster.store();
    EtcdSummary {
        revisions: revisions(store),
        live_keys: store.len(),
        history_len: store.history_len(),
        watches: cluster.open_watches(),
    }
}

/// The watches that hear about a change of `key` (their prefix covers it). A field-selected
/// watch hears of it in etcd but passes it on only when the object matches its selector.
pub fn watching<'a>(watches: &'a [OpenWatch], key: &str) -> Vec<&'a OpenWatch> {
    watches
        .iter()
        .filter(|w| !w.prefix.is_empty() && key.starts_with(&w.prefix))
        .collect()
}

// ----- the key tree -----

/// The `/registry` keys at one revision, grouped by resource, with counts: what the collapsed
/// tree shows without listing any key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyTree {
    /// The revision read at.
    pub revision: Revision,
    /// Every key under `/registry/`.
    pub count: usize,
    /// In key order.
    pub groups: Vec<TreeGroup>,
}

/// One resource's keys: `/registry/pods/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeGroup {
    /// The path under `/registry/`: `pods`, `minions` (nodes), `services/specs`.
    pub segment: String,
    /// The resource it holds as a request names it (`pods`, `nodes`, `services`); None for a
    /// path the apiserver does not serve (an `etcdctl put /registry/foo/bar`).
    pub resource: Option<String>,
    /// Ranges over the group: `/registry/pods/`.
    pub prefix: String,
    pub count: usize,
    /// Per namespace, in key order, for a namespaced resource; empty for a cluster-scoped one
    /// (its keys are its names: `/registry/minions/node1`).
    pub namespaces: Vec<NamespaceGroup>,
}

/// One namespace of a resource: `/registry/pods/default/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceGroup {
    pub namespace: String,
    pub prefix: String,
    pub count: usize,
}

/// One key as `etcdctl get -w json` describes it (the value left out: see [`key_history`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRow {
    pub key: String,
    /// The key after the listed prefix: the object's name under a namespace's prefix.
    pub name: String,
    pub create_revision: Revision,
    pub mod_revision: Revision,
    pub version: i64,
}

/// A page of keys under a prefix, like etcd's RangeResponse: `count` keys in all, `more` when
/// the limit left some out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyList {
    pub rows: Vec<KeyRow>,
    pub count: usize,
    pub more: bool,
}

/// Splits a key under `/registry/` into its group's segment, whether that resource is
/// namespaced, and the rest (`ns/name` or `name`). The longest served prefix wins
/// (`services/specs` before a shorter one); an unknown path groups by its first segment.
fn split_registry_key(key: &str) -> Option<(&str, Option<&'static str>, bool, &str)> {
    let rest = key.strip_prefix(REGISTRY_PREFIX)?;
    let served = RESOURCES
        .iter()
        .filter(|info| {
            rest.strip_prefix(info.etcd_prefix)
                .is_some_and(|tail| tail.starts_with('/'))
        })
        .max_by_key(|info| info.etcd_prefix.len());
    Some(match served {
        Some(info) => (
            &rest[..info.etcd_prefix.len()],
            Some(info.plural),
            info.namespaced,
            &rest[info.etcd_prefix.len() + 1..],
        ),
        None => match rest.split_once('/') {
            Some((segment, tail)) => (segment, None, false, tail),
            None => (rest, None, false, ""),
        },
    })
}

/// The key kube-apiserver keeps `target` under: `/registry/deployments/default/web`.
pub fn key_of(target: &ObjectRef) -> Option<String> {
    let info = RESOURCES.iter().find(|i| i.plural == target.resource)?;
    Some(match (&target.namespace, info.namespaced) {
        (Some(ns), true) => format!("{REGISTRY_PREFIX}{}/{ns}/{}", info.etcd_prefix, target.name),
        (_, false) => format!("{REGISTRY_PREFIX}{}/{}", info.etcd_prefix, target.name),
        (None, true) => return None,
    })
}

/// The object a `/registry` key holds, for a link from a key to the Inspector; None for a key
/// of no served resource.
pub fn object_of_key(key: &str) -> Option<ObjectRef> {
    let (_, resource, namespaced, tail) = split_registry_key(key)?;
    let resource = resource?;
    if namespaced {
        let (namespace, name) = tail.split_once('/')?;
        Some(ObjectRef::new(resource, Some(namespace), name))
    } else {
        Some(ObjectRef::new(resource, None, tail))
    }
}

/// Reads keys (without values) under `prefix` at `at` (None: the newest). A compacted or future
/// revision reads as nothing, as in `cluster_view.rs`.
fn keys_at(store: &Store, prefix: &str, at: Option<Revision>, limit: Option<usize>) -> KeyList {
    let mut request = RangeRequest::prefix(prefix);
    request.keys_only = true;
    request.limit = limit;
    if let Some(at) = at {
        request = request.at_revision(at);
    }
    let Ok(result) = store.range(&request) else {
        return KeyList::default();
    };
    KeyList {
        rows: result
            .kvs
            .into_iter()
            .map(|kv| KeyRow {
                name: kv.key.strip_prefix(prefix).unwrap_or(&kv.key).to_string(),
                key: kv.key,
                create_revision: kv.create_revision,
                mod_revision: kv.mod_revision,
                version: kv.version,
            })
            .collect(),
        count: result.count,
        more: result.more,
    }
}

/// The `/registry` tree at revision `at` (None: the newest), with a count per resource and per
/// namespace. One keys-only range over the store: no value is copied or decoded.
pub fn key_tree(store: &Store, at: Option<Revision>) -> KeyTree {
    let keys = keys_at(store, REGISTRY_PREFIX, at, None);
    let mut tree = KeyTree {
        revision: at.unwrap_or_else(|| store.revision()),
        count: keys.count,
        groups: Vec::new(),
    };
    // Keys come in byte order, so a group's keys (and a namespace's) are consecutive, except
    // where a longer prefix nests in a shorter one's range: look the group up, not only the last.
    for row in &keys.rows {
        let Some((segment, resource, namespaced, tail)) = split_registry_key(&row.key) else {
            continue;
        };
        let index = match tree.groups.iter().rposition(|g| g.segment == segment) {
            Some(i) => i,
            None => {
                tree.groups.push(TreeGroup {
                    segment: segment.to_string(),
                    resource: resource.map(str::to_string),
                    prefix: format!("{REGISTRY_PREFIX}{segment}/"),
                    count: 0,
                    namespaces: Vec::new(),
                });
                tree.groups.len() - 1
            }
        };
        let group = &mut tree.groups[index];
        group.count += 1;
        if !namespaced {
            continue;
        }
        let namespace = tail.split_once('/').map_or(tail, |(ns, _)| ns);
        match group.namespaces.last_mut() {
            Some(last) if last.namespace == namespace => last.count += 1,
            _ => group.namespaces.push(NamespaceGroup {
                namespace: namespace.to_string(),
                prefix: format!("{}{namespace}/", group.prefix),
                count: 1,
            }),
        }
    }
    tree
}

/// The keys under `prefix` at revision `at` (None: the newest), at most `limit` of them (0: all),
/// in key order: what a tree node shows when opened.
pub fn keys_under(store: &Store, prefix: &str, at: Option<Revision>, limit: usize) -> KeyList {
    keys_at(store, prefix, at, (limit > 0).then_some(limit))
}

// ----- a key's history -----

/// What a revision did to the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// The put that began a life of the key (version 1).
    Created,
    /// A later put (version 2, 3, ...).
    Modified,
    /// The delete: etcd's tombstone (version 0, create_revision 0, no value).
    Deleted,
}

/// One line of a diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffOp {
    Same,
    Removed,
    Added,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffLine {
    pub op: DiffOp,
    pub text: String,
}

/// What changed between two values of a key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValueDiff {
    /// The whole new value line by line (the old one's removed lines among them).
    pub lines: Vec<DiffLine>,
    /// The fields that changed, as paths: `status.replicas`, `status.conditions[0].reason`,
    /// `metadata.annotations['deployment.kubernetes.io/revision']`; a field added or removed
    /// whole is named once (`status`). Empty when either value is not a JSON object.
    pub changed_fields: Vec<String>,
}

impl ValueDiff {
    /// Lines added and removed.
    pub fn counts(&self) -> (usize, usize) {
        let count = |op| self.lines.iter().filter(|l| l.op == op).count();
        (count(DiffOp::Added), count(DiffOp::Removed))
    }
}

/// One remembered revision of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The write's revision: the key's `mod_revision` from here on (its resourceVersion).
    pub revision: Revision,
    /// Its place inside that revision's txn (etcd's `main_sub`; 0 unless a txn wrote several).
    pub sub: i64,
    pub change: Change,
    /// As etcd reports them at this revision (both 0 for a delete).
    pub create_revision: Revision,
    pub version: i64,
    /// The value's size in bytes, as stored.
    pub value_bytes: usize,
    /// Against the entry before it; against nothing for the first entry of a life. When the
    /// revision before was compacted away, every line is `Same` (the value, nothing to compare).
    pub diff: ValueDiff,
}

/// Every revision of one key the store still remembers, oldest first, across its lives
/// (a put after a delete begins a new one at version 1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyHistory {
    pub key: String,
    pub entries: Vec<HistoryEntry>,
    /// Remembered revisions older than the listed ones ([`HISTORY_ENTRIES_MAX`]).
    pub older_unlisted: usize,
    /// True when compaction forgot the revisions before the oldest remembered one.
    pub compacted_before: bool,
}

/// The value as the panel prints it: YAML by kubectl's printer for a JSON object, else the
/// bytes as text.
fn value_text(bytes: &[u8]) -> (String, Option<Value>) {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value @ Value::Object(_)) => (to_yaml(&value), Some(value)),
        _ => (String::from_utf8_lossy(bytes).into_owned(), None),
    }
}

/// The key's history (see [`KeyHistory`]); None when the store remembers nothing of it.
pub fn key_history(store: &Store, key: &str) -> Option<KeyHistory> {
    let index = store.key_index(key)?;
    let revs: Vec<_> = index.generations().iter().flat_map(|g| &g.revs).collect();
    let skip = revs.len().saturating_sub(HISTORY_ENTRIES_MAX);
    let mut history = KeyHistory {
        key: key.to_string(),
        entries: Vec::new(),
        older_unlisted: skip,
        compacted_before: compacted_before(index),
    };
    // The value before the first listed entry, when it is remembered and still live.
    let mut previous: Option<(String, Option<Value>)> = skip
        .checked_sub(1)
        .and_then(|i| store.written_at(*revs[i]))
        .filter(|(_, tombstone)| !tombstone)
        .map(|(kv, _)| value_text(&kv.value));
    for (i, rev) in revs.iter().enumerate().skip(skip) {
        let Some((kv, tombstone)) = store.written_at(**rev) else {
            continue;
        };
        let change = if tombstone {
            Change::Deleted
        } else if kv.version == 1 {
            Change::Created
        } else {
            Change::Modified
        };
        let current = (!tombstone).then(|| value_text(&kv.value));
        let forgotten = i == 0 && history.compacted_before;
        let diff = match (&previous, &current) {
            _ if forgotten => unchanged(current.as_ref().map_or("", |(t, _)| t)),
            (Some((old, old_v)), Some((new, new_v))) => value_diff(old, old_v, new, new_v),
            (None, Some((new, new_v))) => value_diff("", &None, new, new_v),
            (Some((old, old_v)), None) => value_diff(old, old_v, "", &None),
            (None, None) => ValueDiff::default(),
        };
        history.entries.push(HistoryEntry {
            revision: rev.main,
            sub: rev.sub,
            change,
            create_revision: kv.create_revision,
            version: kv.version,
            value_bytes: kv.value.len(),
            diff,
        });
        previous = current;
    }
    Some(history)
}

/// Did compaction cut the beginning of the oldest remembered life? (Its first revision is not
/// the put that created it.)
fn compacted_before(index: &KeyIndex) -> bool {
    index
        .generations()
        .iter()
        .find_map(|g| g.revs.first().map(|first| first.main != g.created))
        .unwrap_or(false)
}

/// The key's value at `older` against its value at `newer` (any two revisions the store can
/// still read; a revision where the key did not exist counts as empty). None when either
/// revision is compacted or in the future.
pub fn diff_revisions(
    store: &Store,
    key: &str,
    older: Revision,
    newer: Revision,
) -> Option<ValueDiff> {
    let read = |at: Revision| -> Option<(String, Option<Value>)> {
        let result = store
            .range(&RangeRequest::single(key).at_revision(at.max(1)))
            .ok()?;
        Some(match result.kvs.first() {
            Some(kv) => value_text(&kv.value),
            None => (String::new(), None),
        })
    };
    let (old, old_v) = read(older)?;
    let (new, new_v) = read(newer)?;
    Some(value_diff(&old, &old_v, &new, &new_v))
}

fn unchanged(text: &str) -> ValueDiff {
    ValueDiff {
        lines: text
            .lines()
            .map(|l| DiffLine {
                op: DiffOp::Same,
                text: l.to_string(),
            })
            .collect(),
        changed_fields: Vec::new(),
    }
}

fn value_diff(old: &str, old_v: &Option<Value>, new: &str, new_v: &Option<Value>) -> ValueDiff {
    let mut changed_fields = Vec::new();
    if let (Some(a), Some(b)) = (old_v, new_v) {
        changed_paths(a, b, &mut String::new(), &mut changed_fields);
    }
    ValueDiff {
        lines: line_diff(old, new),
        changed_fields,
    }
}

/// The paths where `a` and `b` differ, into `out` (see [`ValueDiff::changed_fields`]).
fn changed_paths(a: &Value, b: &Value, path: &mut String, out: &mut Vec<String>) {
    if out.len() >= CHANGED_FIELDS_MAX || a == b {
        return;
    }
    let len = path.len();
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                push_key(path, key);
                match (a.get(key), b.get(key)) {
                    (Some(old), Some(new)) => changed_paths(old, new, path, out),
                    _ if out.len() < CHANGED_FIELDS_MAX => out.push(path.clone()),
                    _ => {}
                }
                path.truncate(len);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (old, new)) in a.iter().zip(b).enumerate() {
                path.push_str(&format!("[{i}]"));
                changed_paths(old, new, path, out);
                path.truncate(len);
            }
        }
        _ => out.push(path.clone()),
    }
}

/// `status.replicas`, or `metadata.annotations['deployment.kubernetes.io/revision']` for a key
/// that a dot would make ambiguous (JSONPath's bracket notation).
fn push_key(path: &mut String, key: &str) {
    if key.contains(['.', '[', ']', '\'']) || key.is_empty() {
        path.push_str(&format!("['{key}']"));
    } else {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    }
}

/// A line diff of `old` and `new`: the common head and tail as `Same`, the middle by a longest
/// common subsequence (removed lines before added ones where both occur).
pub fn line_diff(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (mid_a, mid_b) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let line = |op, text: &str| DiffLine {
        op,
        text: text.to_string(),
    };
    let mut out: Vec<DiffLine> = a[..head].iter().map(|l| line(DiffOp::Same, l)).collect();
    let (n, m) = (mid_a.len(), mid_b.len());
    if n.saturating_mul(m) > DIFF_CELLS_MAX {
        out.extend(mid_a.iter().map(|l| line(DiffOp::Removed, l)));
        out.extend(mid_b.iter().map(|l| line(DiffOp::Added, l)));
    } else {
        // lcs[i * (m + 1) + j]: the longest common subsequence of mid_a[i..] and mid_b[j..].
        let mut lcs = vec![0u32; (n + 1) * (m + 1)];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * (m + 1) + j] = if mid_a[i] == mid_b[j] {
                    lcs[(i + 1) * (m + 1) + j + 1] + 1
                } else {
                    lcs[(i + 1) * (m + 1) + j].max(lcs[i * (m + 1) + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && mid_a[i] == mid_b[j] {
                out.push(line(DiffOp::Same, mid_a[i]));
                i += 1;
                j += 1;
            } else if i < n && (j == m || lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1]) {
                out.push(line(DiffOp::Removed, mid_a[i]));
                i += 1;
            } else {
                out.push(line(DiffOp::Added, mid_b[j]));
                j += 1;
            }
        }
    }
    out.extend(a[a.len() - tail..].iter().map(|l| line(DiffOp::Same, l)));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_object_and_its_key_name_each_other() {
        use super::{key_of, object_of_key, ObjectRef};
        for (target, key) in [
            (
                ObjectRef::new("deployments", Some("default"), "web"),
                "/registry/deployments/default/web",
            ),
            (
                ObjectRef::new("nodes", None, "node1"),
                "/registry/minions/node1",
            ),
            (
                ObjectRef::new("services", Some("default"), "kubia"),
                "/registry/services/specs/default/kubia",
            ),
        ] {
            assert_eq!(key_of(&target).as_deref(), Some(key));
            assert_eq!(object_of_key(key), Some(target));
        }
        assert_eq!(object_of_key("/registry/foo/bar"), None);
    }

    use super::*;
    use serde_json::json;

    fn ops(diff: &[DiffLine]) -> String {
        diff.iter()
            .map(|l| match l.op {
                DiffOp::Same => format!(" {}", l.text),
                DiffOp::Removed => format!("-{}", l.text),
                DiffOp::Added => format!("+{}", l.text),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_line_diff_keeps_the_common_lines_and_marks_the_rest() {
        // (old, new, diff)
        let table = [
            ("a\nb\nc", "a\nb\nc", " a\n b\n c"),
            ("a\nb\nc", "a\nx\nc", " a\n-b\n+x\n c"),
            ("", "a\nb", "+a\n+b"),
            ("a\nb", "", "-a\n-b"),
            ("a\nb\nc\nd", "a\nc\nd\ne", " a\n-b\n c\n d\n+e"),
            ("x\na\ny\nb", "a\nz\nb", "-x\n a\n-y\n+z\n b"),
        ];
        for (old, new, want) in table {
            assert_eq!(ops(&line_diff(old, new)), want, "{old:?} -> {new:?}");
        }
    }

    #[test]
    fn changed_fields_name_leaves_and_whole_new_subtrees() {
        let old = json!({
            "metadata": {"annotations": {"a.b/c": "1"}, "generation": 1},
            "spec": {"replicas": 3},
            "status": {"conditions": [{"type": "Available", "status": "False"}]}
        });
        let new = json!({
            "metadata": {"annotations": {"a.b/c": "2"}, "generation": 1},
            "spec": {"replicas": 3},
            "status": {"conditions": [{"type": "Available", "status": "True"}], "replicas": 3}
        });
        let mut out = Vec::new();
        changed_paths(&old, &new, &mut String::new(), &mut out);
        assert_eq!(
            out,
            [
                "metadata.annotations['a.b/c']",
                "status.conditions[0].status",
                "status.replicas"
            ]
        );
    }

    #[test]
    fn registry_keys_split_by_the_longest_served_prefix() {
        // (key, segment, resource, namespaced, rest)
        let table = [
            (
                "/registry/pods/default/web",
                "pods",
                Some("pods"),
                true,
                "default/web",
            ),
            (
                "/registry/minions/node1",
                "minions",
                Some("nodes"),
                false,
                "node1",
            ),
            (
                "/registry/services/specs/default/web",
                "services/specs",
                Some("services"),
                true,
                "default/web",
            ),
            ("/registry/foo/bar", "foo", None, false, "bar"),
        ];
        for (key, segment, resource, namespaced, rest) in table {
            assert_eq!(
                split_registry_key(key),
                Some((segment, resource, namespaced, rest)),
                "{key}"
            );
        }
        assert_eq!(split_registry_key("/foo"), None);
    }

    fn put(store: &mut Store, key: &str, value: serde_json::Value) -> Revision {
        store
            .put(key, crate::sim::etcd::bytes(value.to_string()))
            .revision
    }

    #[test]
    fn a_history_spans_every_life_of_a_key() {
        let mut store = Store::new();
        let key = "/registry/configmaps/default/c";
        let r1 = put(&mut store, key, json!({"data": {"a": "1"}}));
        let r2 = put(&mut store, key, json!({"data": {"a": "2"}}));
        let r3 = store
            .delete_range(key, crate::sim::etcd::RangeEnd::Single)
            .revision;
        let r4 = put(&mut store, key, json!({"data": {"a": "3"}}));
        let history = key_history(&store, key).unwrap();
        let rows: Vec<(Revision, Change, i64, Vec<String>)> = history
            .entries
            .iter()
            .map(|e| {
                (
                    e.revision,
                    e.change,
                    e.version,
                    e.diff.changed_fields.clone(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (r1, Change::Created, 1, vec![]),
                (r2, Change::Modified, 2, vec!["data.a".to_string()]),
                (r3, Change::Deleted, 0, vec![]),
                (r4, Change::Created, 1, vec![]),
            ]
        );
        assert_eq!(
            ops(&history.entries[1].diff.lines),
            " data:\n-  a: \"1\"\n+  a: \"2\""
        );
        assert_eq!(ops(&history.entries[3].diff.lines), "+data:\n+  a: \"3\"");
        assert!(!history.compacted_before);
    }

    #[test]
    fn after_compaction_the_oldest_remembered_revision_is_shown_not_diffed() {
        let mut store = Store::new();
        let key = "/registry/configmaps/default/c";
        put(&mut store, key, json!({"data": {"a": "1"}}));
        let r2 = put(&mut store, key, json!({"data": {"a": "2"}}));
        let r3 = put(&mut store, key, json!({"data": {"a": "3"}}));
        store.compact(r2).unwrap();
        let history = key_history(&store, key).unwrap();
        assert!(history.compacted_before);
        let revisions: Vec<Revision> = history.entries.iter().map(|e| e.revision).collect();
        assert_eq!(revisions, [r2, r3]);
        assert_eq!(ops(&history.entries[0].diff.lines), " data:\n   a: \"2\"");
        assert_eq!(history.entries[1].diff.changed_fields, ["data.a"]);
        assert_eq!(revisions_of(&store), (r3, r2));
        // Before the compacted revision nothing reads.
        assert_eq!(diff_revisions(&store, key, r2 - 1, r3), None);
        assert_eq!(key_tree(&store, Some(r2 - 1)).count, 0);
    }

    fn revisions_of(store: &Store) -> (Revision, Revision) {
        let r = revisions(store);
        (r.current, r.compacted)
    }
}

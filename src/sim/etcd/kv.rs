//! What clients send to the store and get back: key-values, ranges, compares, txns.
//!
//! Mirrors: etcd `api/mvccpb/kv.proto` (`KeyValue`) and `api/etcdserverpb/rpc.proto`
//! (`RangeRequest`, `Compare`, `TxnRequest`, ...), field names kept.
//! Simplified: no leases (the `lease` field is always 0), no sort options, no `min/max_*_revision`
//! range filters, no compares over a range of keys, no nested txns.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::revision::Revision;

/// A value as stored: shared, so handing the same value to many watchers copies a pointer.
pub type Bytes = Arc<[u8]>;

/// One key at one revision, as etcd returns it (`mvccpb.KeyValue`).
///
/// In a delete event, `kv` is the tombstone: the key and the deleting `mod_revision`, with
/// `create_revision` 0, `version` 0 and an empty value, exactly as etcd sends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValue {
    pub key: String,
    /// Revision of the put that created this life of the key (Kubernetes: never shown).
    pub create_revision: Revision,
    /// Revision of the last write (Kubernetes: `metadata.resourceVersion`).
    pub mod_revision: Revision,
    /// Number of puts since the key was created; 1 right after creation, 0 in a tombstone.
    pub version: i64,
    /// The value; serialized as base64, like `etcdctl -w json` prints it.
    #[serde(with = "value_base64")]
    pub value: Bytes,
    /// Lease id attached to the key; leases are not simulated, so always 0.
    pub lease: i64,
}

impl KeyValue {
    /// The value as text, for printing (`etcdctl get` prints raw bytes; we replace invalid UTF-8).
    pub fn value_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.value)
    }

    /// The key-value of a delete event: only the key and the deleting revision.
    pub(crate) fn tombstone(key: &str, mod_revision: Revision) -> KeyValue {
        KeyValue {
            key: key.to_string(),
            create_revision: 0,
            mod_revision,
            version: 0,
            value: empty_bytes(),
            lease: 0,
        }
    }
}

pub(crate) fn empty_bytes() -> Bytes {
    Arc::from(&[][..])
}

/// Makes a [`Bytes`] from anything byte-like: `bytes("nginx")`, `bytes(vec![0u8; 1024])`.
pub fn bytes(value: impl AsRef<[u8]>) -> Bytes {
    Arc::from(value.as_ref())
}

/// Base64 for values in JSON, as etcd's JSON gateway and `etcdctl -w json` write them.
mod value_base64 {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Bytes;

    pub fn serialize<S: Serializer>(value: &Bytes, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(value))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Bytes, D::Error> {
        let text = String::deserialize(deserializer)?;
        let decoded = STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)?;
        Ok(Bytes::from(decoded))
    }
}

/// Which keys a request covers, from its `key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum RangeEnd {
    /// Only `key` itself (etcd: empty `range_end`).
    #[default]
    Single,
    /// Every key starting with `key` (etcdctl `--prefix`); an empty `key` means every key.
    Prefix,
    /// Keys in `[key, end)`, compared byte by byte. `To("\0")` means every key at or after
    /// `key` (etcdctl `--from-key`), and `To("")` only `key`, as in etcd.
    To(String),
}

impl RangeEnd {
    /// True when the range is the single key (etcd: an empty `range_end`).
    pub fn is_single(&self) -> bool {
        match self {
            RangeEnd::Single => true,
            RangeEnd::To(end) => end.is_empty(),
            RangeEnd::Prefix => false,
        }
    }

    /// Whether `candidate` falls in the range that starts at `key`.
    pub fn contains(&self, key: &str, candidate: &str) -> bool {
        match self {
            RangeEnd::Single => candidate == key,
            RangeEnd::To(end) if end.is_empty() => candidate == key,
            RangeEnd::Prefix => candidate.starts_with(key),
            RangeEnd::To(end) if end == "\0" => candidate >= key,
            RangeEnd::To(end) => candidate >= key && candidate < end.as_str(),
        }
    }

    /// True when no key after `candidate` (in byte order) can be in the range, so a scan that
    /// started at `key` may stop.
    pub(crate) fn is_past(&self, key: &str, candidate: &str) -> bool {
        match self {
            RangeEnd::Single => candidate > key,
            RangeEnd::To(end) if end.is_empty() => candidate > key,
            // Keys sharing a prefix are contiguous in byte order.
            RangeEnd::Prefix => !candidate.starts_with(key),
            RangeEnd::To(end) if end == "\0" => false,
            RangeEnd::To(end) => candidate >= end.as_str(),
        }
    }
}

/// A read (etcd `RangeRequest`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RangeRequest {
    pub key: String,
    pub range_end: RangeEnd,
    /// Read the store as it was at this revision; None (or <= 0, as in etcd) reads the newest.
    pub revision: Option<Revision>,
    /// At most this many key-values; None or Some(0) means no limit, as etcd's `limit: 0`.
    pub limit: Option<usize>,
    /// Leave values out (etcdctl `--keys-only`).
    pub keys_only: bool,
    /// Return only the count (etcdctl `--count-only`).
    pub count_only: bool,
}

impl RangeRequest {
    /// `etcdctl get KEY`
    pub fn single(key: impl Into<String>) -> RangeRequest {
        RangeRequest {
            key: key.into(),
            ..RangeRequest::default()
        }
    }

    /// `etcdctl get --prefix KEY`
    pub fn prefix(key: impl Into<String>) -> RangeRequest {
        RangeRequest {
            key: key.into(),
            range_end: RangeEnd::Prefix,
            ..RangeRequest::default()
        }
    }

    /// The same request, read at `revision` (`etcdctl get --rev`).
    pub fn at_revision(mut self, revision: Revision) -> RangeRequest {
        self.revision = Some(revision);
        self
    }

    /// The same request, with a limit (`etcdctl get --limit`).
    pub fn with_limit(mut self, limit: usize) -> RangeRequest {
        self.limit = Some(limit);
        self
    }
}

/// The answer to a read (etcd `RangeResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeResult {
    /// Key-values in byte order of their keys; empty for `count_only`.
    pub kvs: Vec<KeyValue>,
    /// How many keys were in the range, before the limit.
    pub count: usize,
    /// True when the limit left some keys out.
    pub more: bool,
    /// The store's revision when it answered (the header revision), not the revision read at.
    pub revision: Revision,
}

/// The answer to a put (etcd `PutResponse`): the revision of the write and what it replaced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutResult {
    pub revision: Revision,
    pub prev_kv: Option<KeyValue>,
}

/// The answer to a delete (etcd `DeleteRangeResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteResult {
    /// The revision of the delete; the unchanged store revision when nothing was deleted.
    pub revision: Revision,
    pub deleted: usize,
    /// The key-values as they were just before the delete, in key order.
    pub prev_kvs: Vec<KeyValue>,
}

/// What a compare looks at, and the value to compare it with (etcd `Compare.target_union`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompareTarget {
    Version(i64),
    CreateRevision(Revision),
    /// Kubernetes' optimistic concurrency: `mod_revision == resourceVersion`, else 409 Conflict.
    ModRevision(Revision),
    #[serde(with = "value_base64")]
    Value(Bytes),
}

/// How the key's field must relate to the target (etcd `Compare.CompareResult`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompareResult {
    Equal,
    NotEqual,
    Greater,
    Less,
}

/// One condition of a txn: "the key's field <result> target".
///
/// On a key that does not exist, version, create and mod revision are 0, and any value
/// compare is false, as in etcd.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compare {
    pub key: String,
    pub target: CompareTarget,
    pub result: CompareResult,
}

impl Compare {
    /// `mod("key") = "rev"`: the apiserver's check that nobody wrote the object since it read it.
    pub fn mod_revision_equals(key: impl Into<String>, revision: Revision) -> Compare {
        Compare {
            key: key.into(),
            target: CompareTarget::ModRevision(revision),
            result: CompareResult::Equal,
        }
    }

    /// `create("key") = "0"`: the key does not exist (the apiserver's check before a create).
    pub fn key_is_absent(key: impl Into<String>) -> Compare {
        Compare {
            key: key.into(),
            target: CompareTarget::CreateRevision(0),
            result: CompareResult::Equal,
        }
    }
}

/// One operation of a txn branch (etcd `RequestOp`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxnOp {
    Put {
        key: String,
        #[serde(with = "value_base64")]
        value: Bytes,
    },
    DeleteRange {
        key: String,
        range_end: RangeEnd,
    },
    Range(RangeRequest),
}

/// A transaction: if every compare holds, run `success`, else run `failure`; all of it at one
/// revision (etcd `TxnRequest`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Txn {
    pub compares: Vec<Compare>,
    pub success: Vec<TxnOp>,
    pub failure: Vec<TxnOp>,
}

/// The result of one [`TxnOp`], in the same order (etcd `ResponseOp`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxnOpResult {
    Put(PutResult),
    DeleteRange(DeleteResult),
    Range(RangeResult),
}

/// The answer to a txn (etcd `TxnResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnResult {
    /// True when every compare held and `success` ran.
    pub succeeded: bool,
    /// The store revision after the txn: one more than before if it wrote anything.
    pub revision: Revision,
    pub results: Vec<TxnOpResult>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_ends_cover_the_keys_etcd_would_cover() {
        // (key, range end, candidate, covered)
        let table = [
            (
                "/registry/pods/a",
                RangeEnd::Single,
                "/registry/pods/a",
                true,
            ),
            (
                "/registry/pods/a",
                RangeEnd::Single,
                "/registry/pods/ab",
                false,
            ),
            (
                "/registry/pods/",
                RangeEnd::Prefix,
                "/registry/pods/default/web",
                true,
            ),
            ("/registry/pods/", RangeEnd::Prefix, "/registry/pods", false),
            ("", RangeEnd::Prefix, "anything", true),
            ("b", RangeEnd::To("d".into()), "c", true),
            ("b", RangeEnd::To("d".into()), "d", false),
            ("b", RangeEnd::To("d".into()), "a", false),
            ("d", RangeEnd::To("b".into()), "c", false),
            ("b", RangeEnd::To("\0".into()), "zzz", true),
            ("b", RangeEnd::To("\0".into()), "a", false),
            ("b", RangeEnd::To("".into()), "b", true),
            ("b", RangeEnd::To("".into()), "c", false),
        ];
        for (key, end, candidate, covered) in table {
            assert_eq!(
                end.contains(key, candidate),
                covered,
                "{key:?} {end:?} {candidate:?}"
            );
        }
    }

    #[test]
    fn a_key_value_round_trips_through_json_with_a_base64_value() {
        let kv = KeyValue {
            key: "/registry/pods/default/web".into(),
            create_revision: 2,
            mod_revision: 3,
            version: 2,
            value: bytes([0u8, 159, 146, 150]),
            lease: 0,
        };
        let json = serde_json::to_string(&kv).unwrap();
        assert!(json.contains("\"value\":\"AJ+Slg==\""), "{json}");
        let back: KeyValue = serde_json::from_str(&json).unwrap();
        assert_eq!(back, kv);
    }

    #[test]
    fn a_value_that_is_not_base64_is_a_decode_error_not_a_panic() {
        let json = r#"{"key":"k","create_revision":2,"mod_revision":2,"version":1,"value":"%%","lease":0}"#;
        assert!(serde_json::from_str::<KeyValue>(json).is_err());
    }
}

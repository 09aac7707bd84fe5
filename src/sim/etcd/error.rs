//! Errors the store returns, printed with etcd's own words.
//!
//! Mirrors: etcd `server/storage/mvcc/kvstore.go` (`ErrCompacted`, `ErrFutureRev`) and
//! `api/v3rpc/rpctypes/error.go` (the `etcdserver: ` texts clients print).

use serde::{Deserialize, Serialize};

use super::revision::Revision;

/// Something the store refused. `Display` prints what `etcdctl` prints after `Error: `.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoreError {
    /// The revision asked for was compacted away: a read or watch at a revision before
    /// `compact_revision`, or a compaction at or before the last one.
    Compacted { compact_revision: Revision },
    /// The revision asked for is newer than the store's revision.
    FutureRevision,
    /// A txn has more than [`MAX_TXN_OPS`] compares, or success ops, or failure ops.
    TooManyOps,
    /// A txn branch writes one key twice (two puts, or a put inside a deleted range).
    DuplicateKey,
    /// A txn op or a range has an empty key (only a prefix range may start at "").
    EmptyKey,
    /// The request is over `--max-request-bytes` ([`MAX_REQUEST_BYTES`]).
    RequestTooLarge,
    /// A snapshot could not be restored; the reason says which invariant it broke.
    InvalidSnapshot { reason: String },
}

/// etcd's default `--max-txn-ops`.
pub const MAX_TXN_OPS: usize = 128;

/// etcd's default `--max-request-bytes`: 1.5 MiB. The limit is on the encoded request; the
/// store counts its keys and values, which are nearly all of it.
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024 + 512 * 1024;

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Compacted { .. } => {
                f.write_str("etcdserver: mvcc: required revision has been compacted")
            }
            StoreError::FutureRevision => {
                f.write_str("etcdserver: mvcc: required revision is a future revision")
            }
            StoreError::TooManyOps => f.write_str("etcdserver: too many operations in txn request"),
            StoreError::DuplicateKey => {
                f.write_str("etcdserver: duplicate key given in txn request")
            }
            StoreError::EmptyKey => f.write_str("etcdserver: key is not provided"),
            StoreError::RequestTooLarge => f.write_str("etcdserver: request is too large"),
            StoreError::InvalidSnapshot { reason } => {
                write!(f, "snapshot file integrity check failed: {reason}")
            }
        }
    }
}

impl std::error::Error for StoreError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_print_as_etcdctl_prints_them() {
        let table = [
            (
                StoreError::Compacted {
                    compact_revision: 5,
                },
                "etcdserver: mvcc: required revision has been compacted",
            ),
            (
                StoreError::FutureRevision,
                "etcdserver: mvcc: required revision is a future revision",
            ),
            (
                StoreError::TooManyOps,
                "etcdserver: too many operations in txn request",
            ),
            (
                StoreError::DuplicateKey,
                "etcdserver: duplicate key given in txn request",
            ),
            (StoreError::EmptyKey, "etcdserver: key is not provided"),
            (
                StoreError::RequestTooLarge,
                "etcdserver: request is too large",
            ),
        ];
        for (error, text) in table {
            assert_eq!(error.to_string(), text);
        }
    }
}

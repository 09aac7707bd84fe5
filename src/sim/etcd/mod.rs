//! An etcd-like MVCC store: the cluster's only source of truth.
//!
//! Mirrors: etcd v3 `server/storage/mvcc/` (revisions, key index, txns, watchable store,
//! compaction) and the client-visible semantics of the v3 API as `etcdctl` shows them.
//! Simplified: one member (no raft), no leases, no auth, nothing on disk; see each file.
//!
//! Kubernetes keeps objects under `/registry/<resource>/<namespace>/<name>` and uses a key's
//! `mod_revision` as the object's `resourceVersion`. An update is a txn "if mod_revision is still
//! what I read, put; else tell me" (a 409 Conflict for kubectl).
//!
//! | file | concept |
//! | --- | --- |
//! | `revision.rs` | the store-wide revision and the internal `main_sub` revision |
//! | `key_index.rs` | one key's revisions, in generations (puts, tombstones, compaction) |
//! | `kv.rs` | key-values and the requests and answers of the API |
//! | `store.rs` | range, put, delete, txn, watch, compact |
//! | `watch.rs` | watchers and their events |
//! | `snapshot.rs` | save and restore the whole store |
//! | `error.rs` | errors, printed as etcd prints them |

mod error;
pub mod key_index;
mod kv;
pub mod revision;
mod snapshot;
mod store;
mod watch;

pub use error::{StoreError, MAX_TXN_OPS};
pub use kv::{
    bytes, Bytes, Compare, CompareResult, CompareTarget, DeleteResult, KeyValue, PutResult,
    RangeEnd, RangeRequest, RangeResult, Txn, TxnOp, TxnOpResult, TxnResult,
};
pub use revision::Revision;
pub use snapshot::{Snapshot, SnapshotRecord, MAX_SNAPSHOT_REVISION, SNAPSHOT_FORMAT};
pub use store::Store;
pub use watch::{WatchEvent, WatchEventKind, WatchId};

#[cfg(test)]
mod tests;

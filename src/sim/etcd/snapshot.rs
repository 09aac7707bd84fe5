//! Saving and restoring the whole store.
//!
//! Mirrors: `etcdctl snapshot save` / `snapshot restore`, and etcd's `kvstore.go` `restore`,
//! which rebuilds the in-memory key index from the revisions in the backend alone.
//! Simplified: a snapshot is a serde value (JSON in practice), not a bbolt file; it carries no
//! membership, leases or hash. Restoring checks every invariant instead of a hash, so a snapshot
//! that was edited by hand is refused with a reason rather than restored into a broken store.
//!
//! An etcd backup alone is enough to bring a cluster back: the apiserver reads every object
//! from the restored store, and controllers rebuild the rest. Watchers are not part of it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::StoreError;
use super::key_index::KeyIndex;
use super::kv::KeyValue;
use super::revision::{Rev, Revision};
use super::store::{Record, Store};

/// Version of the snapshot format, so that a later format can refuse an older one clearly.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// The highest revision a restored snapshot may have: 2^53, the largest integer JavaScript
/// shows exactly, and far from i64 overflow when the store counts on from it.
pub const MAX_SNAPSHOT_REVISION: Revision = 1 << 53;

/// The whole store at one revision: its history (what compaction left) and its revisions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: u32,
    /// The store's revision; the next write gets `revision + 1`, as it would have before.
    pub revision: Revision,
    /// The last compaction's revision, -1 when never compacted (etcd's initial value).
    pub compact_revision: Revision,
    /// Every remembered write, in revision order.
    pub records: Vec<SnapshotRecord>,
}

/// One write in the history: the key-value written at `main_sub`, or a tombstone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRecord {
    pub main: Revision,
    pub sub: i64,
    pub tombstone: bool,
    pub kv: KeyValue,
}

fn invalid(reason: String) -> StoreError {
    StoreError::InvalidSnapshot { reason }
}

impl Store {
    /// The whole store, to save (watchers are left out).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            format: SNAPSHOT_FORMAT,
            revision: self.revision(),
            compact_revision: self.compact_main(),
            records: self
                .history
                .iter()
                .map(|(rev, record)| SnapshotRecord {
                    main: rev.main,
                    sub: rev.sub,
                    tombstone: record.tombstone,
                    kv: record.kv.clone(),
                })
                .collect(),
        }
    }

    /// A store with the snapshot's keys, history and revisions, and no watchers. The same next
    /// operations give the same revisions as they would have in the saved store.
    pub fn restore(snapshot: Snapshot) -> Result<Store, StoreError> {
        if snapshot.format != SNAPSHOT_FORMAT {
            return Err(invalid(format!(
                "unsupported format {} (want {SNAPSHOT_FORMAT})",
                snapshot.format
            )));
        }
        if !(1..=MAX_SNAPSHOT_REVISION).contains(&snapshot.revision) {
            return Err(invalid(format!(
                "revision {} is outside 1..={MAX_SNAPSHOT_REVISION}",
                snapshot.revision
            )));
        }
        if snapshot.compact_revision < -1 || snapshot.compact_revision > snapshot.revision {
            return Err(invalid(format!(
                "compact revision {} is outside -1..={}",
                snapshot.compact_revision, snapshot.revision
            )));
        }
        let mut index: BTreeMap<String, KeyIndex> = BTreeMap::new();
        let mut history: BTreeMap<Rev, Record> = BTreeMap::new();
        let mut last: Option<Rev> = None;
        for record in snapshot.records {
            let rev = Rev::new(record.main, record.sub);
            if record.main < 2 || record.main > snapshot.revision || record.sub < 0 {
                return Err(invalid(format!(
                    "record at {rev} is outside 2..={}",
                    snapshot.revision
                )));
            }
            if last.is_some_and(|last| rev <= last) {
                return Err(invalid(format!("record at {rev} is out of order")));
            }
            last = Some(rev);
            let kv = &record.kv;
            if kv.mod_revision != rev.main {
                return Err(invalid(format!(
                    "key {:?} at {rev} has mod_revision {}",
                    kv.key, kv.mod_revision
                )));
            }
            if record.tombstone
                && (kv.create_revision != 0 || kv.version != 0 || !kv.value.is_empty())
            {
                return Err(invalid(format!(
                    "tombstone of {:?} at {rev} carries a create_revision, version or value",
                    kv.key
                )));
            }
            let ki = index.entry(kv.key.clone()).or_default();
            if record.tombstone {
                if ki.is_empty() {
                    // Its put was compacted away; only the delete is remembered.
                    ki.restore_tombstone(rev);
                } else if ki.tombstone(rev).is_err() {
                    return Err(invalid(format!(
                        "key {:?} deleted at {rev} while absent",
                        kv.key
                    )));
                }
            } else {
                check_put(ki, kv, rev)?;
                if ki.is_empty() {
                    ki.restore(kv.create_revision, rev, kv.version);
                } else {
                    ki.put(rev);
                }
            }
            history.insert(
                rev,
                Record {
                    kv: record.kv,
                    tombstone: record.tombstone,
                },
            );
        }
        Ok(Store::from_parts(
            snapshot.revision,
            snapshot.compact_revision,
            index,
            history,
        ))
    }
}

/// A put in a snapshot must continue its key's story: same create revision and one more
/// version while the key lives, or a fresh creation after a delete.
fn check_put(ki: &KeyIndex, kv: &KeyValue, rev: Rev) -> Result<(), StoreError> {
    let fail = |what: &str| {
        Err(invalid(format!(
            "key {:?} at {rev} has create_revision {} and version {}: {what}",
            kv.key, kv.create_revision, kv.version
        )))
    };
    // A key cannot have been put more often than revisions went by since its creation.
    if kv.create_revision < 1
        || kv.create_revision > rev.main
        || kv.version < 1
        || kv.version > rev.main - kv.create_revision + 1
    {
        return fail("out of range");
    }
    if ki.is_empty() {
        // First record of this key: compaction may have removed the earlier ones.
        if kv.create_revision == rev.main && kv.version != 1 {
            return fail("a creation must have version 1");
        }
        return Ok(());
    }
    match ki.get(rev.main) {
        Some(live) if live.created != kv.create_revision || live.version + 1 != kv.version => {
            fail("does not follow the previous revision of the key")
        }
        Some(_) => Ok(()),
        None if kv.create_revision != rev.main || kv.version != 1 => {
            fail("a key created again must start at version 1")
        }
        None => Ok(()),
    }
}

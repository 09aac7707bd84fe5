//! The store: a key index over a history of every revision, with txns, watches and compaction.
//!
//! Mirrors: etcd `server/storage/mvcc/kvstore.go`, `kvstore_txn.go` (range, put, delete inside
//! one write txn), `kv.go` and, for the txn compares, `server/etcdserver/apply.go`.
//! Simplified: the "backend" (bbolt in etcd) is a `BTreeMap` from internal revision to the
//! key-value written at it; nothing is written to disk. The raft log, leases, auth and the
//! `--max-request-bytes` limit are not simulated.
//!
//! Every write goes through [`Store::commit`]: it is the one place that moves the revision and
//! hands the changes to watchers (see `CONVENTIONS.md`, "one choke point for effects").

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use super::error::{StoreError, MAX_REQUEST_BYTES, MAX_TXN_OPS};
use super::key_index::KeyIndex;
use super::kv::{
    Bytes, Compare, CompareResult, CompareTarget, DeleteResult, KeyValue, PutResult, RangeEnd,
    RangeRequest, RangeResult, Txn, TxnOp, TxnOpResult, TxnResult,
};
use super::revision::{Rev, Revision};
use super::watch::{WatchEvent, WatchEventKind, WatchId, Watcher, Watchers};

/// What the history keeps at one internal revision: the key-value written, or a tombstone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub kv: KeyValue,
    pub tombstone: bool,
}

/// An etcd-like MVCC key-value store. Single threaded and deterministic.
#[derive(Clone, Debug)]
pub struct Store {
    /// The revision of the last write txn that changed something (1 in a fresh store).
    current_revision: Revision,
    /// The last compaction's revision; -1 before the first, as in etcd, so `compact(0)` works once.
    compact_main: Revision,
    /// Every key ever written that compaction has not forgotten, in byte order.
    pub(crate) index: BTreeMap<String, KeyIndex>,
    /// Every write that compaction has not forgotten, in revision order (etcd's bbolt `key` bucket).
    pub(crate) history: BTreeMap<Rev, Record>,
    /// Keys that exist at the current revision.
    live_keys: usize,
    watchers: Watchers,
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

/// The changes of one write txn, gathered before they are committed.
struct WriteTxn {
    main: Revision,
    changes: Vec<WatchEvent>,
}

impl WriteTxn {
    fn next_rev(&self) -> Rev {
        Rev::new(self.main, self.changes.len() as i64)
    }
}

impl Store {
    /// A fresh store at revision 1, like a fresh etcd.
    pub fn new() -> Store {
        Store {
            current_revision: 1,
            compact_main: -1,
            index: BTreeMap::new(),
            history: BTreeMap::new(),
            live_keys: 0,
            watchers: Watchers::default(),
        }
    }

    pub(crate) fn from_parts(
        current_revision: Revision,
        compact_main: Revision,
        index: BTreeMap<String, KeyIndex>,
        history: BTreeMap<Rev, Record>,
    ) -> Store {
        let live_keys = index.values().filter(|ki| ki.is_live()).count();
        Store {
            current_revision,
            compact_main,
            index,
            history,
            live_keys,
            watchers: Watchers::default(),
        }
    }

    /// The current revision, as in every etcd response header.
    pub fn revision(&self) -> Revision {
        self.current_revision
    }

    /// The revision of the last compaction; 0 when the store was never compacted.
    pub fn compact_revision(&self) -> Revision {
        self.compact_main.max(0)
    }

    pub(crate) fn compact_main(&self) -> Revision {
        self.compact_main
    }

    /// Keys that exist now.
    pub fn len(&self) -> usize {
        self.live_keys
    }

    pub fn is_empty(&self) -> bool {
        self.live_keys == 0
    }

    /// How many revisions of key-values the store remembers (what compaction shrinks).
    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    /// The generations of one key, for showing students how the store remembers it.
    pub fn key_index(&self, key: &str) -> Option<&KeyIndex> {
        self.index.get(key)
    }

    /// What was written at internal revision `rev` (one of a [`KeyIndex`]'s revisions): the
    /// key-value, and true when it was a delete (then `kv` is the tombstone). None once
    /// compaction forgot it. For showing a key's history; clients read with [`Store::range`].
    pub fn written_at(&self, rev: Rev) -> Option<(&KeyValue, bool)> {
        self.history.get(&rev).map(|r| (&r.kv, r.tombstone))
    }

    /// Open watches.
    pub fn watch_count(&self) -> usize {
        self.watchers.len()
    }

    /// The key as it is now, if it exists.
    pub fn get(&self, key: &str) -> Option<KeyValue> {
        self.kv_at(key, self.current_revision)
    }

    /// The key as it was at revision `at`, if it existed then and is still remembered.
    fn kv_at(&self, key: &str, at: Revision) -> Option<KeyValue> {
        let entry = self.index.get(key)?.get(at)?;
        let record = self.history.get(&entry.modified)?;
        (!record.tombstone).then(|| record.kv.clone())
    }

    // ----- reads -----

    /// Reads keys at the newest or at an older revision (etcd `Range`).
    pub fn range(&self, req: &RangeRequest) -> Result<RangeResult, StoreError> {
        if req.key.is_empty() && req.range_end.is_single() {
            return Err(StoreError::EmptyKey);
        }
        let at = self.check_read_revision(req.revision, self.current_revision)?;
        Ok(self.range_at(req, at, self.current_revision))
    }

    /// The live key-values under `prefix` now, in key order, borrowed: what
    /// `range(&RangeRequest::prefix(prefix))` returns, without copying a key per entry. A
    /// lister keeping decoded objects reads this on each sync at 1,000 pods.
    pub fn live_under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a KeyValue> + 'a {
        self.index
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |(key, _)| key.starts_with(prefix))
            .filter_map(move |(_, ki)| {
                let entry = ki.get(self.current_revision)?;
                let record = self.history.get(&entry.modified)?;
                (!record.tombstone).then_some(&record.kv)
            })
    }

    /// Which revision a read asks for: `None` and `<= 0` mean `newest`, as in etcd.
    fn check_read_revision(
        &self,
        revision: Option<Revision>,
        newest: Revision,
    ) -> Result<Revision, StoreError> {
        match revision {
            None => Ok(newest),
            Some(rev) if rev <= 0 => Ok(newest),
            Some(rev) if rev > newest => Err(StoreError::FutureRevision),
            Some(rev) if rev < self.compact_main => Err(StoreError::Compacted {
                compact_revision: self.compact_revision(),
            }),
            Some(rev) => Ok(rev),
        }
    }

    /// Keys of the live key-values in a range at revision `at`, in byte order.
    fn keys_in_range<'a>(
        &'a self,
        key: &'a str,
        range_end: &'a RangeEnd,
    ) -> impl Iterator<Item = (&'a String, &'a KeyIndex)> + 'a {
        // A range starting at `key` never panics, whatever the end (BTreeMap::range would panic
        // on an end before the start, which a user can type).
        self.index
            .range::<str, _>((Bound::Included(key), Bound::Unbounded))
            .take_while(move |(candidate, _)| !range_end.is_past(key, candidate))
            .filter(move |(candidate, _)| range_end.contains(key, candidate))
    }

    fn range_at(&self, req: &RangeRequest, at: Revision, header: Revision) -> RangeResult {
        let limit = req.limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
        let mut kvs = Vec::new();
        let mut count = 0;
        for (_, ki) in self.keys_in_range(&req.key, &req.range_end) {
            let Some(entry) = ki.get(at) else { continue };
            let Some(record) = self.history.get(&entry.modified) else {
                continue;
            };
            if record.tombstone {
                continue;
            }
            count += 1;
            if req.count_only || kvs.len() >= limit {
                continue;
            }
            let mut kv = record.kv.clone();
            if req.keys_only {
                kv.value = super::kv::empty_bytes();
            }
            kvs.push(kv);
        }
        RangeResult {
            more: !req.count_only && count > kvs.len(),
            kvs,
            count,
            revision: header,
        }
    }

    // ----- writes -----

    fn begin(&self) -> WriteTxn {
        WriteTxn {
            main: self.current_revision + 1,
            changes: Vec::new(),
        }
    }

    /// Writes `value` under `key` as the next change of `txn`; returns what it replaced.
    fn put_in(&mut self, txn: &mut WriteTxn, key: &str, value: Bytes) -> Option<KeyValue> {
        let rev = txn.next_rev();
        // What the key is right now, including earlier changes of this txn (etcd reads its own
        // writes inside a write txn too).
        let prev = self.kv_at(key, txn.main);
        let (create_revision, version) = match &prev {
            Some(prev) => (prev.create_revision, prev.version + 1),
            None => (rev.main, 1),
        };
        let kv = KeyValue {
            key: key.to_string(),
            create_revision,
            mod_revision: rev.main,
            version,
            value,
            lease: 0,
        };
        self.index.entry(kv.key.clone()).or_default().put(rev);
        self.history.insert(
            rev,
            Record {
                kv: kv.clone(),
                tombstone: false,
            },
        );
        if prev.is_none() {
            self.live_keys += 1;
        }
        txn.changes.push(WatchEvent {
            kind: WatchEventKind::Put,
            kv,
            prev_kv: prev.clone(),
        });
        prev
    }

    /// Deletes every live key in the range as changes of `txn`; returns what was deleted.
    fn delete_in(&mut self, txn: &mut WriteTxn, key: &str, range_end: &RangeEnd) -> Vec<KeyValue> {
        let doomed: Vec<KeyValue> = self
            .keys_in_range(key, range_end)
            .filter_map(|(k, _)| self.kv_at(k, txn.main))
            .collect();
        for prev in &doomed {
            let rev = txn.next_rev();
            let Some(ki) = self.index.get_mut(&prev.key) else {
                continue;
            };
            // kv_at found the key live, so its newest generation is open.
            assert!(
                ki.tombstone(rev).is_ok(),
                "tombstone on a deleted key {}",
                prev.key
            );
            let tombstone = KeyValue::tombstone(&prev.key, rev.main);
            self.history.insert(
                rev,
                Record {
                    kv: tombstone.clone(),
                    tombstone: true,
                },
            );
            self.live_keys -= 1;
            txn.changes.push(WatchEvent {
                kind: WatchEventKind::Delete,
                kv: tombstone,
                prev_kv: Some(prev.clone()),
            });
        }
        doomed
    }

    /// Ends a write txn: if it changed anything, the revision moves on by one and every watcher
    /// hears of the changes, in order. A txn that changed nothing leaves the revision alone.
    fn commit(&mut self, txn: WriteTxn) -> Revision {
        if !txn.changes.is_empty() {
            self.current_revision = txn.main;
            self.watchers.notify(&txn.changes);
        }
        self.current_revision
    }

    /// Writes one key (etcd `Put`). Returns the new revision and the key-value it replaced.
    ///
    /// Any string is accepted as a key here, also "" (etcd's gRPC layer refuses an empty key;
    /// [`Store::txn`] does too).
    pub fn put(&mut self, key: &str, value: Bytes) -> PutResult {
        let mut txn = self.begin();
        let prev_kv = self.put_in(&mut txn, key, value);
        PutResult {
            revision: self.commit(txn),
            prev_kv,
        }
    }

    /// Deletes the live keys in a range (etcd `DeleteRange`). Deleting nothing does not move
    /// the revision.
    pub fn delete_range(&mut self, key: &str, range_end: RangeEnd) -> DeleteResult {
        let mut txn = self.begin();
        let prev_kvs = self.delete_in(&mut txn, key, &range_end);
        DeleteResult {
            revision: self.commit(txn),
            deleted: prev_kvs.len(),
            prev_kvs,
        }
    }

    /// Runs a transaction: compares, then the success or the failure ops, all at one revision.
    ///
    /// Refused before anything is written (so never half applied) when a branch has too many
    /// ops, writes a key twice, has an empty key, is over [`MAX_REQUEST_BYTES`], or reads a
    /// compacted or future revision.
    pub fn txn(&mut self, txn: Txn) -> Result<TxnResult, StoreError> {
        if txn.compares.len() > MAX_TXN_OPS
            || txn.success.len() > MAX_TXN_OPS
            || txn.failure.len() > MAX_TXN_OPS
        {
            return Err(StoreError::TooManyOps);
        }
        for branch in [&txn.success, &txn.failure] {
            check_ops(branch)?;
        }
        if request_bytes(&txn) > MAX_REQUEST_BYTES {
            return Err(StoreError::RequestTooLarge);
        }
        if txn.compares.iter().any(|c| c.key.is_empty()) {
            return Err(StoreError::EmptyKey);
        }
        let succeeded = txn.compares.iter().all(|c| self.compare_holds(c));
        let ops = if succeeded { txn.success } else { txn.failure };
        for op in &ops {
            if let TxnOp::Range(req) = op {
                self.check_read_revision(req.revision, self.current_revision)?;
            }
        }

        let mut write = self.begin();
        let mut results = Vec::with_capacity(ops.len());
        for op in ops {
            let result = match op {
                TxnOp::Put { key, value } => {
                    let prev_kv = self.put_in(&mut write, &key, value);
                    TxnOpResult::Put(PutResult {
                        revision: write.main,
                        prev_kv,
                    })
                }
                TxnOp::DeleteRange { key, range_end } => {
                    let prev_kvs = self.delete_in(&mut write, &key, &range_end);
                    TxnOpResult::DeleteRange(DeleteResult {
                        revision: write.main,
                        deleted: prev_kvs.len(),
                        prev_kvs,
                    })
                }
                TxnOp::Range(req) => {
                    // A read after a write in the same txn sees that write, as in etcd.
                    let newest = if write.changes.is_empty() {
                        self.current_revision
                    } else {
                        write.main
                    };
                    let at = match req.revision {
                        Some(rev) if rev > 0 => rev,
                        _ => newest,
                    };
                    TxnOpResult::Range(self.range_at(&req, at, newest))
                }
            };
            results.push(result);
        }
        let revision = self.commit(write);
        // Every response in a txn carries the txn's header revision.
        for result in &mut results {
            match result {
                TxnOpResult::Put(r) => r.revision = revision,
                TxnOpResult::DeleteRange(r) => r.revision = revision,
                TxnOpResult::Range(r) => r.revision = revision,
            }
        }
        Ok(TxnResult {
            succeeded,
            revision,
            results,
        })
    }

    /// Evaluates one compare at the current revision (etcd `applyCompare`).
    fn compare_holds(&self, compare: &Compare) -> bool {
        let kv = self.get(&compare.key);
        let ordering = match (&compare.target, &kv) {
            // A value compare on a missing key is false, whatever the operator.
            (CompareTarget::Value(_), None) => return false,
            (CompareTarget::Value(want), Some(kv)) => kv.value[..].cmp(&want[..]),
            // A missing key has version, create and mod revision 0.
            (CompareTarget::Version(want), kv) => kv.as_ref().map_or(0, |kv| kv.version).cmp(want),
            (CompareTarget::CreateRevision(want), kv) => {
                kv.as_ref().map_or(0, |kv| kv.create_revision).cmp(want)
            }
            (CompareTarget::ModRevision(want), kv) => {
                kv.as_ref().map_or(0, |kv| kv.mod_revision).cmp(want)
            }
        };
        match compare.result {
            CompareResult::Equal => ordering.is_eq(),
            CompareResult::NotEqual => ordering.is_ne(),
            CompareResult::Greater => ordering.is_gt(),
            CompareResult::Less => ordering.is_lt(),
        }
    }

    // ----- watches -----

    /// Opens a watch on a key or range. `start_revision` None (or <= 0) hears only future
    /// changes; an older revision first replays the remembered history from there, in order.
    /// A start before the compact revision is refused, as etcd cancels such a watch.
    pub fn watch(
        &mut self,
        key: &str,
        range_end: RangeEnd,
        start_revision: Option<Revision>,
        prev_kv: bool,
    ) -> Result<WatchId, StoreError> {
        let start_revision = match start_revision {
            Some(rev) if rev > 0 => rev,
            _ => self.current_revision + 1,
        };
        if start_revision < self.compact_main {
            return Err(StoreError::Compacted {
                compact_revision: self.compact_revision(),
            });
        }
        let mut watcher = Watcher {
            key: key.to_string(),
            range_end,
            start_revision,
            prev_kv,
            pending: Vec::new(),
        };
        // Catch up from the history (etcd's syncWatchers does this for unsynced watchers).
        for (rev, record) in self.history.range(Rev::first_of(start_revision)..) {
            if !watcher.range_end.contains(&watcher.key, &record.kv.key) {
                continue;
            }
            let prev = if prev_kv {
                self.prev_kv_of(&record.kv.key, rev.main)
            } else {
                None
            };
            watcher.pending.push(WatchEvent {
                kind: if record.tombstone {
                    WatchEventKind::Delete
                } else {
                    WatchEventKind::Put
                },
                kv: record.kv.clone(),
                prev_kv: prev,
            });
        }
        Ok(self.watchers.add(watcher))
    }

    /// The key just before revision `main`, read the way etcd's watch server reads it (a range
    /// at `main - 1`), so nothing when that revision is compacted.
    fn prev_kv_of(&self, key: &str, main: Revision) -> Option<KeyValue> {
        let at = main - 1;
        if at < self.compact_main {
            return None;
        }
        self.kv_at(key, at)
    }

    /// Closes a watch; false if there was none with this id.
    pub fn cancel_watch(&mut self, id: WatchId) -> bool {
        self.watchers.cancel(id)
    }

    /// Takes the events waiting for a watch, oldest first; empty for an unknown id.
    pub fn take_events(&mut self, id: WatchId) -> Vec<WatchEvent> {
        self.watchers.take_events(id)
    }

    pub fn has_pending_events(&self) -> bool {
        self.watchers.has_pending_events()
    }

    // ----- compaction -----

    /// Forgets every revision at or before `revision` except, for each key, the newest one
    /// (etcd `Compact`). Reads and watches before it fail with `Compacted` from then on.
    pub fn compact(&mut self, revision: Revision) -> Result<(), StoreError> {
        if revision <= self.compact_main {
            return Err(StoreError::Compacted {
                compact_revision: self.compact_revision(),
            });
        }
        if revision > self.current_revision {
            return Err(StoreError::FutureRevision);
        }
        self.compact_main = revision;
        let mut available = BTreeSet::new();
        self.index.retain(|_, ki| {
            ki.compact(revision, &mut available);
            !ki.is_empty()
        });
        // Everything at or before `revision` that no key still points at goes.
        let doomed: Vec<Rev> = self
            .history
            .range(..=Rev::last_of(revision))
            .map(|(rev, _)| *rev)
            .filter(|rev| !available.contains(rev))
            .collect();
        for rev in doomed {
            self.history.remove(&rev);
        }
        Ok(())
    }
}

/// Refuses a txn branch that etcd's `checkTxnReq`/`checkIntervals` would refuse.
/// The bytes of a txn's keys and values: what [`MAX_REQUEST_BYTES`] is checked against.
fn request_bytes(txn: &Txn) -> usize {
    let op_bytes = |op: &TxnOp| match op {
        TxnOp::Put { key, value } => key.len() + value.len(),
        TxnOp::DeleteRange { key, .. } => key.len(),
        TxnOp::Range(req) => req.key.len(),
    };
    txn.compares.iter().map(|c| c.key.len()).sum::<usize>()
        + txn.success.iter().map(op_bytes).sum::<usize>()
        + txn.failure.iter().map(op_bytes).sum::<usize>()
}

fn check_ops(ops: &[TxnOp]) -> Result<(), StoreError> {
    let mut put_keys: BTreeSet<&str> = BTreeSet::new();
    let mut deletes: Vec<(&str, &RangeEnd)> = Vec::new();
    for op in ops {
        match op {
            TxnOp::Put { key, .. } => {
                if key.is_empty() {
                    return Err(StoreError::EmptyKey);
                }
                if !put_keys.insert(key) {
                    return Err(StoreError::DuplicateKey);
                }
            }
            TxnOp::DeleteRange { key, range_end } => {
                if key.is_empty() && range_end.is_single() {
                    return Err(StoreError::EmptyKey);
                }
                deletes.push((key, range_end));
            }
            TxnOp::Range(req) => {
                if req.key.is_empty() && req.range_end.is_single() {
                    return Err(StoreError::EmptyKey);
                }
            }
        }
    }
    let put_inside_a_delete = put_keys
        .iter()
        .any(|put| deletes.iter().any(|(key, end)| end.contains(key, put)));
    if put_inside_a_delete {
        return Err(StoreError::DuplicateKey);
    }
    Ok(())
}

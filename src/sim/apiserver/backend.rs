//! The store the apiserver talks to, re-exported from one place so swapping it is one line.
//!
//! Until branch `etcd` lands, this is a small stand-in with exactly the agreed `sim::etcd` API
//! (the subset the apiserver and the cluster loop use). It keeps every revision in one log, so
//! ranges at old revisions and watches from an old revision replay the log; no compaction.
//! When `sim::etcd` lands, replace the body of this file with `pub use crate::sim::etcd::*;`.

use std::collections::BTreeMap;
use std::sync::Arc;

pub type Revision = i64;
pub type Bytes = Arc<[u8]>;
pub type WatchId = i64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub create_revision: Revision,
    pub mod_revision: Revision,
    pub version: i64,
    pub value: Bytes,
    pub lease: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RangeEnd {
    Single,
    Prefix,
    To(String),
}

impl RangeEnd {
    fn matches(&self, start: &str, key: &str) -> bool {
        match self {
            RangeEnd::Single => key == start,
            RangeEnd::Prefix => key.starts_with(start),
            RangeEnd::To(end) => key >= start && key < end.as_str(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeRequest {
    pub key: String,
    pub range_end: RangeEnd,
    pub revision: Option<Revision>,
    pub limit: Option<usize>,
    pub keys_only: bool,
    pub count_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeResult {
    pub kvs: Vec<KeyValue>,
    pub count: usize,
    pub more: bool,
    pub revision: Revision,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutResult {
    pub revision: Revision,
    pub prev_kv: Option<KeyValue>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteResult {
    pub revision: Revision,
    pub deleted: usize,
    pub prev_kvs: Vec<KeyValue>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompareTarget {
    Version(i64),
    CreateRevision(Revision),
    ModRevision(Revision),
    Value(Bytes),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareResult {
    Equal,
    NotEqual,
    Greater,
    Less,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compare {
    pub key: String,
    pub target: CompareTarget,
    pub result: CompareResult,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnOp {
    Put { key: String, value: Bytes },
    DeleteRange { key: String, range_end: RangeEnd },
    Range(RangeRequest),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Txn {
    pub compares: Vec<Compare>,
    pub success: Vec<TxnOp>,
    pub failure: Vec<TxnOp>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnOpResult {
    Put(PutResult),
    DeleteRange(DeleteResult),
    Range(RangeResult),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnResult {
    pub succeeded: bool,
    pub revision: Revision,
    pub results: Vec<TxnOpResult>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchEventKind {
    Put,
    Delete,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchEvent {
    pub kind: WatchEventKind,
    pub kv: KeyValue,
    pub prev_kv: Option<KeyValue>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    Compacted { compact_revision: Revision },
    FutureRevision,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Compacted { .. } => {
                write!(f, "etcdserver: mvcc: required revision has been compacted")
            }
            StoreError::FutureRevision => {
                write!(
                    f,
                    "etcdserver: mvcc: required revision is a future revision"
                )
            }
        }
    }
}

/// One committed change: `kv` is the new value, or the tombstone (value empty) of a delete.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LogEntry {
    kind: WatchEventKind,
    kv: KeyValue,
    prev_kv: Option<KeyValue>,
}

#[derive(Clone, Debug)]
struct Watcher {
    key: String,
    range_end: RangeEnd,
    prev_kv: bool,
    pending: Vec<WatchEvent>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    revision: Revision,
    live: BTreeMap<String, KeyValue>,
}

#[derive(Clone, Debug)]
pub struct Store {
    revision: Revision,
    live: BTreeMap<String, KeyValue>,
    log: Vec<LogEntry>,
    watchers: BTreeMap<WatchId, Watcher>,
    next_watch_id: WatchId,
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    pub fn new() -> Store {
        Store {
            revision: 1,
            live: BTreeMap::new(),
            log: Vec::new(),
            watchers: BTreeMap::new(),
            next_watch_id: 0,
        }
    }

    pub fn revision(&self) -> Revision {
        self.revision
    }

    pub fn compact_revision(&self) -> Revision {
        0
    }

    pub fn len(&self) -> usize {
        self.live.len()
    }

    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<KeyValue> {
        self.live.get(key).cloned()
    }

    fn state_at(&self, revision: Revision) -> BTreeMap<String, KeyValue> {
        let mut state = BTreeMap::new();
        for entry in self
            .log
            .iter()
            .take_while(|e| e.kv.mod_revision <= revision)
        {
            match entry.kind {
                WatchEventKind::Put => {
                    state.insert(entry.kv.key.clone(), entry.kv.clone());
                }
                WatchEventKind::Delete => {
                    state.remove(&entry.kv.key);
                }
            }
        }
        state
    }

    pub fn range(&self, request: &RangeRequest) -> Result<RangeResult, StoreError> {
        let historic;
        let source = match request.revision {
            Some(r) if r > self.revision => return Err(StoreError::FutureRevision),
            Some(r) if r > 0 && r < self.revision => {
                historic = self.state_at(r);
                &historic
            }
            _ => &self.live,
        };
        let matching: Vec<&KeyValue> = match &request.range_end {
            RangeEnd::Single => source.get(&request.key).into_iter().collect(),
            end => source
                .range(request.key.clone()..)
                .take_while(|(k, _)| end.matches(&request.key, k))
                .map(|(_, v)| v)
                .collect(),
        };
        let count = matching.len();
        let limit = request.limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
        let kvs: Vec<KeyValue> = if request.count_only {
            Vec::new()
        } else {
            matching
                .iter()
                .take(limit)
                .map(|kv| (*kv).clone())
                .collect()
        };
        Ok(RangeResult {
            more: count > limit,
            kvs,
            count,
            revision: self.revision,
        })
    }

    fn commit(&mut self, entry: LogEntry) {
        for w in self.watchers.values_mut() {
            if w.range_end.matches(&w.key, &entry.kv.key) {
                w.pending.push(WatchEvent {
                    kind: entry.kind,
                    kv: entry.kv.clone(),
                    prev_kv: if w.prev_kv {
                        entry.prev_kv.clone()
                    } else {
                        None
                    },
                });
            }
        }
        self.log.push(entry);
    }

    fn put_at(&mut self, key: &str, value: Bytes, revision: Revision) -> PutResult {
        let prev = self.live.get(key).cloned();
        let kv = KeyValue {
            key: key.to_string(),
            create_revision: prev.as_ref().map_or(revision, |p| p.create_revision),
            mod_revision: revision,
            version: prev.as_ref().map_or(1, |p| p.version + 1),
            value,
            lease: 0,
        };
        self.live.insert(key.to_string(), kv.clone());
        self.commit(LogEntry {
            kind: WatchEventKind::Put,
            kv,
            prev_kv: prev.clone(),
        });
        PutResult {
            revision,
            prev_kv: prev,
        }
    }

    fn delete_at(&mut self, key: &str, range_end: &RangeEnd, revision: Revision) -> DeleteResult {
        let keys: Vec<String> = self
            .live
            .keys()
            .filter(|k| range_end.matches(key, k))
            .cloned()
            .collect();
        let mut prev_kvs = Vec::new();
        for k in keys {
            if let Some(prev) = self.live.remove(&k) {
                let tombstone = KeyValue {
                    key: k.clone(),
                    create_revision: 0,
                    mod_revision: revision,
                    version: 0,
                    value: Arc::from(&[][..]),
                    lease: 0,
                };
                self.commit(LogEntry {
                    kind: WatchEventKind::Delete,
                    kv: tombstone,
                    prev_kv: Some(prev.clone()),
                });
                prev_kvs.push(prev);
            }
        }
        DeleteResult {
            revision,
            deleted: prev_kvs.len(),
            prev_kvs,
        }
    }

    pub fn put(&mut self, key: &str, value: Bytes) -> PutResult {
        self.revision += 1;
        self.put_at(key, value, self.revision)
    }

    pub fn delete_range(&mut self, key: &str, range_end: RangeEnd) -> DeleteResult {
        let matched = self.live.keys().any(|k| range_end.matches(key, k));
        if !matched {
            return DeleteResult {
                revision: self.revision,
                deleted: 0,
                prev_kvs: Vec::new(),
            };
        }
        self.revision += 1;
        self.delete_at(key, &range_end, self.revision)
    }

    fn compare(&self, c: &Compare) -> bool {
        let kv = self.live.get(&c.key);
        let ord = match &c.target {
            CompareTarget::Version(v) => kv.map_or(0, |k| k.version).cmp(v),
            CompareTarget::CreateRevision(r) => kv.map_or(0, |k| k.create_revision).cmp(r),
            CompareTarget::ModRevision(r) => kv.map_or(0, |k| k.mod_revision).cmp(r),
            CompareTarget::Value(v) => match kv {
                Some(k) => k.value.as_ref().cmp(v.as_ref()),
                None => return false,
            },
        };
        match c.result {
            CompareResult::Equal => ord.is_eq(),
            CompareResult::NotEqual => ord.is_ne(),
            CompareResult::Greater => ord.is_gt(),
            CompareResult::Less => ord.is_lt(),
        }
    }

    pub fn txn(&mut self, txn: Txn) -> Result<TxnResult, StoreError> {
        let succeeded = txn.compares.iter().all(|c| self.compare(c));
        let ops = if succeeded { txn.success } else { txn.failure };
        let writes = ops.iter().any(|op| !matches!(op, TxnOp::Range(_)));
        let revision = if writes {
            self.revision + 1
        } else {
            self.revision
        };
        let mut results = Vec::new();
        let mut wrote = false;
        for op in ops {
            results.push(match op {
                TxnOp::Put { key, value } => {
                    wrote = true;
                    TxnOpResult::Put(self.put_at(&key, value, revision))
                }
                TxnOp::DeleteRange { key, range_end } => {
                    let r = self.delete_at(&key, &range_end, revision);
                    wrote |= r.deleted > 0;
                    TxnOpResult::DeleteRange(r)
                }
                TxnOp::Range(r) => TxnOpResult::Range(self.range(&r)?),
            });
        }
        if wrote {
            self.revision = revision;
        }
        Ok(TxnResult {
            succeeded,
            revision: self.revision,
            results,
        })
    }

    pub fn watch(
        &mut self,
        key: &str,
        range_end: RangeEnd,
        start_revision: Option<Revision>,
        prev_kv: bool,
    ) -> Result<WatchId, StoreError> {
        let mut pending = Vec::new();
        if let Some(start) = start_revision.filter(|r| *r > 0 && *r <= self.revision) {
            for e in self.log.iter().filter(|e| e.kv.mod_revision >= start) {
                if range_end.matches(key, &e.kv.key) {
                    pending.push(WatchEvent {
                        kind: e.kind,
                        kv: e.kv.clone(),
                        prev_kv: if prev_kv { e.prev_kv.clone() } else { None },
                    });
                }
            }
        }
        let id = self.next_watch_id;
        self.next_watch_id += 1;
        self.watchers.insert(
            id,
            Watcher {
                key: key.to_string(),
                range_end,
                prev_kv,
                pending,
            },
        );
        Ok(id)
    }

    pub fn cancel_watch(&mut self, id: WatchId) {
        self.watchers.remove(&id);
    }

    pub fn take_events(&mut self, id: WatchId) -> Vec<WatchEvent> {
        self.watchers
            .get_mut(&id)
            .map(|w| std::mem::take(&mut w.pending))
            .unwrap_or_default()
    }

    pub fn has_pending_events(&self) -> bool {
        self.watchers.values().any(|w| !w.pending.is_empty())
    }

    pub fn compact(&mut self, _revision: Revision) {}

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            revision: self.revision,
            live: self.live.clone(),
        }
    }

    pub fn restore(snapshot: Snapshot) -> Result<Store, StoreError> {
        let mut store = Store::new();
        store.revision = snapshot.revision;
        for kv in snapshot.live.values() {
            store.log.push(LogEntry {
                kind: WatchEventKind::Put,
                kv: kv.clone(),
                prev_kv: None,
            });
        }
        store.log.sort_by_key(|e| e.kv.mod_revision);
        store.live = snapshot.live;
        Ok(store)
    }
}

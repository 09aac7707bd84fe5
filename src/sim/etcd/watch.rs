//! Watchers: who wants to hear about which keys, and the events waiting for them.
//!
//! Mirrors: etcd `server/storage/mvcc/watchable_store.go` and `watcher.go`.
//! Simplified: etcd keeps watchers that are behind in an "unsynced" group and catches them up in
//! the background (`syncWatchers`), from the history in bbolt. Our store is single threaded, so
//! it catches a new watcher up at once, when it is created, from the same history; after that
//! every commit appends to its queue (the "synced" group). Queues are unbounded (etcd parks slow
//! watchers as "victims" instead); the simulation drains them every step.
//! Watchers are matched by a linear scan (etcd uses an interval tree): the simulation has tens
//! of watchers, not thousands.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::kv::{KeyValue, RangeEnd};
use super::revision::Revision;

/// Identifies a watch, as etcd's `watch_id`; the first watch of a store gets 0.
pub type WatchId = i64;

/// What happened to a key (etcd `mvccpb.Event.EventType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WatchEventKind {
    /// The key was created or updated; `kv` is its new state.
    Put,
    /// The key was deleted; `kv` carries only the key and the deleting revision.
    Delete,
}

/// One change to one key, as a watcher receives it (etcd `mvccpb.Event`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchEvent {
    pub kind: WatchEventKind,
    pub kv: KeyValue,
    /// The key just before this change, when the watch asked for it (`--prev-kv`) and the key
    /// existed; also absent when that earlier revision was compacted away, as in etcd.
    pub prev_kv: Option<KeyValue>,
}

impl WatchEvent {
    pub fn revision(&self) -> Revision {
        self.kv.mod_revision
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Watcher {
    pub key: String,
    pub range_end: RangeEnd,
    /// The first revision this watcher wants events from (etcd `minRev`).
    pub start_revision: Revision,
    pub prev_kv: bool,
    /// Events waiting for `take_events`, in revision order.
    pub pending: Vec<WatchEvent>,
}

impl Watcher {
    pub fn wants(&self, event: &WatchEvent) -> bool {
        event.kv.mod_revision >= self.start_revision
            && self.range_end.contains(&self.key, &event.kv.key)
    }

    /// Queues `event`, without its prev_kv unless the watch asked for it.
    pub fn push(&mut self, event: &WatchEvent) {
        let prev_kv = if self.prev_kv {
            event.prev_kv.clone()
        } else {
            None
        };
        self.pending.push(WatchEvent {
            kind: event.kind,
            kv: event.kv.clone(),
            prev_kv,
        });
    }
}

/// Every open watch, by id. Ordered so that notifying them is deterministic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Watchers {
    next_id: WatchId,
    by_id: BTreeMap<WatchId, Watcher>,
}

impl Watchers {
    pub fn add(&mut self, watcher: Watcher) -> WatchId {
        let id = self.next_id;
        self.next_id += 1;
        self.by_id.insert(id, watcher);
        id
    }

    pub fn cancel(&mut self, id: WatchId) -> bool {
        self.by_id.remove(&id).is_some()
    }

    pub fn take_events(&mut self, id: WatchId) -> Vec<WatchEvent> {
        self.by_id
            .get_mut(&id)
            .map(|w| std::mem::take(&mut w.pending))
            .unwrap_or_default()
    }

    pub fn has_pending_events(&self) -> bool {
        self.by_id.values().any(|w| !w.pending.is_empty())
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Hands the changes of one commit, in order, to every watcher that wants them.
    pub fn notify(&mut self, changes: &[WatchEvent]) {
        for watcher in self.by_id.values_mut() {
            for event in changes {
                if watcher.wants(event) {
                    watcher.push(event);
                }
            }
        }
    }
}

//! kube-scheduler: watches pods without a node, picks a node for each, and binds it.
//!
//! Mirrors: `pkg/scheduler` (the scheduling framework, the default plugins, the scheduling queue,
//! `FitError`), one file per concept:
//!
//! | file | upstream |
//! | --- | --- |
//! | `queue.rs` | `internal/queue/scheduling_queue.go`: activeQ, backoffQ, unschedulablePods |
//! | `framework.rs` | `framework/interface.go`, `cycle_state.go`, `apis/config/v1/default_plugins.go` |
//! | `node_info.rs` | `framework/types.go` (`NodeInfo`, `PodInfo`), the cache's snapshot |
//! | `schedule_one.rs` | `schedule_one.go`: PreFilter → Filter → PostFilter / Score → select |
//! | `fit_error.rs` | `FitError.Error()`: the FailedScheduling message |
//! | `record.rs` | (ours) what a cycle did, per node and plugin, for the UI |
//! | `intents.rs` | the API requests a cycle's outcome turns into (bind, events, status) |
//! | `plugins/` | `framework/plugins/*` |
//!
//! Simplified: one profile; no volume, DRA or scheduling-gate plugins; QueueingHints reduced to
//! "requeue on the events the rejecting plugins registered"; see each file's `Simplified:`.

pub mod bench_workload;
pub mod component;
pub mod fit_error;
pub mod framework;
pub mod intents;
pub mod labels;
pub mod node_info;
pub mod plugins;
pub mod quantity;
pub mod queue;
pub mod record;
pub mod schedule_one;
pub mod testing;

pub use component::{Scheduler, CYCLES_PER_RECONCILE};
pub use framework::{Profile, RecordDetail};
pub use node_info::{NodeInfo, PodInfo, Snapshot};
pub use record::CycleRecord;
pub use schedule_one::Algorithm;

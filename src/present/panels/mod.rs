//! The panels' view models: what each "look inside" panel shows, read from the same trace and
//! the same store as the animation, never from a script. Pure data, natively tested; `src/web`
//! renders them only while a panel is open.
//!
//! | module | panel |
//! | --- | --- |
//! | `journey.rs` | Journey: one pod's path from the student's line through every component |
//! | `scheduler.rs` | Scheduler: a pod's cycle as filter and score tables, the winner, the tie-break |
//! | `etcd.rs` | etcd: the `/registry` key tree, a key's history, revisions, open watches |
//! | `inspector.rs` | Inspector: any object as YAML, its events, owner chain and dependents |

pub mod etcd;
pub mod inspector;
pub mod journey;
pub mod scheduler;

//! The pure view model: turns the core's state and trace into what the UI shows.
//! No Yew here, so all of it is natively testable.
//!
//! | module | what |
//! | --- | --- |
//! | `session.rs` | the page's one door into the simulation: the lab, its shell, the timeline |
//! | `timeline.rs` | a command's trace as beats (place → place), grouped into the eight steps |
//! | `player.rs` | the playhead: play, pause, step, seek, speed, live |
//! | `cluster_view.rs` | the scene: nodes and pods read from the store at a revision |
//! | `narration.rs` | one sentence per beat and a title per step, Korean and English |
//! | `saved.rs` | the saved state: seed and inputs, replayed to build the session again |
//! | `scrollback.rs` | the terminal's scrollback, bounded in entries and in bytes |
//! | `editor.rs` | the YAML editor: the course's examples, and where an error points |
//! | `lessons.rs` | a lesson in progress: step, hints, checks' marks, summary and completion code |
//! | `failures.rs` | the buttons that break things: each a line a student could type |
//! | `i18n.rs` | the UI's fixed strings, Korean and English |
//! | `topology.rs` | the VMs and the components on each |
//! | `panels/` | the look-inside panels: journey, scheduler, etcd, inspector |

pub mod cluster_view;
pub mod editor;
pub mod failures;
pub mod i18n;
pub mod lessons;
pub mod narration;
pub mod panels;
pub mod player;
pub mod saved;
pub mod scrollback;
pub mod session;
pub mod timeline;
pub mod topology;

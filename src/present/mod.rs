//! The pure view model: turns the core's state and trace into what the UI shows.
//! No Yew here, so all of it is natively testable.

pub mod cluster_view;
pub mod i18n;
pub mod topology;

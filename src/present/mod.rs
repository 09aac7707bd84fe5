//! The pure view model: turns the core's state and trace into what the UI shows.
//! No Yew here, so all of it is natively testable.

//! See `super`: the scheduler panel's view model.

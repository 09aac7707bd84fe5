//! See `super`: the inspector panel's view model.

//! See `super`: the journey panel's view model.

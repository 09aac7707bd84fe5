//! See `super`: the etcd panel's view model.

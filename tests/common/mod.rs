//! What several integration tests share: the golden command on a fresh lab.
//! Each test crate uses a part of it.
#![allow(dead_code)]

use kube_sandbox::present::session::Session;

pub const CREATE: &str = "kubectl create deployment web --image=nginx --replicas=3";

/// A fresh lab (seed 1) after the golden command, checked to have been created.
pub fn created() -> Session {
    let mut session = Session::new(1);
    let (out, _) = session.run_line(CREATE);
    assert_eq!(
        out.stdout, "deployment.apps/web created\n",
        "{}",
        out.stderr
    );
    session
}

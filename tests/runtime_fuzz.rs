//! Whatever a student types as an image name or a container command, the runtime answers with
//! a value, never a panic.

use kube_sandbox::sim::rng::Rng;
use kube_sandbox::sim::runtime::cri::{ContainerConfig, PodSandboxConfig};
use kube_sandbox::sim::runtime::reference::parse_image_ref;
use kube_sandbox::sim::runtime::shell::{Files, Shell, ShellEnv};
use kube_sandbox::sim::runtime::{Registries, Runtime, RuntimeConfig};
use proptest::prelude::*;

fn shell_env() -> ShellEnv {
    ShellEnv {
        vars: Default::default(),
        hostname: "pod".into(),
        epoch_unix_seconds: 0,
        shell_name: "sh".into(),
        stdin: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn any_image_name_parses_or_is_refused(name in "\\PC{0,40}|[a-zA-Z0-9:/@._-]{0,40}") {
        if let Ok(r) = parse_image_ref(&name) {
            // A normalized reference parses again to itself.
            prop_assert_eq!(parse_image_ref(&r.to_string()).map(|x| x.to_string()), Ok(r.to_string()));
        }
    }

    #[test]
    fn any_script_parses_or_is_refused_and_runs_to_a_yield(script in "[a-z0-9 ;&|$(){}'\"\\\\=<>#\\n\\[\\]-]{0,60}") {
        if let Ok(mut shell) = Shell::parse(&script, vec!["sh".into()]) {
            let mut env = shell_env();
            let mut files = Files::new();
            let mut out = Vec::new();
            let _ = shell.run(0, &mut env, &mut files, &mut out);
        }
    }

    #[test]
    fn any_command_in_a_container_ends_as_a_value(argv in proptest::collection::vec("[a-z0-9 ;$&|-]{0,12}", 0..4)) {
        let registries = Registries::standard();
        let mut runtime = Runtime::new(RuntimeConfig::new("node1", 1), &registries);
        runtime.preload("busybox", &registries, 0).unwrap();
        let mut rng = Rng::new(1);
        let sandbox = runtime.run_pod_sandbox(PodSandboxConfig { name: "p".into(), namespace: "default".into(), uid: "u".into(), ..Default::default() }, &mut rng, 0).unwrap();
        let id = runtime
            .create_container(&sandbox, ContainerConfig { name: "c".into(), image: "busybox".into(), command: argv.clone(), ..Default::default() }, &mut rng, 0)
            .unwrap();
        let _ = runtime.start_container(&id, 0);
        runtime.advance(120_000);
        let _ = runtime.exec_sync(&id, &argv, 120_000);
        runtime.stop_container(&id, 1, 120_000).unwrap();
        runtime.advance(200_000);
    }
}

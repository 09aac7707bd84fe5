//! Containers through the CRI-shaped interface: exit codes, stop signals and grace periods,
//! logs across restarts, OOM kills, probes, failures and determinism.

use kube_sandbox::sim::rng::Rng;
use kube_sandbox::sim::runtime::apps::HttpOutcome;
use kube_sandbox::sim::runtime::cri::{
    ContainerConfig, ContainerState, PodSandboxConfig, ProbeOutcome,
};
use kube_sandbox::sim::runtime::{Registries, Runtime, RuntimeConfig, RuntimeEvent};

const MIB: u64 = 1024 * 1024;

struct Node {
    runtime: Runtime,
    registries: Registries,
    rng: Rng,
    sandbox: String,
}

fn node() -> Node {
    let registries = Registries::standard();
    let mut runtime = Runtime::new(RuntimeConfig::new("node1", 2), &registries);
    for image in [
        "nginx:1.27",
        "busybox",
        "alpine",
        "luksa/kubia",
        "luksa/kubia-unhealthy",
        "hub.example.com/crasher:1.0",
        "hub.example.com/memleak:1.0",
        "mysql:8.4",
        "redis:7.4",
        "httpd:2.4",
        "registry.k8s.io/coredns/coredns:v1.11.3",
    ] {
        runtime.preload(image, &registries, 0).unwrap();
    }
    let mut rng = Rng::new(42);
    let sandbox = runtime
        .run_pod_sandbox(
            PodSandboxConfig {
                name: "web-7d4b9c8f5-x2k4q".into(),
                namespace: "default".into(),
                uid: "3f1c".into(),
                attempt: 0,
                hostname: String::new(),
                ip: "10.244.1.5".into(),
                labels: Default::default(),
            },
            &mut rng,
            0,
        )
        .unwrap();
    Node {
        runtime,
        registries,
        rng,
        sandbox,
    }
}

fn config(image: &str, command: &[&str], args: &[&str]) -> ContainerConfig {
    ContainerConfig {
        name: "app".into(),
        image: image.into(),
        command: command.iter().map(|s| s.to_string()).collect(),
        args: args.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

impl Node {
    fn run(&mut self, mut config: ContainerConfig, attempt: u32, now: u64) -> String {
        config.attempt = attempt;
        let id = self
            .runtime
            .create_container(&self.sandbox, config, &mut self.rng, now)
            .unwrap();
        let _ = self.runtime.start_container(&id, now);
        id
    }

    fn exit_after(&mut self, id: &str, until: u64) -> Option<(i32, String, u64)> {
        self.runtime.advance(until);
        let c = self.runtime.container_status(id).unwrap();
        (c.state == ContainerState::ContainerExited)
            .then(|| (c.exit_code, c.reason.clone(), c.finished_tick.unwrap_or(0)))
    }

    fn log(&self, id: &str) -> Vec<String> {
        self.runtime
            .container_log(id)
            .unwrap()
            .lines()
            .map(|l| l.text.clone())
            .collect()
    }
}

/// (image, command, args, the exit code and reason within a minute, if it exits)
type ExitCase<'a> = (
    &'a str,
    &'a [&'a str],
    &'a [&'a str],
    Option<(i32, &'a str)>,
);

#[test]
fn commands_exit_with_the_codes_a_real_container_leaves() {
    let table: &[ExitCase] = &[
        ("busybox", &["echo", "hi"], &[], Some((0, "Completed"))),
        ("busybox", &["sh", "-c", "exit 3"], &[], Some((3, "Error"))),
        ("busybox", &["false"], &[], Some((1, "Error"))),
        ("busybox", &[], &[], Some((0, "Completed"))), // `sh` with no stdin reads EOF
        ("busybox", &["sleep", "3600"], &[], None),
        (
            "alpine",
            &["sh", "-c"],
            &["echo start; sleep 2; exit 5"],
            Some((5, "Error")),
        ),
        ("hub.example.com/crasher:1.0", &[], &[], Some((1, "Error"))),
        ("mysql:8.4", &[], &[], Some((1, "Error"))),
        ("nginx:1.27", &[], &[], None),
    ];
    for (image, command, args, want) in table {
        let mut node = node();
        let id = node.run(config(image, command, args), 0, 1_000);
        let got = node
            .exit_after(&id, 61_000)
            .map(|(code, reason, _)| (code, reason));
        assert_eq!(
            got,
            want.map(|(c, r)| (c, r.to_string())),
            "{image} {command:?} {args:?}"
        );
    }
}

#[test]
fn a_command_missing_from_the_image_is_a_start_error_with_128() {
    let mut node = node();
    let id = node
        .runtime
        .create_container(
            &node.sandbox,
            config("nginx:1.27", &["nginxx"], &[]),
            &mut node.rng,
            0,
        )
        .unwrap();
    let err = node.runtime.start_container(&id, 0).unwrap_err();
    assert!(
        err.to_string()
            .contains("exec: \"nginxx\": executable file not found in $PATH"),
        "{err}"
    );
    let c = node.runtime.container_status(&id).unwrap();
    assert_eq!((c.exit_code, c.reason.as_str()), (128, "StartError"));
}

#[test]
fn stopping_sends_the_images_stop_signal_and_kills_at_the_grace_period() {
    // (image, command, grace seconds, exit code, exit tick after the stop at t=10 s)
    let table: &[(&str, &[&str], u64, i32, u64)] = &[
        // nginx's image says STOPSIGNAL SIGQUIT: a graceful quit, exit 0, almost at once.
        ("nginx:1.27", &[], 30, 0, 10_020),
        // A node.js PID 1 has no SIGTERM handler: it runs until SIGKILL, 137.
        ("luksa/kubia", &[], 30, 137, 40_000),
        // `sleep` as PID 1 ignores SIGTERM too: the famous 30-second wait.
        ("busybox", &["sleep", "3600"], 30, 137, 40_000),
        // The crasher takes SIGTERM's default action: 128 + 15.
        ("hub.example.com/crasher:1.0", &["crasher"], 30, 143, 10_000),
        // Grace period 0: SIGKILL at once.
        ("nginx:1.27", &[], 0, 137, 10_000),
        ("redis:7.4", &[], 30, 0, 10_100),
    ];
    for (image, command, grace, code, tick) in table {
        let mut node = node();
        let id = node.run(config(image, command, &[]), 0, 9_000);
        node.runtime.advance(10_000);
        node.runtime.stop_container(&id, *grace, 10_000).unwrap();
        let got = node.exit_after(&id, 100_000).map(|(c, _, t)| (c, t));
        assert_eq!(
            got,
            Some((*code, *tick)),
            "{image} {command:?} grace {grace}"
        );
    }
}

#[test]
fn nginx_logs_its_startup_access_lines_and_graceful_quit() {
    let mut node = node();
    let id = node.run(config("nginx:1.27", &[], &[]), 0, 0);
    node.runtime.advance(1_000);
    let outcome =
        node.runtime
            .http_request(&id, "GET", 80, "/", "10.244.2.7", "curl/8.5.0", 65_000);
    let HttpOutcome::Response { status: 200, body } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(body.len(), 615);
    assert!(matches!(
        node.runtime
            .http_request(&id, "GET", 80, "/nope", "10.244.2.7", "curl/8.5.0", 65_000),
        HttpOutcome::Response { status: 404, .. }
    ));
    assert_eq!(
        node.runtime
            .http_request(&id, "GET", 8080, "/", "10.244.2.7", "curl/8.5.0", 65_000),
        HttpOutcome::Refused
    );
    node.runtime.stop_container(&id, 30, 70_000).unwrap();
    node.runtime.advance(71_000);
    let log = node.log(&id);
    assert_eq!(log[0], "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration");
    assert!(
        log.contains(&"2025/06/01 00:00:00 [notice] 1#1: nginx/1.27.5".to_string()),
        "{log:#?}"
    );
    assert!(
        log.contains(&"2025/06/01 00:00:00 [notice] 1#1: start worker process 30".to_string()),
        "two CPUs, two workers"
    );
    assert!(log.contains(&"10.244.2.7 - - [01/Jun/2025:00:01:05 +0000] \"GET / HTTP/1.1\" 200 615 \"-\" \"curl/8.5.0\" \"-\"".to_string()), "{log:#?}");
    assert!(
        log.contains(
            &"2025/06/01 00:01:10 [notice] 1#1: signal 3 (SIGQUIT) received, shutting down"
                .to_string()
        ),
        "{log:#?}"
    );
    assert_eq!(
        log.last().map(String::as_str),
        Some("2025/06/01 00:01:10 [notice] 1#1: exit")
    );
}

#[test]
fn the_previous_instances_log_stays_readable_after_a_restart() {
    let mut node = node();
    let script = "echo attempt starting; sleep 1; echo about to fail; exit 1";
    let first = node.run(config("busybox", &["sh", "-c", script], &[]), 0, 0);
    assert_eq!(node.exit_after(&first, 5_000).map(|e| e.0), Some(1));
    let second = node.run(config("busybox", &["sh", "-c", script], &[]), 1, 15_000);
    node.runtime.advance(15_500);
    let current = node
        .runtime
        .find_container(&node.sandbox, "app", false)
        .unwrap();
    let previous = node
        .runtime
        .find_container(&node.sandbox, "app", true)
        .unwrap();
    assert_eq!(
        (current.id.as_str(), previous.id.as_str()),
        (second.as_str(), first.as_str())
    );
    let previous_lines: Vec<String> = previous
        .log()
        .lines()
        .map(|l| l.display(node.runtime.config.epoch_unix_seconds, true))
        .collect();
    assert_eq!(
        previous_lines,
        [
            "2025-06-01T00:00:00.000000000Z attempt starting",
            "2025-06-01T00:00:01.000000000Z about to fail"
        ]
    );
    assert_eq!(
        current.log().len(),
        1,
        "the new attempt has only logged its first line so far"
    );
    assert!(current
        .log_path
        .ends_with("/default_web-7d4b9c8f5-x2k4q_3f1c/app/1.log"));
}

#[test]
fn a_leaking_container_grows_until_its_memory_limit_oom_kills_it() {
    let mut node = node();
    let mut c = config("hub.example.com/memleak:1.0", &[], &[]);
    c.memory_limit_bytes = Some(64 * MIB);
    let id = node.run(c, 0, 0);
    let at_2s = node.runtime.container_usage(&id, 2_000).memory_bytes;
    let at_4s = node.runtime.container_usage(&id, 4_000).memory_bytes;
    assert_eq!(at_4s - at_2s, 20 * MIB, "10 MiB per second");
    let events = node.runtime.advance(60_000);
    let exit = events.iter().find_map(|e| match e {
        RuntimeEvent::ContainerExited {
            exit_code,
            reason,
            finished_tick,
            ..
        } => Some((*exit_code, reason.clone(), *finished_tick)),
        _ => None,
    });
    // 4 MiB at start + 10 MiB/s passes 64 MiB just after 6 s.
    assert_eq!(exit, Some((137, "OOMKilled".to_string(), 6_001)));
    assert!(node
        .log(&id)
        .contains(&"allocated 10 MiB, 60 MiB in use".to_string()));
}

#[test]
fn exhausting_an_apps_memory_gets_it_oom_killed_too() {
    let mut node = node();
    let mut c = config("nginx:1.27", &[], &[]);
    c.memory_limit_bytes = Some(128 * MIB);
    let id = node.run(c, 0, 0);
    assert!(node.exit_after(&id, 30_000).is_none());
    node.runtime.exhaust_memory(&id, 50 * MIB, 30_000);
    let (code, reason, tick) = node.exit_after(&id, 40_000).unwrap();
    assert_eq!((code, reason.as_str()), (137, "OOMKilled"));
    assert!((32_000..33_000).contains(&tick), "{tick}");
}

#[test]
fn killing_a_container_leaves_137() {
    let mut node = node();
    let id = node.run(config("luksa/kubia", &[], &[]), 0, 0);
    assert!(node.runtime.kill_container(&id, 5_000));
    assert_eq!(
        node.exit_after(&id, 5_000),
        Some((137, "Error".to_string(), 5_000))
    );
}

#[test]
fn probes_see_what_the_app_does() {
    let mut node = node();
    let kubia = node.run(config("luksa/kubia-unhealthy", &[], &[]), 0, 0);
    assert!(
        matches!(node.runtime.probe_http(&kubia, "10.244.1.5", 8080, "/", "10.244.1.1", 20), ProbeOutcome::Failure(m) if m == "Get \"http://10.244.1.5:8080/\": dial tcp 10.244.1.5:8080: connect: connection refused")
    );
    for i in 0..5 {
        assert!(
            matches!(node.runtime.probe_http(&kubia, "10.244.1.5", 8080, "/", "10.244.1.1", 1_000 + i), ProbeOutcome::Success(b) if b == "You've hit web-7d4b9c8f5-x2k4q\n")
        );
    }
    assert_eq!(
        node.runtime
            .probe_http(&kubia, "10.244.1.5", 8080, "/", "10.244.1.1", 2_000),
        ProbeOutcome::Failure("HTTP probe failed with statuscode: 500".into())
    );
    assert!(matches!(
        node.runtime.probe_tcp(&kubia, "10.244.1.5", 8080, 2_000),
        ProbeOutcome::Success(_)
    ));
    assert!(matches!(
        node.runtime.probe_tcp(&kubia, "10.244.1.5", 9999, 2_000),
        ProbeOutcome::Failure(_)
    ));

    // The liveness-exec lesson: the file exists for 30 s, then the probe fails.
    let script = "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600";
    let mut c = config("busybox", &["/bin/sh", "-c", script], &[]);
    c.name = "liveness".into();
    let busy = node.run(c, 0, 0);
    let cat = vec!["cat".to_string(), "/tmp/healthy".to_string()];
    assert!(matches!(
        node.runtime.probe_exec(&busy, &cat, 10_000),
        ProbeOutcome::Success(_)
    ));
    assert!(
        matches!(node.runtime.probe_exec(&busy, &cat, 31_000), ProbeOutcome::Failure(m) if m.contains("No such file or directory"))
    );
}

#[test]
fn exec_shares_the_containers_files_and_distroless_images_have_no_shell() {
    let mut node = node();
    let nginx = node.run(config("nginx:1.27", &[], &[]), 0, 0);
    let argv: Vec<String> = [
        "sh",
        "-c",
        "echo hello from exec > /usr/share/nginx/html/index.html",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(
        node.runtime
            .exec_sync(&nginx, &argv, 1_000)
            .unwrap()
            .exit_code,
        0
    );
    let outcome =
        node.runtime
            .http_request(&nginx, "GET", 80, "/", "10.244.1.1", "curl/8.5.0", 1_000);
    assert_eq!(
        outcome,
        HttpOutcome::Response {
            status: 200,
            body: "hello from exec\n".into()
        }
    );

    let mut c = config("registry.k8s.io/coredns/coredns:v1.11.3", &[], &[]);
    c.name = "coredns".into();
    let dns = node.run(c, 0, 0);
    let err = node
        .runtime
        .exec_sync(&dns, &["sh".to_string()], 1_000)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("exec: \"sh\": executable file not found in $PATH"),
        "{err}"
    );
}

#[test]
fn a_stopped_runtime_answers_every_call_unavailable_and_holds_exits_until_it_returns() {
    let mut node = node();
    let id = node.run(
        config("busybox", &["sh", "-c", "sleep 5; exit 2"], &[]),
        0,
        0,
    );
    node.runtime.stop_runtime(1_000);
    let want = "rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: connection refused\"";
    assert_eq!(
        node.runtime.container_status(&id).unwrap_err().to_string(),
        want
    );
    assert_eq!(
        node.runtime.list_containers(None).unwrap_err().to_string(),
        want
    );
    let registries = node.registries.clone();
    assert_eq!(
        node.runtime
            .pull_image("nginx", &registries, 2_000)
            .unwrap_err()
            .to_string(),
        want
    );
    assert!(
        node.runtime.advance(10_000).is_empty(),
        "the kubelet hears nothing while containerd is down"
    );
    node.runtime.start_runtime(12_000);
    let events = node.runtime.advance(12_000);
    assert!(
        matches!(
            events.as_slice(),
            [RuntimeEvent::ContainerExited {
                exit_code: 2,
                finished_tick: 5_000,
                ..
            }]
        ),
        "{events:?}"
    );
}

#[test]
fn mysql_without_a_password_prints_the_entrypoints_error() {
    let mut node = node();
    let id = node.run(config("mysql:8.4", &[], &[]), 0, 0);
    node.runtime.advance(1_000);
    let log = node.log(&id);
    assert_eq!(log[3], "2025-06-01 00:00:00+00:00 [ERROR] [Entrypoint]: Database is uninitialized and password option is not specified");
    assert_eq!(
        log.last().map(String::as_str),
        Some("    - MYSQL_RANDOM_ROOT_PASSWORD")
    );

    let mut node = self::node();
    let mut c = config("mysql:8.4", &[], &[]);
    c.env = vec![("MYSQL_ROOT_PASSWORD".into(), "secret".into())];
    let id = node.run(c, 0, 0);
    assert!(
        matches!(
            node.runtime.probe_tcp(&id, "10.244.1.5", 3306, 10_000),
            ProbeOutcome::Failure(_)
        ),
        "still initializing"
    );
    assert!(matches!(
        node.runtime.probe_tcp(&id, "10.244.1.5", 3306, 16_000),
        ProbeOutcome::Success(_)
    ));
}

#[test]
fn env_and_args_from_the_spec_are_honoured() {
    let mut node = node();
    let mut c = config(
        "alpine",
        &["sh", "-c"],
        &["echo $GREETING from $(hostname); date"],
    );
    c.env = vec![("GREETING".into(), "annyeong".into())];
    let id = node.run(c, 0, 65_000);
    node.runtime.advance(66_000);
    assert_eq!(
        node.log(&id),
        [
            "annyeong from web-7d4b9c8f5-x2k4q",
            "Sun Jun  1 00:01:05 UTC 2025"
        ]
    );
}

#[test]
fn overlay_mounts_list_the_image_layers_under_the_writable_layer() {
    let mut node = node();
    let id = node.run(config("nginx:1.27", &[], &[]), 0, 0);
    let mount = node.runtime.container_mounts(&id).unwrap();
    assert_eq!(mount.lowerdirs.len(), 7);
    let prefix = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/";
    assert!(mount.upperdir.starts_with(prefix) && mount.upperdir.ends_with("/fs"));
    assert!(mount.options().starts_with(&format!("lowerdir={prefix}")));
    assert!(mount.merged.ends_with(&format!("{id}/rootfs")));
}

#[test]
fn the_same_seed_and_calls_give_the_same_ids_and_output() {
    let run = || {
        let mut node = node();
        let a = node.run(
            config(
                "busybox",
                &["sh", "-c", "while true; do date; sleep 7; done"],
                &[],
            ),
            0,
            0,
        );
        let b = node.run(config("nginx:1.27", &[], &[]), 1, 500);
        node.runtime.advance(60_000);
        let text = kube_sandbox::sim::runtime::views::crictl_ps(&node.runtime, 60_000, true);
        let log = node.log(&a);
        (a, b, log, text)
    };
    let first = run();
    assert_eq!(first, run());
    assert_eq!(first.0.len(), 64);
    assert!(first.0.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(first.2.len(), 9, "a line at 0, 7, ..., 56 s");
}

#[test]
fn no_user_command_makes_the_runtime_panic() {
    let scripts = [
        "",
        "'",
        "\"",
        "$((",
        "$(",
        "${",
        "while",
        "for",
        "if",
        "exit abc",
        "sleep -1",
        "sleep x",
        "echo $((1/0))",
        ")",
        "|| &&",
        "cat",
        "[ 1 -eq x ]",
        "exit 99999999999999999999",
        "\\",
    ];
    for script in scripts {
        let mut node = node();
        let id = node.run(config("busybox", &["sh", "-c", script], &[]), 0, 0);
        node.runtime.advance(10_000);
        let _ = node
            .runtime
            .exec_sync(&id, &["sh".into(), "-c".into(), script.into()], 10_000);
    }
    let mut node = node();
    for image in [
        "",
        ":",
        "@",
        "NGINX",
        "a b",
        "x/",
        "//",
        "nginx:latest@sha256:zz",
    ] {
        let id =
            node.runtime
                .create_container(&node.sandbox, config(image, &[], &[]), &mut node.rng, 0);
        assert!(id.is_err(), "{image:?}");
    }
}

#[test]
fn servers_listen_on_their_real_ports_once_started() {
    let table: &[(&str, u16, u64, bool)] = &[
        ("nginx:1.27", 80, 1_000, true),
        ("nginx:1.27", 8080, 1_000, false),
        ("redis:7.4", 6379, 1_000, true),
        ("httpd:2.4", 80, 1_000, true),
        ("luksa/kubia", 8080, 1_000, true),
        ("registry.k8s.io/coredns/coredns:v1.11.3", 53, 1_000, true),
        ("busybox", 80, 1_000, false),
    ];
    for (image, port, at, want) in table {
        let mut node = node();
        let mut c = config(image, &[], &[]);
        if *image == "busybox" {
            c.command = vec!["sleep".into(), "3600".into()];
        }
        let id = node.run(c, 0, 0);
        let got = matches!(
            node.runtime.probe_tcp(&id, "10.244.1.5", *port, *at),
            ProbeOutcome::Success(_)
        );
        assert_eq!(got, *want, "{image}:{port}");
    }
}

#[test]
fn an_http_probe_against_a_non_http_port_fails_as_the_kubelet_says() {
    let mut node = node();
    let id = node.run(config("redis:7.4", &[], &[]), 0, 0);
    let got = node
        .runtime
        .probe_http(&id, "10.244.1.5", 6379, "/", "10.244.1.1", 1_000);
    assert_eq!(
        got,
        ProbeOutcome::Failure("Get \"http://10.244.1.5:6379/\": net/http: HTTP/1.x transport connection broken: malformed HTTP response".into())
    );
}

#[test]
fn usage_rises_under_load_and_returns_to_idle() {
    let mut node = node();
    let id = node.run(config("luksa/kubia", &[], &[]), 0, 0);
    let idle = node.runtime.container_usage(&id, 1_000);
    for i in 0..100 {
        node.runtime.http_request(
            &id,
            "GET",
            8080,
            "/",
            "10.244.2.1",
            "curl/8.5.0",
            1_000 + i * 10,
        );
    }
    let busy = node.runtime.container_usage(&id, 2_000);
    let later = node.runtime.container_usage(&id, 30_000);
    assert_eq!(idle.cpu_millis, 0);
    assert_eq!(
        busy.cpu_millis, 300,
        "10 requests/s over the window at 30m each"
    );
    assert!(busy.memory_bytes > idle.memory_bytes);
    assert_eq!(later, idle);
}

#[test]
fn the_container_status_names_the_image_by_digest_as_pod_status_imageid_does() {
    let mut node = node();
    let id = node.run(config("nginx:1.27", &[], &[]), 0, 0);
    let c = node.runtime.container_status(&id).unwrap();
    assert_eq!(c.image_ref, "docker.io/library/nginx:1.27");
    assert!(
        c.repo_digest.starts_with("docker.io/library/nginx@sha256:"),
        "{}",
        c.repo_digest
    );
    assert_eq!(
        c.repo_digest.len(),
        "docker.io/library/nginx@sha256:".len() + 64
    );
}

//! Pulls on a node's content store: layer sharing, timing at the node's bandwidth, progress
//! states, errors and pull policies.

use kube_sandbox::sim::runtime::image_store::{
    err_image_never_pull, ImageStore, LayerState, PullEvent, PullPolicy, RESOLVE_TICKS,
};
use kube_sandbox::sim::runtime::reference::parse_image_ref;
use kube_sandbox::sim::runtime::{Registries, Runtime, RuntimeConfig, RuntimeEvent};

const MB: u64 = 1_000_000;

fn spec_bytes(registries: &Registries, image: &str) -> u64 {
    let r = parse_image_ref(image).unwrap();
    registries.resolve(&r).unwrap().size_bytes()
}

fn pull_to_end(
    store: &mut ImageStore,
    registries: &Registries,
    image: &str,
    start: u64,
) -> PullEvent {
    let r = parse_image_ref(image).unwrap();
    store.start_pull(&r, registries, start);
    let events = store.advance(start + 3_600_000);
    events.into_iter().find(|e| matches!(e, PullEvent::Completed { reference, .. } | PullEvent::Failed { reference, .. } if *reference == r.to_string())).unwrap()
}

#[test]
fn the_second_image_on_the_same_base_downloads_only_what_is_missing() {
    let registries = Registries::standard();
    let mut store = ImageStore::new(10 * MB);
    let nginx = pull_to_end(&mut store, &registries, "nginx:1.27", 0);
    let PullEvent::Completed {
        bytes_downloaded, ..
    } = nginx
    else {
        panic!("{nginx:?}")
    };
    assert_eq!(bytes_downloaded, spec_bytes(&registries, "nginx:1.27"));

    let httpd = pull_to_end(&mut store, &registries, "httpd:2.4", 1_000_000);
    let PullEvent::Completed {
        bytes_downloaded,
        size_bytes,
        ..
    } = httpd
    else {
        panic!("{httpd:?}")
    };
    let base = 28_227_259;
    assert_eq!(size_bytes, spec_bytes(&registries, "httpd:2.4"));
    assert_eq!(
        bytes_downloaded,
        size_bytes - base,
        "the debian base layer is already there"
    );

    // The progress view says so, layer by layer.
    let progress = store.pull_progress("docker.io/library/httpd:2.4");
    assert_eq!(progress[0].state, LayerState::AlreadyExists);
    assert!(progress[1..]
        .iter()
        .all(|l| l.state == LayerState::PullComplete));
}

#[test]
fn a_pull_takes_the_missing_bytes_over_the_bandwidth_plus_the_resolve() {
    let registries = Registries::standard();
    let table = [
        // (bandwidth bytes/s, image)
        (10 * MB, "nginx:1.27"),
        (MB, "alpine:3.21"),
        (50 * MB, "mysql:8.4"),
    ];
    for (bandwidth, image) in table {
        let mut store = ImageStore::new(bandwidth);
        let event = pull_to_end(&mut store, &registries, image, 5_000);
        let PullEvent::Completed {
            started_tick,
            finished_tick,
            ..
        } = event
        else {
            panic!("{event:?}")
        };
        let bytes = spec_bytes(&registries, image) as u128;
        let transfer_ticks = (bytes * 1000).div_ceil(bandwidth as u128) as u64;
        let took = finished_tick - started_tick;
        // Shares between up to three concurrent layers round down by at most a tick per layer.
        assert!(
            took >= RESOLVE_TICKS + transfer_ticks && took <= RESOLVE_TICKS + transfer_ticks + 8,
            "{image}: took {took}, want ~{}",
            RESOLVE_TICKS + transfer_ticks
        );
    }
}

#[test]
fn progress_shows_waiting_and_downloading_layers_mid_pull() {
    let registries = Registries::standard();
    let mut store = ImageStore::new(10 * MB);
    let r = parse_image_ref("nginx:1.27").unwrap();
    store.start_pull(&r, &registries, 0);
    assert!(store
        .pull_progress(&r.to_string())
        .iter()
        .all(|l| l.state == LayerState::PullingFsLayer));
    store.advance(RESOLVE_TICKS + 500);
    let progress = store.pull_progress(&r.to_string());
    let states: Vec<LayerState> = progress.iter().map(|l| l.state).collect();
    // The five tiny script layers finish first; the two big ones are still downloading.
    assert_eq!(states[0], LayerState::Downloading);
    assert_eq!(states[1], LayerState::Downloading);
    let done: u64 = progress.iter().map(|l| l.done_bytes).sum();
    // 500 ms at 10 MB/s is 5 MB; each layer that completes mid-tick leaves the rest of that
    // tick's share unused (at most 10 kB per completion, five small layers completed).
    assert!((4_950_000..=5_000_000).contains(&done), "got {done}");
    assert!(!store.has_image(&r));
}

#[test]
fn two_pulls_of_images_sharing_a_layer_fetch_it_once() {
    let registries = Registries::standard();
    let mut store = ImageStore::new(10 * MB);
    store.start_pull(&parse_image_ref("nginx:1.27").unwrap(), &registries, 0);
    store.start_pull(&parse_image_ref("redis:7.4").unwrap(), &registries, 0);
    let events = store.advance(600_000);
    let downloaded: u64 = events
        .iter()
        .map(|e| match e {
            PullEvent::Completed {
                bytes_downloaded, ..
            } => *bytes_downloaded,
            _ => 0,
        })
        .sum();
    let want =
        spec_bytes(&registries, "nginx:1.27") + spec_bytes(&registries, "redis:7.4") - 28_227_259;
    assert_eq!(downloaded, want);
    assert_eq!(store.disk_bytes(), want);
}

#[test]
fn unknown_images_fail_after_the_resolve_round_trip() {
    let registries = Registries::standard();
    let mut store = ImageStore::new(10 * MB);
    store.start_pull(&parse_image_ref("ngnix").unwrap(), &registries, 100);
    assert!(store.advance(100 + RESOLVE_TICKS - 1).is_empty());
    let events = store.advance(100 + RESOLVE_TICKS);
    let [PullEvent::Failed {
        error,
        finished_tick,
        ..
    }] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!(*finished_tick, 100 + RESOLVE_TICKS);
    assert!(error
        .to_string()
        .contains("pull access denied, repository does not exist or may require authorization"));
}

#[test]
fn pull_policies_decide_as_the_kubelet_does() {
    let table = [
        (PullPolicy::Always, true, Ok(true)),
        (PullPolicy::Always, false, Ok(true)),
        (PullPolicy::IfNotPresent, true, Ok(false)),
        (PullPolicy::IfNotPresent, false, Ok(true)),
        (PullPolicy::Never, true, Ok(false)),
        (
            PullPolicy::Never,
            false,
            Err(
                "Container image \"nginx:1.27\" is not present with pull policy of Never"
                    .to_string(),
            ),
        ),
    ];
    for (policy, present, want) in table {
        assert_eq!(
            policy.decide("nginx:1.27", present),
            want,
            "{policy:?} present={present}"
        );
    }
    assert_eq!(PullPolicy::default_for("nginx"), PullPolicy::Always);
    assert_eq!(PullPolicy::default_for("nginx:latest"), PullPolicy::Always);
    assert_eq!(
        PullPolicy::default_for("nginx:1.27"),
        PullPolicy::IfNotPresent
    );
    assert_eq!(
        err_image_never_pull("x"),
        "Container image \"x\" is not present with pull policy of Never"
    );
}

#[test]
fn removing_an_image_keeps_layers_other_images_still_use() {
    let registries = Registries::standard();
    let mut store = ImageStore::new(100 * MB);
    pull_to_end(&mut store, &registries, "nginx:1.27", 0);
    pull_to_end(&mut store, &registries, "httpd:2.4", 100_000);
    assert!(store.remove("docker.io/library/nginx:1.27"));
    assert_eq!(store.disk_bytes(), spec_bytes(&registries, "httpd:2.4"));
    assert!(!store.remove("docker.io/library/nginx:1.27"));
}

#[test]
fn the_runtime_reports_pull_results_through_advance() {
    let registries = Registries::standard();
    let mut runtime = Runtime::new(RuntimeConfig::new("node1", 1), &registries);
    let reference = runtime.pull_image("busybox", &registries, 0).unwrap();
    assert_eq!(reference, "docker.io/library/busybox:latest");
    assert!(!runtime.has_image("busybox"));
    let events = runtime.advance(10_000);
    assert!(
        matches!(
            events.as_slice(),
            [RuntimeEvent::Pull(PullEvent::Completed { .. })]
        ),
        "{events:?}"
    );
    assert!(runtime.has_image("busybox:latest"));
    assert!(runtime.has_image("docker.io/library/busybox"));
    let err = runtime
        .pull_image("Nginx", &registries, 10_000)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("repository name (library/Nginx) must be lowercase"),
        "{err}"
    );
}

#[test]
fn a_failed_pull_reaches_the_kubelet_wrapped_in_its_grpc_status() {
    let registries = Registries::standard();
    let mut store = ImageStore::new(10 * MB);
    let table = [
        ("nginx:9.9", "rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:9.9\": failed to resolve reference \"docker.io/library/nginx:9.9\": docker.io/library/nginx:9.9: not found"),
        ("ngnix", "rpc error: code = Unknown desc = failed to pull and unpack image \"docker.io/library/ngnix:latest\": failed to resolve reference \"docker.io/library/ngnix:latest\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"),
    ];
    for (image, want) in table {
        let event = pull_to_end(&mut store, &registries, image, 0);
        let PullEvent::Failed { error, .. } = event else {
            panic!("{event:?}")
        };
        assert_eq!(
            kube_sandbox::sim::runtime::CriError::from(&error).to_string(),
            want
        );
    }
}

//! `crictl` and `docker` text from a node's runtime, golden.

use kube_sandbox::sim::rng::Rng;
use kube_sandbox::sim::runtime::cri::{ContainerConfig, PodSandboxConfig};
use kube_sandbox::sim::runtime::views::{
    crictl_images, crictl_pods, crictl_ps, docker_images, docker_ps, pull_progress_lines,
};
use kube_sandbox::sim::runtime::{Registries, Runtime, RuntimeConfig};

fn scenario() -> Runtime {
    let registries = Registries::standard();
    let mut runtime = Runtime::new(RuntimeConfig::new("node1", 1), &registries);
    let mut rng = Rng::new(7);
    runtime
        .preload("registry.k8s.io/kube-proxy:v1.32.0", &registries, 0)
        .unwrap();
    runtime.pull_image("nginx:1.27", &registries, 0).unwrap();
    runtime.pull_image("busybox", &registries, 0).unwrap();
    runtime.advance(20_000);
    let proxy = runtime
        .run_pod_sandbox(
            PodSandboxConfig {
                name: "kube-proxy-8xk2p".into(),
                namespace: "kube-system".into(),
                uid: "9a1e".into(),
                ip: "172.16.20.12".into(),
                ..Default::default()
            },
            &mut rng,
            1_000,
        )
        .unwrap();
    let c = runtime
        .create_container(
            &proxy,
            ContainerConfig {
                name: "kube-proxy".into(),
                image: "registry.k8s.io/kube-proxy:v1.32.0".into(),
                ..Default::default()
            },
            &mut rng,
            1_500,
        )
        .unwrap();
    runtime.start_container(&c, 1_600).unwrap();
    let web = runtime
        .run_pod_sandbox(
            PodSandboxConfig {
                name: "web-7d4b9c8f5-x2k4q".into(),
                namespace: "default".into(),
                uid: "3f1c".into(),
                ip: "10.244.1.5".into(),
                ..Default::default()
            },
            &mut rng,
            30_000,
        )
        .unwrap();
    let c = runtime
        .create_container(
            &web,
            ContainerConfig {
                name: "nginx".into(),
                image: "nginx:1.27".into(),
                ..Default::default()
            },
            &mut rng,
            31_000,
        )
        .unwrap();
    runtime.start_container(&c, 31_000).unwrap();
    let c = runtime
        .create_container(
            &web,
            ContainerConfig {
                name: "sidecar".into(),
                image: "busybox".into(),
                command: vec!["sh".into(), "-c".into(), "exit 3".into()],
                ..Default::default()
            },
            &mut rng,
            32_000,
        )
        .unwrap();
    runtime.start_container(&c, 32_000).unwrap();
    runtime.advance(300_000);
    runtime
}

#[test]
fn crictl_ps_lists_running_containers_newest_first_with_13_character_ids_and_namespaces() {
    let rt = scenario();
    assert_eq!(
        crictl_ps(&rt, 300_000, false),
        concat!(
            "CONTAINER           IMAGE               CREATED             STATE               NAME                ATTEMPT             POD ID              POD                   NAMESPACE\n",
            "eb0354df4a45b       45b969202958f       4 minutes ago       Running             nginx               0                   225ec07a99506       web-7d4b9c8f5-x2k4q   default\n",
            "73d33b666a1e2       e4a108d139375       4 minutes ago       Running             kube-proxy          0                   63cbe1e459320       kube-proxy-8xk2p      kube-system\n",
        )
    );
}

#[test]
fn crictl_ps_a_adds_exited_containers() {
    let rt = scenario();
    assert_eq!(
        crictl_ps(&rt, 300_000, true),
        concat!(
            "CONTAINER           IMAGE               CREATED             STATE               NAME                ATTEMPT             POD ID              POD                   NAMESPACE\n",
            "e12e5d006cd3d       5462528164a31       4 minutes ago       Exited              sidecar             0                   225ec07a99506       web-7d4b9c8f5-x2k4q   default\n",
            "eb0354df4a45b       45b969202958f       4 minutes ago       Running             nginx               0                   225ec07a99506       web-7d4b9c8f5-x2k4q   default\n",
            "73d33b666a1e2       e4a108d139375       4 minutes ago       Running             kube-proxy          0                   63cbe1e459320       kube-proxy-8xk2p      kube-system\n",
        )
    );
}

#[test]
fn crictl_images_lists_references_sorted_with_compressed_sizes() {
    let rt = scenario();
    assert_eq!(
        crictl_images(&rt),
        concat!(
            "IMAGE                        TAG                 IMAGE ID            SIZE\n",
            "docker.io/library/busybox    latest              5462528164a31       2.15MB\n",
            "docker.io/library/nginx      1.27                45b969202958f       72.2MB\n",
            "registry.k8s.io/kube-proxy   v1.32.0             e4a108d139375       30.9MB\n",
            "registry.k8s.io/pause        3.10                127ec9776e32d       320kB\n",
        )
    );
}

#[test]
fn crictl_pods_lists_sandboxes_newest_first() {
    let rt = scenario();
    assert_eq!(
        crictl_pods(&rt, 300_000),
        concat!(
        "POD ID              CREATED             STATE               NAME                  NAMESPACE           ATTEMPT             RUNTIME\n",
        "225ec07a99506       4 minutes ago       Ready               web-7d4b9c8f5-x2k4q   default             0                   (default)\n",
        "63cbe1e459320       4 minutes ago       Ready               kube-proxy-8xk2p      kube-system         0                   (default)\n",
    )
    );
}

#[test]
fn docker_ps_a_shows_pause_containers_and_dockershim_names() {
    let rt = scenario();
    assert_eq!(
        docker_ps(&rt, 300_000, true),
        concat!(
        "CONTAINER ID   IMAGE                                COMMAND                  CREATED         STATUS                     PORTS     NAMES\n",
        "e12e5d006cd3   busybox                              \"sh -c exit 3\"           4 minutes ago   Exited (3) 4 minutes ago             k8s_sidecar_web-7d4b9c8f5-x2k4q_default_3f1c_0\n",
        "eb0354df4a45   nginx:1.27                           \"/docker-entrypoint.…\"   4 minutes ago   Up 4 minutes                         k8s_nginx_web-7d4b9c8f5-x2k4q_default_3f1c_0\n",
        "225ec07a9950   registry.k8s.io/pause:3.10           \"/pause\"                 4 minutes ago   Up 4 minutes                         k8s_POD_web-7d4b9c8f5-x2k4q_default_3f1c_0\n",
        "73d33b666a1e   registry.k8s.io/kube-proxy:v1.32.0   \"/usr/local/bin/kube…\"   4 minutes ago   Up 4 minutes                         k8s_kube-proxy_kube-proxy-8xk2p_kube-system_9a1e_0\n",
        "63cbe1e45932   registry.k8s.io/pause:3.10           \"/pause\"                 4 minutes ago   Up 4 minutes                         k8s_POD_kube-proxy-8xk2p_kube-system_9a1e_0\n",
    )
    );
}

#[test]
fn docker_images_lists_newest_images_first_with_unpacked_sizes() {
    let rt = scenario();
    assert_eq!(
        docker_images(&rt, 300_000),
        concat!(
            "REPOSITORY                   TAG       IMAGE ID       CREATED        SIZE\n",
            "nginx                        1.27      45b969202958   6 weeks ago    192MB\n",
            "registry.k8s.io/kube-proxy   v1.32.0   e4a108d13937   6 months ago   95.3MB\n",
            "busybox                      latest    5462528164a3   9 months ago   4.27MB\n",
            "registry.k8s.io/pause        3.10      127ec9776e32   9 months ago   736kB\n",
        )
    );
}

#[test]
fn pull_progress_reads_like_docker_pull() {
    let registries = Registries::standard();
    let mut runtime = Runtime::new(RuntimeConfig::new("node1", 1), &registries);
    runtime.preload("httpd:2.4", &registries, 0).unwrap();
    let reference = runtime.pull_image("nginx:1.27", &registries, 0).unwrap();
    runtime.advance(1_300);
    let got = pull_progress_lines(&runtime, &reference).join("\n") + "\n";
    assert_eq!(got, PROGRESS);
}

const PROGRESS: &str = concat!(
    "d03645d1ea32: Already exists\n",
    "35998e6102c8: Downloading [===========>                                       ]  9.982MB/43.95MB\n",
    "d317d00504df: Download complete\n",
    "1c2070db7157: Download complete\n",
    "fcb86ed2cd58: Download complete\n",
    "d1c82583b2e9: Download complete\n",
    "e894e5200f0f: Download complete\n",
);

#[test]
fn crictl_images_lists_every_tag_of_an_image_under_its_one_id() {
    let registries = Registries::standard();
    let mut runtime = Runtime::new(RuntimeConfig::new("node1", 1), &registries);
    runtime.preload("nginx:1.27", &registries, 0).unwrap();
    runtime.preload("nginx", &registries, 0).unwrap();
    runtime
        .preload("hub.example.com/nginx", &registries, 0)
        .unwrap();
    assert_eq!(
        crictl_images(&runtime),
        concat!(
            "IMAGE                     TAG                 IMAGE ID            SIZE\n",
            "docker.io/library/nginx   1.27                45b969202958f       72.2MB\n",
            "docker.io/library/nginx   latest              45b969202958f       72.2MB\n",
            "hub.example.com/nginx     latest              45b969202958f       72.2MB\n",
            "registry.k8s.io/pause     3.10                127ec9776e32d       320kB\n",
        )
    );
}

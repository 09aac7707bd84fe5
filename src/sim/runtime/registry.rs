//! The simulated registries: Docker Hub, registry.k8s.io and the course's private
//! `hub.example.com`, each holding real-world images as manifests of layers.
//!
//! Images built on the same base share that base's layer digest (nginx, httpd and redis all start
//! with debian bookworm-slim; the kube-* images with distroless), so a node's content store
//! downloads a shared layer once. Digests are SHA-256 of a descriptive string: deterministic and
//! well-formed, but not the real upstream digests.
//!
//! Mirrors: an OCI distribution registry as containerd's resolver sees it (resolve a reference to
//! a manifest, then fetch layer blobs) and containerd's pull error texts.
//! Simplified: one platform (linux/amd64), no manifest lists, no authentication (private
//! repositories on hub.example.com are open, as an insecure lab registry is); sizes are close to
//! the real compressed sizes, not exact.

use std::collections::BTreeMap;
use std::fmt;

use super::apps::{AppKind, Signal};
use super::digest::digest_of;
use super::reference::ImageRef;

/// One layer blob: compressed size as the registry serves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    pub digest: String,
    pub size_bytes: u64,
    /// What the layer holds (the Dockerfile step that made it), shown by `docker history`.
    pub created_by: String,
}

/// The base operating system of an image, for `/etc/os-release` and whether `sh` exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    Debian,
    Alpine,
    Busybox,
    OracleLinux,
    /// No shell, no coreutils: `kubectl exec ... sh` fails, as on the real kube-* images.
    Distroless,
    /// Nothing but the binary (pause).
    Scratch,
}

impl Base {
    pub fn has_shell(self) -> bool {
        !matches!(self, Base::Distroless | Base::Scratch)
    }

    pub fn os_release(self) -> &'static str {
        match self {
            Base::Debian => "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n",
            Base::Alpine => "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.21.3\nPRETTY_NAME=\"Alpine Linux v3.21\"\n",
            Base::OracleLinux => "NAME=\"Oracle Linux Server\"\nVERSION=\"9.5\"\nID=\"ol\"\nPRETTY_NAME=\"Oracle Linux Server 9.5\"\n",
            Base::Busybox | Base::Distroless | Base::Scratch => "",
        }
    }
}

/// A manifest plus the config an image runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageSpec {
    /// Full repository name: `docker.io/library/nginx`.
    pub repository: String,
    pub tags: Vec<String>,
    pub layers: Vec<Layer>,
    /// The config digest, which is what `crictl images` calls IMAGE ID.
    pub id: String,
    /// The manifest digest (`RepoDigests`).
    pub manifest_digest: String,
    pub created_unix_seconds: i64,
    /// Size on disk once unpacked, which `docker images` shows.
    pub unpacked_bytes: u64,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<(String, String)>,
    /// containerd sends the image's `StopSignal` on StopContainer (nginx: SIGQUIT).
    pub stop_signal: Signal,
    /// The basename of the program the image exists to run (`nginx`, `redis-server`).
    pub program: String,
    pub app: AppKind,
    pub base: Base,
    pub exposed_ports: Vec<u16>,
    /// `WorkingDir` of the config ("" for the root).
    pub working_dir: String,
    /// `User` of the config ("" for root).
    pub user: String,
    pub labels: Vec<(String, String)>,
    /// The config's history, oldest first: one entry per Dockerfile step, layer or not.
    pub history: Vec<HistoryEntry>,
}

/// One step of an image's history, as `docker history` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    pub created_by: String,
    pub created_unix_seconds: i64,
    pub size_bytes: u64,
    /// The step changed only the config (ENV, CMD, ...): no layer.
    pub empty_layer: bool,
    /// `buildkit.dockerfile.v0` for steps of a Dockerfile built here.
    pub comment: String,
}

impl HistoryEntry {
    /// The history entry of a layer whose size is not known (the catalog's images).
    pub fn layer(created_by: &str, created_unix_seconds: i64) -> Self {
        HistoryEntry {
            created_by: created_by.to_string(),
            created_unix_seconds,
            size_bytes: 0,
            empty_layer: false,
            comment: String::new(),
        }
    }
}

impl ImageSpec {
    /// Sum of the compressed layer sizes: what a pull downloads and `crictl images` shows.
    pub fn size_bytes(&self) -> u64 {
        self.layers.iter().map(|l| l.size_bytes).sum()
    }
}

/// Why a pull failed to resolve; `Display` is containerd's text, without the gRPC wrapper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullError {
    /// The normalized reference, `docker.io/library/ngnix:latest`.
    pub reference: String,
    pub kind: PullErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PullErrorKind {
    /// Docker Hub answers 401 for a repository that does not exist.
    AccessDenied,
    /// The repository exists (or the registry is a plain one) but the tag or digest does not.
    NotFound,
    /// The registry host does not resolve.
    NoSuchHost { host: String, url: String },
    /// containerd went away in the middle of the pull.
    Canceled,
}

/// The resolver the simulated nodes use (systemd-resolved's stub).
const NODE_RESOLVER: &str = "127.0.0.53:53";

impl PullError {
    /// The gRPC code containerd's CRI plugin returns for this failure.
    pub fn is_not_found(&self) -> bool {
        self.kind == PullErrorKind::NotFound
    }
}

impl fmt::Display for PullError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.reference;
        write!(f, "failed to pull and unpack image \"{r}\": ")?;
        if self.kind == PullErrorKind::Canceled {
            return write!(f, "context canceled");
        }
        write!(f, "failed to resolve reference \"{r}\": ")?;
        match &self.kind {
            PullErrorKind::AccessDenied => write!(
                f,
                "pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"
            ),
            PullErrorKind::NotFound => write!(f, "{r}: not found"),
            PullErrorKind::NoSuchHost { host, url } => write!(
                f,
                "failed to do request: Head \"{url}\": dial tcp: lookup {host} on {NODE_RESOLVER}: no such host"
            ),
            PullErrorKind::Canceled => Ok(()),
        }
    }
}

/// The registries as every VM of one lab sees them: what `docker push` uploads from master, the
/// kubelets' pulls on node1 and node2 find.
pub type SharedRegistries = std::rc::Rc<std::cell::RefCell<Registries>>;

/// Every registry the simulated VMs can reach, keyed by domain.
#[derive(Clone, Debug)]
pub struct Registries {
    images: Vec<ImageSpec>,
    /// (repository, tag) -> index into `images`.
    tags: BTreeMap<(String, String), usize>,
}

/// What `kubeadm config images list --kubernetes-version v1.32.0` prints: the control-plane
/// images a kubeadm node has before the lab starts.
pub const KUBEADM_IMAGES: [&str; 7] = [
    "registry.k8s.io/kube-apiserver:v1.32.0",
    "registry.k8s.io/kube-controller-manager:v1.32.0",
    "registry.k8s.io/kube-scheduler:v1.32.0",
    "registry.k8s.io/kube-proxy:v1.32.0",
    "registry.k8s.io/coredns/coredns:v1.11.3",
    "registry.k8s.io/pause:3.10",
    "registry.k8s.io/etcd:3.5.16-0",
];

/// The CNI agent's image (the flannel DaemonSet).
pub const CNI_IMAGE: &str = "docker.io/flannel/flannel:v0.26.1";

/// Hosts that answer; any other domain fails DNS.
pub const KNOWN_REGISTRY_HOSTS: [&str; 3] = ["docker.io", "registry.k8s.io", "hub.example.com"];

impl Registries {
    /// The world the sandbox starts with.
    pub fn standard() -> Self {
        let mut registries = Registries {
            images: Vec::new(),
            tags: BTreeMap::new(),
        };
        for image in catalog() {
            registries.add(image);
        }
        registries
    }

    fn add(&mut self, image: ImageSpec) {
        let index = self.images.len();
        for tag in &image.tags {
            self.tags
                .insert((image.repository.clone(), tag.clone()), index);
        }
        self.images.push(image);
    }

    /// Every image, in catalog order.
    pub fn images(&self) -> &[ImageSpec] {
        &self.images
    }

    /// Resolves a reference to a manifest, as containerd's resolver does before fetching layers.
    pub fn resolve(&self, reference: &ImageRef) -> Result<&ImageSpec, PullError> {
        let normalized = reference.to_string();
        if !KNOWN_REGISTRY_HOSTS.contains(&reference.domain.as_str()) {
            let host = reference
                .domain
                .split(':')
                .next()
                .unwrap_or_default()
                .to_string();
            let object = reference
                .digest
                .clone()
                .or_else(|| reference.tag_or_latest().map(str::to_string))
                .unwrap_or_default();
            return Err(PullError {
                reference: normalized,
                kind: PullErrorKind::NoSuchHost {
                    url: format!(
                        "https://{}/v2/{}/manifests/{object}",
                        reference.domain, reference.path
                    ),
                    host,
                },
            });
        }
        let name = reference.name();
        let repository_exists = self.tags.keys().any(|(repo, _)| *repo == name);
        let found = match (&reference.digest, reference.tag_or_latest()) {
            (Some(digest), tag) => self.images.iter().find(|image| {
                image.repository == name
                    && image.manifest_digest == *digest
                    && tag.is_none_or(|t| image.tags.iter().any(|x| x == t))
            }),
            (None, Some(tag)) => self
                .tags
                .get(&(name.clone(), tag.to_string()))
                .and_then(|&i| self.images.get(i)),
            (None, None) => None,
        };
        match found {
            Some(image) => Ok(image),
            // Docker Hub hides whether a repository exists behind an authorization error.
            None if reference.domain == "docker.io" && !repository_exists => Err(PullError {
                reference: normalized,
                kind: PullErrorKind::AccessDenied,
            }),
            None => Err(PullError {
                reference: normalized,
                kind: PullErrorKind::NotFound,
            }),
        }
    }

    /// `docker tag SRC TARGET && docker push TARGET`: the target repository gets the same layers
    /// and config, so its image id and layer digests are the source's.
    pub fn push(&mut self, source: &ImageRef, target: &ImageRef) -> Result<(), PullError> {
        let mut image = self.resolve(source)?.clone();
        if !KNOWN_REGISTRY_HOSTS.contains(&target.domain.as_str()) {
            // Pushing to an unknown host fails the same DNS way.
            let err = self.resolve(target).err();
            return match err {
                Some(e) => Err(e),
                None => Ok(()),
            };
        }
        image.repository = target.name();
        image.tags = vec![target.tag_or_latest().unwrap_or("latest").to_string()];
        image.manifest_digest = digest_of(&format!("manifest {} {}", image.repository, image.id));
        self.add(image);
        Ok(())
    }
}

/// One layer of a `docker push`, in the image's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushedLayer {
    pub digest: String,
    pub size_bytes: u64,
    /// The registry had the blob already (`Layer already exists`); else it was uploaded.
    pub existed: bool,
}

/// What a push did: the layers, and the manifest the tag now names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pushed {
    pub layers: Vec<PushedLayer>,
    pub manifest_digest: String,
    /// The manifest's length in bytes (`latest: digest: sha256:... size: 1786`).
    pub manifest_bytes: usize,
}

impl Registries {
    /// Does the registry at `domain` hold this blob (in any repository)?
    pub fn has_blob(&self, domain: &str, digest: &str) -> bool {
        self.images.iter().any(|image| {
            image.repository.split('/').next() == Some(domain)
                && image.layers.iter().any(|l| l.digest == digest)
        })
    }

    /// `docker push`: uploads the layers the registry lacks and points `target`'s tag at the
    /// image's manifest. The manifest digest is the SHA-256 of the manifest's text (schema 2,
    /// indented as Docker writes it), so the same image pushed anywhere has the same digest.
    pub fn push_image(&mut self, spec: &ImageSpec, target: &ImageRef) -> Pushed {
        let layers: Vec<PushedLayer> = spec
            .layers
            .iter()
            .map(|l| PushedLayer {
                digest: l.digest.clone(),
                size_bytes: l.size_bytes,
                existed: self.has_blob(&target.domain, &l.digest),
            })
            .collect();
        let manifest = manifest_text(spec);
        let manifest_digest = super::digest::digest_of(&manifest);
        let tag = target.tag_or_latest().unwrap_or("latest").to_string();
        let name = target.name();
        let existing = self
            .images
            .iter()
            .position(|image| image.repository == name && image.id == spec.id);
        match existing {
            Some(index) => {
                if let Some(image) = self.images.get_mut(index) {
                    if !image.tags.contains(&tag) {
                        image.tags.push(tag.clone());
                    }
                }
                self.tags.insert((name, tag), index);
            }
            None => {
                let mut image = spec.clone();
                image.repository = name;
                image.tags = vec![tag];
                image.manifest_digest = manifest_digest.clone();
                self.add(image);
            }
        }
        Pushed {
            layers,
            manifest_digest,
            manifest_bytes: manifest.len(),
        }
    }
}

/// An image manifest (schema 2) as Docker writes it, indented by three spaces.
fn manifest_text(spec: &ImageSpec) -> String {
    let config_bytes = 1_500
        + spec
            .history
            .iter()
            .map(|h| h.created_by.len() + 80)
            .sum::<usize>();
    let mut text = format!(
        "{{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n   \"config\": {{\n      \"mediaType\": \"application/vnd.docker.container.image.v1+json\",\n      \"size\": {config_bytes},\n      \"digest\": \"{}\"\n   }},\n   \"layers\": [",
        spec.id
    );
    for (i, layer) in spec.layers.iter().enumerate() {
        let comma = if i + 1 < spec.layers.len() { "," } else { "" };
        text.push_str(&format!(
            "\n      {{\n         \"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n         \"size\": {},\n         \"digest\": \"{}\"\n      }}{comma}",
            layer.size_bytes, layer.digest
        ));
    }
    text.push_str("\n   ]\n}");
    text
}

struct Recipe<'a> {
    repository: &'a str,
    tags: &'a [&'a str],
    created_unix_seconds: i64,
    layers: &'a [(&'a str, u64)],
    unpacked_bytes: u64,
    entrypoint: &'a [&'a str],
    cmd: &'a [&'a str],
    env: &'a [(&'a str, &'a str)],
    stop_signal: Signal,
    program: &'a str,
    app: AppKind,
    base: Base,
    exposed_ports: &'a [u16],
}

fn build(recipe: Recipe<'_>) -> ImageSpec {
    let layers: Vec<Layer> = recipe
        .layers
        .iter()
        .map(|(created_by, size_bytes)| Layer {
            // The digest depends on content only, so the same base is the same blob everywhere.
            digest: digest_of(&format!("layer {created_by} {size_bytes}")),
            size_bytes: *size_bytes,
            created_by: created_by.to_string(),
        })
        .collect();
    let layer_list: Vec<&str> = layers.iter().map(|l| l.digest.as_str()).collect();
    let id = digest_of(&format!(
        "config {} {} {}",
        recipe.program,
        recipe.created_unix_seconds,
        layer_list.join(",")
    ));
    let manifest_digest = digest_of(&format!("manifest {} {id}", recipe.repository));
    let strings = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let history = layers_history(&layers, recipe.created_unix_seconds);
    ImageSpec {
        repository: recipe.repository.to_string(),
        tags: strings(recipe.tags),
        layers,
        id,
        manifest_digest,
        created_unix_seconds: recipe.created_unix_seconds,
        unpacked_bytes: recipe.unpacked_bytes,
        entrypoint: strings(recipe.entrypoint),
        cmd: strings(recipe.cmd),
        env: recipe
            .env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        stop_signal: recipe.stop_signal,
        program: recipe.program.to_string(),
        app: recipe.app,
        base: recipe.base,
        exposed_ports: recipe.exposed_ports.to_vec(),
        working_dir: String::new(),
        user: String::new(),
        labels: Vec::new(),
        history,
    }
}

fn layers_history(layers: &[Layer], created_unix_seconds: i64) -> Vec<HistoryEntry> {
    layers
        .iter()
        .map(|l| HistoryEntry {
            size_bytes: l.size_bytes,
            ..HistoryEntry::layer(&l.created_by, created_unix_seconds)
        })
        .collect()
}

const PATH_ENV: (&str, &str) = (
    "PATH",
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
);
const BOOKWORM_SLIM: (&str, u64) = (
    "# debian.sh --arch 'amd64' out/ 'bookworm' '@1747699200'",
    28_227_259,
);
const ALPINE: (&str, u64) = (
    "ADD alpine-minirootfs-3.21.3-x86_64.tar.gz / # buildkit",
    3_642_247,
);
const DISTROLESS_STATIC: [(&str, u64); 3] = [
    (
        "bazel build @distroless//base:static_root_amd64_debian12",
        103_732,
    ),
    ("bazel build @distroless//base:certs tzdata passwd", 21_202),
    ("COPY go-runner /go-runner # buildkit", 1_283_934),
];
const DISTROLESS_IPTABLES: (&str, u64) = (
    "FROM registry.k8s.io/build-image/distroless-iptables:v0.6.6",
    19_402_714,
);
const ORACLE_SLIM: (&str, u64) = ("ADD oraclelinux-9-slim-amd64-rootfs.tar.xz /", 49_214_519);
const NODE7_JESSIE: [(&str, u64); 6] = [
    ("ADD file:debian-jessie-rootfs.tar.xz /", 52_608_190),
    (
        "RUN apt-get install -y ca-certificates curl wget",
        19_263_530,
    ),
    (
        "RUN apt-get install -y bzr git mercurial openssh-client subversion procps",
        43_225_488,
    ),
    (
        "RUN apt-get install -y autoconf automake bzip2 g++ gcc make (buildpack-deps)",
        134_063_119,
    ),
    (
        "RUN groupadd --gid 1000 node && useradd --uid 1000 node",
        4_131,
    ),
    (
        "ENV NODE_VERSION=7.10.1 RUN curl -SLO node-v7.10.1-linux-x64.tar.xz",
        19_536_422,
    ),
];

/// 2025-04-16, 2025-05-20, ... as Unix seconds: when each upstream image was built.
const APR_2025: i64 = 1_744_761_600;
const MAY_2025: i64 = 1_747_699_200;
const DEC_2024: i64 = 1_733_011_200;
const SEP_2024: i64 = 1_725_148_800;
const JUN_2017: i64 = 1_496_275_200;

fn catalog() -> Vec<ImageSpec> {
    let nginx_env: &[(&str, &str)] = &[
        PATH_ENV,
        ("NGINX_VERSION", "1.27.5"),
        ("NJS_VERSION", "0.8.10"),
        ("PKG_RELEASE", "1~bookworm"),
    ];
    let nginx_tail: [(&str, u64); 5] = [
        ("COPY docker-entrypoint.sh / # buildkit", 628),
        (
            "COPY 10-listen-on-ipv6-by-default.sh /docker-entrypoint.d # buildkit",
            955,
        ),
        (
            "COPY 15-local-resolvers.envsh /docker-entrypoint.d # buildkit",
            402,
        ),
        (
            "COPY 20-envsubst-on-templates.sh /docker-entrypoint.d # buildkit",
            1_210,
        ),
        (
            "COPY 30-tune-worker-processes.sh /docker-entrypoint.d # buildkit",
            1_398,
        ),
    ];
    let nginx_layers = |install: (&'static str, u64)| {
        let mut layers = vec![BOOKWORM_SLIM, install];
        layers.extend(nginx_tail);
        layers
    };
    let nginx_127 = nginx_layers((
        "RUN apt-get install nginx=1.27.5-1~bookworm njs",
        43_949_852,
    ));
    let nginx_126 = nginx_layers((
        "RUN apt-get install nginx=1.26.3-1~bookworm njs",
        43_710_311,
    ));
    let nginx = |repository: &'static str,
                 tags: &'static [&'static str],
                 layers: &[(&'static str, u64)],
                 created,
                 env: &[(&str, &str)]| {
        build(Recipe {
            repository,
            tags,
            created_unix_seconds: created,
            layers,
            unpacked_bytes: 192_004_117,
            entrypoint: &["/docker-entrypoint.sh"],
            cmd: &["nginx", "-g", "daemon off;"],
            env,
            stop_signal: Signal::Sigquit,
            program: "nginx",
            app: AppKind::Nginx,
            base: Base::Debian,
            exposed_ports: &[80],
        })
    };
    let kube = |component: &'static str,
                tag: &'static str,
                size: u64,
                unpacked: u64,
                port: u16,
                app: AppKind|
     -> ImageSpec {
        let mut layers = DISTROLESS_STATIC.to_vec();
        if component == "kube-proxy" {
            layers = vec![DISTROLESS_IPTABLES];
        }
        let binary = format!("COPY {component} /usr/local/bin/{component} # {tag}");
        layers.push((&binary, size));
        let repository = format!("registry.k8s.io/{component}");
        let entrypoint = format!("/usr/local/bin/{component}");
        build(Recipe {
            repository: &repository,
            tags: &[tag],
            created_unix_seconds: DEC_2024,
            layers: &layers,
            unpacked_bytes: unpacked,
            entrypoint: &[&entrypoint],
            cmd: &[],
            env: &[PATH_ENV],
            stop_signal: Signal::Sigterm,
            program: component,
            app,
            base: Base::Distroless,
            exposed_ports: &[port],
        })
    };
    let alpine_app = |repository: &'static str,
                      tags: &'static [&'static str],
                      binary: (&'static str, u64),
                      program: &'static str,
                      app: AppKind| {
        let entrypoint = format!("/usr/local/bin/{program}");
        build(Recipe {
            repository,
            tags,
            created_unix_seconds: MAY_2025,
            layers: &[ALPINE, binary],
            unpacked_bytes: 7_801_000 + binary.1 * 2,
            entrypoint: &[&entrypoint],
            cmd: &[],
            env: &[PATH_ENV],
            stop_signal: Signal::Sigterm,
            program,
            app,
            base: Base::Alpine,
            exposed_ports: &[],
        })
    };
    let kubia = |tags: &'static [&'static str], app_js: &'static str, app: AppKind| {
        let mut layers = NODE7_JESSIE.to_vec();
        layers.push((app_js, 167));
        build(Recipe {
            repository: if matches!(app, AppKind::KubiaUnhealthy) {
                "docker.io/luksa/kubia-unhealthy"
            } else {
                "docker.io/luksa/kubia"
            },
            tags,
            created_unix_seconds: JUN_2017,
            layers: &layers,
            unpacked_bytes: 660_163_123,
            entrypoint: &["node", "app.js"],
            cmd: &[],
            env: &[PATH_ENV, ("NODE_VERSION", "7.10.1")],
            stop_signal: Signal::Sigterm,
            program: "node",
            app,
            base: Base::Debian,
            exposed_ports: &[8080],
        })
    };

    let nginx_127_layers: &[(&str, u64)] = &nginx_127;
    vec![
        nginx("docker.io/library/nginx", &["1.27", "1.27.5", "latest"], nginx_127_layers, APR_2025, nginx_env),
        nginx("docker.io/library/nginx", &["1.26", "1.26.3"], &nginx_126, SEP_2024, &[PATH_ENV, ("NGINX_VERSION", "1.26.3")]),
        // The course notes' `docker push hub.example.com/nginx`: same layers, same image id.
        nginx("hub.example.com/nginx", &["latest", "1.27"], nginx_127_layers, APR_2025, nginx_env),
        build(Recipe {
            repository: "docker.io/library/httpd",
            tags: &["2.4", "2.4.63", "latest"],
            created_unix_seconds: MAY_2025,
            layers: &[
                BOOKWORM_SLIM,
                ("RUN mkdir -p /usr/local/apache2 # buildkit", 145),
                ("RUN apt-get install -y libapr1-dev libaprutil1-dev libpcre2-8-0 # buildkit", 4_195_810),
                ("RUN build httpd 2.4.63 # buildkit", 25_412_094),
                ("COPY httpd-foreground /usr/local/bin/ # buildkit", 294),
            ],
            unpacked_bytes: 148_028_004,
            entrypoint: &[],
            cmd: &["httpd-foreground"],
            env: &[PATH_ENV, ("HTTPD_VERSION", "2.4.63")],
            stop_signal: Signal::Sigwinch,
            program: "httpd-foreground",
            app: AppKind::Httpd,
            base: Base::Debian,
            exposed_ports: &[80],
        }),
        build(Recipe {
            repository: "docker.io/library/busybox",
            tags: &["1.37", "1.37.0", "latest"],
            created_unix_seconds: SEP_2024,
            layers: &[("ADD busybox.tar.xz / # buildkit", 2_152_262)],
            unpacked_bytes: 4_269_240,
            entrypoint: &[],
            cmd: &["sh"],
            env: &[("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")],
            stop_signal: Signal::Sigterm,
            program: "sh",
            app: AppKind::Shell,
            base: Base::Busybox,
            exposed_ports: &[],
        }),
        build(Recipe {
            repository: "docker.io/library/alpine",
            tags: &["3.21", "3.21.3", "latest"],
            created_unix_seconds: MAY_2025,
            layers: &[ALPINE],
            unpacked_bytes: 7_834_012,
            entrypoint: &[],
            cmd: &["/bin/sh"],
            env: &[PATH_ENV],
            stop_signal: Signal::Sigterm,
            program: "sh",
            app: AppKind::Shell,
            base: Base::Alpine,
            exposed_ports: &[],
        }),
        build(Recipe {
            repository: "docker.io/library/redis",
            tags: &["7.4", "7.4.2", "latest"],
            created_unix_seconds: MAY_2025,
            layers: &[
                BOOKWORM_SLIM,
                ("RUN groupadd -r -g 999 redis && useradd -r -g redis -u 999 redis # buildkit", 1_104),
                ("RUN install gosu 1.17 # buildkit", 1_216_914),
                ("RUN build redis 7.4.2 # buildkit", 15_993_012),
                ("RUN mkdir /data && chown redis:redis /data # buildkit", 98),
                ("COPY docker-entrypoint.sh /usr/local/bin/ # buildkit", 1_809),
            ],
            unpacked_bytes: 117_233_551,
            entrypoint: &["docker-entrypoint.sh"],
            cmd: &["redis-server"],
            env: &[PATH_ENV, ("REDIS_VERSION", "7.4.2")],
            stop_signal: Signal::Sigterm,
            program: "redis-server",
            app: AppKind::Redis,
            base: Base::Debian,
            exposed_ports: &[6379],
        }),
        build(Recipe {
            repository: "docker.io/library/mysql",
            tags: &["8.4", "8.4.5", "lts", "latest"],
            created_unix_seconds: APR_2025,
            layers: &[
                ORACLE_SLIM,
                ("RUN groupadd --system --gid 999 mysql # buildkit", 880),
                ("RUN install gosu 1.17 # buildkit", 983_101),
                ("RUN microdnf install -y bzip2 gzip openssl xz zstd findutils # buildkit", 5_702_214),
                ("RUN set -eux; key=BCA43417C3B485DD128EC6D4B7B3B788A8D3785C # buildkit", 2_601),
                ("RUN microdnf install -y mysql-community-server-minimal-8.4.5 # buildkit", 48_117_908),
                ("RUN microdnf install -y mysql-shell-8.4.5 # buildkit", 62_440_811),
                ("COPY docker-entrypoint.sh /usr/local/bin/ # buildkit", 5_291),
            ],
            unpacked_bytes: 603_114_552,
            entrypoint: &["docker-entrypoint.sh"],
            cmd: &["mysqld"],
            env: &[PATH_ENV, ("MYSQL_MAJOR", "8.4"), ("MYSQL_VERSION", "8.4.5-1.el9")],
            stop_signal: Signal::Sigterm,
            program: "mysqld",
            app: AppKind::Mysql,
            base: Base::OracleLinux,
            exposed_ports: &[3306, 33060],
        }),
        // The base of the course's chapter 2 Dockerfile (`FROM node:7`): kubia's layers but its
        // own app.js.
        build(Recipe {
            repository: "docker.io/library/node",
            tags: &["7", "7.10", "7.10.1"],
            created_unix_seconds: JUN_2017,
            layers: &NODE7_JESSIE,
            unpacked_bytes: 660_162_956,
            entrypoint: &[],
            cmd: &["node"],
            env: &[PATH_ENV, ("NODE_VERSION", "7.10.1")],
            stop_signal: Signal::Sigterm,
            program: "node",
            // `node` alone is a REPL, `node x.js` a script the sandbox cannot know.
            app: AppKind::Unsupported,
            base: Base::Debian,
            exposed_ports: &[],
        }),
        kubia(&["latest", "v1"], "ADD app.js /app.js # kubia v1", AppKind::Kubia { version: 1 }),
        kubia(&["v2"], "ADD app.js /app.js # kubia v2", AppKind::Kubia { version: 2 }),
        kubia(&["v3"], "ADD app.js /app.js # kubia v3, fails after the fifth request", AppKind::Kubia { version: 3 }),
        kubia(&["latest"], "ADD app.js /app.js # kubia-unhealthy", AppKind::KubiaUnhealthy),
        build(Recipe {
            repository: "registry.k8s.io/pause",
            tags: &["3.10"],
            created_unix_seconds: SEP_2024,
            layers: &[("ADD bin/pause-linux-amd64 /pause # buildkit", 320_368)],
            unpacked_bytes: 736_000,
            entrypoint: &["/pause"],
            cmd: &[],
            env: &[PATH_ENV],
            stop_signal: Signal::Sigterm,
            program: "pause",
            app: AppKind::Pause,
            base: Base::Scratch,
            exposed_ports: &[],
        }),
        build(Recipe {
            repository: "registry.k8s.io/coredns/coredns",
            tags: &["v1.11.3"],
            created_unix_seconds: SEP_2024,
            layers: &[
                DISTROLESS_STATIC[0],
                DISTROLESS_STATIC[1],
                ("COPY coredns /coredns # v1.11.3", 18_437_128),
            ],
            unpacked_bytes: 61_812_000,
            entrypoint: &["/coredns"],
            cmd: &[],
            env: &[PATH_ENV],
            stop_signal: Signal::Sigterm,
            program: "coredns",
            app: AppKind::CoreDns,
            base: Base::Distroless,
            exposed_ports: &[53, 9153],
        }),
        build(Recipe {
            repository: "registry.k8s.io/etcd",
            tags: &["3.5.16-0"],
            created_unix_seconds: SEP_2024,
            layers: &[
                DISTROLESS_STATIC[0],
                DISTROLESS_STATIC[1],
                ("COPY etcd etcdctl etcdutl /usr/local/bin/ # 3.5.16", 56_905_117),
                ("COPY migrate /usr/local/bin/ # 3.5.16-0", 1_036_401),
            ],
            unpacked_bytes: 149_541_000,
            entrypoint: &["/usr/local/bin/etcd"],
            cmd: &[],
            env: &[PATH_ENV],
            stop_signal: Signal::Sigterm,
            program: "etcd",
            app: AppKind::Etcd,
            base: Base::Distroless,
            exposed_ports: &[2379, 2380, 2381],
        }),
        kube("kube-apiserver", "v1.32.0", 27_322_901, 94_001_000, 6443, AppKind::KubeApiserver),
        kube("kube-controller-manager", "v1.32.0", 24_917_442, 88_302_000, 10257, AppKind::KubeControllerManager),
        kube("kube-scheduler", "v1.32.0", 19_291_004, 68_912_000, 10259, AppKind::KubeScheduler),
        kube("kube-proxy", "v1.32.0", 11_516_820, 95_271_000, 10256, AppKind::KubeProxy),
        build(Recipe {
            repository: "docker.io/flannel/flannel",
            tags: &["v0.26.1"],
            created_unix_seconds: DEC_2024,
            layers: &[
                ALPINE,
                ("RUN apk add --no-cache iproute2 ipset iptables-legacy ca-certificates strongswan # buildkit", 17_305_770),
                ("COPY dist/flanneld /opt/bin/flanneld # v0.26.1", 11_602_006),
                ("COPY dist/mk-docker-opts.sh /opt/bin/ # buildkit", 1_187),
            ],
            unpacked_bytes: 84_100_000,
            entrypoint: &["/opt/bin/flanneld"],
            cmd: &[],
            env: &[PATH_ENV],
            stop_signal: Signal::Sigterm,
            program: "flanneld",
            app: AppKind::Flannel,
            base: Base::Alpine,
            exposed_ports: &[],
        }),
        build(Recipe {
            repository: "docker.io/fluent/fluentd",
            tags: &["v1.16-1", "v1.16.5-1.0"],
            created_unix_seconds: MAY_2025,
            layers: &[
                ALPINE,
                ("RUN apk add --no-cache ca-certificates ruby ruby-irb ruby-etc ruby-webrick tini # buildkit", 12_907_331),
                ("RUN gem install fluentd -v 1.16.5 # buildkit", 14_120_904),
                ("COPY fluent.conf /fluentd/etc/ # buildkit", 413),
                ("COPY entrypoint.sh /bin/ # buildkit", 357),
            ],
            unpacked_bytes: 71_560_000,
            entrypoint: &["tini", "--", "/bin/entrypoint.sh"],
            cmd: &["fluentd"],
            env: &[PATH_ENV, ("FLUENTD_CONF", "fluent.conf")],
            stop_signal: Signal::Sigterm,
            program: "fluentd",
            app: AppKind::Fluentd,
            base: Base::Alpine,
            exposed_ports: &[24224, 5140],
        }),
        alpine_app("hub.example.com/crasher", &["1.0", "latest"], ("COPY crasher /usr/local/bin/crasher # buildkit", 2_104_774), "crasher", AppKind::Crasher),
        alpine_app("hub.example.com/memleak", &["1.0", "latest"], ("COPY memleak /usr/local/bin/memleak # buildkit", 1_822_510), "memleak", AppKind::MemLeak),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::runtime::reference::parse_image_ref;

    fn resolve(input: &str) -> Result<ImageSpec, String> {
        let registries = Registries::standard();
        let reference = parse_image_ref(input).map_err(|e| e.to_string())?;
        registries
            .resolve(&reference)
            .cloned()
            .map_err(|e| e.to_string())
    }

    #[test]
    fn nginx_is_about_seventy_megabytes_in_seven_layers_on_debian() {
        let nginx = resolve("nginx:1.27").unwrap();
        assert_eq!(nginx.layers.len(), 7);
        assert!(
            (70_000_000..75_000_000).contains(&nginx.size_bytes()),
            "{}",
            nginx.size_bytes()
        );
        let alpine = resolve("alpine").unwrap();
        assert_eq!(alpine.layers.len(), 1);
        assert!((3_000_000..4_000_000).contains(&alpine.size_bytes()));
    }

    #[test]
    fn images_on_the_same_base_share_the_base_layer_digest() {
        let nginx = resolve("nginx").unwrap();
        let httpd = resolve("httpd").unwrap();
        let redis = resolve("redis").unwrap();
        assert_eq!(nginx.layers[0].digest, httpd.layers[0].digest);
        assert_eq!(nginx.layers[0].digest, redis.layers[0].digest);
        assert_ne!(nginx.layers[1].digest, httpd.layers[1].digest);
        assert_ne!(nginx.id, httpd.id);
        let apiserver = resolve("registry.k8s.io/kube-apiserver:v1.32.0").unwrap();
        let scheduler = resolve("registry.k8s.io/kube-scheduler:v1.32.0").unwrap();
        assert_eq!(apiserver.layers[..3], scheduler.layers[..3]);
    }

    #[test]
    fn the_pushed_private_nginx_is_the_same_image_as_docker_hubs() {
        let hub = resolve("hub.example.com/nginx").unwrap();
        let docker = resolve("nginx:1.27").unwrap();
        assert_eq!(hub.id, docker.id);
        assert_ne!(hub.manifest_digest, docker.manifest_digest);
    }

    #[test]
    fn unknown_images_fail_with_containerds_texts() {
        let table = [
            ("ngnix", "failed to pull and unpack image \"docker.io/library/ngnix:latest\": failed to resolve reference \"docker.io/library/ngnix:latest\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"),
            ("nginx:9.9", "failed to pull and unpack image \"docker.io/library/nginx:9.9\": failed to resolve reference \"docker.io/library/nginx:9.9\": docker.io/library/nginx:9.9: not found"),
            ("hub.example.com/nosuch", "failed to pull and unpack image \"hub.example.com/nosuch:latest\": failed to resolve reference \"hub.example.com/nosuch:latest\": hub.example.com/nosuch:latest: not found"),
            ("registry.local:5000/app:v1", "failed to pull and unpack image \"registry.local:5000/app:v1\": failed to resolve reference \"registry.local:5000/app:v1\": failed to do request: Head \"https://registry.local:5000/v2/app/manifests/v1\": dial tcp: lookup registry.local on 127.0.0.53:53: no such host"),
        ];
        for (input, want) in table {
            assert_eq!(resolve(input).err().as_deref(), Some(want), "{input}");
        }
    }

    #[test]
    fn every_kubeadm_image_and_the_cni_image_resolve() {
        for image in KUBEADM_IMAGES.iter().chain([&CNI_IMAGE]) {
            assert!(resolve(image).is_ok(), "{image}");
        }
    }

    #[test]
    fn a_digest_reference_resolves_only_to_its_manifest() {
        let nginx = resolve("nginx:1.27").unwrap();
        let by_digest = resolve(&format!("nginx@{}", nginx.manifest_digest)).unwrap();
        assert_eq!(by_digest.id, nginx.id);
        let wrong = format!("nginx@sha256:{}", "0".repeat(64));
        assert!(resolve(&wrong).unwrap_err().ends_with(": not found"));
    }

    #[test]
    fn pushing_makes_a_new_private_repository_with_the_same_layers() {
        let mut registries = Registries::standard();
        let src = parse_image_ref("redis:7.4").unwrap();
        let dst = parse_image_ref("hub.example.com/cache:v1").unwrap();
        registries.push(&src, &dst).unwrap();
        let pushed = registries.resolve(&dst).unwrap();
        assert_eq!(pushed.layers, registries.resolve(&src).unwrap().layers);
    }
}

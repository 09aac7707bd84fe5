//! The serve load scenario, shared by `tests/serve_load.rs` (small, checks nothing is lost) and
//! `benches/serve_load.rs` (1,000 pods and 100 kubectl processes, reports the latencies).
//!
//! `kube-sandbox serve --clock wall` runs in this process; a Deployment makes `pods` pods, and
//! once those that fit run, one watch per pod
//! (a field selector on its name, from the list's resourceVersion) and one watch on them all are
//! opened over their own TLS connections; then `kubectls` real kubectl processes list the pods at
//! once (`-v=6` prints each request's latency), every pod is labelled and annotated, and the
//! Deployment is deleted. Each pod's watch must then hold exactly the events the watch on all
//! pods saw for that pod, in the same order, ending with DELETED: nothing lost, nothing twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use base64::Engine;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use kube_sandbox::serve::net::{serve, Clock, Options, Started};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::TlsConnector;

pub struct Report {
    pub pods: usize,
    pub watches: usize,
    pub events: usize,
    /// Latencies of the kubectl processes' requests, as kubectl measured them, sorted.
    pub latencies_ms: Vec<u64>,
    pub kubectl_wall: Duration,
    pub kubectls: usize,
}

impl Report {
    pub fn percentile(&self, p: f64) -> u64 {
        if self.latencies_ms.is_empty() {
            return 0;
        }
        let rank = ((p / 100.0) * self.latencies_ms.len() as f64).ceil() as usize;
        self.latencies_ms[rank.clamp(1, self.latencies_ms.len()) - 1]
    }

    pub fn lines(&self) -> String {
        format!(
            "serve load: {} pods, {} watches, {} events delivered; none lost, none twice, each \
             pod's in order\nserve load: {} kubectl processes at once: {} requests in {:.1} s, \
             latency p50 {} ms, p99 {} ms, max {} ms\n",
            self.pods,
            self.watches,
            self.events,
            self.kubectls,
            self.latencies_ms.len(),
            self.kubectl_wall.as_secs_f64(),
            self.percentile(50.0),
            self.percentile(99.0),
            self.latencies_ms.last().copied().unwrap_or(0),
        )
    }
}

/// Whether a real kubectl is on PATH.
pub fn real_kubectl() -> bool {
    Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The admin's token and the CA from the kubeconfig `serve` wrote.
fn credentials(kubeconfig: &Path) -> (String, Vec<u8>) {
    let text = std::fs::read_to_string(kubeconfig).expect("the kubeconfig");
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .expect("a kubeconfig field")
            .trim()
            .to_string()
    };
    let ca = base64::engine::general_purpose::STANDARD
        .decode(field("certificate-authority-data:"))
        .expect("base64 CA");
    (field("token:"), ca)
}

fn kubectl(started: &Started, cache: &Path, line: &str) -> std::process::Output {
    let out = Command::new("kubectl")
        .args(line.split_whitespace())
        .env("KUBECONFIG", &started.kubeconfig)
        .env("KUBECACHEDIR", cache)
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "kubectl {line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

struct Client {
    address: std::net::SocketAddr,
    token: String,
    tls: TlsConnector,
}

impl Client {
    /// A GET on a connection of its own; the response's body, frame by frame.
    async fn get(&self, target: &str) -> hyper::Response<hyper::body::Incoming> {
        let tcp = TcpStream::connect(self.address).await.expect("connects");
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let tls = self.tls.connect(name, tcp).await.expect("TLS");
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .expect("HTTP/1.1");
        tokio::spawn(connection);
        let request = hyper::Request::get(target)
            .header("host", self.address.to_string())
            .header("authorization", format!("Bearer {}", self.token))
            .header("accept", "application/json")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = sender.send_request(request).await.expect("a response");
        assert_eq!(response.status(), 200, "GET {target}");
        response
    }
}

/// Reads a watch's events until `done` says the stream has what it waits for, or `deadline`.
async fn read_events(
    mut body: hyper::body::Incoming,
    done: impl Fn(&[Value]) -> bool,
    deadline: Instant,
) -> Vec<Value> {
    let mut buffer = Vec::new();
    let mut events = Vec::new();
    while !done(&events) {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = match tokio::time::timeout(left, body.frame()).await {
            Ok(Some(Ok(frame))) => frame,
            _ => break,
        };
        if let Ok(data) = frame.into_data() {
            buffer.extend_from_slice(&data);
            while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buffer.drain(..=end).collect();
                events.push(serde_json::from_slice(&line).expect("an event line"));
            }
        }
    }
    events
}

fn name_of(event: &Value) -> &str {
    event["object"]["metadata"]["name"].as_str().unwrap_or("")
}

/// (type, resourceVersion) of each event: what "the same events" compares.
fn signature(events: &[&Value]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or("").to_string(),
                e["object"]["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect()
}

/// Runs the scenario; panics (with what went wrong) if any watch lost, repeated or reordered an
/// event.
pub fn run(pods: usize, kubectls: usize) -> Report {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("kube-sandbox-serve-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cache = dir.join("cache");
    let (tx, rx) = mpsc::channel::<Started>();
    let options = Options {
        seed: 1,
        // As a student runs it: time follows the wall clock and writes return at once. (With
        // `--clock settle` each of `kubectl label`'s thousand PATCHes would first let the
        // 1,000-pod cluster run until quiet.)
        clock: Clock::Wall { speed: 1.0 },
        port: 0,
        kubeconfig: dir.join("kubeconfig"),
        settle_seconds: 0,
    };
    std::thread::spawn(move || {
        serve(options, |started| tx.send(started.clone()).unwrap()).unwrap();
    });
    let started = rx.recv().expect("serve starts");
    let (token, ca) = credentials(&started.kubeconfig);
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(&ca).expect("the CA's PEM"))
        .unwrap();
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let client = Arc::new(Client {
        address: started.address,
        token,
        tls: TlsConnector::from(Arc::new(config)),
    });

    kubectl(
        &started,
        &cache,
        &format!("create deployment web --image=nginx --replicas={pods}"),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // Wait until the ReplicaSet has made every pod and those that fit run: two workers hold
    // 110 pods each (the kubelet's maxPods), so at 1,000 most stay Pending, as they would on
    // the course's cluster. Settled: the same count of running pods for two seconds.
    let running_by = Instant::now() + Duration::from_secs(600);
    let mut last_running = (usize::MAX, Instant::now());
    let list: Value = runtime.block_on(async {
        loop {
            let body = client
                .get("/api/v1/namespaces/default/pods?labelSelector=app%3Dweb")
                .await
                .into_body();
            let list: Value =
                serde_json::from_slice(&body.collect().await.unwrap().to_bytes()).unwrap();
            let items = list["items"].as_array().map_or(&[][..], |v| &v[..]);
            let running = items
                .iter()
                .filter(|p| p["status"]["phase"] == "Running")
                .count();
            if running != last_running.0 {
                last_running = (running, Instant::now());
            }
            let steady = last_running.1.elapsed() > Duration::from_secs(2);
            if items.len() == pods && running > 0 && steady {
                return list;
            }
            assert!(
                Instant::now() < running_by,
                "{running} of {pods} pods run after 10 min"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    let revision = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let names: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), pods, "the Deployment made its pods");

    // Every watch open (its response headers back) before anything changes.
    let base = "/api/v1/namespaces/default/pods?watch=true";
    let (all, each) = runtime.block_on(async {
        let all = client
            .get(&format!(
                "{base}&labelSelector=app%3Dweb&resourceVersion={revision}"
            ))
            .await;
        let mut opening = tokio::task::JoinSet::new();
        for name in names.clone() {
            let client = client.clone();
            let target =
                format!("{base}&fieldSelector=metadata.name%3D{name}&resourceVersion={revision}");
            opening.spawn(async move { (name, client.get(&target).await) });
        }
        let mut each = Vec::new();
        while let Some(opened) = opening.join_next().await {
            each.push(opened.unwrap());
        }
        (all, each)
    });

    // Read every stream while the changes happen; each ends at its pod's DELETED.
    let deadline = Instant::now() + Duration::from_secs(600);
    let gone = |events: &[Value]| events.last().is_some_and(|e| e["type"] == "DELETED");
    let expected = pods;
    let readers = runtime.spawn(async move {
        let every_pod_gone = move |events: &[Value]| {
            events.iter().filter(|e| e["type"] == "DELETED").count() == expected
        };
        let mut reading = tokio::task::JoinSet::new();
        for (name, response) in each {
            reading.spawn(async move {
                (
                    name,
                    read_events(response.into_body(), gone, deadline).await,
                )
            });
        }
        let all = read_events(all.into_body(), every_pod_gone, deadline).await;
        let mut each = BTreeMap::new();
        while let Some(read) = reading.join_next().await {
            let (name, events) = read.unwrap();
            each.insert(name, events);
        }
        (all, each)
    });

    // kubectl processes at once, each listing the pods; `-v=6` logs every request's latency.
    let load_started = Instant::now();
    let children: Vec<_> = (0..kubectls)
        .map(|_| {
            Command::new("kubectl")
                .args(["get", "pods", "-l", "app=web", "-v=6"])
                .env("KUBECONFIG", &started.kubeconfig)
                .env("KUBECACHEDIR", &cache)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("kubectl starts")
        })
        .collect();
    let mut latencies_ms = Vec::new();
    for child in children {
        let out = child.wait_with_output().expect("kubectl ends");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for line in String::from_utf8_lossy(&out.stderr).lines() {
            // `... round_trippers.go:560] GET https://... 200 OK in 12 milliseconds`
            let words: Vec<&str> = line.split_whitespace().collect();
            if let [.., ms, "milliseconds"] = words.as_slice() {
                if let Ok(ms) = ms.parse::<u64>() {
                    latencies_ms.push(ms);
                }
            }
        }
    }
    let kubectl_wall = load_started.elapsed();
    latencies_ms.sort_unstable();

    kubectl(&started, &cache, "label pods -l app=web gen=1");
    kubectl(&started, &cache, "annotate pods -l app=web note=load");
    kubectl(&started, &cache, "delete deployment web");

    let (all, each) = runtime.block_on(readers).unwrap();
    let mut by_pod: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for event in &all {
        by_pod.entry(name_of(event)).or_default().push(event);
    }
    let mut events = all.len();
    for (name, seen) in &each {
        events += seen.len();
        let seen: Vec<&Value> = seen.iter().collect();
        let mine = signature(&seen);
        let theirs = signature(by_pod.get(name.as_str()).map_or(&[][..], |v| &v[..]));
        assert_eq!(
            mine, theirs,
            "pod {name}: its watch and the watch on all pods differ"
        );
        assert_eq!(
            mine.last().map(|(t, _)| t.as_str()),
            Some("DELETED"),
            "pod {name}"
        );
        let revisions: Vec<i64> = mine.iter().map(|(_, rv)| rv.parse().unwrap()).collect();
        assert!(
            revisions.windows(2).all(|w| w[0] < w[1]),
            "pod {name}: out of order or twice: {revisions:?}"
        );
        let labelled = seen
            .iter()
            .any(|e| e["object"]["metadata"]["labels"]["gen"] == "1");
        let annotated = seen
            .iter()
            .any(|e| e["object"]["metadata"]["annotations"]["note"] == "load");
        assert!(
            labelled && annotated,
            "pod {name}: the label or the annotation was missed"
        );
        assert!(
            seen.iter().all(|e| name_of(e) == name),
            "pod {name}: another pod's event"
        );
    }
    assert_eq!(each.len(), pods);
    let _ = std::fs::remove_dir_all(&dir);
    Report {
        pods,
        watches: each.len() + 1,
        events,
        latencies_ms,
        kubectl_wall,
        kubectls,
    }
}

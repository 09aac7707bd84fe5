//! The network front of `kube-sandbox serve`: a self-signed CA, HTTPS on loopback (rustls and
//! hyper's HTTP/1.1), a kubeconfig for the real kubectl, streamed bodies (watches, `logs -f`)
//! and WebSocket upgrades for `kubectl exec` (tungstenite on hyper's upgraded connection).
//!
//! Mirrors: kubeadm's `/etc/kubernetes/pki/ca.crt` and the apiserver's serving certificate, and
//! `admin.conf`'s shape (one cluster, one user, one context).
//! Simplified: the user authenticates with a bearer token written into the kubeconfig (a static
//! token, as `--token-auth-file` gives), not with a client certificate; the lab runs on one
//! thread that owns it, and every connection hands its requests to that thread in turn.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;

use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::Either;
use hyper::body::Frame;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use super::forward::{Answer, HttpAsk, PortForward, PORT_FORWARD_PROTOCOL};
use super::{
    ApiServer, ExecStream, FollowHandle, ForwardTarget, HttpRequest, HttpResponse, PendingExec,
    WatchHandle, STUDENT_USER,
};
use crate::sim::clock::TICKS_PER_SECOND;

/// The user the kubeconfig names, with kubeadm's admin group.
pub const ADMIN_USER: &str = "kubernetes-admin";
const ADMIN_GROUPS: &[&str] = &["kubeadm:cluster-admins"];

/// How simulated time moves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Clock {
    /// Each write lets the lab run until it settles (at most `settle_seconds`), as after a line
    /// in the terminal; reads do not move time. Deterministic: the judge test uses it.
    Settle,
    /// Simulated time follows the wall clock, `speed` times as fast; writes do not settle.
    Wall { speed: f64 },
}

pub struct Options {
    pub seed: u64,
    pub clock: Clock,
    /// 0: any free port.
    pub port: u16,
    pub kubeconfig: PathBuf,
    pub settle_seconds: u64,
}

/// What a started server tells its caller.
#[derive(Clone, Debug)]
pub struct Started {
    pub address: SocketAddr,
    pub kubeconfig: PathBuf,
}

/// What the lab thread answers: a whole response, or a stream (a watch's event lines, a
/// followed log's lines) with its content type.
enum Reply {
    Full(HttpResponse),
    Stream(UnboundedReceiver<Bytes>, &'static str),
}

/// A stream the lab thread feeds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Open {
    Watch(WatchHandle),
    Follow(FollowHandle),
}

/// What a connection asks of the lab thread.
enum Job {
    /// An API request.
    Api(HttpRequest, oneshot::Sender<Reply>),
    /// An HTTP request that came through a port-forward session.
    Forward(ForwardTarget, HttpAsk, oneshot::Sender<Answer>),
    /// An `exec -i` whose stdin is complete: the messages to send back.
    Exec(PendingExec, String, oneshot::Sender<Vec<Vec<u8>>>),
    /// A line typed into an `exec -it` shell: what it printed, and its exit code.
    TtyLine(PendingExec, String, oneshot::Sender<(String, i32)>),
}

/// Hands the lab thread a job and waits for its answer; None if the lab has stopped.
async fn ask<T>(
    jobs: &mpsc::Sender<Job>,
    job: impl FnOnce(oneshot::Sender<T>) -> Job,
) -> Option<T> {
    let (reply, answer) = oneshot::channel();
    jobs.send(job(reply)).ok()?;
    answer.await.ok()
}

/// The server's side of a WebSocket on a connection hyper upgraded after our 101.
async fn server_websocket(
    on_upgrade: hyper::upgrade::OnUpgrade,
) -> Option<tokio_tungstenite::WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>> {
    let upgraded = on_upgrade.await.ok()?;
    let role = tokio_tungstenite::tungstenite::protocol::Role::Server;
    Some(
        tokio_tungstenite::WebSocketStream::from_raw_socket(TokioIo::new(upgraded), role, None)
            .await,
    )
}

/// A watch's body: the event lines the lab thread sends, until the client goes away.
struct WatchBody(UnboundedReceiver<Bytes>);

impl hyper::body::Body for WatchBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|line| line.map(|b| Ok(Frame::data(b))))
    }
}

type Body = Either<Full<Bytes>, WatchBody>;

/// Random bytes as hex, for the bearer token.
fn random_hex(bytes: usize) -> io::Result<String> {
    use std::io::Read;
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

struct Pki {
    ca_pem: String,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

/// A CA named as kubeadm names its own, and a serving certificate it signed for loopback.
fn make_pki() -> Result<Pki, rcgen::Error> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "kubernetes");
    let ca_cert = ca.self_signed(&ca_key)?;
    let key = KeyPair::generate()?;
    let mut serving = CertificateParams::new(vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "kubernetes".to_string(),
        "kubernetes.default".to_string(),
    ])?;
    serving
        .distinguished_name
        .push(DnType::CommonName, "kube-apiserver");
    let cert = serving.signed_by(&key, &ca_cert, &ca_key)?;
    Ok(Pki {
        ca_pem: ca_cert.pem(),
        cert_der: cert.der().to_vec(),
        key_der: key.serialize_der(),
    })
}

/// The kubeconfig for the real kubectl: the CA, the server, and two users with their tokens:
/// the admin (the current context) and the student (`--context student@kube-sandbox`), whom RBAC
/// keeps to the `default` namespace.
pub fn kubeconfig(server: &str, ca_pem: &str, admin_token: &str, student_token: &str) -> String {
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    format!(
        "apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: {ca}
    server: {server}
  name: kube-sandbox
contexts:
- context:
    cluster: kube-sandbox
    user: {ADMIN_USER}
  name: {ADMIN_USER}@kube-sandbox
- context:
    cluster: kube-sandbox
    namespace: default
    user: {STUDENT_USER}
  name: {STUDENT_USER}@kube-sandbox
current-context: {ADMIN_USER}@kube-sandbox
preferences: {{}}
users:
- name: {ADMIN_USER}
  user:
    token: {admin_token}
- name: {STUDENT_USER}
  user:
    token: {student_token}
"
    )
}

fn io_error(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// Boots the lab, writes the kubeconfig, calls `started`, then serves until the process ends.
pub fn serve(options: Options, started: impl FnOnce(&Started)) -> io::Result<()> {
    let token = random_hex(16)?;
    let student_token = random_hex(16)?;
    let pki = make_pki().map_err(io_error)?;
    let (jobs, inbox) = mpsc::channel::<Job>();
    let (booted_tx, booted) = mpsc::channel::<()>();
    let lab_tokens = (token.clone(), student_token.clone());
    let seed = options.seed;
    // Settling after writes, or the wall clock (a speed of 0: time moves only by settling).
    let (settle, speed) = match options.clock {
        Clock::Settle => (options.settle_seconds, 0.0),
        Clock::Wall { speed } => (0, speed),
    };
    // The lab is not `Send`: it is made, and lives, on its own thread.
    std::thread::Builder::new()
        .name("lab".into())
        .spawn(move || {
            let (admin, student) = &lab_tokens;
            let mut server = ApiServer::new(
                seed,
                &[
                    (admin, ADMIN_USER, ADMIN_GROUPS),
                    (student, STUDENT_USER, &[]),
                ],
            );
            server.set_settle_seconds(settle);
            server.set_wall_speed(speed);
            let _ = booted_tx.send(());
            // By handle: at a watch per pod, each poll hands out a thousand streams' lines.
            let mut streams: BTreeMap<Open, UnboundedSender<Bytes>> = BTreeMap::new();
            let mut last = std::time::Instant::now();
            loop {
                match inbox.recv_timeout(Duration::from_millis(100)) {
                    Ok(Job::TtyLine(pending, line, reply)) => {
                        let _ = reply.send(server.exec_tty_line(&pending, &line));
                    }
                    Ok(Job::Exec(pending, stdin, reply)) => {
                        let _ = reply.send(server.exec_with_stdin(&pending, &stdin));
                    }
                    Ok(Job::Forward(target, ask, reply)) => {
                        let _ = reply.send(server.forward_http(&target, &ask));
                    }
                    Ok(Job::Api(request, reply)) => {
                        let response = server.handle(&request);
                        if let Some(handle) = response.watch {
                            let (tx, rx) = unbounded_channel();
                            streams.insert(Open::Watch(handle), tx);
                            let _ = reply.send(Reply::Stream(rx, "application/json"));
                        } else if let Some(handle) = response.follow {
                            // The log so far, then each new line as the container writes it.
                            let (tx, rx) = unbounded_channel();
                            if !response.body.is_empty() {
                                let _ = tx.send(Bytes::from(response.body));
                            }
                            streams.insert(Open::Follow(handle), tx);
                            let _ = reply.send(Reply::Stream(rx, response.content_type));
                        } else {
                            let _ = reply.send(Reply::Full(response));
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
                // The speed may change (`/sandbox/clock`); paused, the wall time is let go.
                let speed = server.wall_speed();
                let elapsed = last.elapsed().as_secs_f64();
                let ticks = (elapsed * speed * TICKS_PER_SECOND as f64) as u64;
                if speed <= 0.0 {
                    last = std::time::Instant::now();
                } else if ticks > 0 {
                    server.advance(ticks);
                    last = std::time::Instant::now();
                }
                // Hand each watch what changed; a stream whose client left is closed.
                for (handle, lines) in server.poll_watches() {
                    if let Some(tx) = streams.get(&Open::Watch(handle)) {
                        let _ = tx.send(Bytes::from(lines));
                    }
                }
                // A followed log whose container ended closes after its last lines.
                for (handle, lines, ended) in server.poll_follows() {
                    let open = Open::Follow(handle);
                    if let Some(tx) = streams.get(&open) {
                        if !lines.is_empty() {
                            let _ = tx.send(Bytes::from(lines));
                        }
                    }
                    if ended {
                        streams.remove(&open);
                    }
                }
                streams.retain(|open, tx| {
                    let alive = !tx.is_closed();
                    if !alive {
                        match open {
                            Open::Watch(handle) => server.close_watch(*handle),
                            Open::Follow(handle) => server.close_follow(*handle),
                        }
                    }
                    alive
                });
            }
        })?;
    booted.recv().map_err(io_error)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", options.port)).await?;
        let address = listener.local_addr()?;
        let config = kubeconfig(
            &format!("https://{address}"),
            &pki.ca_pem,
            &token,
            &student_token,
        );
        write_private(&options.kubeconfig, &config)?;
        // ring, not aws-lc-rs: no C and CMake toolchain to build. Its provider is marked
        // deprecated for lacking post-quantum key exchange, which a loopback lab does not need.
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        let tls = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
            .with_safe_default_protocol_versions()
            .map_err(io_error)?
            .with_no_client_auth()
            .with_single_cert(
                vec![pki.cert_der.into()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(pki.key_der.into()),
            )
            .map_err(io_error)?;
        let acceptor = TlsAcceptor::from(Arc::new(tls));
        started(&Started {
            address,
            kubeconfig: options.kubeconfig.clone(),
        });
        loop {
            let (tcp, _) = listener.accept().await?;
            let acceptor = acceptor.clone();
            let jobs = jobs.clone();
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(move |req| answer(req, jobs.clone()));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
                    .await;
            });
        }
    })
}

/// The kubeconfig holds a credential: readable by its owner only.
fn write_private(path: &Path, text: &str) -> io::Result<()> {
    std::fs::write(path, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

fn header(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn answer(
    mut req: Request<Incoming>,
    jobs: mpsc::Sender<Job>,
) -> Result<Response<Body>, hyper::Error> {
    let websocket_key = header(&req, "sec-websocket-key");
    let upgrade = header(&req, "upgrade");
    // Taken before the body: the connection after a 101 answer (kubectl exec).
    let on_upgrade = upgrade
        .as_deref()
        .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
        .then(|| hyper::upgrade::on(&mut req));
    let mut request = HttpRequest {
        method: req.method().as_str().to_string(),
        path: req.uri().path().to_string(),
        query: req.uri().query().unwrap_or("").to_string(),
        accept: header(&req, "accept").unwrap_or_default(),
        content_type: header(&req, "content-type").unwrap_or_default(),
        authorization: header(&req, "authorization"),
        impersonate_user: header(&req, "impersonate-user"),
        user_agent: header(&req, "user-agent"),
        impersonate_groups: req
            .headers()
            .get_all("impersonate-group")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect(),
        upgrade,
        websocket_protocols: req
            .headers()
            .get_all("sec-websocket-protocol")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect(),
        body: Vec::new(),
    };
    request.body = req.into_body().collect().await?.to_bytes().to_vec();
    let response = ask(&jobs, |reply| Job::Api(request, reply)).await;
    let upgrade_response = |protocol: &str| {
        let accept = websocket_key.as_deref().map(|key| {
            tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes())
        });
        Response::builder()
            .status(101)
            .header("upgrade", "websocket")
            .header("connection", "Upgrade")
            .header("sec-websocket-accept", accept.unwrap_or_default())
            .header("sec-websocket-protocol", protocol)
            .body(Either::Left(Full::new(Bytes::new())))
    };
    let response = response.unwrap_or(Reply::Full(HttpResponse {
        status: 503,
        content_type: "text/plain",
        body: b"the lab stopped".to_vec(),
        ..HttpResponse::default()
    }));
    Ok(match response {
        Reply::Full(HttpResponse {
            exec: Some(exec), ..
        }) => match (on_upgrade, websocket_key.as_deref()) {
            (Some(on_upgrade), Some(_)) => {
                let protocol = exec.protocol;
                tokio::spawn(send_exec(on_upgrade, exec, jobs));
                upgrade_response(protocol)
            }
            _ => Response::builder()
                .status(400)
                .header("content-type", "text/plain")
                .body(Either::Left(Full::new(Bytes::from_static(
                    b"exec needs a WebSocket upgrade",
                )))),
        },
        Reply::Full(HttpResponse {
            forward: Some(target),
            ..
        }) => match (on_upgrade, websocket_key.is_some()) {
            (Some(on_upgrade), true) => {
                tokio::spawn(run_forward(on_upgrade, *target, jobs));
                upgrade_response(PORT_FORWARD_PROTOCOL)
            }
            _ => Response::builder()
                .status(400)
                .header("content-type", "text/plain")
                .body(Either::Left(Full::new(Bytes::from_static(
                    b"port-forward needs a WebSocket upgrade",
                )))),
        },
        Reply::Full(response) => Response::builder()
            .status(response.status)
            .header("content-type", response.content_type)
            .body(Either::Left(Full::new(Bytes::from(response.body)))),
        Reply::Stream(lines, content_type) => Response::builder()
            .status(200)
            .header("content-type", content_type)
            .body(Either::Right(WatchBody(lines))),
    }
    .unwrap_or_else(|_| Response::new(Either::Left(Full::new(Bytes::new())))))
}

/// `exec -it` into a shell: echoes the keys, runs each line as it is entered, until `exit` or
/// Ctrl-D; the messages that end the session (its Status).
async fn interactive_shell<S>(
    ws: &mut tokio_tungstenite::WebSocketStream<S>,
    pending: &PendingExec,
    prompt: &str,
    jobs: &mpsc::Sender<Job>,
) -> Vec<Vec<u8>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use super::tty::{TtySession, TtyStep};
    use super::{channel, exec_messages, CHANNEL_STDOUT};
    use crate::sim::runtime::apps::ExecResult;
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let mut session = TtySession::new(prompt);
    let end = |code: i32| {
        let result = ExecResult {
            exit_code: code,
            stdout: String::new(),
            stderr: String::new(),
        };
        exec_messages(&result, true)
    };
    let show = |bytes: &[u8]| Message::Binary(channel(CHANNEL_STDOUT, bytes).into());
    if ws.send(show(&session.prompt())).await.is_err() {
        return Vec::new();
    }
    let mut last = 0;
    while let Some(Ok(message)) = ws.next().await {
        let bytes = match message {
            Message::Binary(bytes) => bytes,
            Message::Close(_) => return Vec::new(),
            _ => continue,
        };
        match bytes.first() {
            Some(0) => {}
            // stdin closed: the shell reads end of file.
            Some(255) if bytes.get(1) == Some(&0) => return end(last),
            // Terminal resizes (channel 4) and anything else.
            _ => continue,
        }
        for step in session.input(&bytes[1..]) {
            let shown = match step {
                TtyStep::Show(shown) => shown,
                TtyStep::End(code) => return end(code),
                TtyStep::Run(line) => {
                    let job = |reply| Job::TtyLine(pending.clone(), line, reply);
                    let Some((output, code)) = ask(jobs, job).await else {
                        return Vec::new();
                    };
                    last = code;
                    session.ran(&output, code)
                }
            };
            if ws.send(show(&shown)).await.is_err() {
                return Vec::new();
            }
        }
    }
    Vec::new()
}

/// The most stdin an `exec -i` takes (the simulated programs read it whole).
const MAX_EXEC_STDIN: usize = 1 << 20;

/// Writes an exec's messages on the upgraded connection, then closes it with a normal closure
/// (client-go reads that as the end of every stream, then decodes the Status it got on the
/// error channel) and waits a little for the client's close in answer.
async fn send_exec(
    on_upgrade: hyper::upgrade::OnUpgrade,
    mut exec: ExecStream,
    jobs: mpsc::Sender<Job>,
) {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::Message;
    let Some(mut ws) = server_websocket(on_upgrade).await else {
        return;
    };
    if let Some(prompt) = exec
        .after_stdin
        .as_ref()
        .and_then(|p| p.interactive.clone())
    {
        let pending = exec.after_stdin.take().unwrap_or_else(|| unreachable!());
        exec.messages = interactive_shell(&mut ws, &pending, &prompt, &jobs).await;
    } else if let Some(pending) = exec.after_stdin.take() {
        // `exec -i`: stdin arrives on channel 0 until the client's CLOSE signal for it
        // (v5.channel.k8s.io: channel 255, then the stream's id), or until it hangs up.
        let mut stdin = Vec::new();
        while let Some(Ok(message)) = ws.next().await {
            match message {
                Message::Binary(bytes) => match bytes.first() {
                    // A TTY in raw mode sends Ctrl-D as a byte: the end of the input.
                    Some(0) if pending.tty && bytes.contains(&4) => {
                        let at = bytes.iter().skip(1).position(|b| *b == 4).unwrap_or(0);
                        stdin.extend_from_slice(&bytes[1..1 + at]);
                        break;
                    }
                    Some(0) => stdin.extend_from_slice(&bytes[1..]),
                    Some(255) if bytes.get(1) == Some(&0) => break,
                    _ => {}
                },
                Message::Close(_) => break,
                _ => {}
            }
            if stdin.len() > MAX_EXEC_STDIN {
                break;
            }
        }
        let text = String::from_utf8_lossy(&stdin).into_owned();
        exec.messages = ask(&jobs, |reply| Job::Exec(*pending, text, reply))
            .await
            .unwrap_or_default();
    }
    for message in exec.messages {
        if ws.send(Message::Binary(message.into())).await.is_err() {
            return;
        }
    }
    let close = CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    };
    if ws.send(Message::Close(Some(close))).await.is_err() {
        return;
    }
    // Until the client's close frame (or it hangs up); stdin and pings are read and dropped.
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

/// Runs one `kubectl port-forward` session on the upgraded connection: SPDY frames in binary
/// messages both ways (client-go's `TunnelingConnection` reads them as one byte stream), each
/// HTTP request answered by the lab thread in turn, until kubectl closes it or says GOAWAY.
async fn run_forward(
    on_upgrade: hyper::upgrade::OnUpgrade,
    target: ForwardTarget,
    jobs: mpsc::Sender<Job>,
) {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let Some(mut ws) = server_websocket(on_upgrade).await else {
        return;
    };
    let mut session = PortForward::new();
    while let Some(Ok(message)) = ws.next().await {
        let bytes = match message {
            Message::Binary(bytes) => bytes,
            Message::Close(_) => break,
            _ => continue,
        };
        for request in session.receive(&bytes) {
            let job = |reply| Job::Forward(target.clone(), request.clone(), reply);
            let answer = ask(&jobs, job)
                .await
                .unwrap_or_else(|| Answer::Failed("the lab stopped".into()));
            session.answer(&request, answer);
        }
        let out = session.take_output();
        if !out.is_empty() && ws.send(Message::Binary(out.into())).await.is_err() {
            return;
        }
        if session.ended() {
            break;
        }
    }
    let _ = ws.close(None).await;
}

//! What runs inside each container: a deterministic state machine per image over simulated
//! ticks, signals and requests.
//!
//! ```text
//!   spawn ──▶ starting (startup log lines scheduled) ──ready_at──▶ serving (listens, answers HTTP)
//!     │                                                    │
//!     │ exec: "x": executable file not found               ├─ stop signal ─▶ stopping ─▶ exited(code)
//!     ▼                                                    └─ crash / script end / OOM ─▶ exited(code)
//!   StartError (128)
//! ```
//!
//! Mirrors: the real images' entrypoints, their startup lines and log formats (nginx combined
//! access log and `[notice]` lines, httpd `AH0xxxx`, redis, mysql's entrypoint errors, klog),
//! which signal each reacts to and the exit code it leaves (nginx quits 0 on its image's SIGQUIT;
//! a node.js PID 1 ignores SIGTERM and is SIGKILLed at the end of the grace period: 137).
//! Simplified: one process per container; no real sockets: `http`/`listens` answer in place.

use std::collections::{BTreeMap, VecDeque};

use super::logs::{LogLine, Stream};
use super::registry::{Base, ImageSpec};
use super::shell::{format_date, Files, Shell, ShellEnv, Yield, MONTHS};
use crate::sim::clock::{rfc3339_from_unix, Ticks, TICKS_PER_SECOND};
use crate::sim::sort::StableSort;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Signal {
    Sigint,
    Sigquit,
    Sigkill,
    Sigterm,
    Sigwinch,
}

impl Signal {
    pub fn number(self) -> i32 {
        match self {
            Signal::Sigint => 2,
            Signal::Sigquit => 3,
            Signal::Sigkill => 9,
            Signal::Sigterm => 15,
            Signal::Sigwinch => 28,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Signal::Sigint => "SIGINT",
            Signal::Sigquit => "SIGQUIT",
            Signal::Sigkill => "SIGKILL",
            Signal::Sigterm => "SIGTERM",
            Signal::Sigwinch => "SIGWINCH",
        }
    }

    /// The exit code a process killed by this signal leaves: 128 + signal number.
    pub fn exit_code(self) -> i32 {
        128 + self.number()
    }
}

/// Which behaviour an image's main program has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AppKind {
    /// busybox / alpine: whatever command the container runs, through the `sh` interpreter.
    Shell,
    Nginx,
    Httpd,
    Redis,
    Mysql,
    /// luksa/kubia: `You've hit <hostname>`; v3 fails every request after the fifth.
    Kubia {
        version: u8,
    },
    /// luksa/kubia-unhealthy: answers 500 after its fifth request, for liveness probe lessons.
    KubiaUnhealthy,
    Pause,
    CoreDns,
    Etcd,
    KubeApiserver,
    KubeControllerManager,
    KubeScheduler,
    KubeProxy,
    Flannel,
    /// fluent/fluentd: the log collector a DaemonSet runs on every node.
    Fluentd,
    /// Exits 1 a few seconds after start: CrashLoopBackOff.
    Crasher,
    /// Grows its memory steadily until the cgroup limit OOM-kills it.
    MemLeak,
    /// A program of a student's image the sandbox cannot simulate (`node server.js` that is not
    /// the course's app): it starts, logs one line saying so, and exits 1.
    Unsupported,
}

/// How `StartContainer` fails when the command cannot be executed (runc's text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpawnError(pub String);

impl SpawnError {
    fn not_found(program: &str) -> Self {
        SpawnError(format!(
            "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: \"{program}\": executable file not found in $PATH: unknown"
        ))
    }
}

/// What a connection to a port finds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpOutcome {
    /// Nothing listens there: `connect: connection refused`.
    Refused,
    /// Something listens but does not speak HTTP (redis, mysql).
    NotHttp,
    Response {
        status: u16,
        body: String,
    },
}

/// The result of `kubectl exec` or an exec probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecResult {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// CPU and memory a container uses now, for `kubectl top`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Usage {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
}

const MIB: u64 = 1024 * 1024;
/// Requests counted for load: those in the last ten simulated seconds.
const LOAD_WINDOW_TICKS: Ticks = 10 * TICKS_PER_SECOND;
const RECENT_REQUESTS_MAX: usize = 10_000;
/// Busy-shell runs per `advance`, so a script spinning without `sleep` cannot stall the world.
const BUSY_RUNS_PER_ADVANCE_MAX: usize = 4;

/// Everything a process is started with.
#[derive(Clone, Debug)]
pub struct SpawnConfig {
    /// The resolved argv (entrypoint/command + cmd/args, as the runtime composes them).
    pub argv: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// The pod name, which is the container's hostname.
    pub hostname: String,
    pub pod_ip: String,
    pub cpus: u32,
    pub epoch_unix_seconds: i64,
    /// Files the kubelet mounts (ConfigMap and Secret volumes, /etc/hosts, /etc/resolv.conf).
    pub files: Files,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Shell(Shell),
    Server(AppKind),
}

/// One running container process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Process {
    kind: Kind,
    pub files: Files,
    env: ShellEnv,
    pod_ip: String,
    cpus: u32,
    started_tick: Ticks,
    /// The shell's next wake-up.
    wake_tick: Ticks,
    /// Lines due at a future tick (startup, shutdown), in tick order.
    scheduled: VecDeque<(Ticks, Stream, String)>,
    /// Ready to accept connections from this tick (servers); `None`: never listens.
    ready_tick: Option<Ticks>,
    /// An exit already decided (crash, shutdown), not yet reached.
    exit_due: Option<(Ticks, i32)>,
    exited: Option<(Ticks, i32)>,
    stopping: bool,
    recent_requests: VecDeque<Ticks>,
    requests_total: u64,
    /// Bytes per simulated second this process allocates and never frees.
    leak_bytes_per_second: u64,
    leak_start_tick: Ticks,
    next_leak_report_tick: Ticks,
    busy: bool,
    base_memory_bytes: u64,
    base_cpu_millis: u64,
    /// The app this is (for HTTP and signal behaviour), even when a shell runs in its image.
    app: AppKind,
    image_base: Base,
}

struct DateParts {
    year: String,
    month: String,
    month_name: &'static str,
    day: String,
    hms: String,
    weekday: String,
}

fn date_parts(epoch: i64, tick: Ticks) -> DateParts {
    let unix = epoch + (tick / TICKS_PER_SECOND) as i64;
    let rfc = rfc3339_from_unix(unix);
    let get = |a: usize, b: usize| rfc.get(a..b).unwrap_or("00").to_string();
    let month = get(5, 7);
    let month_index: usize = month.parse().unwrap_or(1);
    DateParts {
        year: get(0, 4),
        month_name: MONTHS
            .get(month_index.saturating_sub(1))
            .copied()
            .unwrap_or("Jan"),
        month,
        day: get(8, 10),
        hms: get(11, 19),
        weekday: format_date(unix, Some("%a")),
    }
}

fn millis(tick: Ticks) -> u64 {
    tick % TICKS_PER_SECOND
}

impl Process {
    /// Starts `config.argv` in a container of `image`. Fails as runc does when the program does
    /// not exist in the image.
    pub fn spawn(
        image: &ImageSpec,
        config: SpawnConfig,
        now: Ticks,
    ) -> Result<Process, SpawnError> {
        let Some(program_path) = config.argv.first().cloned() else {
            return Err(SpawnError(
                "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: no command specified: unknown".into(),
            ));
        };
        let program = basename(&program_path);
        let mut env = config.env.clone();
        env.entry("HOSTNAME".into())
            .or_insert_with(|| config.hostname.clone());
        env.entry("HOME".into()).or_insert_with(|| "/root".into());
        let mut files = image_files(image, &config.hostname);
        files.extend(config.files.clone());
        let mut process = Process {
            kind: Kind::Server(image.app),
            files,
            env: ShellEnv {
                vars: env,
                hostname: config.hostname.clone(),
                epoch_unix_seconds: config.epoch_unix_seconds,
                shell_name: if image.base == Base::Busybox || image.base == Base::Alpine {
                    "sh".into()
                } else {
                    "/bin/sh".into()
                },
                stdin: None,
            },
            pod_ip: config.pod_ip.clone(),
            cpus: config.cpus.max(1),
            started_tick: now,
            wake_tick: now,
            scheduled: VecDeque::new(),
            ready_tick: None,
            exit_due: None,
            exited: None,
            stopping: false,
            recent_requests: VecDeque::new(),
            requests_total: 0,
            leak_bytes_per_second: 0,
            leak_start_tick: now,
            next_leak_report_tick: now + TICKS_PER_SECOND,
            busy: false,
            base_memory_bytes: 0,
            base_cpu_millis: 0,
            app: image.app,
            image_base: image.base,
        };

        // Entry-point wrappers (`/docker-entrypoint.sh nginx -g ...`) end in `exec "$@"`: what
        // runs is their arguments; alone, they start the image's program. tini, the small init
        // some images put first (`tini -- /bin/entrypoint.sh fluentd`), runs what follows `--`.
        let mut argv = config.argv.clone();
        if program == "tini" {
            let end = argv.iter().position(|a| a == "--").map_or(1, |i| i + 1);
            argv.drain(..end.min(argv.len()));
        }
        let wrapper = argv
            .first()
            .is_some_and(|first| basename(first).ends_with("entrypoint.sh"));
        if wrapper && argv.len() > 1 {
            argv.remove(0);
        }
        let main = basename(argv.first().map(String::as_str).unwrap_or_default()).to_string();
        let runs_image_program =
            image.app != AppKind::Shell && (main == image.program || (wrapper && argv.len() == 1));
        if runs_image_program {
            process.start_app(image.app, now);
            return Ok(process);
        }
        if !image.base.has_shell() {
            return Err(SpawnError::not_found(&program_path));
        }
        // Anything else runs through the shell (busybox applets, coreutils, `sh -c`).
        process.app = AppKind::Shell;
        process.base_memory_bytes = 400 * 1024;
        let shell = match main.as_str() {
            "sh" | "ash" | "bash" | "dash" => match argv.iter().position(|a| a == "-c") {
                Some(i) => {
                    let script = argv.get(i + 1).cloned().unwrap_or_default();
                    let positional: Vec<String> = argv.iter().skip(i + 2).cloned().collect();
                    let positional = if positional.is_empty() {
                        vec![main.clone()]
                    } else {
                        positional
                    };
                    match Shell::parse(&script, positional) {
                        Ok(shell) => shell,
                        Err(e) => {
                            // ash reports the error and exits 2.
                            process.scheduled.push_back((
                                now,
                                Stream::Stderr,
                                format!("sh: syntax error: {}", e.0),
                            ));
                            process.exit_due = Some((now, 2));
                            Shell::from_argv(&["true".to_string()])
                        }
                    }
                }
                // `sh` with no script and no stdin (no `stdin: true` in the spec) reads EOF and exits 0.
                None => Shell::from_argv(&["true".to_string()]),
            },
            _ => {
                if !is_known_applet(&main) {
                    return Err(SpawnError::not_found(&program_path));
                }
                Shell::from_argv(&argv)
            }
        };
        process.kind = Kind::Shell(shell);
        Ok(process)
    }

    fn schedule(&mut self, tick: Ticks, stream: Stream, text: impl Into<String>) {
        self.scheduled.push_back((tick, stream, text.into()));
    }

    fn epoch(&self) -> i64 {
        self.env.epoch_unix_seconds
    }

    fn var(&self, name: &str) -> Option<&String> {
        self.env.vars.get(name).filter(|v| !v.is_empty())
    }

    fn start_app(&mut self, app: AppKind, now: Ticks) {
        let epoch = self.epoch();
        let d = date_parts(epoch, now);
        let ip = self.pod_ip.clone();
        let (cpu, mem_mib_tenths) = match app {
            AppKind::Nginx => (0, 29),
            AppKind::Httpd => (1, 67),
            AppKind::Redis => (2, 33),
            AppKind::Mysql => (5, 3_900),
            AppKind::Kubia { .. } | AppKind::KubiaUnhealthy => (0, 96),
            AppKind::Pause => (0, 3),
            AppKind::CoreDns => (3, 120),
            AppKind::Etcd => (25, 400),
            AppKind::KubeApiserver => (60, 2_200),
            AppKind::KubeControllerManager => (15, 450),
            AppKind::KubeScheduler => (5, 200),
            AppKind::KubeProxy => (1, 120),
            AppKind::Flannel => (3, 100),
            AppKind::Fluentd => (2, 640),
            AppKind::Crasher => (5, 60),
            AppKind::MemLeak => (20, 40),
            AppKind::Shell | AppKind::Unsupported => (0, 4),
        };
        self.base_cpu_millis = cpu;
        self.base_memory_bytes = mem_mib_tenths * MIB / 10;
        let klog = |tick: Ticks, file: &str, msg: &str| {
            let d = date_parts(epoch, tick);
            format!(
                "I{}{} {}.{:03}000       1 {file}] {msg}",
                d.month,
                d.day,
                d.hms,
                millis(tick)
            )
        };
        match app {
            AppKind::Nginx => {
                for line in [
                    "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
                    "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
                    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
                    "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
                    "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
                    "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
                    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
                    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
                    "/docker-entrypoint.sh: Configuration complete; ready for start up",
                ] {
                    self.schedule(now, Stream::Stdout, line);
                }
                let t = now + 20;
                let stamp = format!("{}/{}/{} {}", d.year, d.month, d.day, d.hms);
                let version = self
                    .var("NGINX_VERSION")
                    .cloned()
                    .unwrap_or_else(|| "1.27.5".into());
                let mut notices = vec![
                    "using the \"epoll\" event method".to_string(),
                    format!("nginx/{version}"),
                    "built by gcc 12.2.0 (Debian 12.2.0-14) ".to_string(),
                    "OS: Linux 6.1.0-37-amd64".to_string(),
                    "getrlimit(RLIMIT_NOFILE): 1048576:1048576".to_string(),
                    "start worker processes".to_string(),
                ];
                // One worker per CPU (`worker_processes auto`), pids after the entrypoint's.
                for i in 0..self.cpus {
                    notices.push(format!("start worker process {}", 29 + i));
                }
                for n in notices {
                    self.schedule(t, Stream::Stderr, format!("{stamp} [notice] 1#1: {n}"));
                }
                self.ready_tick = Some(t);
            }
            AppKind::Httpd => {
                let t = now + 30;
                let warn = format!("AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using {ip}. Set the 'ServerName' directive globally to suppress this message");
                self.schedule(t, Stream::Stderr, warn.clone());
                self.schedule(t, Stream::Stderr, warn);
                let stamp = format!(
                    "[{} {} {} {}.{:03}000 {}]",
                    d.weekday,
                    d.month_name,
                    d.day,
                    d.hms,
                    millis(t),
                    d.year
                );
                self.schedule(t, Stream::Stderr, format!("{stamp} [mpm_event:notice] [pid 1:tid 1] AH00489: Apache/2.4.63 (Unix) configured -- resuming normal operations"));
                self.schedule(t, Stream::Stderr, format!("{stamp} [core:notice] [pid 1:tid 1] AH00094: Command line: 'httpd -D FOREGROUND'"));
                self.ready_tick = Some(t);
            }
            AppKind::Redis => {
                let t = now + 10;
                let stamp = |role: char, tick: Ticks| {
                    format!(
                        "1:{role} {} {} {} {}.{:03}",
                        d.day,
                        d.month_name,
                        d.year,
                        d.hms,
                        millis(tick)
                    )
                };
                for (role, line) in [
                    ('C', "* oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"),
                    ('C', "* Redis version=7.4.2, bits=64, commit=00000000, modified=0, pid=1, just started"),
                    ('C', "# Warning: no config file specified, using the default config. In order to specify a config file use redis-server /path/to/redis.conf"),
                    ('M', "* monotonic clock: POSIX clock_gettime"),
                    ('M', "* Running mode=standalone, port=6379."),
                    ('M', "* Server initialized"),
                    ('M', "* Ready to accept connections tcp"),
                ] {
                    let text = format!("{} {line}", stamp(role, t));
                    self.schedule(t, Stream::Stdout, text);
                }
                self.ready_tick = Some(t);
            }
            AppKind::Mysql => self.start_mysql(now),
            AppKind::Fluentd => {
                let t = now + 120;
                let stamp = format!("{}-{}-{} {} +0000", d.year, d.month, d.day, d.hms);
                for line in [
                    "[info]: init supervisor logger path=nil rotate_age=nil rotate_size=nil",
                    "[info]: parsing config file is succeeded path=\"/fluentd/etc/fluent.conf\"",
                    "[info]: gem 'fluentd' version '1.16.5'",
                    "[info]: starting fluentd-1.16.5 pid=7 ruby=\"3.2.4\"",
                    "[info]: #0 fluentd worker is now running worker=0",
                ] {
                    self.schedule(t, Stream::Stdout, format!("{stamp} {line}"));
                }
                self.ready_tick = Some(t);
            }
            AppKind::Kubia { .. } | AppKind::KubiaUnhealthy => {
                self.schedule(now + 50, Stream::Stdout, "Kubia server starting...");
                self.ready_tick = Some(now + 50);
            }
            AppKind::Pause => {
                self.ready_tick = None;
            }
            AppKind::CoreDns => {
                let t = now + 40;
                for line in [
                    ".:53".to_string(),
                    format!(
                        "[INFO] plugin/reload: Running configuration SHA512 = {}",
                        super::digest::sha256_hex(
                            "Corefile .:53 errors health ready kubernetes cluster.local"
                        )
                        .repeat(2)
                    ),
                    "CoreDNS-1.11.3".to_string(),
                    "linux/amd64, go1.21.11, a6338e9".to_string(),
                ] {
                    self.schedule(t, Stream::Stdout, line);
                }
                self.ready_tick = Some(t);
            }
            AppKind::Etcd => {
                let t = now + 80;
                let ts = format!(
                    "{}-{}-{}T{}.{:03}000Z",
                    d.year,
                    d.month,
                    d.day,
                    d.hms,
                    millis(t)
                );
                for (caller, msg) in [
                    ("etcdmain/etcd.go:73", "Running: "),
                    ("embed/etcd.go:128", "configuring peer listeners"),
                    ("embed/etcd.go:496", "starting with host certificates"),
                    (
                        "etcdserver/server.go:2068",
                        "published local member to cluster through raft",
                    ),
                    ("embed/serve.go:250", "serving client traffic securely"),
                ] {
                    self.schedule(t, Stream::Stderr, format!("{{\"level\":\"info\",\"ts\":\"{ts}\",\"caller\":\"{caller}\",\"msg\":\"{msg}\"}}"));
                }
                self.ready_tick = Some(t);
            }
            AppKind::KubeApiserver
            | AppKind::KubeControllerManager
            | AppKind::KubeScheduler
            | AppKind::KubeProxy
            | AppKind::Flannel => {
                let t = now + 100;
                let lines: &[(&str, &str)] = match app {
                    AppKind::KubeApiserver => &[
                        ("options.go:228", "external host was not specified, using 172.16.20.11"),
                        ("server.go:146", "Version: v1.32.0"),
                        ("secure_serving.go:213", "Serving securely on [::]:6443"),
                    ],
                    AppKind::KubeControllerManager => &[
                        ("serving.go:386", "Generated self-signed cert in-memory"),
                        ("controllermanager.go:185", "\"Starting\" version=\"v1.32.0\""),
                        ("leaderelection.go:254", "attempting to acquire leader lease kube-system/kube-controller-manager..."),
                    ],
                    AppKind::KubeScheduler => &[
                        ("serving.go:386", "Generated self-signed cert in-memory"),
                        ("server.go:167", "\"Starting Kubernetes Scheduler\" version=\"v1.32.0\""),
                        ("leaderelection.go:254", "attempting to acquire leader lease kube-system/kube-scheduler..."),
                    ],
                    AppKind::KubeProxy => &[
                        ("server_linux.go:66", "\"Using iptables proxy\""),
                        ("server.go:698", "\"Successfully retrieved node IP(s)\" IPs=[\"172.16.20.12\"]"),
                        ("config.go:199", "\"Starting service config controller\""),
                    ],
                    _ => &[
                        ("main.go:211", "CLI flags config: {etcdEndpoints:http://127.0.0.1:4001,http://127.0.0.1:2379 iface:[] ipMasq:true}"),
                        ("kube.go:139", "Waiting 10m0s for node controller to sync"),
                        ("main.go:439", "Running backend."),
                    ],
                };
                for (file, msg) in lines {
                    self.schedule(t, Stream::Stderr, klog(t, file, msg));
                }
                self.ready_tick = Some(t);
            }
            AppKind::Unsupported => {
                self.schedule(
                    now,
                    Stream::Stderr,
                    "kube-sandbox: this program is not one the sandbox can run (it knows the course's apps, such as kubia's app.js); exiting",
                );
                self.exit_due = Some((now + 100, 1));
            }
            AppKind::Crasher => {
                self.schedule(now, Stream::Stdout, "crasher 1.0 starting");
                self.schedule(
                    now + 1_000,
                    Stream::Stdout,
                    "connecting to database at db:5432 ...",
                );
                let t = now + 3_000;
                let stamp = format!(
                    "{}/{}/{} {}",
                    d.year,
                    d.month,
                    date_parts(epoch, t).day,
                    date_parts(epoch, t).hms
                );
                self.schedule(
                    t,
                    Stream::Stderr,
                    format!("{stamp} fatal: dial tcp: lookup db on 10.96.0.10:53: no such host"),
                );
                self.exit_due = Some((t, 1));
                self.ready_tick = Some(now);
            }
            AppKind::MemLeak => {
                let mib: u64 = self
                    .var("LEAK_MIB_PER_SECOND")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(10);
                self.leak_bytes_per_second = mib.saturating_mul(MIB);
                self.leak_start_tick = now;
                self.schedule(
                    now,
                    Stream::Stdout,
                    format!("memleak 1.0: allocating {mib} MiB every second and never freeing it"),
                );
                self.ready_tick = Some(now);
            }
            AppKind::Shell => {}
        }
    }

    fn start_mysql(&mut self, now: Ticks) {
        let epoch = self.epoch();
        let note = |tick: Ticks, level: &str, msg: &str| {
            let d = date_parts(epoch, tick);
            format!(
                "{}-{}-{} {}+00:00 [{level}] [Entrypoint]: {msg}",
                d.year, d.month, d.day, d.hms
            )
        };
        self.schedule(
            now,
            Stream::Stdout,
            note(
                now,
                "Note",
                "Entrypoint script for MySQL Server 8.4.5-1.el9 started.",
            ),
        );
        self.schedule(
            now,
            Stream::Stdout,
            note(now, "Note", "Switching to dedicated user 'mysql'"),
        );
        self.schedule(
            now + 10,
            Stream::Stdout,
            note(
                now + 10,
                "Note",
                "Entrypoint script for MySQL Server 8.4.5-1.el9 started.",
            ),
        );
        let has_password = [
            "MYSQL_ROOT_PASSWORD",
            "MYSQL_ALLOW_EMPTY_PASSWORD",
            "MYSQL_RANDOM_ROOT_PASSWORD",
        ]
        .iter()
        .any(|k| self.var(k).is_some());
        if !has_password {
            let t = now + 20;
            self.schedule(
                t,
                Stream::Stderr,
                note(
                    t,
                    "ERROR",
                    "Database is uninitialized and password option is not specified",
                ),
            );
            for line in [
                "    You need to specify one of the following as an environment variable:",
                "    - MYSQL_ROOT_PASSWORD",
                "    - MYSQL_ALLOW_EMPTY_PASSWORD",
                "    - MYSQL_RANDOM_ROOT_PASSWORD",
            ] {
                self.schedule(t, Stream::Stderr, line);
            }
            self.exit_due = Some((t, 1));
            return;
        }
        // Initializing the data directory takes a while: probes before this see connection refused.
        let init = now + 15_000;
        self.schedule(
            now + 20,
            Stream::Stdout,
            note(now + 20, "Note", "Initializing database files"),
        );
        self.schedule(
            init - 100,
            Stream::Stdout,
            note(
                init - 100,
                "Note",
                "MySQL init process done. Ready for start up.",
            ),
        );
        let d = date_parts(epoch, init);
        self.schedule(init, Stream::Stderr, format!("{}-{}-{}T{}.{:03}000Z 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: '8.4.5'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.", d.year, d.month, d.day, d.hms, millis(init)));
        self.ready_tick = Some(init);
    }

    /// Has the process exited, and when, with which code?
    pub fn exited(&self) -> Option<(Ticks, i32)> {
        self.exited
    }

    /// Runs the process forward to `now`, appending what it writes to `out`.
    pub fn advance(&mut self, now: Ticks, out: &mut Vec<LogLine>) {
        if self.exited.is_some() {
            return;
        }
        let exit_limit = self.exit_due.map(|(t, _)| t).unwrap_or(Ticks::MAX);
        // Scheduled lines first: they are due no later than any exit.
        while let Some((tick, _, _)) = self.scheduled.front() {
            if *tick > now || *tick > exit_limit {
                break;
            }
            if let Some((tick, stream, text)) = self.scheduled.pop_front() {
                out.push(LogLine { tick, stream, text });
            }
        }
        // A leaking app reports its total every second until the kernel kills it.
        if self.leak_bytes_per_second > 0 {
            let mut reports = 0;
            while self.next_leak_report_tick <= now.min(exit_limit) && reports < 1_000 {
                let t = self.next_leak_report_tick;
                let total_mib = self.leaked_bytes(t) / MIB;
                out.push(LogLine {
                    tick: t,
                    stream: Stream::Stdout,
                    text: format!(
                        "allocated {} MiB, {total_mib} MiB in use",
                        self.leak_bytes_per_second / MIB
                    ),
                });
                self.next_leak_report_tick += TICKS_PER_SECOND;
                reports += 1;
            }
        }
        if let Kind::Shell(shell) = &mut self.kind {
            let mut busy_runs = 0;
            while self.exited.is_none() && self.wake_tick <= now.min(exit_limit) {
                let t = self.wake_tick;
                let mut lines = Vec::new();
                let result = shell.run(t, &mut self.env, &mut self.files, &mut lines);
                out.extend(lines.into_iter().map(|(stream, text)| LogLine {
                    tick: t,
                    stream,
                    text,
                }));
                match result {
                    Yield::Sleep(until) => {
                        self.busy = false;
                        self.wake_tick = until;
                    }
                    Yield::Exit(code) => {
                        self.busy = false;
                        if self.exit_due.is_none_or(|(due, _)| due > t) {
                            self.exit_due = Some((t, code));
                        }
                        break;
                    }
                    Yield::Busy => {
                        self.busy = true;
                        busy_runs += 1;
                        self.wake_tick = t + 1;
                        if busy_runs >= BUSY_RUNS_PER_ADVANCE_MAX {
                            // Spinning: fall behind simulated time rather than stall the world.
                            self.wake_tick = now + 1;
                            break;
                        }
                    }
                }
            }
        }
        if let Some((tick, code)) = self.exit_due {
            if tick <= now {
                self.exited = Some((tick, code));
            }
        }
    }

    /// Delivers a signal. SIGKILL is the runtime's (it ends the process at once, 137).
    pub fn signal(&mut self, signal: Signal, now: Ticks) {
        if self.exited.is_some() {
            return;
        }
        if signal != Signal::Sigkill && self.stopping {
            return;
        }
        if signal == Signal::Sigkill {
            self.exit_due = Some((now, Signal::Sigkill.exit_code()));
            self.scheduled.retain(|(t, _, _)| *t <= now);
            self.exited = Some((now, Signal::Sigkill.exit_code()));
            return;
        }
        let epoch = self.epoch();
        let d = date_parts(epoch, now);
        let exit_code = match self.app {
            // PID 1 gets no default signal actions from the kernel: a shell or node.js without a
            // handler ignores SIGTERM and is SIGKILLed when the grace period ends.
            AppKind::Shell | AppKind::Kubia { .. } | AppKind::KubiaUnhealthy => return,
            AppKind::Nginx => {
                let stamp = format!("{}/{}/{} {}", d.year, d.month, d.day, d.hms);
                let lines: Vec<String> = match signal {
                    Signal::Sigquit => {
                        let mut v = vec![format!(
                            "{stamp} [notice] 1#1: signal 3 (SIGQUIT) received, shutting down"
                        )];
                        for i in 0..self.cpus {
                            let pid = 29 + i;
                            v.push(format!(
                                "{stamp} [notice] {pid}#{pid}: gracefully shutting down"
                            ));
                            v.push(format!("{stamp} [notice] {pid}#{pid}: exiting"));
                            v.push(format!("{stamp} [notice] {pid}#{pid}: exit"));
                        }
                        v
                    }
                    _ => vec![format!(
                        "{stamp} [notice] 1#1: signal {} ({}) received, exiting",
                        signal.number(),
                        signal.name()
                    )],
                };
                for line in lines {
                    self.schedule(now + 10, Stream::Stderr, line);
                }
                for i in 0..self.cpus {
                    self.schedule(
                        now + 15,
                        Stream::Stderr,
                        format!(
                            "{stamp} [notice] 1#1: signal 17 (SIGCHLD) received from {}",
                            29 + i
                        ),
                    );
                    self.schedule(
                        now + 15,
                        Stream::Stderr,
                        format!(
                            "{stamp} [notice] 1#1: worker process {} exited with code 0",
                            29 + i
                        ),
                    );
                }
                self.schedule(
                    now + 20,
                    Stream::Stderr,
                    format!("{stamp} [notice] 1#1: exit"),
                );
                self.exit_due = Some((now + 20, 0));
                0
            }
            AppKind::Httpd => {
                let stamp = format!(
                    "[{} {} {} {}.{:03}000 {}]",
                    d.weekday,
                    d.month_name,
                    d.day,
                    d.hms,
                    millis(now),
                    d.year
                );
                let text = if signal == Signal::Sigwinch {
                    format!("{stamp} [mpm_event:notice] [pid 1:tid 1] AH00492: caught SIGWINCH, shutting down gracefully")
                } else {
                    format!("{stamp} [mpm_event:notice] [pid 1:tid 1] AH00491: caught SIGTERM, shutting down")
                };
                self.schedule(now + 5, Stream::Stderr, text);
                self.exit_due = Some((now + 10, 0));
                0
            }
            AppKind::Redis => {
                let unix = epoch + (now / TICKS_PER_SECOND) as i64;
                let stamp = format!(
                    "1:M {} {} {} {}.{:03}",
                    d.day,
                    d.month_name,
                    d.year,
                    d.hms,
                    millis(now)
                );
                self.schedule(
                    now,
                    Stream::Stdout,
                    format!("1:signal-handler ({unix}) Received SIGTERM scheduling shutdown..."),
                );
                for line in [
                    "* User requested shutdown...",
                    "* Saving the final RDB snapshot before exiting.",
                    "* DB saved on disk",
                    "# Redis is now ready to exit, bye bye...",
                ] {
                    self.schedule(now + 100, Stream::Stdout, format!("{stamp} {line}"));
                }
                self.exit_due = Some((now + 100, 0));
                0
            }
            AppKind::Mysql => {
                let ts = format!(
                    "{}-{}-{}T{}.{:03}000Z",
                    d.year,
                    d.month,
                    d.day,
                    d.hms,
                    millis(now)
                );
                self.schedule(now, Stream::Stderr, format!("{ts} 0 [System] [MY-013172] [Server] Received SHUTDOWN from user <via user signal>. Shutting down mysqld (Version: 8.4.5)."));
                self.schedule(now + 1_500, Stream::Stderr, format!("{ts} 0 [System] [MY-010910] [Server] /usr/sbin/mysqld: Shutdown complete (mysqld 8.4.5)  MySQL Community Server - GPL."));
                self.exit_due = Some((now + 1_500, 0));
                0
            }
            AppKind::Pause => {
                self.schedule(now, Stream::Stderr, "Shutting down, got signal");
                self.exit_due = Some((now, 0));
                0
            }
            AppKind::CoreDns
            | AppKind::Etcd
            | AppKind::KubeApiserver
            | AppKind::KubeControllerManager
            | AppKind::KubeScheduler
            | AppKind::KubeProxy
            | AppKind::Flannel
            | AppKind::Fluentd => {
                self.exit_due = Some((now + 200, 0));
                0
            }
            // No handler and not special-cased by the kernel: the default action, 128+15.
            AppKind::Crasher | AppKind::MemLeak | AppKind::Unsupported => {
                self.exit_due = Some((now, signal.exit_code()));
                signal.exit_code()
            }
        };
        let _ = exit_code;
        self.stopping = true;
        self.scheduled
            .make_contiguous()
            .stable_sort_by_key(|(t, _, _)| *t);
    }

    /// Is something listening on `port` now? (what a tcpSocket probe asks)
    pub fn listens(&self, port: u16, now: Ticks) -> bool {
        if self.exited.is_some() || self.ready_tick.is_none_or(|t| t > now) || self.stopping {
            return false;
        }
        if !matches!(self.kind, Kind::Server(_)) {
            return false;
        }
        app_ports(self.app).contains(&port)
    }

    fn note_request(&mut self, now: Ticks) {
        self.requests_total += 1;
        self.recent_requests.push_back(now);
        while self.recent_requests.len() > RECENT_REQUESTS_MAX {
            self.recent_requests.pop_front();
        }
    }

    /// An HTTP request arriving at `port` (a Service's traffic or an httpGet probe). Access log
    /// lines are appended to `out`.
    #[allow(clippy::too_many_arguments)]
    pub fn http(
        &mut self,
        now: Ticks,
        method: &str,
        port: u16,
        path: &str,
        client_ip: &str,
        user_agent: &str,
        out: &mut Vec<LogLine>,
    ) -> HttpOutcome {
        self.advance(now, out);
        if !self.listens(port, now) {
            return HttpOutcome::Refused;
        }
        self.note_request(now);
        let d = date_parts(self.epoch(), now);
        let access_stamp = format!("{}/{}/{}:{} +0000", d.day, d.month_name, d.year, d.hms);
        let request_line = format!("{method} {path} HTTP/1.1");
        let hostname = self.env.hostname.clone();
        let n = self.requests_total;
        let (status, body) = match self.app {
            AppKind::Nginx => {
                let file_path = if path == "/" || path.is_empty() {
                    "/usr/share/nginx/html/index.html".to_string()
                } else {
                    format!("/usr/share/nginx/html{}", path.split('?').next().unwrap_or_default())
                };
                let (status, body) = if method != "GET" && method != "HEAD" {
                    (405, nginx_error_page(405, "Not Allowed"))
                } else {
                    match self.files.get(&file_path) {
                        Some(body) => (200, body.clone()),
                        None => {
                            let stamp = format!("{}/{}/{} {}", d.year, d.month, d.day, d.hms);
                            out.push(LogLine { tick: now, stream: Stream::Stderr, text: format!("{stamp} [error] 29#29: *{n} open() \"{file_path}\" failed (2: No such file or directory), client: {client_ip}, server: localhost, request: \"{request_line}\", host: \"{}\"", self.pod_ip) });
                            (404, nginx_error_page(404, "Not Found"))
                        }
                    }
                };
                out.push(LogLine { tick: now, stream: Stream::Stdout, text: format!("{client_ip} - - [{access_stamp}] \"{request_line}\" {status} {} \"-\" \"{user_agent}\" \"-\"", body.len()) });
                (status, body)
            }
            AppKind::Httpd => {
                let file_path = if path == "/" { "/usr/local/apache2/htdocs/index.html".to_string() } else { format!("/usr/local/apache2/htdocs{path}") };
                let (status, body) = match self.files.get(&file_path) {
                    Some(body) => (200, body.clone()),
                    None => (404, "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n".to_string()),
                };
                out.push(LogLine { tick: now, stream: Stream::Stdout, text: format!("{client_ip} - - [{access_stamp}] \"{request_line}\" {status} {}", body.len()) });
                (status, body)
            }
            AppKind::Kubia { version } => {
                out.push(LogLine { tick: now, stream: Stream::Stdout, text: format!("Received request from ::ffff:{client_ip}") });
                match version {
                    2 => (200, format!("This is v2 running in pod {hostname}\n")),
                    3 if n > 5 => (500, format!("Some internal error has occurred! This is pod {hostname}\n")),
                    3 => (200, format!("This is v3 running in pod {hostname}\n")),
                    _ => (200, format!("You've hit {hostname}\n")),
                }
            }
            AppKind::KubiaUnhealthy => {
                out.push(LogLine { tick: now, stream: Stream::Stdout, text: format!("Received request from ::ffff:{client_ip}") });
                if n > 5 {
                    (500, "I'm not well. Please restart me!".to_string())
                } else {
                    (200, format!("You've hit {hostname}\n"))
                }
            }
            AppKind::Redis | AppKind::Mysql | AppKind::Fluentd => return HttpOutcome::NotHttp,
            AppKind::Unsupported => return HttpOutcome::Refused,
            AppKind::CoreDns => match (port, path) {
                (8080, "/health") | (8181, "/ready") => (200, "OK".to_string()),
                (9153, "/metrics") => (200, "# HELP coredns_build_info A metric with a constant '1' value labeled by version, revision, and goversion from which CoreDNS was built.\n".to_string()),
                (53, _) => return HttpOutcome::NotHttp,
                _ => (404, "404 page not found\n".to_string()),
            },
            AppKind::Etcd => match (port, path) {
                (2381, "/health" | "/readyz" | "/livez") => (200, "{\"health\":\"true\",\"reason\":\"\"}".to_string()),
                _ => (404, "404 page not found\n".to_string()),
            },
            AppKind::KubeApiserver | AppKind::KubeControllerManager | AppKind::KubeScheduler => match path {
                "/healthz" | "/livez" | "/readyz" => (200, "ok".to_string()),
                _ => (404, "404 page not found\n".to_string()),
            },
            AppKind::KubeProxy => {
                let ts = rfc3339_from_unix(self.epoch() + (now / TICKS_PER_SECOND) as i64);
                (200, format!("{{\"lastUpdated\": \"{ts}\",\"currentTime\": \"{ts}\", \"nodeEligible\": true}}"))
            }
            AppKind::Crasher => (200, "ok\n".to_string()),
            AppKind::MemLeak => (200, format!("{} MiB in use\n", self.leaked_bytes(now) / MIB)),
            AppKind::Shell | AppKind::Pause | AppKind::Flannel => return HttpOutcome::Refused,
        };
        let body = if method == "HEAD" {
            String::new()
        } else {
            body
        };
        HttpOutcome::Response { status, body }
    }

    /// `kubectl exec` / an exec probe: runs `argv` next to the main process, sharing its files.
    /// Takes no simulated time (a `sleep` inside returns at once).
    pub fn exec(&mut self, argv: &[String], now: Ticks) -> Result<ExecResult, SpawnError> {
        self.exec_with_stdin(argv, None, now)
    }

    /// `exec`, with what the client sent on stdin: a shell without `-c` reads it as its script,
    /// `cat` copies it; other programs do not read it.
    pub fn exec_with_stdin(
        &mut self,
        argv: &[String],
        stdin: Option<&str>,
        now: Ticks,
    ) -> Result<ExecResult, SpawnError> {
        let Some(first) = argv.first() else {
            return Err(SpawnError::not_found(""));
        };
        let name = basename(first);
        if !self.image_base.has_shell()
            || (!is_known_applet(name) && !matches!(name, "sh" | "ash" | "bash" | "dash"))
        {
            return Err(SpawnError(format!(
                "OCI runtime exec failed: exec failed: unable to start container process: exec: \"{first}\": executable file not found in $PATH: unknown"
            )));
        }
        let mut shell = match (
            matches!(name, "sh" | "ash" | "bash" | "dash"),
            argv.iter().position(|a| a == "-c"),
        ) {
            (true, Some(i)) => match Shell::parse(
                argv.get(i + 1).map(String::as_str).unwrap_or_default(),
                vec![name.to_string()],
            ) {
                Ok(shell) => shell,
                Err(e) => {
                    return Ok(ExecResult {
                        exit_code: 2,
                        stdout: String::new(),
                        stderr: format!("sh: syntax error: {}\n", e.0),
                    });
                }
            },
            (true, None) => {
                match stdin.map(|script| Shell::parse(script, vec![name.to_string()])) {
                    Some(Ok(shell)) => shell,
                    Some(Err(e)) => {
                        return Ok(ExecResult {
                            exit_code: 2,
                            stdout: String::new(),
                            stderr: format!("sh: syntax error: {}\n", e.0),
                        });
                    }
                    None => Shell::from_argv(&["true".to_string()]),
                }
            }
            _ => Shell::from_argv(argv),
        };
        let mut env = self.env.clone();
        // A shell without `-c` took stdin as its script; anything else may read it.
        let reads_script =
            matches!(name, "sh" | "ash" | "bash" | "dash") && !argv.iter().any(|a| a == "-c");
        env.stdin = stdin.filter(|_| !reads_script).map(str::to_string);
        let mut lines = Vec::new();
        let mut exit_code = 0;
        for _ in 0..16 {
            match shell.run(now, &mut env, &mut self.files, &mut lines) {
                Yield::Exit(code) => {
                    exit_code = code;
                    break;
                }
                Yield::Sleep(_) => continue,
                Yield::Busy => exit_code = 137,
            }
        }
        let collect = |stream: Stream| -> String {
            lines
                .iter()
                .filter(|(s, _)| *s == stream)
                .map(|(_, l)| format!("{l}\n"))
                .collect()
        };
        Ok(ExecResult {
            exit_code,
            stdout: collect(Stream::Stdout),
            stderr: collect(Stream::Stderr),
        })
    }

    fn leaked_bytes(&self, now: Ticks) -> u64 {
        let elapsed = now.saturating_sub(self.leak_start_tick) as u128;
        (self.leak_bytes_per_second as u128 * elapsed / TICKS_PER_SECOND as u128)
            .min(u64::MAX as u128) as u64
    }

    /// Makes the process allocate `bytes_per_second` more, forever (the "exhaust memory" failure).
    pub fn inject_memory_leak(&mut self, bytes_per_second: u64, now: Ticks) {
        // Fold what was leaked so far into the base so the new rate starts now.
        self.base_memory_bytes = self
            .base_memory_bytes
            .saturating_add(self.leaked_bytes(now));
        self.leak_bytes_per_second = self.leak_bytes_per_second.saturating_add(bytes_per_second);
        self.leak_start_tick = now;
    }

    /// CPU and memory in use at `now`.
    pub fn usage(&self, now: Ticks) -> Usage {
        if self.exited.is_some() {
            return Usage::default();
        }
        let recent = self
            .recent_requests
            .iter()
            .filter(|t| now.saturating_sub(**t) < LOAD_WINDOW_TICKS)
            .count() as u64;
        let per_request_millis = match self.app {
            AppKind::Kubia { .. } | AppKind::KubiaUnhealthy => 30,
            AppKind::Httpd => 15,
            _ => 10,
        };
        // Requests per second over the window, times what each costs, as millicores.
        let load_cpu = recent * per_request_millis * TICKS_PER_SECOND / LOAD_WINDOW_TICKS;
        let busy_cpu = if self.busy {
            1_000 * self.cpus as u64
        } else {
            0
        };
        let starting = self
            .ready_tick
            .is_some_and(|t| now < t + 5 * TICKS_PER_SECOND)
            && self.app == AppKind::Mysql;
        Usage {
            cpu_millis: self.base_cpu_millis + load_cpu + busy_cpu + if starting { 250 } else { 0 },
            memory_bytes: self
                .base_memory_bytes
                .saturating_add(self.leaked_bytes(now))
                .saturating_add(recent.min(1_000) * 64 * 1024),
        }
    }

    /// The first tick at which memory use exceeds `limit_bytes`, if it ever will while the
    /// process runs as it does now.
    pub fn oom_tick(&self, limit_bytes: u64, now: Ticks) -> Option<Ticks> {
        if self.exited.is_some() {
            return None;
        }
        let current = self.usage(now).memory_bytes;
        if current > limit_bytes {
            return Some(now);
        }
        if self.leak_bytes_per_second == 0 {
            return None;
        }
        let base = self.base_memory_bytes as u128;
        let needed = (limit_bytes as u128 + 1).saturating_sub(base);
        let rate = self.leak_bytes_per_second as u128;
        let ticks = (needed * TICKS_PER_SECOND as u128).div_ceil(rate);
        Some(
            self.leak_start_tick
                .saturating_add(ticks.min(u64::MAX as u128 / 2) as u64)
                .max(now),
        )
    }

    pub fn started_tick(&self) -> Ticks {
        self.started_tick
    }

    pub fn requests_total(&self) -> u64 {
        self.requests_total
    }
}

fn app_ports(app: AppKind) -> &'static [u16] {
    match app {
        AppKind::Nginx | AppKind::Httpd => &[80],
        AppKind::Redis => &[6379],
        AppKind::Fluentd => &[24224, 5140],
        AppKind::Mysql => &[3306, 33060],
        AppKind::Kubia { .. } | AppKind::KubiaUnhealthy | AppKind::Crasher | AppKind::MemLeak => {
            &[8080]
        }
        AppKind::CoreDns => &[53, 8080, 8181, 9153],
        AppKind::Etcd => &[2379, 2380, 2381],
        AppKind::KubeApiserver => &[6443],
        AppKind::KubeControllerManager => &[10257],
        AppKind::KubeScheduler => &[10259],
        AppKind::KubeProxy => &[10249, 10256],
        AppKind::Shell | AppKind::Pause | AppKind::Flannel | AppKind::Unsupported => &[],
    }
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Programs a shell-bearing image has besides its main program (busybox applets, coreutils).
fn is_known_applet(name: &str) -> bool {
    matches!(
        name,
        "sh" | "ash"
            | "bash"
            | "dash"
            | "echo"
            | "printf"
            | "sleep"
            | "true"
            | "false"
            | "cat"
            | "date"
            | "touch"
            | "rm"
            | "mkdir"
            | "ls"
            | "hostname"
            | "env"
            | "printenv"
            | "test"
            | "["
            | "whoami"
            | "id"
            | "uname"
            | "pwd"
            | "wget"
            | "curl"
            | "nc"
            | "nslookup"
            | "ping"
            | "kill"
    )
}

fn nginx_error_page(status: u16, reason: &str) -> String {
    format!("<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx/1.27.5</center>\r\n</body>\r\n</html>\r\n")
}

/// The nginx image's default page (615 bytes, as `curl -s localhost | wc -c` says).
pub const NGINX_INDEX_HTML: &str = "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\nhtml { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\nfont-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and\nworking. Further configuration is required.</p>\n\n<p>For online documentation and support please refer to\n<a href=\"http://nginx.org/\">nginx.org</a>.<br/>\nCommercial support is available at\n<a href=\"http://nginx.com/\">nginx.com</a>.</p>\n\n<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n";

fn image_files(image: &ImageSpec, hostname: &str) -> Files {
    let mut files = Files::new();
    files.insert("/etc/hostname".into(), format!("{hostname}\n"));
    if !image.base.os_release().is_empty() {
        files.insert(
            "/etc/os-release".into(),
            image.base.os_release().to_string(),
        );
    }
    match image.app {
        AppKind::Nginx => {
            files.insert(
                "/usr/share/nginx/html/index.html".into(),
                NGINX_INDEX_HTML.into(),
            );
            files.insert("/usr/share/nginx/html/50x.html".into(), "<!DOCTYPE html>\n<html>\n<head>\n<title>Error</title>\n</head>\n<body>\n<h1>An error occurred.</h1>\n</body>\n</html>\n".into());
        }
        AppKind::Httpd => {
            files.insert(
                "/usr/local/apache2/htdocs/index.html".into(),
                "<html><body><h1>It works!</h1></body></html>\n".into(),
            );
        }
        _ => {}
    }
    files
}

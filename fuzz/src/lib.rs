//! The line generator of the `command_lines` fuzz target: fuzz bytes → plausible command lines.
//!
//! Raw bytes rarely spell `kubectl rollout undo deployment/web --to-revision=2`, so most of
//! what they reach is "unknown command". Here the bytes choose from tables instead: a command
//! shape (a kubectl verb with a resource, a name and flags; a node command; a heredoc manifest),
//! then its parts, now and then a random word or a word from the wider vocabulary, so a
//! mutation changes a verb or a flag and stays a line a student could type.

use arbitrary::{Result, Unstructured};

/// Inputs starting with this byte are driven through [`Lines`]; others are typed as text.
pub const STRUCTURED: u8 = 0xff;

/// The lines an input types: its text lines, or generated ones after [`STRUCTURED`].
pub fn lines_of(data: &[u8]) -> Vec<String> {
    match data.split_first() {
        Some((&STRUCTURED, rest)) => Lines::generate(&mut Unstructured::new(rest)),
        _ => String::from_utf8_lossy(data)
            .lines()
            .map(str::to_string)
            .collect(),
    }
}

const VERBS: &[&str] = &[
    "get",
    "describe",
    "delete",
    "apply",
    "create",
    "run",
    "expose",
    "label",
    "annotate",
    "scale",
    "set image",
    "patch",
    "edit",
    "rollout status",
    "rollout history",
    "rollout undo",
    "rollout pause",
    "rollout resume",
    "rollout restart",
    "cordon",
    "uncordon",
    "drain",
    "taint",
    "logs",
    "exec",
    "top pods",
    "top nodes",
    "port-forward",
    "auth can-i",
    "cluster-info",
    "api-versions",
    "api-resources",
    "version",
    "explain",
    "config view",
    "wait",
    "diff",
    "replace",
    "autoscale",
];

const RESOURCES: &[&str] = &[
    "pods",
    "po",
    "pod",
    "deployments",
    "deploy",
    "replicasets",
    "rs",
    "daemonsets",
    "ds",
    "statefulsets",
    "jobs",
    "cronjobs",
    "services",
    "svc",
    "endpoints",
    "ep",
    "endpointslices",
    "nodes",
    "no",
    "namespaces",
    "ns",
    "configmaps",
    "cm",
    "secrets",
    "serviceaccounts",
    "sa",
    "events",
    "ev",
    "roles",
    "rolebindings",
    "clusterroles",
    "clusterrolebindings",
    "leases",
    "all",
    "deploy,svc",
    "pods,nodes",
    "deployment/web",
    "pod/web",
    "node/node1",
    "svc/web",
    "ds/kube-proxy",
    "deploy/coredns",
    "priorityclasses",
    "storageclasses",
    "pv",
    "pvc",
    "ingresses",
    "networkpolicies",
    "resourcequotas",
    "limitranges",
    "crd",
    "foo",
];

const NAMES: &[&str] = &[
    "web",
    "web-0",
    "kubia",
    "nginx",
    "busybox",
    "coredns",
    "kube-proxy",
    "kube-flannel-ds",
    "node1",
    "node2",
    "master",
    "default",
    "kube-system",
    "kube-public",
    "etcd-master",
    "kube-apiserver-master",
    "kube-scheduler-master",
    "kube-controller-manager-master",
    "web-7d4b9c8f5-abcde",
    "x",
    "",
    "-",
    "a.b",
    "UPPER",
    "한글",
    "web/x",
];

const FLAGS: &[&str] = &[
    "-n",
    "--namespace",
    "-A",
    "--all-namespaces",
    "-o",
    "-l",
    "--selector",
    "--field-selector",
    "-f",
    "--image",
    "--replicas",
    "--port",
    "--target-port",
    "--type",
    "--name",
    "--dry-run",
    "-w",
    "--watch",
    "--show-labels",
    "--no-headers",
    "-L",
    "--sort-by",
    "--overwrite",
    "--all",
    "--force",
    "--grace-period",
    "--now",
    "--cascade",
    "--ignore-daemonsets",
    "--delete-emptydir-data",
    "--to-revision",
    "-p",
    "--patch",
    "--type",
    "--record",
    "-c",
    "--container",
    "--tail",
    "--since",
    "--previous",
    "--timestamps",
    "-i",
    "-t",
    "-it",
    "--",
    "--as",
    "--as-group",
    "--timeout",
    "--restart",
    "--env",
    "--labels",
    "--command",
    "--requests",
    "--limits",
    "--revision",
    "--current-replicas",
    "--containers",
    "--output-watch-events",
    "--chunk-size",
    "--raw",
    "-v",
    "--v",
    "-h",
    "--help",
    "--kubeconfig",
    "--context",
    "--server",
    "--from-literal",
    "--from-file",
    "--min",
    "--max",
    "--cpu-percent",
    "--for",
    "--recursive",
    "-R",
    "--prune",
    "--server-side",
    "--validate",
    "--save-config",
];

const VALUES: &[&str] = &[
    "web",
    "nginx",
    "nginx:1.27",
    "busybox",
    "3",
    "0",
    "-1",
    "999999999999",
    "1.5",
    "x",
    "",
    "yaml",
    "json",
    "wide",
    "name",
    "jsonpath={.items[*].metadata.name}",
    "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}",
    "jsonpath={..image}",
    "jsonpath-as-json={.spec}",
    "custom-columns=NAME:.metadata.name,NODE:.spec.nodeName",
    "custom-columns=A:.status.conditions[?(@.type==\"Ready\")].status",
    "go-template={{.}}",
    "app=web",
    "app!=web",
    "app in (web,kubia)",
    "!app",
    "tier notin (a)",
    "metadata.name=web",
    "spec.nodeName=node1",
    "status.phase!=Running",
    "ClusterIP",
    "NodePort",
    "LoadBalancer",
    "merge",
    "json",
    "strategic",
    "client",
    "server",
    "none",
    "{\"spec\":{\"replicas\":2}}",
    "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":1}]",
    "[{\"op\":\"remove\",\"path\":\"/x\"}]",
    "{\"metadata\":{\"labels\":{\"a\":null}}}",
    ".metadata.name",
    ".status.containerStatuses[0].restartCount",
    "{.metadata.uid}",
    "key=value:NoSchedule",
    "key:NoExecute",
    "key-",
    "node-role.kubernetes.io/control-plane-",
    "gpu=true",
    "gpu-",
    "cpu=100m,memory=64Mi",
    "cpu=1e9",
    "memory=-1",
    "80",
    "8080:80",
    ":80",
    "65536",
    "5s",
    "0s",
    "-5s",
    "1h",
    "Never",
    "OnFailure",
    "Always",
    "condition=Ready",
    "delete",
    "orphan",
    "background",
    "foreground",
    "student",
    "system:masters",
    "system:serviceaccount:default:default",
    "-",
    "web.yaml",
    "/etc/kubernetes/manifests",
];

const NODE_LINES: &[&str] = &[
    "ssh node1",
    "ssh node2",
    "ssh master",
    "exit",
    "crictl ps",
    "crictl ps -a",
    "crictl pods",
    "crictl images",
    "crictl logs",
    "crictl inspect",
    "crictl rm",
    "crictl rmp",
    "crictl stopp",
    "docker ps",
    "systemctl stop kubelet",
    "systemctl start kubelet",
    "systemctl restart kubelet",
    "systemctl status kubelet",
    "systemctl stop containerd",
    "systemctl start containerd",
    "vagrant halt node1",
    "vagrant halt node2",
    "vagrant up node1",
    "vagrant up node2",
    "vagrant status",
    "curl http://10.96.0.1/",
    "curl http://node1:30080/",
    "curl web",
    "nslookup web",
    "nslookup kubernetes.default",
    "iptables-save",
    "iptables-save -t nat",
    "iptables -A INPUT -j DROP",
    "iptables -F",
    "ip route",
    "ping node2",
    "mv /etc/kubernetes/manifests/kube-scheduler.yaml /tmp/",
    "mv /tmp/kube-scheduler.yaml /etc/kubernetes/manifests/",
    "ls /etc/kubernetes/manifests",
    "cat /etc/kubernetes/manifests/etcd.yaml",
    "journalctl -u kubelet",
    "sleep 1",
    "sleep 60",
    "sleep 400",
    "sleep 0.5",
    "clear",
    "help",
    "history",
    "echo $?",
    "cat web.yaml",
    "ls",
    "rm web.yaml",
    "etcdctl get /registry --prefix --keys-only",
    "etcdctl get /registry/pods --prefix -w json",
    "etcdctl get /registry/deployments/default/web",
    "etcdctl del /registry/pods/default/web",
    "etcdctl put /registry/x y",
    "etcdctl watch /registry",
    "etcdctl member list",
    "etcdctl endpoint status",
    "etcdctl snapshot save s.db",
    "etcdctl get /registry --prefix --limit 2 --rev 3",
];

/// Manifests a line can apply through a heredoc; the generator also cuts and splices them.
const MANIFESTS: &[&str] = &[
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.27\n        ports:\n        - containerPort: 80",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kubia-gpu\nspec:\n  nodeSelector:\n    gpu: \"true\"\n  containers:\n  - name: kubia\n    image: luksa/kubia",
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n  selector:\n    app: web\n  ports:\n  - port: 80\n    targetPort: 8080\n    nodePort: 30080",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"1\"",
    "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: pi\nspec:\n  completions: 3\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: pi\n        image: perl\n        command: [\"perl\", \"-e\", \"print 1\"]",
    "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: ds\nspec:\n  selector:\n    matchLabels:\n      app: ds\n  template:\n    metadata:\n      labels:\n        app: ds\n    spec:\n      tolerations:\n      - operator: Exists\n      containers:\n      - name: c\n        image: fluentd",
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team",
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\nsubjects:\n- kind: User\n  name: student",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\nspec:\n  containers:\n  - name: c\n    image: nginx\n    resources:\n      requests:\n        cpu: \"64\"\n        memory: 1Ti",
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"j\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}",
];

/// The proptest no-panic suite's words: kubectl's and bash's vocabulary, operators, quotes and
/// junk.
#[path = "../../tests/support/shell_words.rs"]
mod shell_words;
use shell_words::WORDS as VOCABULARY;

/// A line generator over fuzz bytes.
pub struct Lines;

impl Lines {
    /// Up to 8 lines; stops early when the bytes run out.
    pub fn generate(u: &mut Unstructured) -> Vec<String> {
        let mut lines = Vec::new();
        for _ in 0..8 {
            if u.is_empty() {
                break;
            }
            match Self::line(u) {
                Ok(mut more) => lines.append(&mut more),
                Err(_) => break,
            }
        }
        lines
    }

    /// One command, or several lines for a heredoc.
    fn line(u: &mut Unstructured) -> Result<Vec<String>> {
        Ok(match u.int_in_range(0..=9u8)? {
            0..=5 => vec![Self::kubectl(u)?],
            6 => vec![u.choose(NODE_LINES)?.to_string()],
            7 => Self::heredoc(u)?,
            8 => {
                let n = u.int_in_range(1..=6)?;
                let words: Result<Vec<String>> = (0..n).map(|_| Self::word(u)).collect();
                vec![words?.join(" ")]
            }
            _ => vec![format!(
                "{} {} {}",
                u.choose(NODE_LINES)?,
                Self::word(u)?,
                Self::word(u)?
            )],
        })
    }

    /// `kubectl VERB [RESOURCE] [NAME] [FLAGS...]`, each part optional so the errors for a
    /// missing part are reached too.
    fn kubectl(u: &mut Unstructured) -> Result<String> {
        let mut words = vec!["kubectl".to_string(), u.choose(VERBS)?.to_string()];
        if u.ratio(4, 5)? {
            words.push(u.choose(RESOURCES)?.to_string());
        }
        if u.ratio(2, 3)? {
            words.push(u.choose(NAMES)?.to_string());
        }
        for _ in 0..u.int_in_range(0..=4)? {
            let flag = u.choose(FLAGS)?;
            let value = Self::value(u)?;
            words.push(match u.int_in_range(0..=3u8)? {
                0 => flag.to_string(),
                1 => format!("{flag}={value}"),
                _ => format!("{flag} {value}"),
            });
        }
        if u.ratio(1, 8)? {
            words.push(Self::word(u)?);
        }
        Ok(words.join(" "))
    }

    /// A flag value, quoted when it holds what the shell would split.
    fn value(u: &mut Unstructured) -> Result<String> {
        let v = if u.ratio(1, 10)? {
            Self::text(u)?
        } else {
            u.choose(VALUES)?.to_string()
        };
        Ok(if v.contains([' ', '"', '{', '(', '!', '$']) {
            format!("'{}'", v.replace('\'', ""))
        } else {
            v
        })
    }

    fn word(u: &mut Unstructured) -> Result<String> {
        Ok(match u.int_in_range(0..=5u8)? {
            0 => u.choose(VERBS)?.to_string(),
            1 => u.choose(RESOURCES)?.to_string(),
            2 => u.choose(FLAGS)?.to_string(),
            3 => u.choose(VALUES)?.to_string(),
            4 => u.choose(VOCABULARY)?.to_string(),
            _ => Self::text(u)?,
        })
    }

    /// A short random string.
    fn text(u: &mut Unstructured) -> Result<String> {
        let len = u.int_in_range(0..=12)?;
        let s: Result<String> = (0..len).map(|_| u.arbitrary::<char>()).collect();
        s
    }

    /// `kubectl apply|create|delete|replace -f - <<EOF`, a manifest (whole, cut, or with a line
    /// changed), and `EOF`; or `cat <<EOF > web.yaml` for a later `-f web.yaml`.
    fn heredoc(u: &mut Unstructured) -> Result<Vec<String>> {
        let head = match u.int_in_range(0..=4u8)? {
            0 => "kubectl create -f - <<EOF",
            1 => "kubectl delete -f - <<EOF",
            2 => "cat <<EOF > web.yaml",
            3 => "kubectl replace -f - <<EOF",
            _ => "kubectl apply -f - <<EOF",
        };
        let mut lines = vec![head.to_string()];
        let mut body: Vec<String> = u.choose(MANIFESTS)?.lines().map(str::to_string).collect();
        for _ in 0..u.int_in_range(0..=3)? {
            if body.is_empty() {
                break;
            }
            let i = u.choose_index(body.len())?;
            match u.int_in_range(0..=3u8)? {
                0 => {
                    body.remove(i);
                }
                1 => body[i] = format!("{}{}", body[i], Self::value(u)?),
                2 => {
                    let indent = body[i].len() - body[i].trim_start().len();
                    let key = Self::text(u)?;
                    body.insert(
                        i,
                        format!("{}{key}: {}", " ".repeat(indent), Self::value(u)?),
                    );
                }
                _ => body.truncate(i),
            }
        }
        if u.ratio(1, 4)? {
            body.push("---".to_string());
            body.extend(u.choose(MANIFESTS)?.lines().map(str::to_string));
        }
        lines.extend(body);
        lines.push("EOF".to_string());
        Ok(lines)
    }
}

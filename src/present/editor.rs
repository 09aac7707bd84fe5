//! The YAML editor's view model: the course's ready examples, and where in the student's text an
//! error from kubectl or the apiserver points.
//!
//! Mirrors: an editor beside `kubectl apply -f`: the page saves the text as `editor.yaml` in the
//! terminal's home directory and runs `kubectl apply -f editor.yaml` there, so what it applies
//! takes the terminal's path (and shows in the trace and the animation), and the message is the
//! one kubectl prints. The marker finds the line an error names: a YAML syntax error carries
//! `line N, column M`; a strict-decoding, type or validation error carries a field path
//! (`spec.template.spec.containers[0].imagee`), found here by walking the block-style YAML.
//! Simplified: the walk follows block mappings and sequences (what the examples and most
//! hand-written manifests use); inside flow style (`{app: web}`) it marks the deepest key it
//! could follow.

/// The file the editor saves before applying it.
pub const EDITOR_FILE: &str = "editor.yaml";

/// The line the editor runs in the terminal to apply its text.
pub fn apply_line() -> String {
    format!("kubectl apply -f {EDITOR_FILE}")
}

/// A ready manifest from the course.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Example {
    /// Stable id, for `data-example`.
    pub id: &'static str,
    pub title_ko: &'static str,
    pub title_en: &'static str,
    pub text: &'static str,
}

/// The course's examples, in the order the chapters meet them.
pub const EXAMPLES: [Example; 5] = [
    Example {
        id: "nginx-deployment",
        title_ko: "nginx 디플로이먼트 (레플리카 3)",
        title_en: "nginx Deployment (3 replicas)",
        text: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
",
    },
    Example {
        id: "kubia-service",
        title_ko: "kubia 레플리카셋과 서비스",
        title_en: "kubia ReplicaSet and Service",
        text: "apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: kubia
spec:
  replicas: 3
  selector:
    matchLabels:
      app: kubia
  template:
    metadata:
      labels:
        app: kubia
    spec:
      containers:
      - name: kubia
        image: luksa/kubia
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: kubia
spec:
  selector:
    app: kubia
  ports:
  - port: 80
    targetPort: 8080
",
    },
    Example {
        id: "gpu-pod",
        title_ko: "nodeSelector gpu: \"true\" 파드",
        title_en: "Pod with nodeSelector gpu: \"true\"",
        text: "apiVersion: v1
kind: Pod
metadata:
  name: kubia-gpu
spec:
  nodeSelector:
    gpu: \"true\"
  containers:
  - name: kubia
    image: luksa/kubia
",
    },
    Example {
        id: "fluentd-daemonset",
        title_ko: "fluentd 데몬셋",
        title_en: "fluentd DaemonSet",
        text: "apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluentd
  namespace: kube-system
  labels:
    app: fluentd
spec:
  selector:
    matchLabels:
      app: fluentd
  template:
    metadata:
      labels:
        app: fluentd
    spec:
      tolerations:
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
      containers:
      - name: fluentd
        image: fluent/fluentd:v1.16-1
        resources:
          limits:
            memory: 200Mi
          requests:
            cpu: 100m
            memory: 200Mi
",
    },
    Example {
        id: "job",
        title_ko: "한 번 실행하고 끝나는 잡",
        title_en: "A Job that runs once",
        text: "apiVersion: batch/v1
kind: Job
metadata:
  name: hello
spec:
  backoffLimit: 4
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: hello
        image: busybox
        command: [\"sh\", \"-c\", \"echo hello from the job; sleep 5\"]
",
    },
];

/// Where an error points in the editor's text: 1-based line and column, and the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub line: usize,
    pub column: usize,
    /// The error line this marker comes from, as kubectl printed it.
    pub message: String,
}

/// The markers for what kubectl printed on stderr after applying `text`: one per error line
/// that names a place in the text (a YAML position or a field path found in it).
pub fn markers(text: &str, stderr: &str) -> Vec<Marker> {
    let mut out = Vec::new();
    for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
        if let Some((l, c)) = yaml_position(line) {
            out.push(Marker {
                line: l,
                column: c,
                message: line.to_string(),
            });
            continue;
        }
        for path in field_paths(line) {
            if let Some((l, c)) = locate(text, &path) {
                out.push(Marker {
                    line: l,
                    column: c,
                    message: line.to_string(),
                });
            }
        }
    }
    out.sort_by_key(|m| (m.line, m.column));
    out.dedup_by(|a, b| a.line == b.line && a.message == b.message);
    out
}

/// `yaml: line 5, column 2: ...` or `yaml: line 4: ...`.
fn yaml_position(line: &str) -> Option<(usize, usize)> {
    let rest = &line[line.find("yaml: line ")? + "yaml: line ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let number = digits.parse().ok()?;
    let rest = &rest[digits.len()..];
    let column = rest
        .strip_prefix(", column ")
        .map(|r| {
            r.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|d| d.parse().ok())
        .unwrap_or(1);
    Some((number, column))
}

/// The field paths an error line names: `unknown field "a.b[0].c"`, and `a.b[0].c: Invalid
/// value` / `a.b: Required value` / `a.b: invalid type` (a validation list's `* ` items too).
fn field_paths(line: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("unknown field \"") {
        let after = &rest[at + "unknown field \"".len()..];
        if let Some(end) = after.find('"') {
            paths.push(after[..end].to_string());
        }
        rest = after;
    }
    for part in line.split(", ").flat_map(|p| p.split(": ")) {
        let candidate = part.trim().trim_start_matches("* ").trim_start_matches('[');
        if looks_like_path(candidate) {
            paths.push(candidate.to_string());
        }
    }
    paths.dedup();
    paths
}

/// `spec.replicas`, `metadata.name`, `spec.containers[0].image`: top-level fields of an object.
fn looks_like_path(s: &str) -> bool {
    let top = s.split(['.', '[']).next().unwrap_or("");
    matches!(
        top,
        "spec" | "metadata" | "data" | "status" | "rules" | "subsets"
    ) && s.contains('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '[' | ']' | '-' | '_' | '/'))
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

fn segments(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut part = part;
        let key_end = part.find('[').unwrap_or(part.len());
        if key_end > 0 {
            out.push(Segment::Key(part[..key_end].to_string()));
        }
        part = &part[key_end..];
        while let Some(rest) = part.strip_prefix('[') {
            let Some(end) = rest.find(']') else { break };
            if let Ok(i) = rest[..end].parse() {
                out.push(Segment::Index(i));
            }
            part = &rest[end + 1..];
        }
    }
    out
}

/// A line of the document as the walk sees it: its number (1-based), where its content starts,
/// and the content. An item's `- ` is stepped over when the walk enters the item.
#[derive(Clone, Debug)]
struct Row<'a> {
    number: usize,
    indent: usize,
    content: &'a str,
}

/// Finds the line and column of the field `path` in `text` (the first document that has it);
/// when only a prefix of the path is there, the deepest key found.
pub fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let want = segments(path);
    let mut best: Option<(usize, (usize, usize))> = None;
    for doc in documents(text) {
        let (depth, at) = walk(&doc, &want);
        if let Some(at) = at {
            if depth == want.len() {
                return Some(at);
            }
            if best.is_none_or(|(d, _)| depth > d) {
                best = Some((depth, at));
            }
        }
    }
    best.map(|(_, at)| at)
}

/// The documents of a multi-document file, as rows without blank and comment lines.
fn documents(text: &str) -> Vec<Vec<Row<'_>>> {
    let mut docs = vec![Vec::new()];
    for (i, line) in text.lines().enumerate() {
        if line.trim_end() == "---" {
            docs.push(Vec::new());
            continue;
        }
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if let Some(doc) = docs.last_mut() {
            doc.push(Row {
                number: i + 1,
                indent: line.len() - content.len(),
                content: content.trim_end(),
            });
        }
    }
    docs
}

/// Follows `want` down `rows`; returns how many segments it followed and where the last
/// followed key is.
fn walk(rows: &[Row<'_>], want: &[Segment]) -> (usize, Option<(usize, usize)>) {
    let mut scope: Vec<Row<'_>> = rows.to_vec();
    let mut at = None;
    for (depth, segment) in want.iter().enumerate() {
        let Some(level) = scope.first().map(|r| r.indent) else {
            return (depth, at);
        };
        match segment {
            Segment::Key(key) => {
                let found = scope
                    .iter()
                    .position(|r| r.indent == level && key_of(r.content).is_some_and(|k| k == key));
                let Some(i) = found else { return (depth, at) };
                let row = &scope[i];
                at = Some((row.number, row.indent + 1));
                // The value: the rows below, deeper than the key, or a sequence at its level.
                let mut value = Vec::new();
                for r in &scope[i + 1..] {
                    let item_at_level = r.indent == row.indent && is_item(r.content);
                    if r.indent > row.indent || item_at_level {
                        value.push(r.clone());
                    } else {
                        break;
                    }
                }
                scope = value;
            }
            Segment::Index(n) => {
                let starts: Vec<usize> = scope
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.indent == level && is_item(r.content))
                    .map(|(i, _)| i)
                    .collect();
                let Some(&start) = starts.get(*n) else {
                    return (depth, at);
                };
                let end = starts.get(n + 1).copied().unwrap_or(scope.len());
                let first = &scope[start];
                let inner = first.content[1..].trim_start();
                let inner_indent = first.indent + (first.content.len() - inner.len());
                at = Some((first.number, first.indent + 1));
                let mut item = Vec::new();
                if !inner.is_empty() {
                    item.push(Row {
                        number: first.number,
                        indent: inner_indent,
                        content: inner,
                    });
                }
                item.extend(scope[start + 1..end].iter().cloned());
                scope = item;
            }
        }
    }
    (want.len(), at)
}

fn is_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

/// The key of a `key: value` or `key:` row (quotes taken off).
fn key_of(content: &str) -> Option<&str> {
    let colon = content.find(':')?;
    let after = &content[colon + 1..];
    if !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    Some(content[..colon].trim().trim_matches('"').trim_matches('\''))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: sidecar
        image: busybox
      - name: nginx
        imagee: nginx
        ports:
        - containerPort: 80
";

    #[test]
    fn a_path_into_the_second_container_finds_its_line() {
        assert_eq!(
            locate(DEPLOYMENT, "spec.template.spec.containers[1].imagee"),
            Some((17, 9))
        );
        assert_eq!(
            locate(DEPLOYMENT, "spec.template.spec.containers[0].name"),
            Some((14, 9))
        );
        assert_eq!(locate(DEPLOYMENT, "spec.replicas"), Some((6, 3)));
        assert_eq!(
            locate(
                DEPLOYMENT,
                "spec.template.spec.containers[1].ports[0].containerPort"
            ),
            Some((19, 11))
        );
    }

    #[test]
    fn a_sequence_at_its_keys_level_and_a_missing_field_mark_the_deepest_key_found() {
        let text = "spec:\n  containers:\n  - name: a\n    image: nginx\n";
        assert_eq!(locate(text, "spec.containers[0].image"), Some((4, 5)));
        // The path goes on past what the text has: the deepest key found is marked.
        assert_eq!(
            locate(text, "spec.containers[0].resources.limits"),
            Some((3, 3))
        );
        assert_eq!(locate(text, "status.phase"), None);
    }

    #[test]
    fn the_second_document_of_a_file_is_searched_too() {
        let text = "kind: A\nspec:\n  a: 1\n---\nkind: B\nspec:\n  ports:\n  - port: x\n";
        assert_eq!(locate(text, "spec.ports[0].port"), Some((8, 5)));
    }

    #[test]
    fn a_strict_decoding_error_is_marked_at_the_unknown_field() {
        let stderr = "Error from server (BadRequest): error when creating \"editor.yaml\": Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.template.spec.containers[1].imagee\"\n";
        let marks = markers(DEPLOYMENT, stderr);
        assert_eq!(marks.len(), 1, "{marks:?}");
        assert_eq!((marks[0].line, marks[0].column), (17, 9));
        assert_eq!(marks[0].message, stderr.trim_end());
    }

    #[test]
    fn a_syntax_error_is_marked_where_the_parser_says() {
        let stderr = "error: error parsing editor.yaml: error converting YAML to JSON: yaml: line 5, column 2: while parsing a block mapping, did not find expected key\n";
        let marks = markers("irrelevant", stderr);
        assert_eq!((marks[0].line, marks[0].column), (5, 2));
        let stderr = "error: error parsing editor.yaml: error converting YAML to JSON: yaml: line 4: did not find expected key\n";
        assert_eq!(markers("x", stderr)[0].line, 4);
    }

    #[test]
    fn a_validation_error_marks_each_field_it_names() {
        let stderr = "The Deployment \"web\" is invalid: \n* spec.replicas: Invalid value: -1: must be greater than or equal to 0\n* spec.template.spec.containers[0].name: Required value\n";
        let marks = markers(DEPLOYMENT, stderr);
        let lines: Vec<usize> = marks.iter().map(|m| m.line).collect();
        assert_eq!(lines, vec![6, 14], "{marks:?}");
    }

    #[test]
    fn an_error_that_names_no_place_marks_nothing() {
        let stderr = "Error from server (AlreadyExists): error when creating \"editor.yaml\": deployments.apps \"web\" already exists\n";
        assert!(markers(DEPLOYMENT, stderr).is_empty());
    }

    #[test]
    fn every_example_is_distinct_and_names_its_kind() {
        let mut ids: Vec<&str> = EXAMPLES.iter().map(|e| e.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), EXAMPLES.len());
        for e in EXAMPLES {
            assert!(e.text.contains("kind: "), "{}", e.id);
            assert!(!e.title_ko.is_empty() && !e.title_en.is_empty());
        }
    }
}

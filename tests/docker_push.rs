//! The course's chapter 2 from the Dockerfile to the Service: the image built on master is
//! pushed to the simulated Docker Hub, and the kubelet on a worker pulls exactly those layers.

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;
use kube_sandbox::sim::trace::{ImageAction, TraceKind};

#[path = "support/course_kubia.rs"]
mod course;

use course::{APP_JS, DOCKERFILE};

fn built() -> Shell<Lab> {
    course::built(DOCKERFILE)
}

/// `(short digest, state)` of each layer line of a push or pull.
fn layer_states(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter_map(|l| {
            let (id, state) = l.split_once(": ")?;
            (id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| (id.to_string(), state.trim_end().to_string()))
        })
        .collect()
}

fn login_and_push(sh: &mut Shell<Lab>) -> String {
    assert_eq!(sh.run_line("docker tag kubia devbelly/kubia").exit_code, 0);
    let login = sh.run_line("docker login -u devbelly -p secret");
    assert_eq!(login.stdout, "Login Succeeded\n");
    let push = sh.run_line("docker push devbelly/kubia");
    assert_eq!(push.exit_code, 0, "{}", push.stderr);
    push.stdout
}

#[test]
fn push_uploads_only_the_new_layer_and_prints_the_digest() {
    let mut sh = built();
    let stdout = login_and_push(&mut sh);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "Using default tag: latest");
    assert_eq!(
        lines[1],
        "The push refers to repository [docker.io/devbelly/kubia]"
    );
    let states = layer_states(&stdout);
    assert_eq!(states.len(), 7);
    assert_eq!(states[0].1, "Pushed", "the app.js layer, listed first");
    assert!(states[1..].iter().all(|(_, s)| s == "Layer already exists"));
    let last = lines.last().copied().unwrap_or_default();
    assert!(last.starts_with("latest: digest: sha256:"), "{last}");
    assert!(last.contains(" size: "));
    // Pushing again uploads nothing, and names the same manifest.
    let again = sh.run_line("docker push devbelly/kubia").stdout;
    assert!(layer_states(&again)
        .iter()
        .all(|(_, s)| s == "Layer already exists"));
    assert_eq!(again.lines().last(), Some(last));
}

#[test]
fn a_push_is_refused_without_login_without_the_tag_and_to_someone_elses_repository() {
    let mut sh = built();
    let untagged = sh.run_line("docker push devbelly/kubia");
    assert_eq!(untagged.exit_code, 1);
    assert_eq!(
        untagged.stderr,
        "An image does not exist locally with the tag: devbelly/kubia\n"
    );
    sh.run_line("docker tag kubia devbelly/kubia");
    let anonymous = sh.run_line("docker push devbelly/kubia");
    assert_eq!(
        anonymous.stderr,
        "denied: requested access to the resource is denied\n"
    );
    assert!(layer_states(&anonymous.stdout)
        .iter()
        .all(|(_, s)| s == "Preparing"));
    assert_eq!(
        sh.run_line("docker login").stderr,
        "Error: Cannot perform an interactive login from a non TTY device\n"
    );
    sh.run_line("docker login -u someone -p secret");
    let foreign = sh.run_line("docker push devbelly/kubia");
    assert_eq!(foreign.exit_code, 1);
    // Nothing reached the registry: the cluster cannot pull it.
    let pull = sh.run_line("docker pull devbelly/kubia:v9");
    assert_eq!(pull.stderr, "Error response from daemon: pull access denied for devbelly/kubia, repository does not exist or may require 'docker login': denied: requested access to the resource is denied\n");
    // The course's private registry is open.
    sh.run_line("docker tag kubia hub.example.com/kubia");
    let private = sh.run_line("docker push hub.example.com/kubia");
    assert_eq!(private.exit_code, 0, "{}", private.stderr);
    assert_eq!(
        layer_states(&private.stdout)
            .iter()
            .filter(|(_, s)| s == "Pushed")
            .count(),
        7,
        "hub.example.com had none of node's layers"
    );
}

#[test]
fn a_worker_pulls_only_the_layers_it_lacks() {
    let mut sh = built();
    login_and_push(&mut sh);
    let first = sh.run_line("ssh node2 docker pull devbelly/kubia");
    assert_eq!(first.exit_code, 0, "{}", first.stderr);
    let states = layer_states(&first.stdout);
    assert_eq!(states.len(), 7);
    assert!(states.iter().all(|(_, s)| s == "Pull complete"));
    assert!(first
        .stdout
        .ends_with("Status: Downloaded newer image for devbelly/kubia:latest\ndocker.io/devbelly/kubia:latest\n"));

    // A changed app.js: one new layer is pushed and pulled, the other six already exist.
    sh.run_line("echo '// v2' >> app.js");
    sh.run_line("docker build -t devbelly/kubia .");
    let push = sh.run_line("docker push devbelly/kubia").stdout;
    let pushed: Vec<_> = layer_states(&push)
        .into_iter()
        .filter(|(_, s)| s == "Pushed")
        .collect();
    assert_eq!(pushed.len(), 1);
    let pull = sh.run_line("ssh node2 docker pull devbelly/kubia").stdout;
    let states = layer_states(&pull);
    assert_eq!(
        states.last(),
        Some(&(pushed[0].0.clone(), "Pull complete".to_string()))
    );
    assert!(states[..6].iter().all(|(_, s)| s == "Already exists"));
    let again = sh.run_line("ssh node2 docker pull devbelly/kubia").stdout;
    assert!(again.contains("Status: Image is up to date for devbelly/kubia:latest\n"));
}

#[test]
fn the_cluster_runs_the_pushed_image_and_the_service_answers_as_in_the_book() {
    let mut sh = built();
    login_and_push(&mut sh);
    assert_eq!(
        sh.run_line("kubectl run kubia --image=devbelly/kubia --port=8080")
            .stdout,
        "pod/kubia created\n"
    );
    sh.run_line("sleep 60");
    let pods = sh.run_line("kubectl get pods").stdout;
    assert!(pods.contains("\nkubia   1/1     Running   0 "), "{pods}");
    assert_eq!(
        sh.run_line("kubectl logs kubia").stdout,
        "Kubia server starting...\n"
    );
    let events = sh.run_line("kubectl describe pod kubia").stdout;
    assert!(
        events.contains("Pulling image \"devbelly/kubia\""),
        "{events}"
    );
    assert!(events.contains("Successfully pulled image \"devbelly/kubia\""));
    assert_eq!(
        sh.run_line("kubectl expose pod kubia --name kubia-http --port=8080")
            .stdout,
        "service/kubia-http exposed\n"
    );
    let ip = sh
        .run_line("kubectl get svc kubia-http -o jsonpath={.spec.clusterIP}")
        .stdout;
    assert_eq!(
        sh.run_line(&format!("curl -s {ip}:8080")).stdout,
        "You've hit kubia\n"
    );
}

#[test]
fn an_image_never_pushed_is_err_image_pull_then_image_pull_back_off() {
    let mut sh = built();
    // Built and tagged, but never pushed: only master has it.
    sh.run_line("docker tag kubia devbelly/kubia");
    sh.run_line("kubectl run kubia --image=devbelly/kubia --port=8080");
    sh.run_line("sleep 30");
    let pods = sh.run_line("kubectl get pods kubia").stdout;
    assert!(
        pods.contains("ErrImagePull") || pods.contains("ImagePullBackOff"),
        "{pods}"
    );
    let events = sh.run_line("kubectl describe pod kubia").stdout;
    assert!(events.contains("failed to resolve reference \"docker.io/devbelly/kubia:latest\": pull access denied, repository does not exist or may require authorization"), "{events}");
    assert!(events.contains("Error: ErrImagePull"));
    assert!(events.contains("Error: ImagePullBackOff"));
}

/// `(action, host, layers moved, bytes moved, layers already there)` of each image event.
fn image_events(sh: &Shell<Lab>) -> Vec<(ImageAction, String, usize, u64, usize)> {
    sh.backend()
        .trace()
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::Image {
                action,
                host,
                layers,
                ..
            } => {
                let moved: Vec<_> = layers.iter().filter(|l| !l.cached).collect();
                Some((
                    *action,
                    host.clone(),
                    moved.len(),
                    moved.iter().map(|l| l.size_bytes).sum(),
                    layers.len() - moved.len(),
                ))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn build_push_and_pull_are_trace_events_with_the_layers_that_moved() {
    let mut sh = built();
    login_and_push(&mut sh);
    sh.run_line("ssh node2 docker pull devbelly/kubia");
    let events = image_events(&sh);
    let app_js = APP_JS.len() as u64;
    assert_eq!(events.len(), 3, "{events:?}");
    // The build downloaded node:7's six layers and made app.js's.
    assert_eq!(events[0].0, ImageAction::Build);
    assert_eq!(
        (events[0].1.as_str(), events[0].2, events[0].4),
        ("master", 7, 0)
    );
    // The push uploaded one layer of app.js's bytes; Docker Hub had node's six.
    assert_eq!(
        events[1],
        (ImageAction::Push, "master".into(), 1, app_js, 6)
    );
    // node2 had none of them.
    assert_eq!(events[2].0, ImageAction::Pull);
    assert_eq!(
        (events[2].1.as_str(), events[2].2, events[2].4),
        ("node2", 7, 0)
    );
    assert_eq!(events[2].3, events[0].3);
    // Each is caused by the line that did it.
    let trace = sh.backend().trace().events();
    for e in trace
        .iter()
        .filter(|e| matches!(e.kind, TraceKind::Image { .. }))
    {
        let cause = e.cause.expect("caused by its line");
        let line = trace
            .iter()
            .find(|c| c.seq == cause)
            .expect("the cause is kept");
        assert!(matches!(&line.kind, TraceKind::Command { line, .. } if line.contains("docker")));
    }
}

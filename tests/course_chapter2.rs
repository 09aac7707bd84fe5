//! The course's chapter 2 ("도커와 쿠버네티스 첫 걸음") typed as a student types it, from app.js to
//! `curl` on the Service, each output checked line by line.

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

#[path = "support/course_kubia.rs"]
mod course;

fn ok(sh: &mut Shell<Lab>, line: &str) -> String {
    let out = sh.run_line(line);
    assert_eq!(out.exit_code, 0, "{line}\n{}{}", out.stdout, out.stderr);
    out.stdout
}

#[test]
fn chapter_2_from_app_js_to_the_service() {
    // 2.1: app.js and the Dockerfile, then the build.
    let mut sh = course::with_files(course::DOCKERFILE);
    assert_eq!(ok(&mut sh, "cat Dockerfile"), course::DOCKERFILE);
    let build = ok(&mut sh, "docker build -t kubia .");
    let build: Vec<&str> = build.lines().collect();
    assert!(build[0].starts_with("[+] Building "));
    assert_eq!(
        build[build.len() - 1],
        " => => naming to docker.io/library/kubia:latest                             0.0s"
    );
    let inspect: serde_json::Value =
        serde_json::from_str(&ok(&mut sh, "docker inspect kubia")).expect("JSON");
    let id = inspect[0]["Id"].as_str().expect("an id").to_string();
    let short = |digest: &str| digest.trim_start_matches("sha256:")[..12].to_string();
    let layers: Vec<String> = inspect[0]["RootFS"]["Layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l.as_str().unwrap_or_default().to_string())
        .collect();
    let images = ok(&mut sh, "docker images");
    let mut rows = images.lines();
    assert_eq!(
        rows.next(),
        Some("REPOSITORY                                TAG        IMAGE ID       CREATED          SIZE")
    );
    let kubia = rows.next().unwrap_or_default();
    assert!(
        kubia.starts_with(&format!(
            "kubia                                     latest     {}   ",
            short(&id)
        )),
        "{kubia}"
    );
    assert!(kubia.ends_with("   660MB"), "{kubia}");

    // The image runs as a container; its port is published on master.
    let run = ok(
        &mut sh,
        "docker run --name kubia-container -p 8080:8080 -d kubia",
    );
    let container = run.trim_end();
    assert_eq!(container.len(), 64);
    assert_eq!(
        ok(&mut sh, "curl localhost:8080"),
        format!("You've hit {}\n", &container[..12])
    );
    assert_eq!(
        ok(&mut sh, "docker stop kubia-container"),
        "kubia-container\n"
    );
    assert_eq!(
        ok(&mut sh, "docker rm kubia-container"),
        "kubia-container\n"
    );

    // Pushed to Docker Hub under the student's name: only app.js's layer is uploaded.
    assert_eq!(ok(&mut sh, "docker tag kubia devbelly/kubia"), "");
    assert_eq!(
        ok(&mut sh, "docker login -u devbelly -p secret"),
        "Login Succeeded\n"
    );
    let push = ok(&mut sh, "docker push devbelly/kubia");
    let mut expected = String::from(
        "Using default tag: latest\nThe push refers to repository [docker.io/devbelly/kubia]\n",
    );
    for (i, layer) in layers.iter().rev().enumerate() {
        let state = if i == 0 {
            "Pushed"
        } else {
            "Layer already exists"
        };
        expected.push_str(&format!("{}: {state} \n", short(layer)));
    }
    assert!(push.starts_with(&expected), "{push}");
    assert!(push
        .lines()
        .last()
        .unwrap_or_default()
        .starts_with("latest: digest: sha256:"));

    // 2.3: the cluster runs it.
    assert_eq!(
        ok(
            &mut sh,
            "kubectl run kubia --image=devbelly/kubia --port=8080"
        ),
        "pod/kubia created\n"
    );
    ok(&mut sh, "sleep 60");
    let pods = ok(&mut sh, "kubectl get pods");
    let pods: Vec<&str> = pods.lines().collect();
    assert_eq!(pods[0], "NAME    READY   STATUS    RESTARTS   AGE");
    assert!(
        pods[1].starts_with("kubia   1/1     Running   0          "),
        "{}",
        pods[1]
    );
    assert_eq!(
        ok(
            &mut sh,
            "kubectl expose pod kubia --type=LoadBalancer --name kubia-http --port=8080"
        ),
        "service/kubia-http exposed\n"
    );
    let ip = ok(
        &mut sh,
        "kubectl get svc kubia-http -o jsonpath={.spec.clusterIP}",
    );
    // The pod's own hostname answers, not the worker's (교재에서는 kubia-4jfyf).
    assert_eq!(
        ok(&mut sh, &format!("curl {ip}:8080")),
        "You've hit kubia\n"
    );
    let wide = ok(&mut sh, "kubectl get pods -o wide");
    let node = wide
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().nth(6))
        .unwrap_or_default()
        .to_string();
    assert!(node == "node1" || node == "node2", "{wide}");
    // That node pulled exactly the pushed layers.
    let on_node = ok(&mut sh, &format!("ssh {node} crictl images"));
    assert!(on_node.contains("docker.io/devbelly/kubia"), "{on_node}");
}

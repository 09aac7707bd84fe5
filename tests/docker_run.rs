//! `docker run --name kubia-container -p 8080:8080 -d kubia` as the course runs it, then
//! `curl localhost:8080`, `docker ps/logs/exec/stop/rm`, and the errors on the way.

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

#[path = "support/course_kubia.rs"]
mod course;
#[path = "support/lab_shell.rs"]
mod lab_shell;

use course::{built, write, DOCKERFILE as COURSE_DOCKERFILE};
use lab_shell::fails;

fn ps_row(sh: &mut Shell<Lab>, name: &str, all: bool) -> Option<String> {
    let line = if all { "docker ps -a" } else { "docker ps" };
    sh.run_line(line)
        .stdout
        .lines()
        .find(|l| l.ends_with(&format!("   {name}")))
        .map(str::to_string)
}

#[test]
fn the_course_container_answers_on_the_published_port_with_its_id_as_hostname() {
    let mut sh = built(COURSE_DOCKERFILE);
    let run = sh.run_line("docker run --name kubia-container -p 8080:8080 -d kubia");
    assert_eq!(run.exit_code, 0, "{}", run.stderr);
    let id = run.stdout.trim().to_string();
    assert_eq!(id.len(), 64);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    let row = ps_row(&mut sh, "kubia-container", false).expect("docker ps lists it");
    assert!(
        row.starts_with(&format!("{}   kubia   ", &id[..12])),
        "{row}"
    );
    assert!(row.contains("\"node app.js\""));
    assert!(row.contains("   Up 1 second "), "{row}");
    assert!(row.ends_with("   0.0.0.0:8080->8080/tcp, [::]:8080->8080/tcp   kubia-container"));
    assert_eq!(
        sh.run_line("curl localhost:8080").stdout,
        format!("You've hit {}\n", &id[..12])
    );
    assert_eq!(
        sh.run_line("docker logs kubia-container").stdout,
        "Kubia server starting...\nReceived request from ::ffff:172.17.0.1\n"
    );
    // Not in crictl: that is the kubelet's namespace.
    assert!(!sh.run_line("crictl ps").stdout.contains("kubia-container"));

    let again = sh.run_line("docker run --name kubia-container -p 8081:8080 -d kubia");
    assert_eq!(again.exit_code, 125);
    assert!(again.stderr.starts_with(&format!("docker: Error response from daemon: Conflict. The container name \"/kubia-container\" is already in use by container \"{id}\".")));
    let port = sh.run_line("docker run --name k2 -p 8080:8080 -d kubia");
    assert!(port
        .stderr
        .contains("Bind for 0.0.0.0:8080 failed: port is already allocated"));
    let busy = sh.run_line("docker rm kubia-container");
    assert_eq!(busy.stderr, "Error response from daemon: cannot remove container \"/kubia-container\": container is running: stop the container before removing or force remove\n");

    // node as PID 1 ignores SIGTERM: docker stop waits out the 10 s and kills it.
    assert_eq!(
        sh.run_line("docker stop kubia-container").stdout,
        "kubia-container\n"
    );
    let row = ps_row(&mut sh, "kubia-container", true).expect("docker ps -a lists it");
    assert!(row.contains("   Exited (137) "), "{row}");
    assert!(ps_row(&mut sh, "kubia-container", false).is_none());
    assert_ne!(sh.run_line("curl localhost:8080").exit_code, 0);
    assert_eq!(
        sh.run_line("docker rm kubia-container").stdout,
        "kubia-container\n"
    );
    assert!(ps_row(&mut sh, "kubia-container", true).is_none());
    assert_eq!(
        sh.run_line("docker logs kubia-container").stderr,
        "Error response from daemon: No such container: kubia-container\n"
    );
}

#[test]
fn exec_runs_in_the_container_and_a_missing_program_is_refused() {
    let mut sh = built(COURSE_DOCKERFILE);
    sh.run_line("docker run --name kubia-container -d kubia");
    let missing = sh.run_line("docker exec kubia-container nosuchtool");
    assert_eq!(missing.exit_code, 126);
    assert!(missing
        .stderr
        .contains("exec: \"nosuchtool\": executable file not found in $PATH"));
    let hostname = sh.run_line("docker exec kubia-container cat /etc/hostname");
    assert_eq!(hostname.exit_code, 0, "{}", hostname.stderr);
    let short_id = sh
        .run_line("docker ps")
        .stdout
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    assert_eq!(hostname.stdout.trim(), short_id);
}

#[test]
fn a_program_the_sandbox_cannot_run_logs_one_line_and_exits_1() {
    let mut sh =
        built("FROM node:7\nCOPY app.js /srv/server.js\nCMD [\"node\", \"/srv/server.js\"]\n");
    // app.js under another name is still the kubia app; a different program is not.
    sh.run_line("echo 'console.log(42)' > other.js");
    write(
        &mut sh,
        "Dockerfile",
        "FROM node:7\nCOPY other.js /other.js\nCMD [\"node\", \"/other.js\"]\n",
    );
    sh.run_line("docker build -t other .");
    let run = sh.run_line("docker run --name other other");
    assert_eq!(run.exit_code, 1, "{run:?}");
    assert!(
        run.stderr.contains("not one the sandbox can run"),
        "{run:?}"
    );
    let row = ps_row(&mut sh, "other", true).expect("listed");
    assert!(row.contains("Exited (1)"), "{row}");
    let kubia = sh.run_line("docker run -d --name k -p 9000:8080 kubia");
    assert_eq!(kubia.exit_code, 0);
    assert!(sh
        .run_line("curl -s localhost:9000")
        .stdout
        .starts_with("You've hit "));
}

#[test]
fn run_pulls_what_is_missing_and_runs_a_command_attached() {
    let mut sh = Shell::new(Lab::boot(1));
    let out = sh.run_line("docker run busybox echo hello");
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with(
        "Unable to find image 'busybox:latest' locally\nlatest: Pulling from library/busybox\n"
    ));
    assert!(out
        .stdout
        .ends_with("Status: Downloaded newer image for busybox:latest\nhello\n"));
    let nope = sh.run_line("docker run nope");
    assert_eq!(nope.exit_code, 125);
    assert!(nope.stderr.starts_with("docker: Error response from daemon: pull access denied for nope, repository does not exist or may require 'docker login': denied: requested access to the resource is denied\n"));
    for line in [
        "docker run",
        "docker run -p",
        "docker run -p x:y busybox",
        "docker run --bogus busybox",
        "docker run Busybox",
        "docker stop",
        "docker stop nope",
        "docker rm nope",
        "docker exec",
        "docker exec nope ls",
        "docker logs",
        "docker container",
        "docker container rm",
    ] {
        assert!(!fails(&mut sh, line).is_empty(), "{line}");
    }
}

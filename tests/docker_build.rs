//! The course's chapter 2 on the lab's master: app.js and a Dockerfile written in the shell,
//! `docker build -t kubia .`, the image's layers and cache, and the errors a typo gets.

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

#[path = "support/course_kubia.rs"]
mod course;
#[path = "support/lab_shell.rs"]
mod lab_shell;

use course::{write, APP_JS, DOCKERFILE};
use lab_shell::fails;

fn chapter2() -> Shell<Lab> {
    course::with_files(DOCKERFILE)
}

/// The 12-digit id of an image, from `docker images`.
fn image_id(sh: &mut Shell<Lab>, repository: &str, tag: &str) -> Option<String> {
    let out = sh.run_line("docker images");
    out.stdout.lines().find_map(|l| {
        let cols: Vec<&str> = l.split_whitespace().collect();
        (cols.first() == Some(&repository) && cols.get(1) == Some(&tag))
            .then(|| cols[2].to_string())
    })
}

fn layers(sh: &mut Shell<Lab>, image: &str) -> Vec<String> {
    let out = sh.run_line(&format!("docker inspect {image}"));
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("inspect is JSON");
    json[0]["RootFS"]["Layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l.as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn the_first_build_pulls_node_and_adds_one_layer_and_the_rebuild_is_cached() {
    let mut sh = chapter2();
    let first = sh.run_line("docker build -t kubia .");
    assert_eq!(first.exit_code, 0, "{}", first.stderr);
    let lines: Vec<&str> = first.stdout.lines().collect();
    assert!(lines[0].starts_with("[+] Building "), "{}", first.stdout);
    assert!(lines[0].ends_with(" (7/7) FINISHED                                 docker:default"));
    assert_eq!(
        lines[1],
        " => [internal] load build definition from Dockerfile                        0.0s"
    );
    assert_eq!(
        lines[2],
        format!(
            " => => transferring dockerfile: {}B{}0.0s",
            DOCKERFILE.len(),
            " ".repeat(41)
        )
    );
    assert!(first
        .stdout
        .contains(" => [1/2] FROM docker.io/library/node:7@sha256:"));
    assert!(first.stdout.contains(" => => sha256:"));
    assert!(first.stdout.contains(" 52.61MB / 52.61MB "));
    assert!(first
        .stdout
        .contains(&format!(" => => transferring context: {}B ", APP_JS.len())));
    assert!(first.stdout.contains(
        "\n => [2/2] ADD app.js /app.js                                                0.1s\n"
    ));
    assert!(first.stdout.ends_with(
        " => => naming to docker.io/library/kubia:latest                             0.0s\n"
    ));

    let id = image_id(&mut sh, "kubia", "latest").expect("kubia:latest is listed");
    assert!(first.stdout.contains(&format!("writing image sha256:{id}")));

    let again = sh.run_line("docker build -t kubia .");
    assert_eq!(again.exit_code, 0, "{}", again.stderr);
    assert!(again.stdout.contains(
        "\n => CACHED [2/2] ADD app.js /app.js                                         0.0s\n"
    ));
    assert!(
        !again.stdout.contains(" => => sha256:"),
        "nothing is downloaded again"
    );
    assert_eq!(image_id(&mut sh, "kubia", "latest"), Some(id));
}

#[test]
fn the_legacy_builder_prints_steps_and_uses_the_cache() {
    let mut sh = chapter2();
    let first = sh.run_line("DOCKER_BUILDKIT=0 docker build -t kubia .");
    assert_eq!(first.exit_code, 0, "{}", first.stderr);
    assert!(first
        .stderr
        .starts_with("DEPRECATED: The legacy builder is deprecated"));
    let id = image_id(&mut sh, "kubia", "latest").expect("kubia:latest is listed");
    let base = image_id(&mut sh, "node", "7").expect("the legacy builder keeps node:7");
    let lines: Vec<&str> = first.stdout.lines().collect();
    assert_eq!(lines[0], "Sending build context to Docker daemon  2.56kB");
    assert_eq!(lines[1], "Step 1/3 : FROM node:7");
    assert_eq!(lines[2], "7: Pulling from library/node");
    assert!(lines[3].ends_with(": Pull complete "), "{}", lines[3]);
    assert!(first.stdout.contains(&format!(
        "Status: Downloaded newer image for node:7\n ---> {base}\nStep 2/3 : ADD app.js /app.js\n ---> "
    )));
    assert!(first
        .stdout
        .contains("Step 3/3 : ENTRYPOINT [\"node\", \"app.js\"]\n ---> Running in "));
    assert!(first.stdout.ends_with(&format!(
        " ---> {id}\nSuccessfully built {id}\nSuccessfully tagged kubia:latest\n"
    )));

    let again = sh.run_line("DOCKER_BUILDKIT=0 docker build -t kubia .");
    let add = again
        .stdout
        .lines()
        .nth(5)
        .and_then(|l| l.strip_prefix(" ---> "))
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        again.stdout,
        format!(
            "Sending build context to Docker daemon  2.56kB\nStep 1/3 : FROM node:7\n ---> {base}\nStep 2/3 : ADD app.js /app.js\n ---> Using cache\n ---> {add}\nStep 3/3 : ENTRYPOINT [\"node\", \"app.js\"]\n ---> Using cache\n ---> {id}\nSuccessfully built {id}\nSuccessfully tagged kubia:latest\n"
        )
    );
    // `export` reaches the build the same way as the prefix.
    sh.run_line("export DOCKER_BUILDKIT=0");
    let exported = sh.run_line("docker build -t kubia .");
    assert_eq!(exported.stdout, again.stdout);
}

#[test]
fn changing_app_js_changes_only_the_last_layer_and_the_image_id() {
    let mut sh = chapter2();
    sh.run_line("docker build -t kubia .");
    let before = layers(&mut sh, "kubia");
    let id_before = image_id(&mut sh, "kubia", "latest");
    sh.run_line("echo '// v2' >> app.js");
    let out = sh.run_line("docker build -t kubia .");
    assert!(
        out.stdout.contains("\n => [2/2] ADD app.js /app.js "),
        "{}",
        out.stdout
    );
    let after = layers(&mut sh, "kubia");
    assert_eq!(before.len(), 7);
    assert_eq!(before[..6], after[..6]);
    assert_ne!(before[6], after[6]);
    assert_ne!(image_id(&mut sh, "kubia", "latest"), id_before);
    // The old image lost its tag: `<none>`, as a rebuilt tag leaves it.
    let images = sh.run_line("docker images").stdout;
    assert!(images.contains("\n<none> "), "{images}");
}

#[test]
fn history_lists_each_step_with_the_instruction_that_made_it() {
    let mut sh = chapter2();
    sh.run_line("docker build -t kubia .");
    let id = image_id(&mut sh, "kubia", "latest").unwrap();
    let out = sh.run_line("docker history kubia");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "IMAGE          CREATED          CREATED BY                                      SIZE      COMMENT"
    );
    assert!(lines[1].starts_with(&format!("{id}   ")));
    assert!(lines[1].contains("   ENTRYPOINT [\"node\" \"app.js\"]   "));
    assert!(lines[1].ends_with("0B        buildkit.dockerfile.v0"));
    assert!(lines[2].starts_with("<missing>      "));
    assert!(lines[2].contains(&format!(
        "ADD app.js /app.js # buildkit                   {}B ",
        APP_JS.len()
    )));
    assert!(lines[3].contains("ENV NODE_VERSION=7.10.1 RUN curl -SLO node-v…   19.5MB"));
    assert_eq!(lines.len(), 9);
}

#[test]
fn tag_and_rmi_move_names_and_delete_the_image_with_its_last_tag() {
    let mut sh = chapter2();
    sh.run_line("docker build -t kubia .");
    let id = image_id(&mut sh, "kubia", "latest").unwrap();
    assert_eq!(sh.run_line("docker tag kubia devbelly/kubia").exit_code, 0);
    assert_eq!(
        image_id(&mut sh, "devbelly/kubia", "latest"),
        Some(id.clone())
    );
    assert_eq!(
        sh.run_line("docker rmi kubia").stdout,
        "Untagged: kubia:latest\n"
    );
    let out = sh.run_line("docker rmi devbelly/kubia");
    assert!(out.stdout.starts_with(&format!(
        "Untagged: devbelly/kubia:latest\nDeleted: sha256:{id}"
    )));
    assert_eq!(image_id(&mut sh, "devbelly/kubia", "latest"), None);
    assert_eq!(
        sh.run_line("docker rmi kubia").stderr,
        "Error response from daemon: No such image: kubia:latest\n"
    );
    assert_eq!(
        sh.run_line("docker tag nope x").stderr,
        "Error response from daemon: No such image: nope:latest\n"
    );
}

#[test]
fn bad_dockerfiles_get_dockers_errors_and_leave_the_images_as_they_were() {
    let mut sh = chapter2();
    sh.run_line("docker build -t kubia .");
    let images = sh.run_line("docker images").stdout;

    write(
        &mut sh,
        "Dockerfile",
        "FROM node:7\nADDD app.js /app.js\nENTRYPOINT [\"node\", \"app.js\"]\n",
    );
    let typo = sh.run_line("docker build -t kubia .");
    assert_eq!(typo.exit_code, 1);
    assert!(typo.stdout.ends_with(
        "Dockerfile:2\n--------------------\n   1 |     FROM node:7\n   2 | >>> ADDD app.js /app.js\n   3 |     ENTRYPOINT [\"node\", \"app.js\"]\n--------------------\n"
    ), "{}", typo.stdout);
    assert_eq!(
        typo.stderr,
        "ERROR: failed to build: failed to solve: dockerfile parse error on line 2: unknown instruction: ADDD (did you mean ADD?)\n"
    );
    let classic = sh.run_line("DOCKER_BUILDKIT=0 docker build -t kubia .");
    assert!(classic.stderr.ends_with(
        "Error response from daemon: dockerfile parse error on line 2: unknown instruction: ADDD (did you mean ADD?)\n"
    ));

    write(
        &mut sh,
        "Dockerfile",
        "FROM node:7\nADD server.js /server.js\n",
    );
    let missing = sh.run_line("docker build -t kubia .");
    assert_eq!(missing.exit_code, 1);
    assert!(missing
        .stdout
        .contains(" => ERROR [2/2] ADD server.js /server.js "));
    assert!(missing.stderr.starts_with("ERROR: failed to build: failed to solve: failed to compute cache key: failed to calculate checksum of ref "));
    assert!(missing.stderr.ends_with(": \"/server.js\": not found\n"));
    let classic = sh.run_line("DOCKER_BUILDKIT=0 docker build -t kubia .");
    assert!(classic.stderr.ends_with("ADD failed: file not found in build context or excluded by .dockerignore: stat server.js: file does not exist\n"));

    write(&mut sh, "Dockerfile", "ADD app.js /app.js\n");
    let no_from = sh.run_line("docker build -t kubia .");
    assert_eq!(
        no_from.stderr,
        "ERROR: failed to build: failed to solve: no build stage in current context\n"
    );

    write(&mut sh, "Dockerfile", "FROM nodee:7\n");
    let no_base = sh.run_line("docker build -t kubia .");
    assert_eq!(no_base.stderr, "ERROR: failed to build: failed to solve: nodee:7: failed to resolve source metadata for docker.io/library/nodee:7: pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed\n");

    sh.run_line("rm Dockerfile");
    let none = sh.run_line("docker build -t kubia .");
    assert_eq!(
        none.stderr,
        "ERROR: failed to build: failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory\n"
    );
    let classic = sh.run_line("DOCKER_BUILDKIT=0 docker build -t kubia .");
    assert!(classic.stderr.ends_with("unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat /root/Dockerfile: no such file or directory\n"));
    assert!(sh.run_line("docker build").stderr.starts_with(
        "ERROR: \"docker buildx build\" requires exactly 1 argument.\nSee 'docker buildx build --help'.\n"
    ));
    assert_eq!(
        sh.run_line("docker build -t Kubia .").stderr,
        "ERROR: invalid tag \"Kubia\": repository name must be lowercase\n"
    );
    assert_eq!(
        sh.run_line("docker build --bogus .").stderr,
        "unknown flag: --bogus\nSee 'docker buildx build --help'.\n"
    );
    assert_eq!(sh.run_line("docker images").stdout, images);
}

#[test]
fn no_docker_input_panics() {
    let mut sh = chapter2();
    for line in [
        "docker build -t",
        "docker build -f",
        "docker build -t : .",
        "docker build -t kubia@sha256:00 .",
        "docker build -t kubia nowhere",
        "docker history",
        "docker history nope",
        "docker history sha256:",
        "docker tag",
        "docker tag kubia Bad",
        "docker rmi",
        "docker rmi sha256:",
        "docker inspect",
        "docker inspect nope",
        "docker image",
        "docker image rm",
        "docker buildx build",
    ] {
        assert!(!fails(&mut sh, line).is_empty(), "{line}");
    }
    write(&mut sh, "Dockerfile", "FROM node:7 \\\nRUN \\\n");
    let out = sh.run_line("docker build .");
    assert_eq!(out.exit_code, 1, "{out:?}");
}

#[test]
fn an_untagged_build_is_none_and_rmi_by_id_deletes_it() {
    let mut sh = chapter2();
    let out = sh.run_line("docker build -q .");
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    let id = out.stdout.trim().to_string();
    assert!(id.starts_with("sha256:"));
    let short = &id["sha256:".len().."sha256:".len() + 12];
    let images = sh.run_line("docker images").stdout;
    let row = images
        .lines()
        .find(|l| l.contains(short))
        .unwrap_or_default()
        .to_string();
    assert!(row.starts_with("<none>     "), "{images}");
    assert_eq!(
        sh.run_line(&format!("docker rmi {short}")).stdout,
        format!("Deleted: {id}\n")
    );
    assert!(!sh.run_line("docker images").stdout.contains(short));
}

#[test]
fn images_of_one_repository_and_the_management_spellings() {
    let mut sh = chapter2();
    sh.run_line("docker build -t kubia .");
    sh.run_line("docker tag kubia kubia:v1");
    let id = image_id(&mut sh, "kubia", "latest").unwrap();
    let only = sh.run_line("docker images kubia").stdout;
    assert_eq!(only.lines().count(), 3, "{only}");
    assert!(only
        .lines()
        .skip(1)
        .all(|l| l.starts_with("kubia ") && l.contains(&id)));
    let tagged = sh.run_line("docker image ls kubia:v1").stdout;
    assert_eq!(tagged.lines().count(), 2, "{tagged}");
    assert!(tagged
        .lines()
        .nth(1)
        .unwrap_or_default()
        .starts_with("kubia        v1 "));
    assert_eq!(
        sh.run_line("docker images nope").stdout,
        "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n"
    );
    assert_eq!(
        sh.run_line("docker image rm kubia:v1").stdout,
        "Untagged: kubia:v1\n"
    );
}

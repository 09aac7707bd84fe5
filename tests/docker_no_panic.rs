//! Whatever a student types after `docker`, and whatever Dockerfile they write, the shell
//! answers without panicking, and a failure says why.

use proptest::prelude::*;

#[path = "support/course_kubia.rs"]
mod course;

const WORDS: &[&str] = &[
    "build",
    "-t",
    "kubia",
    "kubia:v1",
    "devbelly/kubia",
    "hub.example.com/kubia",
    ".",
    "-f",
    "Dockerfile",
    "nope",
    "--no-cache",
    "-q",
    "images",
    "history",
    "tag",
    "rmi",
    "inspect",
    "push",
    "pull",
    "login",
    "-u",
    "-p",
    "secret",
    "logout",
    "run",
    "-d",
    "--name",
    "c1",
    "-p",
    "8080:8080",
    "-e",
    "A=1",
    "ps",
    "-a",
    "logs",
    "stop",
    "rm",
    "-f",
    "exec",
    "ls",
    "node:7",
    "busybox",
    "Kubia",
    ":",
    "@",
    "sha256:",
    "image",
    "container",
    "--tag=x",
    "-tx",
    "",
    "app.js",
    "/",
    "..",
    "--bogus",
];

const INSTRUCTIONS: &[&str] = &[
    "FROM node:7",
    "FROM busybox",
    "FROM nope:1",
    "FROM",
    "FROM a b",
    "ADD app.js /app.js",
    "ADD missing.js /x",
    "ADD app.js",
    "COPY . /app",
    "COPY [\"app.js\", \"/srv/\"]",
    "COPY [\"broken",
    "RUN echo hi",
    "RUN",
    "ENV A=1 B=\"two words\"",
    "ENV LEGACY value",
    "WORKDIR /app",
    "WORKDIR $A/x",
    "EXPOSE 8080",
    "EXPOSE nonsense",
    "CMD [\"node\", \"app.js\"]",
    "CMD node app.js",
    "ENTRYPOINT [\"node\", \"app.js\"]",
    "LABEL a=b",
    "USER node",
    "ADDD app.js /app.js",
    "HEALTHCHECK NONE",
    "# a comment",
    "RUN a \\",
    "",
];

fn docker_line() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(WORDS), 0..6)
        .prop_map(|words| format!("docker {}", words.join(" ")))
}

fn dockerfile() -> impl Strategy<Value = Vec<&'static str>> {
    proptest::collection::vec(proptest::sample::select(INSTRUCTIONS), 0..7)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn no_docker_line_panics_and_failures_say_why(
        lines in proptest::collection::vec(docker_line(), 1..8),
        dockerfile in dockerfile(),
    ) {
        let mut sh = course::built(course::DOCKERFILE);
        course::write(&mut sh, "Dockerfile", &dockerfile.join("\n"));
        for line in lines.iter().map(String::as_str).chain(["docker build -t kubia ."]) {
            let out = sh.run_line(line);
            prop_assert!(
                out.exit_code == 0 || !out.stderr.is_empty(),
                "silent failure for {line:?}: {out:?}"
            );
        }
    }
}

//! The course's chapter 2 files (its `app.js` and Dockerfile) written in the lab's shell, and
//! the image built from them.
#![allow(dead_code)]

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

/// The book's app.js: answers `You've hit <hostname>`.
pub const APP_JS: &str = r#"const http = require('http');
const os = require('os');

console.log("Kubia server starting...");

var handler = function(request, response) {
  console.log("Received request from " + request.connection.remoteAddress);
  response.writeHead(200);
  response.end("You've hit " + os.hostname() + "\n");
};

var www = http.createServer(handler);
www.listen(8080);
"#;

/// The book's Dockerfile.
pub const DOCKERFILE: &str = "FROM node:7\nADD app.js /app.js\nENTRYPOINT [\"node\", \"app.js\"]\n";

/// Writes `text` to `path` with a heredoc, as a student pastes it.
pub fn write(sh: &mut Shell<Lab>, path: &str, text: &str) {
    let out = sh.run_line(&format!("cat > {path} <<'EOF'"));
    assert_eq!(out.exit_code, 0);
    for line in text.lines() {
        sh.run_line(line);
    }
    let out = sh.run_line("EOF");
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
}

/// A fresh lab whose master has app.js and `dockerfile` in root's home directory.
pub fn with_files(dockerfile: &str) -> Shell<Lab> {
    let mut sh = Shell::new(Lab::boot(1));
    write(&mut sh, "app.js", APP_JS);
    write(&mut sh, "Dockerfile", dockerfile);
    sh
}

/// The same, with `docker build -t kubia .` run.
pub fn built(dockerfile: &str) -> Shell<Lab> {
    let mut sh = with_files(dockerfile);
    let out = sh.run_line("docker build -t kubia .");
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    sh
}

//! A static file server for `serve` and for the end-to-end test, which mounts the site under a
//! sub-path (`/sandbox/`) to prove it works where GitHub Pages puts it.

use std::fs;
use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};
use std::thread;

use tiny_http::{Header, Response};

pub struct Server {
    http: tiny_http::Server,
    dir: PathBuf,
    prefix: String,
    log: bool,
}

/// What a request path maps to.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A file, relative to the served directory.
    File(PathBuf),
    /// The prefix without its slash: relative URLs need the slash to resolve inside it.
    Redirect(String),
    NotFound,
}

/// Maps a request URL to a file under `prefix` (which starts and ends with `/`).
pub fn resolve(prefix: &str, url: &str) -> Resolved {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    if path.len() + 1 == prefix.len() && prefix.starts_with(path) {
        return Resolved::Redirect(prefix.to_string());
    }
    let Some(rest) = path.strip_prefix(prefix) else {
        return Resolved::NotFound;
    };
    let mut file = PathBuf::new();
    for part in rest.split('/') {
        match part {
            "" | "." => {}
            // Never serve outside the directory.
            ".." => return Resolved::NotFound,
            p if p.contains('\\') || p.contains('\0') => return Resolved::NotFound,
            p => file.push(p),
        }
    }
    if rest.is_empty() || rest.ends_with('/') {
        file.push("index.html");
    }
    Resolved::File(file)
}

pub fn content_type(path: &Path) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    if mime.type_() == "text" || mime.subtype() == "javascript" {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    }
}

impl Server {
    pub fn bind(
        addr: impl ToSocketAddrs,
        dir: &Path,
        prefix: &str,
        log: bool,
    ) -> Result<Self, String> {
        let addr = addr
            .to_socket_addrs()
            .map_err(|e| e.to_string())?
            .next()
            .ok_or("no address to listen on")?;
        let http =
            tiny_http::Server::http(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        Ok(Server {
            http,
            dir: dir.to_path_buf(),
            prefix: prefix.to_string(),
            log,
        })
    }

    pub fn port(&self) -> u16 {
        self.http.server_addr().to_ip().map_or(0, |a| a.port())
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}{}", self.port(), self.prefix)
    }

    pub fn run_forever(self) {
        for request in self.http.incoming_requests() {
            let resolved = resolve(&self.prefix, request.url());
            let url = request.url().to_string();
            let (status, result) = match resolved {
                Resolved::Redirect(to) => {
                    let mut r = Response::empty(301);
                    if let Ok(h) = Header::from_bytes("Location", to.as_bytes()) {
                        r.add_header(h);
                    }
                    (301, request.respond(r))
                }
                Resolved::File(rel) => match fs::read(self.dir.join(&rel)) {
                    Ok(bytes) => {
                        let mut r = Response::from_data(bytes);
                        for (k, v) in [
                            ("Content-Type", content_type(&rel)),
                            // A development server: always the freshly built files.
                            ("Cache-Control", "no-store".to_string()),
                        ] {
                            if let Ok(h) = Header::from_bytes(k, v.as_bytes()) {
                                r.add_header(h);
                            }
                        }
                        (200, request.respond(r))
                    }
                    Err(_) => (
                        404,
                        request.respond(Response::from_string("not found").with_status_code(404)),
                    ),
                },
                Resolved::NotFound => (
                    404,
                    request.respond(Response::from_string("not found").with_status_code(404)),
                ),
            };
            if self.log {
                println!("{status} {url}");
            }
            if let Err(e) = result {
                eprintln!("{url}: {e}");
            }
        }
    }

    /// Serves from a background thread for as long as the process lives.
    pub fn spawn(self) -> String {
        let url = self.url();
        thread::spawn(move || self.run_forever());
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_map_to_files_under_the_prefix() {
        let table = [
            ("/sandbox/", Resolved::File("index.html".into())),
            ("/sandbox/?lang=en", Resolved::File("index.html".into())),
            (
                "/sandbox/pkg/kube_sandbox.js",
                Resolved::File("pkg/kube_sandbox.js".into()),
            ),
            ("/sandbox", Resolved::Redirect("/sandbox/".into())),
            ("/", Resolved::NotFound),
            ("/other/index.html", Resolved::NotFound),
            ("/sandbox/../Cargo.toml", Resolved::NotFound),
            ("/sandbox/pkg/..\\x", Resolved::NotFound),
        ];
        for (url, want) in table {
            assert_eq!(resolve("/sandbox/", url), want, "{url}");
        }
        assert_eq!(resolve("/", "/"), Resolved::File("index.html".into()));
        assert_eq!(
            resolve("/", "/style.css"),
            Resolved::File("style.css".into())
        );
    }

    #[test]
    fn wasm_is_served_as_application_wasm() {
        let table = [
            ("pkg/kube_sandbox_bg.wasm", "application/wasm"),
            ("pkg/kube_sandbox.js", "text/javascript; charset=utf-8"),
            ("index.html", "text/html; charset=utf-8"),
            ("style.css", "text/css; charset=utf-8"),
            ("favicon.svg", "image/svg+xml"),
            ("explain.txt", "text/plain; charset=utf-8"),
        ];
        for (path, want) in table {
            assert_eq!(content_type(Path::new(path)), want, "{path}");
        }
    }

    #[test]
    fn the_server_answers_over_http_with_the_file_and_its_type() {
        let dir = std::env::temp_dir().join(format!("xtask-serve-{}", std::process::id()));
        fs::create_dir_all(dir.join("pkg")).expect("temp dir");
        fs::write(dir.join("pkg/m.wasm"), b"\0asm").expect("write");
        let server = Server::bind("127.0.0.1:0", &dir, "/sandbox/", false).expect("bind");
        let url = server.spawn();
        let resp = ureq::get(&format!("{url}pkg/m.wasm")).call().expect("GET");
        assert_eq!(resp.header("Content-Type"), Some("application/wasm"));
        let missing = ureq::get(&format!("{url}nope")).call();
        assert!(matches!(missing, Err(ureq::Error::Status(404, _))));
        let _ = fs::remove_dir_all(dir);
    }
}

//! A small W3C WebDriver client: JSON over HTTP to a chromedriver we start on loopback.
//!
//! Why not fantoccini: it brings an async runtime (tokio, hyper) into a crate every fresh clone
//! compiles first, and the browser console log lives at chromedriver's non-W3C endpoint
//! (`/session/{id}/se/log`), which it does not wrap. Seven plain HTTP calls cover what we need.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::toolchain::Browser;

/// The key W3C WebDriver uses for element references.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Chromium flags that keep a headless browser off the network and out of first-run screens.
pub const CHROMIUM_FLAGS: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// chromedriver plus one browser session. Dropping it ends the session and kills every process
/// it started (chromedriver, and any Chromium still running on our profile directory).
pub struct Session {
    agent: ureq::Agent,
    base: String,
    id: String,
    driver: Child,
    profile_dir: PathBuf,
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn unwrap_value(resp: Result<ureq::Response, ureq::Error>) -> Result<Value, String> {
    let body: Value = match resp {
        Ok(r) => r.into_json().map_err(|e| e.to_string())?,
        Err(ureq::Error::Status(code, r)) => {
            let body: Value = r.into_json().unwrap_or(Value::Null);
            let v = &body["value"];
            return Err(format!(
                "WebDriver error {code}: {} {}",
                v["error"].as_str().unwrap_or("?"),
                v["message"]
                    .as_str()
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("")
            ));
        }
        Err(e) => return Err(e.to_string()),
    };
    Ok(body.get("value").cloned().unwrap_or(Value::Null))
}

impl Session {
    pub fn start(browser: &Browser, width: u32, height: u32) -> Result<Session, String> {
        let port = free_port()?;
        let profile_dir = std::env::temp_dir().join(format!(
            "kube-sandbox-chromium-{}-{port}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&profile_dir);
        let driver = Command::new(&browser.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", browser.chromedriver.display()))?;
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .build();
        let mut session = Session {
            agent,
            base: format!("http://127.0.0.1:{port}"),
            id: String::new(),
            driver,
            profile_dir,
        };
        session.wait_ready()?;
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", session.profile_dir.display()));
        args.push(format!("--window-size={width},{height}"));
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": browser.chromium, "args": args },
            "goog:loggingPrefs": { "browser": "ALL" },
        }}});
        let value = unwrap_value(
            session
                .agent
                .post(&format!("{}/session", session.base))
                .send_json(caps),
        )?;
        session.id = value["sessionId"]
            .as_str()
            .ok_or("chromedriver answered without a session id")?
            .to_string();
        Ok(session)
    }

    fn wait_ready(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(v) = unwrap_value(self.agent.get(&format!("{}/status", self.base)).call()) {
                if v["ready"].as_bool() == Some(true) {
                    return Ok(());
                }
            }
            sleep(Duration::from_millis(100));
        }
        Err("chromedriver did not become ready in 20 s".into())
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}/{path}", self.base, self.id)
    }

    pub fn post(&self, path: &str, body: Value) -> Result<Value, String> {
        unwrap_value(self.agent.post(&self.url(path)).send_json(body))
    }

    pub fn get(&self, path: &str) -> Result<Value, String> {
        unwrap_value(self.agent.get(&self.url(path)).call())
    }

    pub fn navigate(&self, url: &str) -> Result<(), String> {
        self.post("url", json!({ "url": url })).map(|_| ())
    }

    /// Runs a script in the page; `return` gives back JSON.
    pub fn script(&self, script: &str) -> Result<Value, String> {
        self.post("execute/sync", json!({ "script": script, "args": [] }))
    }

    /// Polls a script until it returns something truthy, or times out.
    pub fn wait_for(&self, script: &str, timeout: Duration) -> Result<Value, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.script(script)?;
            let truthy = !matches!(v, Value::Null | Value::Bool(false)) && v.as_u64() != Some(0);
            if truthy {
                return Ok(v);
            }
            if Instant::now() >= deadline {
                return Err(format!("timed out after {timeout:?} waiting for: {script}"));
            }
            sleep(Duration::from_millis(100));
        }
    }

    pub fn find(&self, css: &str) -> Result<String, String> {
        let v = self.post("element", json!({ "using": "css selector", "value": css }))?;
        v[ELEMENT_KEY]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("no element {css}"))
    }

    pub fn click(&self, css: &str) -> Result<(), String> {
        let id = self.find(css)?;
        self.post(&format!("element/{id}/click"), json!({}))
            .map(|_| ())
    }

    pub fn type_into(&self, css: &str, text: &str) -> Result<(), String> {
        let id = self.find(css)?;
        self.post(&format!("element/{id}/value"), json!({ "text": text }))
            .map(|_| ())
    }

    /// Presses keys on whatever has focus (the page, when nothing does), one after the other,
    /// through the W3C Actions API: `"\u{E012}"` is ←, `"\u{E011}"` Home, `" "` space.
    pub fn press_keys(&self, keys: &str) -> Result<(), String> {
        let mut actions = Vec::new();
        for key in keys.chars() {
            let value = key.to_string();
            actions.push(json!({ "type": "keyDown", "value": value }));
            actions.push(json!({ "type": "keyUp", "value": value }));
        }
        self.post(
            "actions",
            json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] }),
        )
        .map(|_| ())
    }

    /// The browser console, through chromedriver's log endpoint (not part of W3C WebDriver).
    pub fn browser_log(&self) -> Result<Vec<Value>, String> {
        let v = self
            .post("se/log", json!({ "type": "browser" }))
            .or_else(|_| self.post("log", json!({ "type": "browser" })))?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    pub fn screenshot_png(&self) -> Result<Vec<u8>, String> {
        use base64::Engine;
        let v = self.get("screenshot")?;
        let data = v.as_str().ok_or("the screenshot is not a string")?;
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| e.to_string())
    }
}

/// Processes whose command line names our profile directory: the Chromium we started.
fn pids_using(dir: &Path) -> Vec<u32> {
    let needle = dir.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(&needle))
                .unwrap_or(false)
        })
        .collect()
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.id.is_empty() {
            let _ = self.agent.delete(&self.url("")).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        for pid in pids_using(&self.profile_dir) {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
        let _ = std::fs::remove_dir_all(&self.profile_dir);
    }
}

//! The end-to-end test: `dist/` served under `/sandbox/`, driven in headless Chromium.
//!
//! Each check is counted in the summary on its own. The expected VMs are written out here from
//! the issue, independently of the app's own topology, so a wrong topology fails.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::server::Server;
use crate::summary::Summary;
use crate::toolchain::Browser;
use crate::webdriver::Session;

const PREFIX: &str = "/sandbox/";
const MOUNT_TIMEOUT: Duration = Duration::from_secs(30);

const EXPECTED_VMS: [(&str, &str, &[&str]); 3] = [
    (
        "master",
        "172.16.20.11",
        &[
            "kube-apiserver",
            "etcd",
            "kube-scheduler",
            "kube-controller-manager",
            "kubelet",
            "kube-proxy",
            "container-runtime",
        ],
    ),
    (
        "node1",
        "172.16.20.12",
        &["kubelet", "kube-proxy", "container-runtime"],
    ),
    (
        "node2",
        "172.16.20.13",
        &["kubelet", "kube-proxy", "container-runtime"],
    ),
];

fn serve(dist: &Path) -> Result<String, String> {
    Ok(Server::bind("127.0.0.1:0", dist, PREFIX, false)?.spawn())
}

fn has_hangul(s: &str) -> bool {
    s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

pub fn run(browser: &Browser, dist: &Path, summary: &mut Summary) {
    let session = serve(dist).and_then(|url| {
        println!("serving {} at {url}", dist.display());
        let s = Session::start(browser, 1400, 900)?;
        s.navigate(&url)?;
        Ok(s)
    });
    let session = match session {
        Ok(s) => s,
        Err(e) => return summary.record("headless Chromium opens the page", Err(e)),
    };
    let mounted = check_mounts(&session);
    let ok = mounted.is_ok();
    summary.record("the page loads under /sandbox/ and the app mounts", mounted);
    if ok {
        summary.record(
            "the three VMs are on screen with their IPs and components",
            check_vms(&session),
        );
        summary.record(
            "the language switch turns the title Korean <-> English",
            check_language(&session),
        );
        summary.record(
            "kubectl get nodes in the terminal prints the three nodes",
            check_terminal(&session),
        );
    }
    summary.record("the browser console has no errors", check_console(&session));
}

fn check_mounts(s: &Session) -> Result<(), String> {
    s.wait_for(
        "return document.querySelectorAll('[data-app-ready] [data-vm]').length",
        MOUNT_TIMEOUT,
    )
    .map(|_| ())
}

fn check_vms(s: &Session) -> Result<(), String> {
    let vms = s.script(
        "return Array.from(document.querySelectorAll('[data-vm]')).map(e => {
            const r = e.getBoundingClientRect();
            return {
                name: e.dataset.vm,
                ip: (e.querySelector('[data-ip]') || {}).textContent || '',
                visible: r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0
                    && r.top < window.innerHeight && r.right <= window.innerWidth,
                components: Array.from(e.querySelectorAll('[data-component]'))
                    .filter(c => c.getBoundingClientRect().width > 0)
                    .map(c => c.dataset.component),
            };
        })",
    )?;
    let vms = vms.as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = vms.iter().filter_map(|v| v["name"].as_str()).collect();
    let want: Vec<&str> = EXPECTED_VMS.iter().map(|v| v.0).collect();
    if names != want {
        return Err(format!("VMs on the page: {names:?}, expected {want:?}"));
    }
    for (vm, (name, ip, components)) in vms.iter().zip(EXPECTED_VMS) {
        if vm["ip"].as_str().map(str::trim) != Some(ip) {
            return Err(format!("{name} shows IP {}, expected {ip}", vm["ip"]));
        }
        if vm["visible"] != Value::Bool(true) {
            return Err(format!("{name} is not within the 1400x900 viewport"));
        }
        let shown: Vec<&str> = vm["components"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if shown != components {
            return Err(format!("{name} shows {shown:?}, expected {components:?}"));
        }
    }
    Ok(())
}

fn title(s: &Session) -> Result<String, String> {
    s.script("return document.getElementById('app-title').textContent")?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "no #app-title".to_string())
}

fn wait_title(s: &Session, korean: bool) -> Result<String, String> {
    let script = format!(
        "const t = document.getElementById('app-title').textContent;
         return /[\\uAC00-\\uD7A3]/.test(t) === {korean} && document.documentElement.lang === '{}'",
        if korean { "ko" } else { "en" }
    );
    s.wait_for(&script, Duration::from_secs(5))?;
    title(s)
}

fn check_language(s: &Session) -> Result<(), String> {
    s.click("button[data-lang='en']")?;
    let en = wait_title(s, false)?;
    s.click("button[data-lang='ko']")?;
    let ko = wait_title(s, true)?;
    if en == ko || !has_hangul(&ko) || has_hangul(&en) {
        return Err(format!("titles: en {en:?}, ko {ko:?}"));
    }
    println!("    title: {ko} <-> {en}");
    Ok(())
}

fn check_terminal(s: &Session) -> Result<(), String> {
    let line = "kubectl get nodes";
    s.type_into("#terminal-input", &format!("{line}\u{E007}"))?;
    // The line runs in the simulated cluster: its answer is kubectl's table of the three nodes.
    s.wait_for(
        &format!(
            "return Array.from(document.querySelectorAll('.line--command'))
                .some(l => l.textContent.includes('[root@master ~]#') && l.textContent.includes('{line}'))
                && Array.from(document.querySelectorAll('.line--output'))
                    .some(o => /^NAME +STATUS +ROLES/.test(o.textContent)
                        && ['master', 'node1', 'node2'].every(n => o.textContent.includes('\\n' + n + ' ')))
                && document.getElementById('terminal-input').value === ''"
        ),
        Duration::from_secs(10),
    )
    .map(|_| ())
}

fn check_console(s: &Session) -> Result<(), String> {
    let entries = s.browser_log()?;
    let severe: Vec<String> = entries
        .iter()
        .filter(|e| e["level"].as_str() == Some("SEVERE"))
        .map(|e| e["message"].as_str().unwrap_or("?").to_string())
        .collect();
    if !severe.is_empty() {
        return Err(severe.join("\n"));
    }
    // "No errors" means something only if errors would be seen: log one on purpose (after the
    // page's own entries were read) and expect it back through the same endpoint.
    s.script("console.error('xtask console probe')")?;
    let probe_seen = s.browser_log()?.iter().any(|e| {
        e["level"].as_str() == Some("SEVERE")
            && e["message"]
                .as_str()
                .is_some_and(|m| m.contains("xtask console probe"))
    });
    if !probe_seen {
        return Err("the console log endpoint did not report a deliberate console.error".into());
    }
    println!(
        "    {} console entries, none SEVERE (probe error seen)",
        entries.len()
    );
    Ok(())
}

/// A 1400x900 screenshot of the page once the app has mounted and has run `lines` in its
/// terminal, one after the other, as a student would type them.
/// How a screenshot is taken: the viewport, how long to let the animation play after the last
/// line, and keys to press on the page before the picture (WebDriver key codes, e.g. "\u{E012}"
/// for ←).
pub struct Shot<'a> {
    pub width: u64,
    pub height: u64,
    pub wait_ms: u64,
    pub keys: &'a str,
}

pub fn screenshot(
    browser: &Browser,
    dist: &Path,
    out: &Path,
    lang: &str,
    lines: &[&str],
    shot: &Shot,
) -> Result<(), String> {
    let url = serve(dist)?;
    let (width, height) = (shot.width as i64, shot.height as i64);
    let s = Session::start(browser, width as u32, height as u32)?;
    s.navigate(&url)?;
    check_mounts(&s)?;
    s.click(&format!("button[data-lang='{lang}']"))?;
    wait_title(&s, lang == "ko")?;
    for (done, line) in lines.iter().enumerate() {
        s.type_into("#terminal-input", &format!("{line}\u{E007}"))?;
        s.wait_for(
            &format!(
                "return document.querySelectorAll('.line--command').length > {done}
                    && document.getElementById('terminal-input').value === ''"
            ),
            Duration::from_secs(30),
        )?;
    }
    std::thread::sleep(Duration::from_millis(shot.wait_ms));
    if !shot.keys.is_empty() {
        s.script("document.activeElement && document.activeElement.blur(); return null")?;
        s.press_keys(shot.keys)?;
    }
    // The page scrolled to the terminal; the picture starts at the top.
    s.script("window.scrollTo(0, 0); return null")?;
    // Make the viewport exactly the size asked whatever the window decorations take.
    let inner = s.script("return [window.innerWidth, window.innerHeight]")?;
    let (w, h) = (
        inner[0].as_i64().unwrap_or(width),
        inner[1].as_i64().unwrap_or(height),
    );
    if (w, h) != (width, height) {
        s.post(
            "window/rect",
            serde_json::json!({ "width": width + (width - w), "height": height + (height - h) }),
        )?;
    }
    std::thread::sleep(Duration::from_millis(300));
    let png = s.screenshot_png()?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(out, png).map_err(|e| format!("{}: {e}", out.display()))
}

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
        summary.record(
            "kubectl explain pod.spec.nodeName fetches explain.txt on demand and prints the field's description",
            check_explain(&session),
        );
        summary.record(
            "docker build says the image chapter is not in the page's build and where it runs",
            check_image_chapter_left_out(&session),
        );
        summary.record(
            "a created deployment is narrated in steps 1 to 8, in Korean then in English",
            check_steps_narrated(&session),
        );
        summary.record(
            "back before step 5 no web pod is placed; Live shows three Running on the workers",
            check_back_and_live(&session),
        );
        summary.record(
            "a web pod's chip opens its journey (steps 1 to 8); its scheduler panel shows master rejected by TaintToleration",
            check_journey_and_scheduler(&session),
        );
        summary.record(
            "a typo applied from the editor is marked at its line with kubectl's words; the text stays",
            check_editor_typo(&session),
        );
        summary.record(
            "kubectl edit deployment web opens it in the editor; Save patches it: 'edited' and 4 replicas",
            check_kubectl_edit(&session),
        );
        summary.record(
            "node2's stop button runs vagrant halt node2; after sleep 360 node2 is NotReady and its pods run on node1",
            check_node_failure(&session),
        );
        summary.record(
            "a reload restores the session it left: the same pods, nodes, terminal lines and timeline",
            check_reload_restores(&session),
        );
        summary.record(
            "a share link opened in the page restores the same session; a corrupted autosave starts fresh with a download offered",
            check_share_link_and_corruption(&session),
        );
        if crate::site::ships_lessons() {
            summary.record(
                "the lesson picker fetches lessons/ on demand; lesson 1's solution typed in the terminal passes each step's checks, a reload mid-lesson carries on at step 2, and it ends with a completion code",
                check_lesson(&session),
            );
        } else {
            summary.record(
                "the page is built without the lesson picker (Cargo feature `lessons`): no Lessons button, no lessons/ beside it",
                check_lessons_left_out(&session),
            );
        }
    }
    summary.record("the browser console has no errors", check_console(&session));
    if ok {
        summary.record(
            "the page runs under its Content-Security-Policy: an inline script and an inline style are refused, and a refusal would have shown in the console",
            check_csp(&session),
        );
    }
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

/// The page is built without the image chapter (Cargo feature `image-chapter`, docs/build.md):
/// its docker commands say so, in the terminal's error colour, instead of Docker's unknown
/// command.
fn check_image_chapter_left_out(s: &Session) -> Result<(), String> {
    s.type_into("#terminal-input", "docker build -t kubia .\u{E007}")?;
    s.wait_for(
        "return Array.from(document.querySelectorAll('.line--error'))
            .some(e => e.textContent.startsWith('docker build: not in this build of Kube Sandbox.')
                && e.textContent.includes('cargo run --release --bin kube-sandbox -- shell'))",
        Duration::from_secs(10),
    )
    .map(|_| ())
}

/// `kubectl explain`'s docs are not part of the page's start: the first explain fetches them,
/// then its answer shows.
fn check_explain(s: &Session) -> Result<(), String> {
    let fetched = "return performance.getEntriesByType('resource').some(e => e.name.endsWith('/explain.txt'))";
    if s.script(fetched)? != Value::Bool(false) {
        return Err("explain.txt was fetched before any kubectl explain".into());
    }
    let line = "kubectl explain pod.spec.nodeName";
    s.type_into("#terminal-input", &format!("{line}\u{E007}"))?;
    s.wait_for(
        "return Array.from(document.querySelectorAll('.line--output'))
            .some(o => o.textContent.startsWith('KIND:       Pod\\nVERSION:    v1\\n\\nFIELD: nodeName <string>\\n')
                && o.textContent.includes('\\nDESCRIPTION:\\n    NodeName indicates in which node this pod is scheduled.'))",
        Duration::from_secs(10),
    )?;
    match s.script(fetched)? {
        Value::Bool(true) => Ok(()),
        other => Err(format!(
            "the answer came without fetching explain.txt: {other}"
        )),
    }
}

const CREATE: &str = "kubectl create deployment web --image=nginx --replicas=3";

/// Starts recording, in the page, every step the narration names, in the order it names them,
/// with the step's title as shown.
fn observe_narration(s: &Session) -> Result<(), String> {
    s.script(
        "window.__steps = [];
         const record = () => {
             const e = document.querySelector('[data-narration-step]');
             if (!e) return;
             const step = +e.dataset.narrationStep;
             const last = window.__steps[window.__steps.length - 1];
             if (!last || last.step !== step) {
                 const title = (document.querySelector('.narration__title') || {}).textContent || '';
                 window.__steps.push({ step, title });
             }
         };
         if (window.__observer) window.__observer.disconnect();
         window.__observer = new MutationObserver(record);
         window.__observer.observe(document.querySelector('[data-narration]'),
             { subtree: true, childList: true, attributes: true, characterData: true });
         record();
         return null",
    )
    .map(|_| ())
}

/// Waits until the cluster's work on the last line is done and the playhead is live (the Live
/// button pressed) after at least one beat.
fn wait_live(s: &Session, timeout: Duration) -> Result<(), String> {
    s.wait_for(
        "const live = document.querySelector('[data-live]');
         const slider = document.querySelector('[role=slider]');
         return !document.querySelector('[data-busy]')
             && live && live.getAttribute('aria-pressed') === 'true'
             && slider && +slider.getAttribute('aria-valuemax') > 0",
        timeout,
    )
    .map(|_| ())
}

/// The steps the narration named since [`observe_narration`], each the first time it came.
fn narrated_steps(s: &Session, korean: bool) -> Result<Vec<u64>, String> {
    let seen = s.script("return window.__steps")?;
    let seen = seen.as_array().cloned().unwrap_or_default();
    let mut first = Vec::new();
    for entry in &seen {
        let step = entry["step"].as_u64().unwrap_or(0);
        let title = entry["title"].as_str().unwrap_or("");
        if has_hangul(title) != korean {
            return Err(format!(
                "step {step}'s title {title:?} is not in the page's language"
            ));
        }
        if !first.contains(&step) {
            first.push(step);
        }
    }
    Ok(first)
}

fn unfocus(s: &Session) -> Result<(), String> {
    s.script("if (document.activeElement) document.activeElement.blur(); return null")
        .map(|_| ())
}

fn check_steps_narrated(s: &Session) -> Result<(), String> {
    // 8× so the whole command plays in seconds; the player keeps every beat at any speed.
    s.script(
        "const speed = document.querySelector('[data-speed]');
         speed.value = String(speed.options.length - 1);
         speed.dispatchEvent(new Event('change', { bubbles: true }));
         return null",
    )?;
    observe_narration(s)?;
    s.type_into("#terminal-input", &format!("{CREATE}\u{E007}"))?;
    wait_live(s, Duration::from_secs(90))?;
    let ko = narrated_steps(s, true)?;
    if ko != [1, 2, 3, 4, 5, 6, 7, 8] {
        return Err(format!(
            "Korean narration named the steps in this order: {ko:?}"
        ));
    }
    // Again in English: from the start (Home), played (space).
    s.click("button[data-lang='en']")?;
    wait_title(s, false)?;
    unfocus(s)?;
    s.press_keys("\u{E011}")?;
    observe_narration(s)?;
    s.press_keys(" ")?;
    wait_live(s, Duration::from_secs(90))?;
    let en = narrated_steps(s, false)?;
    if en != [1, 2, 3, 4, 5, 6, 7, 8] {
        return Err(format!(
            "English narration named the steps in this order: {en:?}"
        ));
    }
    println!("    steps in order, ko {ko:?}, en {en:?}");
    Ok(())
}

/// `[node, status]` of every web pod on the page.
fn web_pods(s: &Session) -> Result<Vec<(String, String)>, String> {
    let pods = s.script(
        "return Array.from(document.querySelectorAll('[data-pod^=\"default/web-\"]'))
            .map(p => [p.dataset.node || '', p.dataset.status || ''])",
    )?;
    Ok(pods
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap_or("").to_string(),
                p[1].as_str().unwrap_or("").to_string(),
            )
        })
        .collect())
}

fn narration_step(s: &Session) -> Result<u64, String> {
    Ok(s.script(
        "const e = document.querySelector('[data-narration-step]');
             return e ? +e.dataset.narrationStep : 0",
    )?
    .as_u64()
    .unwrap_or(0))
}

fn check_back_and_live(s: &Session) -> Result<(), String> {
    unfocus(s)?;
    // From the start, → until the scheduler's first beat, then ← once: just before step 5.
    s.press_keys("\u{E011}")?;
    let mut presses = 0;
    while narration_step(s)? != 5 {
        s.press_keys("\u{E014}")?;
        presses += 1;
        if presses > 1000 {
            return Err("→ never reached step 5".into());
        }
    }
    s.press_keys("\u{E012}")?;
    let step = narration_step(s)?;
    let before = web_pods(s)?;
    if step >= 5 || before.iter().any(|(node, _)| !node.is_empty()) {
        return Err(format!("before step 5 (step {step}): web pods {before:?}"));
    }
    s.click("[data-live]")?;
    s.wait_for(
        "return document.querySelector('[data-live]').getAttribute('aria-pressed') === 'true'",
        Duration::from_secs(5),
    )?;
    let live = web_pods(s)?;
    let running_on_workers = live
        .iter()
        .filter(|(node, status)| (node == "node1" || node == "node2") && status == "Running")
        .count();
    if live.len() != 3 || running_on_workers != 3 {
        return Err(format!("at Live: web pods {live:?}"));
    }
    println!("    {presses} × → to step 5; before it {before:?}; live {live:?}");
    Ok(())
}

/// Waits until the terminal shows `line` as a command it ran and its input is free again.
fn wait_ran(s: &Session, line: &str, timeout: Duration) -> Result<(), String> {
    s.wait_for(
        &format!(
            "return Array.from(document.querySelectorAll('.line--command'))
                .some(l => l.textContent.includes({line:?}))
                && document.getElementById('terminal-input').value === ''"
        ),
        timeout,
    )
    .map(|_| ())
}

fn check_journey_and_scheduler(s: &Session) -> Result<(), String> {
    wait_live(s, Duration::from_secs(10))?;
    s.click("[data-pod^='default/web-'] button")?;
    let steps = s.wait_for(
        "const j = document.querySelector('[data-journey]');
         return j && Array.from(j.querySelectorAll('[data-journey-step]'))
            .map(e => e.dataset.journeyStep).filter(n => n !== '').map(Number)",
        Duration::from_secs(10),
    )?;
    let steps: Vec<u64> = steps
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_u64()).collect())
        .unwrap_or_default();
    let mut seen: Vec<u64> = Vec::new();
    for n in &steps {
        if !seen.contains(n) {
            seen.push(*n);
        }
    }
    if seen != (1..=8).collect::<Vec<u64>>() {
        return Err(format!(
            "the journey's steps, first seen in order: {seen:?} (all: {steps:?})"
        ));
    }
    s.click("[data-panel-tab=scheduler]")?;
    let cell = s.wait_for(
        "const c = document.querySelector('[data-filter-node=master][data-filter-plugin=TaintToleration]');
         return c && c.dataset.cell",
        Duration::from_secs(10),
    )?;
    if cell.as_str() != Some("rejected") {
        return Err(format!(
            "master's TaintToleration cell is {cell}, not rejected"
        ));
    }
    let reason = s.script(
        "const r = document.querySelector('[data-rejected-node=master][data-rejected-by=TaintToleration]');
         return r && r.textContent",
    )?;
    let want = "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }";
    if !reason.as_str().is_some_and(|r| r.contains(want)) {
        return Err(format!(
            "master's rejection reads {reason}, without upstream's {want}"
        ));
    }
    println!("    journey steps {seen:?}; master: {reason}");
    s.click("[data-panel-close=scheduler]")?;
    s.click("[data-panel-close=journey]")?;
    Ok(())
}

fn check_editor_typo(s: &Session) -> Result<(), String> {
    const TYPO: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: typo\nspec:\n  containers:\n  - name: web\n    imagee: nginx\n";
    s.click("[data-panel-tab=editor]")?;
    s.wait_for(
        "return document.querySelector('[data-editor]')",
        Duration::from_secs(5),
    )?;
    s.script(&format!(
        "const t = document.querySelector('[data-editor]');
         t.value = {TYPO:?};
         t.dispatchEvent(new Event('input', {{ bubbles: true }}));
         return null"
    ))?;
    s.click("[data-editor-apply]")?;
    wait_ran(s, "kubectl apply -f editor.yaml", Duration::from_secs(30))?;
    let marker = s.wait_for(
        "const m = document.querySelector('[data-marker-line]');
         return m && [m.dataset.markerLine, m.dataset.markerColumn]",
        Duration::from_secs(5),
    )?;
    if marker != serde_json::json!(["8", "5"]) {
        return Err(format!(
            "the typo is on line 8, column 5; the marker says {marker}"
        ));
    }
    let answer = s.script("return document.querySelector('[data-editor-answer]').textContent")?;
    let want = "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].imagee\"";
    if !answer.as_str().is_some_and(|a| a.contains(want)) {
        return Err(format!("the editor shows {answer}, not kubectl's {want}"));
    }
    let kept = s.script("return document.querySelector('[data-editor]').value")?;
    if kept.as_str() != Some(TYPO) {
        return Err(format!("the editor's text changed after the error: {kept}"));
    }
    s.click("[data-panel-close=editor]")?;
    Ok(())
}

fn check_kubectl_edit(s: &Session) -> Result<(), String> {
    s.type_into("#terminal-input", "kubectl edit deployment web\u{E007}")?;
    let text = s.wait_for(
        "const t = document.querySelector('[data-editing] ') && document.querySelector('[data-editor]');
         return t && t.value",
        Duration::from_secs(30),
    )?;
    let text = text.as_str().unwrap_or_default().to_string();
    if !text.starts_with("# Please edit the object below.") || !text.contains("\n  replicas: 3\n") {
        return Err(format!("the editor opened with {text:?}"));
    }
    let edited = text.replace("\n  replicas: 3\n", "\n  replicas: 4\n");
    s.script(&format!(
        "const t = document.querySelector('[data-editor]');
         t.value = {edited:?};
         t.dispatchEvent(new Event('input', {{ bubbles: true }}));
         return null"
    ))?;
    s.click("[data-editor-save]")?;
    s.wait_for(
        "return Array.from(document.querySelectorAll('.line--output'))
            .some(l => l.textContent.includes('deployment.apps/web edited'))",
        Duration::from_secs(30),
    )?;
    wait_live(s, Duration::from_secs(60))?;
    let pods = web_pods(s)?;
    if pods.len() != 4 {
        return Err(format!(
            "after the edit to 4 replicas the cards show {pods:?}"
        ));
    }
    s.click("[data-panel-close=editor]")?;
    // Back to three, for the checks after this one.
    s.type_into(
        "#terminal-input",
        "kubectl scale deployment web --replicas=3\u{E007}",
    )?;
    wait_ran(
        s,
        "kubectl scale deployment web --replicas=3",
        Duration::from_secs(60),
    )?;
    Ok(())
}

fn check_node_failure(s: &Session) -> Result<(), String> {
    // A teacher's switch: animation off, so the playhead goes straight to now.
    s.click("[data-animate]")?;
    s.click("[data-panel-tab=failures]")?;
    s.click("[data-failure-stop='node2/vm']")?;
    wait_ran(s, "vagrant halt node2", Duration::from_secs(30))?;
    s.type_into("#terminal-input", "sleep 360\u{E007}")?;
    wait_ran(s, "sleep 360", Duration::from_secs(60))?;
    wait_live(s, Duration::from_secs(10))?;
    let ready = s.script("return document.querySelector('[data-vm=node2]').dataset.ready")?;
    if ready.as_str() != Some("false") {
        return Err(format!(
            "node2 is data-ready={ready} after vagrant halt and 360 s, not NotReady"
        ));
    }
    let pods = web_pods(s)?;
    let on_node1 = pods
        .iter()
        .filter(|(node, status)| node == "node1" && status == "Running")
        .count();
    if on_node1 != 3 {
        return Err(format!("web pods after node2 went down: {pods:?}"));
    }
    println!("    node2 data-ready={ready}; web pods {pods:?}");
    Ok(())
}

/// The page is built without the lessons' panel (docs/build.md): nothing offers a lesson that
/// is not there.
fn check_lessons_left_out(s: &Session) -> Result<(), String> {
    let found = s.script(
        "return [!!document.querySelector('[data-lessons-toggle]'),
                 !!document.querySelector('[data-lesson]')]",
    )?;
    if found != serde_json::json!([false, false]) {
        return Err(format!("lesson controls on the page: {found}"));
    }
    if crate::site::dist_dir().join("lessons").exists() {
        return Err("dist/lessons/ is shipped without a picker to open it".into());
    }
    Ok(())
}

/// Lesson 1's solution (lessons/01-cluster-tour.yaml), one line per step.
const LESSON_1_LINES: [&str; 3] = [
    "kubectl get pods --all-namespaces",
    "kubectl get pods -n kube-system -o wide",
    "kubectl describe pod kube-scheduler-master -n kube-system",
];

fn check_lesson(s: &Session) -> Result<(), String> {
    let fetched = "return performance.getEntriesByType('resource').some(e => e.name.includes('lessons/index.yaml'))";
    if s.script(fetched)?.as_bool() != Some(false) {
        return Err("lessons/index.yaml was fetched before the picker was opened".into());
    }
    s.click("[data-lessons-toggle]")?;
    s.wait_for(
        "return !!document.querySelector('[data-lesson-pick=cluster-tour]')",
        Duration::from_secs(10),
    )?;
    s.click("[data-lesson-pick=cluster-tour]")?;
    s.wait_for(
        "return !!document.querySelector('[data-lesson=cluster-tour] [data-lesson-step=\"1\"]')",
        Duration::from_secs(60),
    )?;
    let before =
        s.script("return document.querySelector('[data-check=all-namespaces]').dataset.passed")?;
    if before.as_str() != Some("false") {
        return Err(format!(
            "the first check is data-passed={before} before any line"
        ));
    }
    for (i, line) in LESSON_1_LINES.iter().enumerate() {
        s.type_into("#terminal-input", &format!("{line}\u{E007}"))?;
        wait_ran(s, line, Duration::from_secs(30))?;
        let next = if i + 1 < LESSON_1_LINES.len() {
            format!("[data-lesson-step=\"{}\"]", i + 2)
        } else {
            "[data-lesson-code]".to_string()
        };
        s.wait_for(
            &format!("return !!document.querySelector('[data-lesson=cluster-tour] {next}')"),
            Duration::from_secs(30),
        )
        .map_err(|e| format!("after {line:?}, no {next}: {e}"))?;
        if i == 0 {
            // A reload mid-lesson: the lab is restored and the lesson carries on at step 2.
            s.script("location.reload(); return null")?;
            std::thread::sleep(Duration::from_millis(300));
            wait_restored(s, Duration::from_secs(60))?;
            s.wait_for(
                "return !!document.querySelector('[data-lesson=cluster-tour] [data-lesson-step=\"2\"]')",
                Duration::from_secs(30),
            )
            .map_err(|e| format!("after a reload, the lesson is not back at step 2: {e}"))?;
            println!("    a reload mid-lesson came back at step 2");
        }
    }
    let code =
        s.script("return document.querySelector('[data-lesson-code]').dataset.lessonCode")?;
    let code = code.as_str().unwrap_or("");
    if code.len() != 9 || code.as_bytes()[4] != b'-' {
        return Err(format!("completion code {code:?} is not XXXX-XXXX"));
    }
    println!("    lesson cluster-tour finished with code {code}");
    Ok(())
}

/// What a restored page must show as it was: pods (name, node, status), each node's readiness,
/// the terminal's command lines and prompt, and the timeline's length.
fn page_state(s: &Session) -> Result<Value, String> {
    s.script(
        "const slider = document.querySelector('[role=slider]');
         return {
            pods: Array.from(document.querySelectorAll('[data-pod]'))
                .map(p => [p.dataset.pod, p.dataset.node || '', p.dataset.status || '']).sort(),
            ready: Array.from(document.querySelectorAll('[data-vm]')).map(v => v.dataset.ready || ''),
            commands: Array.from(document.querySelectorAll('.line--command')).map(l => l.textContent),
            prompt: document.querySelector('.terminal__input-line .terminal__prompt').textContent,
            beats: slider ? slider.getAttribute('aria-valuemax') : null,
         }",
    )
}

/// Waits until a (re)loaded page has mounted, replayed its saved session and settled.
fn wait_restored(s: &Session, timeout: Duration) -> Result<(), String> {
    check_mounts(s)?;
    s.wait_for(
        "return !document.querySelector('[data-restoring]') && !document.querySelector('[data-busy]')",
        timeout,
    )
    .map(|_| ())
}

/// Milliseconds from navigation to the end of the replay (`session-restored`), if it ran.
fn restored_ms(s: &Session) -> Result<Option<f64>, String> {
    Ok(s.script(
        "const m = performance.getEntriesByName('session-restored')[0]; return m ? m.startTime : null",
    )?
    .as_f64())
}

fn check_reload_restores(s: &Session) -> Result<(), String> {
    wait_live(s, Duration::from_secs(30))?;
    let before = page_state(s)?;
    let inputs =
        s.script("return JSON.parse(localStorage.getItem('kube-sandbox.session')).inputs.length")?;
    if before["pods"].as_array().map_or(0, Vec::len) < 10 {
        return Err(format!(
            "too few pods before the reload to compare: {before}"
        ));
    }
    s.script("location.reload(); return null")?;
    std::thread::sleep(Duration::from_millis(300));
    wait_restored(s, Duration::from_secs(60))?;
    wait_live(s, Duration::from_secs(30))?;
    let after = page_state(s)?;
    if after != before {
        return Err(format!("before the reload:\n{before}\nafter it:\n{after}"));
    }
    let ms = restored_ms(s)?.ok_or("the replay never marked session-restored")?;
    println!(
        "    {inputs} saved inputs restored {ms:.0} ms after navigation; {} pods, {} command lines, {} beats",
        after["pods"].as_array().map_or(0, Vec::len),
        after["commands"].as_array().map_or(0, Vec::len),
        after["beats"]
    );
    Ok(())
}

fn check_share_link_and_corruption(s: &Session) -> Result<(), String> {
    let before = page_state(s)?;
    s.click("[data-action=share]")?;
    let link = s.wait_for(
        "const l = document.querySelector('[data-share-link]'); return l && l.value",
        Duration::from_secs(10),
    )?;
    let link = link.as_str().unwrap_or_default().to_string();
    if !link.contains("/sandbox/#s=") {
        return Err(format!("share link {link:?}"));
    }
    // The link in a fresh page: storage emptied first, as on another student's machine.
    // A navigation that changes only the fragment would not load the page: leave it first.
    s.script("localStorage.removeItem('kube-sandbox.session'); return null")?;
    s.navigate("about:blank")?;
    s.navigate(&link)?;
    // The link is read after the first frame (the browser inflates it): wait for its lines.
    s.wait_for(
        "return document.querySelectorAll('.line--command').length > 0",
        Duration::from_secs(30),
    )?;
    wait_restored(s, Duration::from_secs(60))?;
    wait_live(s, Duration::from_secs(30))?;
    let shared = page_state(s)?;
    if shared["pods"] != before["pods"] || shared["beats"] != before["beats"] {
        return Err(format!(
            "before sharing:\n{before}\nfrom the link:\n{shared}"
        ));
    }
    let address = s.script("return location.href")?;
    if address.as_str().is_some_and(|a| a.contains("#s=")) {
        return Err(format!("the link's state stayed in the address: {address}"));
    }
    // A corrupted autosave: a clear notice, a fresh lab, and what was found to download.
    s.script(
        "localStorage.setItem('kube-sandbox.session', '{\"schema\": 1, \"seed\": '); return null",
    )?;
    s.script("location.reload(); return null")?;
    std::thread::sleep(Duration::from_millis(300));
    wait_restored(s, Duration::from_secs(60))?;
    let notice = s.wait_for(
        "const n = document.querySelector('[data-keep-notice=problem]');
         return n && document.querySelector('[data-action=download-found]') && n.textContent",
        Duration::from_secs(10),
    )?;
    let fresh = page_state(s)?;
    if fresh["commands"].as_array().map_or(1, Vec::len) != 0 {
        return Err(format!(
            "after a corrupted autosave the terminal shows {fresh}"
        ));
    }
    s.click("[data-action=dismiss]")?;
    println!(
        "    share link of {} bytes; corrupted autosave: {notice}",
        link.len()
    );
    Ok(())
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

/// The policy index.html declares (issue 13): nothing inline, the wasm compiled by permission.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";

/// Run after [`check_console`]: that the page caused no violation is its "no errors". Here: the
/// policy is the one meant, it is in force (an inline script does not run, a `style` attribute
/// does not apply), and a refusal is logged as an error, so `check_console` would have seen one.
fn check_csp(s: &Session) -> Result<(), String> {
    let policy = s.script(
        "const m = document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]'); return m ? m.content : null",
    )?;
    if policy.as_str() != Some(CSP) {
        return Err(format!("the page's policy is {policy}, not {CSP:?}"));
    }
    let ran = s.script(
        "window.__inlineRan = false; const el = document.createElement('script'); el.textContent = 'window.__inlineRan = true'; document.body.appendChild(el); el.remove(); return window.__inlineRan",
    )?;
    if ran.as_bool() != Some(false) {
        return Err("an inline script ran".into());
    }
    let width = s.script(
        "const d = document.createElement('div'); d.setAttribute('style', 'width: 123px'); document.body.appendChild(d); const w = getComputedStyle(d).width; d.remove(); return w",
    )?;
    if width.as_str() == Some("123px") {
        return Err("an inline style attribute applied".into());
    }
    let refusals = s
        .browser_log()?
        .iter()
        .filter(|e| {
            e["level"].as_str() == Some("SEVERE")
                && e["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("Content Security Policy"))
        })
        .count();
    if refusals < 2 {
        return Err(format!(
            "the two refusals were not logged as errors ({refusals} seen)"
        ));
    }
    println!("    policy in force; {refusals} deliberate refusals logged as errors");
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
    /// CSS selectors clicked in order once the lines ran and the keys were pressed (a panel's
    /// tab, a pod chip).
    pub clicks: Vec<&'a str>,
    /// CSS selectors clicked in order before the lines run, each once it is on the page (a
    /// lesson picked from the picker).
    pub clicks_before: Vec<&'a str>,
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
    for selector in &shot.clicks_before {
        s.wait_for(
            &format!("return !!document.querySelector({selector:?})"),
            Duration::from_secs(60),
        )?;
        s.click(selector)?;
        std::thread::sleep(Duration::from_millis(300));
    }
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
    for selector in &shot.clicks {
        s.click(selector)?;
        std::thread::sleep(Duration::from_millis(200));
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

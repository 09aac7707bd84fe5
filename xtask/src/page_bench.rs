//! The page under load, measured in headless Chromium: how long the main thread is blocked while
//! the cluster works (`longtask` entries, any task over 50 ms), how long the work takes to
//! settle, and how smooth the animation is (frame intervals while it plays).
//!
//! Reported by `cargo xtask bench`, never asserted: a busy machine makes every figure worse.

use std::time::Duration;

use serde_json::Value;

use crate::server::Server;
use crate::toolchain::Browser;
use crate::webdriver::Session;

/// What one command cost the page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CommandFigures {
    pub line: String,
    /// The longest main-thread task while chromedriver typed the line (without the Enter),
    /// in ms: its keys come about 20 to a task, far faster than anyone types.
    pub typing_longest_task_ms: f64,
    /// The longest main-thread task from the Enter until the cluster settled, in ms (0 when no
    /// task was over 50 ms, the longtask threshold).
    pub longest_task_ms: f64,
    /// Tasks over 50 ms in that time.
    pub long_tasks: usize,
    /// The same two for the tasks after the Enter's own (its `line-submitted` mark): the
    /// cluster's work alone.
    pub work_longest_task_ms: f64,
    pub work_long_tasks: usize,
    /// The longest animation frame over 50 ms (a task and the rendering after it), from the
    /// Enter until the cluster settled, in ms (0 when none), and how many were over 50 ms.
    pub longest_frame_ms: f64,
    pub long_frames: usize,
    /// From pressing Enter to the cluster settled, in ms.
    pub settle_ms: f64,
}

/// The page's figures for the report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageFigures {
    /// From navigation start to the terminal's input being on screen, in ms (this and the next
    /// three: the median of [`COLD_LOADS`] cold loads).
    pub terminal_ready_ms: f64,
    /// Total blocking time (the part of each long task over 50 ms) until then.
    pub load_blocking_ms: f64,
    /// From navigation start to the end of the lab's boot (it runs in slices after the first
    /// frame), in ms, and the longest main-thread task until then.
    pub booted_ms: f64,
    pub boot_longest_task_ms: f64,
    pub commands: Vec<CommandFigures>,
    /// Frame intervals while a command's animation plays at 1× with 50 web pods: the 95th
    /// percentile and the worst, in ms.
    pub frame_p95_ms: f64,
    pub frame_max_ms: f64,
    /// wasm memory once 1,000 pods exist, in bytes.
    pub wasm_memory_bytes: f64,
}

const INSTALL_OBSERVER: &str = "
    window.__long = [];
    new PerformanceObserver(list => {
        for (const e of list.getEntries()) window.__long.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
    // Long animation frames: a task with the rendering after it (style, layout, paint), which
    // a long task leaves out: work moved from a task into its frame still counts here.
    window.__loaf = [];
    new PerformanceObserver(list => {
        for (const e of list.getEntries()) window.__loaf.push([e.startTime, e.duration,
            e.renderStart, e.styleAndLayoutStart, e.scripts.reduce((s, x) => s + x.forcedStyleAndLayoutDuration, 0)]);
    }).observe({ type: 'long-animation-frame', buffered: true });
    return null";

fn number(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

/// Prints each long task since `window.__t0` with the page's spans inside it (a build with the
/// feature `page-marks` records them in `window.__spans`: the slice, its long rounds, the scene,
/// the render...), so that what made a task long is measured, not guessed.
fn print_spans(s: &Session, line: &str) -> Result<(), String> {
    let tasks = s.script(
        "const spans = window.__spans || [];
         return window.__long.filter(([start]) => start >= window.__t0).map(([start, d]) => {
             const inside = spans.filter(([, a, b]) => a >= start - 1 && b <= start + d + 1)
                 .map(([name, a, b]) => `${name} ${(b - a).toFixed(1)}`);
             return `${d.toFixed(0)} ms: ${inside.join(', ')}`;
         })",
    )?;
    println!("page-marks: {line}");
    for task in tasks.as_array().into_iter().flatten() {
        println!("  long task {}", task.as_str().unwrap_or(""));
    }
    // Each long animation frame: its tasks' part (with the style and layout they forced) and
    // its rendering (from the rAF callbacks; style and layout from styleAndLayoutStart).
    let frames = s.script(
        "return window.__loaf.filter(([start]) => start >= window.__t0)
             .map(([start, d, render, layout, forced]) => {
                 const end = start + d;
                 const work = (render || end) - start;
                 return `${d.toFixed(0)} ms: tasks ${work.toFixed(0)} ms (forced style and layout ${forced.toFixed(0)} ms), rendering ${(end - (render || end)).toFixed(0)} ms (style, layout, paint ${(layout ? end - layout : 0).toFixed(0)} ms)`;
             })",
    )?;
    for frame in frames.as_array().into_iter().flatten() {
        println!("  long frame {}", frame.as_str().unwrap_or(""));
    }
    Ok(())
}

/// A Chrome DevTools Protocol command through chromedriver.
fn cdp(s: &Session, cmd: &str, params: Value) -> Result<Value, String> {
    s.post(
        "goog/cdp/execute",
        serde_json::json!({ "cmd": cmd, "params": params }),
    )
}

/// Prints each stretch of the CPU profile without idle samples that is over 50 ms (a long task,
/// or several back to back), with where its time went: functions by self time, and the
/// browser's own work (`(program)`: style, layout, paint; `(garbage collector)`).
fn print_profile(profile: &Value) {
    let nodes = profile["nodes"].as_array().cloned().unwrap_or_default();
    let mut name = std::collections::HashMap::new();
    for node in &nodes {
        let frame = &node["callFrame"];
        let function = frame["functionName"].as_str().unwrap_or("");
        let label = match function {
            "" => format!("(anonymous {})", frame["url"].as_str().unwrap_or("")),
            f => f.to_string(),
        };
        name.insert(node["id"].as_u64().unwrap_or(0), label);
    }
    let samples = profile["samples"].as_array().cloned().unwrap_or_default();
    let deltas = profile["timeDeltas"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut run: Vec<(String, f64)> = Vec::new();
    let flush = |run: &mut Vec<(String, f64)>| {
        let total: f64 = run.iter().map(|(_, d)| d).sum();
        if total >= 50.0 {
            let mut by: std::collections::BTreeMap<&str, f64> = Default::default();
            for (n, d) in run.iter() {
                *by.entry(n.as_str()).or_default() += d;
            }
            let mut by: Vec<_> = by.into_iter().collect();
            by.sort_by(|a, b| b.1.total_cmp(&a.1));
            let top: Vec<String> = by
                .iter()
                .take(8)
                .map(|(n, d)| format!("{n} {d:.0}"))
                .collect();
            println!("  busy {total:.0} ms: {}", top.join(", "));
        }
        run.clear();
    };
    for (sample, delta) in samples
        .iter()
        .zip(deltas.iter().skip(1).chain([&Value::from(0)]))
    {
        let label = name
            .get(&sample.as_u64().unwrap_or(0))
            .cloned()
            .unwrap_or_default();
        if label == "(idle)" {
            flush(&mut run);
        } else {
            run.push((label, delta.as_f64().unwrap_or(0.0) / 1000.0));
        }
    }
    flush(&mut run);
}

/// The DevTools protocol's performance counters (`Performance.getMetrics`), by name.
fn metrics(s: &Session) -> Result<std::collections::HashMap<String, f64>, String> {
    cdp(s, "Performance.enable", serde_json::json!({}))?;
    let m = cdp(s, "Performance.getMetrics", serde_json::json!({}))?;
    Ok(m["metrics"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            (
                m["name"].as_str().unwrap_or("").to_string(),
                number(&m["value"]),
            )
        })
        .collect())
}

/// Types `line`, waits for the cluster to settle, and reads the long tasks in between.
fn run_command(s: &Session, line: &str, marks: bool) -> Result<CommandFigures, String> {
    // With --page-marks and PAGE_BENCH_PROFILE set, a CPU profile too (it slows the page).
    let profile = marks && std::env::var_os("PAGE_BENCH_PROFILE").is_some();
    if profile {
        cdp(s, "Profiler.enable", serde_json::json!({}))?;
        cdp(
            s,
            "Profiler.setSamplingInterval",
            serde_json::json!({ "interval": 200 }),
        )?;
        cdp(s, "Profiler.start", serde_json::json!({}))?;
    }
    // The text first, then the Enter. chromedriver types far faster than a person: Chromium
    // hands the page about 20 queued keys in one task (each key costs the page 1.5 to 3 ms:
    // the editing, a style and layout, the key listeners), a long task of typing that no
    // student makes. Measured on its own, and left out of the line's figures below.
    s.script("window.__long = []; window.__typing = performance.now(); return null")?;
    s.type_into("#terminal-input", line)?;
    // The last keys' task and its frame.
    std::thread::sleep(Duration::from_millis(200));
    s.script(
        "window.__loaf = []; window.__spans = []; window.__t0 = performance.now(); return null",
    )?;
    let before = if marks { Some(metrics(s)?) } else { None };
    s.type_into("#terminal-input", "\u{E007}")?;
    if let Some(before) = before {
        // The browser's own work for the Enter (style, layout, script), from the DevTools
        // protocol's counters, read after its key event is acknowledged: the cluster's first
        // slices (about 100 ms of script on 2026-12-07) are in them too.
        let after = metrics(s)?;
        let delta = |name: &str| {
            after.get(name).copied().unwrap_or(0.0) - before.get(name).copied().unwrap_or(0.0)
        };
        println!(
            "metrics: {line}: the Enter: style {:.1} ms ({:.0}), layout {:.1} ms ({:.0}), script {:.1} ms, tasks {:.1} ms",
            delta("RecalcStyleDuration") * 1000.0,
            delta("RecalcStyleCount"),
            delta("LayoutDuration") * 1000.0,
            delta("LayoutCount"),
            delta("ScriptDuration") * 1000.0,
            delta("TaskDuration") * 1000.0,
        );
    }
    s.wait_for(
        "return !document.querySelector('[data-busy]')
            && document.getElementById('terminal-input').value === ''
            && (window.__t1 = window.__t1 || performance.now()) > 0",
        Duration::from_secs(300),
    )?;
    let figures = s.script(
        "const t1 = performance.now();
         const tasks = window.__long.filter(([start]) => start >= window.__t0);
         const longest = tasks.reduce((m, [, d]) => Math.max(m, d), 0);
         const submitted = performance.getEntriesByName('line-submitted')
             .filter(m => m.startTime >= window.__t0).map(m => m.startTime).pop() || window.__t0;
         const work = tasks.filter(([start]) => start > submitted);
         const workLongest = work.reduce((m, [, d]) => Math.max(m, d), 0);
         const frames = window.__loaf.filter(([start]) => start >= window.__t0);
         const longestFrame = frames.reduce((m, [, d]) => Math.max(m, d), 0);
         // The typing's entries may come in late: read them now, up to the Enter.
         const typed = window.__long
             .filter(([start]) => start >= window.__typing && start < window.__t0)
             .reduce((m, [, d]) => Math.max(m, d), 0);
         window.__t1 = 0;
         return [longest, tasks.length, t1 - window.__t0, workLongest, work.length,
             longestFrame, frames.length, typed]",
    )?;
    if marks {
        // The observer's callback may still hold the last entries.
        std::thread::sleep(Duration::from_millis(300));
        print_spans(s, line)?;
    }
    if profile {
        let profile = cdp(s, "Profiler.stop", serde_json::json!({}))?;
        print_profile(&profile["profile"]);
    }
    Ok(CommandFigures {
        line: line.to_string(),
        longest_task_ms: number(&figures[0]),
        long_tasks: figures[1].as_u64().unwrap_or(0) as usize,
        settle_ms: number(&figures[2]),
        work_longest_task_ms: number(&figures[3]),
        work_long_tasks: figures[4].as_u64().unwrap_or(0) as usize,
        longest_frame_ms: number(&figures[5]),
        long_frames: figures[6].as_u64().unwrap_or(0) as usize,
        typing_longest_task_ms: number(&figures[7]),
    })
}

/// Cold loads the load figures are the median of (the comparison used 5).
const COLD_LOADS: usize = 5;

/// One load of the page, in ms from navigation start.
struct Load {
    terminal_ready_ms: f64,
    /// Total blocking time until the terminal was ready.
    blocking_ms: f64,
    booted_ms: f64,
    /// The longest task between the terminal being ready and the boot's end (its slices).
    boot_longest_task_ms: f64,
}

/// Navigates to `url` and waits until the lab has booted.
fn load(s: &Session, url: &str) -> Result<Load, String> {
    s.navigate(url)?;
    s.wait_for(
        "return !!document.getElementById('terminal-input')",
        Duration::from_secs(60),
    )?;
    s.script(INSTALL_OBSERVER)?;
    s.wait_for(
        "return performance.getEntriesByType('mark').some(m => m.name === 'lab-booted')",
        Duration::from_secs(60),
    )?;
    // The buffered entries arrive with the observer's first callback.
    std::thread::sleep(Duration::from_millis(300));
    let figures = s.script(
        "const nav = performance.getEntriesByType('navigation')[0];
         const start = nav ? nav.startTime : 0;
         const marks = performance.getEntriesByType('mark');
         const ready = marks.find(m => m.name === 'terminal-ready').startTime;
         const booted = marks.find(m => m.name === 'lab-booted').startTime;
         const blocking = window.__long.filter(([t]) => t < ready)
             .reduce((sum, [, d]) => sum + Math.max(0, d - 50), 0);
         const longest = window.__long.filter(([t]) => t >= ready && t < booted)
             .reduce((m, [, d]) => Math.max(m, d), 0);
         return [ready - start, blocking, booted - start, longest]",
    )?;
    Ok(Load {
        terminal_ready_ms: number(&figures[0]),
        blocking_ms: number(&figures[1]),
        booted_ms: number(&figures[2]),
        boot_longest_task_ms: number(&figures[3]),
    })
}

pub fn run(browser: &Browser, dist: &std::path::Path, marks: bool) -> Result<PageFigures, String> {
    let url = Server::bind("127.0.0.1:0", dist, "/", false)?.spawn();
    // The load, as the median of cold loads: each in a new browser with an empty profile.
    let mut loads = Vec::new();
    for _ in 0..COLD_LOADS {
        let s = Session::start(browser, 1400, 900)?;
        loads.push(load(&s, &url)?);
    }
    let median = |pick: fn(&Load) -> f64| {
        let mut values: Vec<f64> = loads.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let mut figures = PageFigures {
        terminal_ready_ms: median(|l| l.terminal_ready_ms),
        load_blocking_ms: median(|l| l.blocking_ms),
        booted_ms: median(|l| l.booted_ms),
        boot_longest_task_ms: median(|l| l.boot_longest_task_ms),
        ..PageFigures::default()
    };
    let s = Session::start(browser, 1400, 900)?;
    load(&s, &url)?;
    // Animation off while the cluster works, so only the simulation's own cost is measured.
    s.click("[data-animate]")?;
    figures.commands.push(run_command(
        &s,
        "kubectl create deployment web --image=nginx --replicas=100",
        marks,
    )?);
    figures.commands.push(run_command(
        &s,
        "kubectl scale deployment web --replicas=50",
        marks,
    )?);
    // Frames while a command's beats play at 1×, with 50 web pods on the cards.
    s.click("[data-animate]")?;
    s.script(
        "window.__frames = []; let last = performance.now();
         const tick = now => { window.__frames.push(now - last); last = now;
             if (window.__frames.length < 240) requestAnimationFrame(tick); };
         requestAnimationFrame(tick); return null",
    )?;
    s.type_into("#terminal-input", "kubectl get pods\u{E007}")?;
    s.script("document.activeElement.blur(); return null")?;
    s.press_keys("\u{E011} ")?;
    s.wait_for(
        "return window.__frames.length >= 240",
        Duration::from_secs(30),
    )?;
    let frames = s.script(
        "const f = window.__frames.slice(1).sort((a, b) => a - b);
         return [f[Math.floor(f.length * 0.95)], f[f.length - 1]]",
    )?;
    figures.frame_p95_ms = number(&frames[0]);
    figures.frame_max_ms = number(&frames[1]);
    s.click("[data-animate]")?;
    figures.commands.push(run_command(
        &s,
        "kubectl scale deployment web --replicas=1000",
        marks,
    )?);
    figures.wasm_memory_bytes = s
        .script("return document.querySelector('[data-app-ready]').dataset.wasmMemory")?
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    Ok(figures)
}

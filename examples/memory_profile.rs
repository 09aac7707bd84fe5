//! Heap use of the page's session natively: live and peak bytes after the boot and after each
//! of the page benchmark's lines (issue 12's memory target is the page's wasm memory at 1,000
//! pods, which is at least the peak here plus the allocator's slack). Run with
//! `cargo run --profile chaos --example memory_profile [LINE]...`.
#[path = "common/bench_lines.rs"]
mod bench_lines;
use bench_lines::bench_lines;
use kube_sandbox::present::session::Session;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn mb(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn report(what: &str) {
    eprintln!(
        "{what:60} live {:>9}  peak {:>9}",
        mb(LIVE.load(Relaxed)),
        mb(PEAK.load(Relaxed))
    );
}

fn main() {
    let mut s = Session::starting(1);
    while s.busy() {
        s.work(1_000_000);
    }
    report("booted");
    let lines = bench_lines();
    for line in &lines {
        let _ = s.submit_line(line);
        while s.busy() {
            s.work(12);
        }
        let _ = s.scene(s.timeline().len());
        report(line);
    }
    // What each part holds: the live bytes a deep copy of it adds.
    let measure = |what: &str, copy: &dyn Fn() -> Box<dyn std::any::Any>| {
        let before = LIVE.load(Relaxed);
        let kept = copy();
        eprintln!("  {what:20} {:>9}", mb(LIVE.load(Relaxed) - before));
        drop(kept);
    };
    // Copies raise the peak: skipped under a heap profiler (`MEMORY_PROFILE_NO_COPIES=1`).
    if std::env::var_os("MEMORY_PROFILE_NO_COPIES").is_none() {
        measure("trace", &|| Box::new(s.cluster().trace().clone()));
        measure("store", &|| Box::new(s.cluster().store().clone()));
        measure("timeline", &|| Box::new(s.timeline().clone()));
    }
    let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
    for e in s.cluster().trace().since(0) {
        let k = format!("{:?}", e.kind);
        let k = k.split([' ', '(']).next().unwrap_or_default().to_string();
        *kinds.entry(k).or_default() += 1;
    }
    eprintln!("  trace events by kind: {kinds:?}");
    eprintln!(
        "  size_of TraceEvent {}",
        std::mem::size_of::<kube_sandbox::sim::trace::TraceEvent>()
    );
    eprintln!(
        "trace events {}, store revision {}",
        s.cluster().trace().next_seq(),
        s.cluster().store().revision()
    );
}

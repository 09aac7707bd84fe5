//! The lines the examples run by default: the page benchmark's three (`xtask/src/page_bench.rs`),
//! or the lines given as arguments.

pub fn bench_lines() -> Vec<String> {
    let lines: Vec<String> = std::env::args().skip(1).collect();
    if !lines.is_empty() {
        return lines;
    }
    [
        "kubectl create deployment web --image=nginx --replicas=100",
        "kubectl scale deployment web --replicas=50",
        "kubectl scale deployment web --replicas=1000",
    ]
    .map(String::from)
    .to_vec()
}

//! Fault-schedule simulation, as TigerBeetle's VOPR and FoundationDB's simulation do it: a seed
//! draws a schedule of what a student might do to the lab (halt a VM, stop a kubelet or
//! containerd, cut a node off the network, cordon, drain, taint, delete pods and ReplicaSets,
//! scale, roll out and undo, run Jobs, DaemonSets and Services, let time pass); the schedule is
//! played through the native shell on a lab booted from the same seed, every fault is then
//! healed and the lab given time to settle, and [`invariants`] are checked after every line and
//! at rest. A failure names the seed and the lines that led to it, and [`shrink`] finds a shorter
//! schedule that still fails.
//!
//! ```text
//!   seed ──draw──▶ schedule ──play, check "always"──▶ heal ──settle──▶ check "at rest"
//!                     ▲                                                     │ violation
//!                     └──────────── shrink: drop steps, keep if it still fails ◀┘
//! ```
//!
//! Native only (`cargo xtask chaos`, and a test in `cargo test`): nothing of it is in the page.

pub mod invariants;
pub mod schedule;
pub mod view;

use std::collections::BTreeMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::sim::kubectl::Shell;
use crate::sim::lab::Lab;
use invariants::{PodWatch, Tracker};
use schedule::{Step, FILES, MEND, NODES, TAINT_KEY};

/// What the lab is given after the heal, at most, in slices; it stops early once at rest.
pub const SETTLE_SECONDS: u64 = 600;
const SETTLE_SLICE_SECONDS: u64 = 20;

/// A schedule that broke an invariant (or panicked).
#[derive(Clone, Debug)]
pub struct Failure {
    pub seed: u64,
    pub schedule: Vec<Step>,
    /// Every line played since the boot, each resolved, after the files' heredocs: fed to
    /// `kube-sandbox shell --seed SEED`, they replay the failure.
    pub played: Vec<String>,
    /// When it broke: after which step, or at rest.
    pub when: String,
    /// What broke, each `invariant: details`.
    pub violations: Vec<String>,
}

impl Failure {
    /// The invariants it broke, in order, without details: a shrunk schedule must break the same.
    pub fn signature(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .violations
            .iter()
            .map(|v| v.split(':').next().unwrap_or(v))
            .collect();
        names.dedup();
        names
    }

    /// The script that replays it in the native shell.
    pub fn replay_script(&self) -> String {
        let mut out = String::new();
        for line in &self.played {
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "seed {}: {}", self.seed, self.when)?;
        for v in &self.violations {
            writeln!(f, "  {v}")?;
        }
        writeln!(f, "schedule ({} steps):", self.schedule.len())?;
        for step in &self.schedule {
            writeln!(f, "  {step}")?;
        }
        Ok(())
    }
}

/// What a schedule that passed did, for the runner's figures.
#[derive(Clone, Debug, Default)]
pub struct Passed {
    pub steps: usize,
    pub lines: usize,
    /// Simulated seconds the lab needed to come to rest after the heal (None: not within
    /// [`SETTLE_SECONDS`], which is no violation by itself).
    pub settled_after_seconds: Option<u64>,
}

/// Draws the schedule of `seed` and plays it.
pub fn run_seed(seed: u64) -> Result<Passed, Failure> {
    run(seed, &schedule::draw(seed))
}

/// Plays `schedule` on a lab booted from `seed`, heals, settles and checks.
pub fn run(seed: u64, schedule: &[Step]) -> Result<Passed, Failure> {
    let mut play = Play::new(seed);
    let outcome = play.run(schedule);
    outcome.map_err(|(when, violations)| Failure {
        seed,
        schedule: schedule.to_vec(),
        played: play.played,
        when,
        violations,
    })
}

/// Delta debugging (Zeller's ddmin, simplified): removes halves, then quarters, ... then single
/// steps, keeping each removal after which the schedule still fails the same invariants. The
/// first step (web's creation) is kept. Returns the shortest failing schedule found.
pub fn shrink(failure: &Failure) -> Failure {
    shrink_with(failure, |schedule| run(failure.seed, schedule).err())
}

/// [`shrink`] with the run given, for testing the shrinker itself.
pub fn shrink_with(
    failure: &Failure,
    mut fails: impl FnMut(&[Step]) -> Option<Failure>,
) -> Failure {
    let signature: Vec<String> = failure.signature().iter().map(|s| s.to_string()).collect();
    let mut best = failure.clone();
    let mut chunk = best.schedule.len().saturating_sub(1).div_ceil(2).max(1);
    loop {
        let mut start = 1;
        let mut removed_any = false;
        while start < best.schedule.len() {
            let end = (start + chunk).min(best.schedule.len());
            let mut candidate = best.schedule.clone();
            candidate.drain(start..end);
            match fails(&candidate) {
                Some(f) if f.signature() == signature => {
                    best = f;
                    removed_any = true;
                }
                _ => start = end,
            }
        }
        if chunk == 1 && !removed_any {
            return best;
        }
        if !removed_any {
            chunk = chunk.div_ceil(2);
        }
    }
}

/// One schedule being played.
struct Play {
    shell: Shell<Lab>,
    played: Vec<String>,
    tracker: Tracker,
    watch: Option<PodWatch>,
}

type Broken = (String, Vec<String>);

impl Play {
    fn new(seed: u64) -> Play {
        let mut shell = Shell::new(Lab::boot(seed));
        let watch = PodWatch::open(&mut shell.backend_mut().cluster);
        let mut played = Vec::new();
        for (path, text) in FILES {
            // Cannot fail: the home directory takes any file.
            let _ = shell.write_file(path, text);
            played.push(format!("cat <<EOF > {path}\n{text}EOF"));
        }
        Play {
            shell,
            played,
            tracker: Tracker::default(),
            watch,
        }
    }

    fn run(&mut self, schedule: &[Step]) -> Result<Passed, Broken> {
        self.check_always("after the boot")?;
        for (i, step) in schedule.iter().enumerate() {
            let Some(line) = self.resolve(step) else {
                continue;
            };
            self.line(&line)?;
            self.check_always(&format!("after step {} (`{line}`)", i + 1))?;
        }
        self.heal()?;
        let mut slept = 0;
        let mut settled = None;
        while slept < SETTLE_SECONDS {
            if at_rest(&self.shell) {
                settled = Some(slept);
                break;
            }
            self.must(&format!("sleep {SETTLE_SLICE_SECONDS}"))?;
            slept += SETTLE_SLICE_SECONDS;
            self.check_always(&format!("{slept} s after the heal"))?;
        }
        let when = format!("at rest, {slept} s after the heal");
        let mut broken = invariants::at_rest(&self.shell.backend().cluster);
        broken.extend(self.kube_proxy()?);
        if !broken.is_empty() {
            return Err((when, broken));
        }
        Ok(Passed {
            steps: schedule.len(),
            lines: self.played.len(),
            settled_after_seconds: settled,
        })
    }

    /// The line a step stands for now, or None when it has nothing to act on.
    fn resolve(&self, step: &Step) -> Option<String> {
        let cluster = &self.shell.backend().cluster;
        let pick = |names: Vec<String>, pick: u64| {
            (!names.is_empty()).then(|| names[(pick % names.len() as u64) as usize].clone())
        };
        match step {
            Step::Line(line) => Some(line.clone()),
            Step::DeletePod { app, pick: n } => {
                let names = view::list(cluster, "pods")
                    .iter()
                    .filter(|p| view::text(p, "/metadata/labels/app") == *app)
                    .filter(|p| !view::being_deleted(p))
                    .map(|p| view::text(p, "/metadata/name").to_string())
                    .collect();
                pick(names, *n).map(|name| format!("kubectl delete pod {name} --wait=false"))
            }
            Step::DeleteReplicaSet { pick: n } => {
                let names = view::list(cluster, "replicasets")
                    .iter()
                    .filter(|rs| view::text(rs, "/metadata/labels/app") == "web")
                    .filter(|rs| !view::being_deleted(rs))
                    .map(|rs| view::text(rs, "/metadata/name").to_string())
                    .collect();
                pick(names, *n).map(|name| format!("kubectl delete rs {name} --wait=false"))
            }
        }
    }

    /// Runs a line; a panic is a violation. Faults may fail as they would on the lab (`ssh` to a
    /// halted VM: `No route to host`), so the exit code is returned, not judged.
    fn line(&mut self, line: &str) -> Result<crate::sim::kubectl::Output, Broken> {
        self.played.push(line.to_string());
        let shell = &mut self.shell;
        catch_unwind(AssertUnwindSafe(|| shell.run_line(line))).map_err(|payload| {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(no message)".into());
            (
                format!("`{line}` panicked"),
                vec![format!("nothing_panics: {message}")],
            )
        })
    }

    /// A line of the heal or the settle, which must succeed.
    fn must(&mut self, line: &str) -> Result<(), Broken> {
        let out = self.line(line)?;
        if out.exit_code != 0 {
            return Err((
                format!("`{line}` failed"),
                vec![format!(
                    "the_heal_succeeds: `{line}` exited {}: {}{}",
                    out.exit_code, out.stdout, out.stderr
                )],
            ));
        }
        Ok(())
    }

    fn check_always(&mut self, when: &str) -> Result<(), Broken> {
        let cluster = &mut self.shell.backend_mut().cluster;
        let mut broken = self.tracker.check(cluster);
        match &mut self.watch {
            Some(watch) => broken.extend(invariants::named(
                "a_watch_sees_every_change_once_in_order",
                watch.every_change_arrives_once_in_order(cluster),
            )),
            None => broken.push("a_watch_sees_every_change_once_in_order: could not open".into()),
        }
        if broken.is_empty() {
            Ok(())
        } else {
            Err((when.to_string(), broken))
        }
    }

    /// Every fault undone: both workers' VMs up, containerd and the kubelet running (restarted if
    /// its Node was deleted), no DROP
    /// rule left (a VM's boot clears its rules, a rule may have been added twice), the workers
    /// schedulable and without the schedules' taints.
    fn heal(&mut self) -> Result<(), Broken> {
        for node in NODES {
            self.must(&format!("vagrant up {node}"))?;
            self.must(&format!("ssh {node} systemctl start containerd"))?;
            self.must(&format!("ssh {node} systemctl start kubelet"))?;
            // A deleted Node comes back when its kubelet starts again (it registers once per
            // process).
            let cluster = &self.shell.backend().cluster;
            let registered = view::list(cluster, "nodes")
                .iter()
                .any(|n| view::text(n, "/metadata/name") == node);
            if !registered {
                self.must(&format!("ssh {node} systemctl restart kubelet"))?;
            }
            for _ in 0..self.played.len() {
                if self.line(&format!("ssh {node} {MEND}"))?.exit_code != 0 {
                    break;
                }
            }
            self.must(&format!("kubectl uncordon {node}"))?;
            // Fails when the node has no such taint.
            self.line(&format!("kubectl taint nodes {node} {TAINT_KEY}-"))?;
            self.check_always(&format!("while healing {node}"))?;
        }
        Ok(())
    }

    /// kube-proxy's rules on every VM, read with `iptables-save -t nat` there.
    fn kube_proxy(&mut self) -> Result<Vec<String>, Broken> {
        let mut rules = BTreeMap::new();
        for node in crate::sim::lab::LAB_NODES {
            let out = self.line(&format!("ssh {node} iptables-save -t nat"))?;
            rules.insert(node.to_string(), out.stdout);
        }
        Ok(invariants::named(
            "kube_proxy_rules_match_the_ready_pods",
            invariants::kube_proxy_rules_match_the_ready_pods(
                &self.shell.backend().cluster,
                &rules,
            ),
        ))
    }
}

/// Nothing left to happen: every node Ready, no pod terminating, every Deployment, DaemonSet and
/// Job done with what it wants, and the at-rest invariants hold. With every fault healed, a
/// cluster in this state stays in it.
fn at_rest(shell: &Shell<Lab>) -> bool {
    let cluster = &shell.backend().cluster;
    let int = view::int;
    let done = |resource: &str, want: &str, have: &[&str]| {
        view::list(cluster, resource)
            .iter()
            .all(|o| have.iter().all(|h| int(o, h) == int(o, want)))
    };
    view::list(cluster, "pods")
        .iter()
        .all(|p| !view::being_deleted(p))
        && done(
            "deployments",
            "/spec/replicas",
            &[
                "/status/replicas",
                "/status/readyReplicas",
                "/status/updatedReplicas",
            ],
        )
        && done(
            "daemonsets",
            "/status/desiredNumberScheduled",
            &["/status/numberReady"],
        )
        && view::list(cluster, "jobs")
            .iter()
            .all(|j| int(j, "/status/active") == 0)
        && invariants::at_rest(cluster).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(schedule: Vec<Step>, violation: &str) -> Failure {
        Failure {
            seed: 1,
            schedule,
            played: Vec::new(),
            when: "at rest".into(),
            violations: vec![violation.to_string()],
        }
    }

    fn step(n: u64) -> Step {
        Step::Line(format!("sleep {n}"))
    }

    #[test]
    fn the_shrinker_keeps_only_the_steps_the_failure_needs() {
        let schedule: Vec<Step> = (0..12).map(step).collect();
        // Fails when steps 3 and 8 are both there.
        let needs = |s: &[Step]| s.contains(&step(3)) && s.contains(&step(8));
        let mut runs = 0;
        let shrunk = shrink_with(&failure(schedule, "x: broken"), |s| {
            runs += 1;
            needs(s).then(|| failure(s.to_vec(), "x: broken again"))
        });
        assert_eq!(shrunk.schedule, vec![step(0), step(3), step(8)]);
        assert!(runs < 40, "{runs} runs");
    }

    #[test]
    fn the_shrinker_does_not_trade_a_failure_for_another() {
        let schedule: Vec<Step> = (0..6).map(step).collect();
        // Without step 4 it still fails, but another invariant.
        let shrunk = shrink_with(&failure(schedule, "x: broken"), |s| {
            let name = if s.contains(&step(4)) { "x" } else { "y" };
            Some(failure(s.to_vec(), &format!("{name}: broken")))
        });
        assert_eq!(shrunk.schedule, vec![step(0), step(4)]);
    }
}

//! Fault schedules drawn from a seed: what a student might type to break the lab, in a random
//! order, with the workloads that make the breakage visible.
//!
//! A schedule is a list of [`Step`]s. Most are shell lines as they are; the few that name an
//! object that only exists once the lab runs (a pod, a ReplicaSet) carry their own pick, drawn
//! with the schedule, so a step means the same when the shrinker removes others around it.

use std::fmt;

use crate::sim::rng::Rng;

/// The workers faults are aimed at. `master` is left alone: without it nothing would heal.
pub const NODES: [&str; 2] = ["node1", "node2"];

/// The node's packets to master dropped: it cannot reach the apiserver (nor be told anything).
pub const CUT_OFF: &str = "iptables -A OUTPUT -d 172.16.20.11 -j DROP";
/// One such rule deleted (it fails when there is none).
pub const MEND: &str = "iptables -D OUTPUT -d 172.16.20.11 -j DROP";

/// The taint key the schedules use, so that the heal can remove exactly theirs.
pub const TAINT_KEY: &str = "chaos";

/// Files the schedules apply, written into the shell's home before the first step.
pub const FILES: [(&str, &str); 4] = [
    ("web.yaml", WEB_YAML),
    ("agent.yaml", AGENT_YAML),
    ("batch.yaml", BATCH_YAML),
    ("tick.yaml", TICK_YAML),
];

/// A Deployment whose pods request enough CPU that a scale-up can run a 1-CPU node out of it.
const WEB_YAML: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        resources:
          requests:
            cpu: 200m
            memory: 64Mi
";

/// A DaemonSet on the workers (no control-plane toleration).
const AGENT_YAML: &str = "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels:
      app: agent
  template:
    metadata:
      labels:
        app: agent
    spec:
      containers:
      - name: agent
        image: nginx:1.27
        resources:
          requests:
            cpu: 50m
            memory: 32Mi
";

/// A Job of short pods, two at a time.
const BATCH_YAML: &str = "\
apiVersion: batch/v1
kind: Job
metadata:
  name: batch
spec:
  completions: 4
  parallelism: 2
  template:
    metadata:
      labels:
        app: batch
    spec:
      restartPolicy: Never
      containers:
      - name: work
        image: busybox
        command: [\"sh\", \"-c\", \"sleep 15\"]
        resources:
          requests:
            cpu: 100m
";

/// A CronJob every two minutes whose Job runs 30 s, one at a time: the settle finds it at rest
/// between two runs, and a halted node or a suspend makes Forbid skip or start late.
const TICK_YAML: &str = "\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: tick
spec:
  schedule: \"*/2 * * * *\"
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: 2
  jobTemplate:
    spec:
      template:
        metadata:
          labels:
            app: tick
        spec:
          restartPolicy: Never
          containers:
          - name: tick
            image: busybox
            command: [\"sh\", \"-c\", \"sleep 30\"]
            resources:
              requests:
                cpu: 50m
";

/// One step of a schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A shell line, played as it is.
    Line(String),
    /// `kubectl delete pod` of one live pod labelled `app=<app>`: the `pick`-th (modulo how many
    /// there are) when the step runs; nothing when there is none.
    DeletePod { app: &'static str, pick: u64 },
    /// `kubectl delete rs` of one of web's ReplicaSets, picked the same way.
    DeleteReplicaSet { pick: u64 },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Line(line) => f.write_str(line),
            Step::DeletePod { app, pick } => {
                write!(
                    f,
                    "# kubectl delete pod <app={app} pod #{pick}> --wait=false"
                )
            }
            Step::DeleteReplicaSet { pick } => {
                write!(
                    f,
                    "# kubectl delete rs <web replicaset #{pick}> --wait=false"
                )
            }
        }
    }
}

/// Fault steps per schedule, beyond the first (web's creation).
const STEPS_MIN: u64 = 4;
const STEPS_MAX: u64 = 14;

/// The schedule drawn from `seed`: web's creation, then a random mix of faults, workload changes
/// and sleeps.
pub fn draw(seed: u64) -> Vec<Step> {
    let mut rng = Rng::new(seed);
    let mut steps = vec![line("kubectl apply -f web.yaml")];
    let count = STEPS_MIN + rng.below(STEPS_MAX - STEPS_MIN + 1);
    for _ in 0..count {
        steps.push(draw_step(&mut rng));
    }
    steps
}

fn line(text: impl Into<String>) -> Step {
    Step::Line(text.into())
}

/// One step. Faults on a node come with their undoing about as often, so schedules both break
/// and half-mend the lab before the heal.
fn draw_step(rng: &mut Rng) -> Step {
    let node = NODES[rng.below(NODES.len() as u64) as usize];
    match rng.below(36) {
        0 => line(format!("vagrant halt {node}")),
        1 => line(format!("vagrant up {node}")),
        2 => line(format!("ssh {node} systemctl stop kubelet")),
        3 => line(format!("ssh {node} systemctl start kubelet")),
        4 => line(format!("ssh {node} systemctl stop containerd")),
        5 => line(format!("ssh {node} systemctl start containerd")),
        6 => line(format!("ssh {node} {CUT_OFF}")),
        7 => line(format!("ssh {node} {MEND}")),
        8 => line(format!("kubectl cordon {node}")),
        9 => line(format!("kubectl uncordon {node}")),
        10 => line(format!(
            "kubectl drain {node} --ignore-daemonsets --delete-emptydir-data --force --timeout=60s"
        )),
        11 => {
            let effect = if rng.below(2) == 0 {
                "NoSchedule"
            } else {
                "NoExecute"
            };
            line(format!(
                "kubectl taint nodes {node} {TAINT_KEY}=on:{effect} --overwrite"
            ))
        }
        12 => line(format!("kubectl taint nodes {node} {TAINT_KEY}-")),
        13 | 14 => Step::DeletePod {
            app: ["web", "web", "agent", "batch"][rng.below(4) as usize],
            pick: rng.below(8),
        },
        15 => Step::DeleteReplicaSet { pick: rng.below(4) },
        16 | 17 => line(format!(
            "kubectl scale deployment web --replicas={}",
            rng.below(6)
        )),
        18 => line(format!(
            "kubectl set image deployment/web nginx=nginx:{}",
            ["1.27", "1.26", "1.25"][rng.below(3) as usize]
        )),
        19 => line("kubectl rollout undo deployment/web"),
        20 => line("kubectl apply -f agent.yaml"),
        21 => line("kubectl delete daemonset agent --wait=false"),
        22 => line("kubectl apply -f batch.yaml"),
        23 => line("kubectl delete job batch --wait=false"),
        24 => line("kubectl expose deployment web --port=80"),
        25 => line("kubectl delete service web"),
        // Some sleeps cross the node monitor grace period (40 s), a few the eviction (300 s).
        26 | 27 => line(format!("sleep {}", 5 + rng.below(56))),
        28 => line(format!("sleep {}", 60 + rng.below(300))),
        29 => line(format!("kubectl delete node {node}")),
        31 => line("kubectl apply -f tick.yaml"),
        32 => line("kubectl delete cronjob tick --wait=false"),
        33 => line(format!(
            "kubectl patch cronjob tick -p '{{\"spec\":{{\"suspend\":{}}}}}'",
            rng.below(2) == 0
        )),
        // A pod quota in web's namespace: admission refuses what goes past it, and the
        // ReplicaSets keep retrying until pods are freed (a create fails while one exists).
        34 => line(format!(
            "kubectl create quota pods --hard=pods={}",
            3 + rng.below(6)
        )),
        35 => line("kubectl delete quota pods"),
        _ => line(format!("sleep {}", 1 + rng.below(10))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_schedule() {
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }

    #[test]
    fn every_schedule_starts_by_creating_web() {
        for seed in 0..50 {
            assert_eq!(draw(seed)[0], line("kubectl apply -f web.yaml"));
        }
    }

    #[test]
    fn the_cronjob_is_applied_then_suspended_or_deleted_in_some_schedules() {
        let has = |seed, text: &str| draw(seed).iter().any(|s| s.to_string().contains(text));
        let applied = (0..300).filter(|&s| has(s, "apply -f tick.yaml")).count();
        let later = (0..300)
            .filter(|&s| {
                let steps: Vec<String> = draw(s).iter().map(|s| s.to_string()).collect();
                let first = steps.iter().position(|l| l.contains("tick.yaml"));
                first.is_some_and(|i| steps[i..].iter().any(|l| l.contains("cronjob tick")))
            })
            .count();
        eprintln!(
            "tick.yaml applied in {applied} of 300 seeds, then patched or deleted in {later}"
        );
        assert!(applied > 30 && later > 3, "{applied} {later}");
    }
}

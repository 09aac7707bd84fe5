//! The Job controller: run pods to completion, retry failures with back-off, give up at the
//! backoff limit.
//!
//! Mirrors: `pkg/controller/job/job_controller.go` (`syncJob`, `manageJob`: active pods up to
//! `min(parallelism, completions - succeeded)`; the pod labels `batch.kubernetes.io/job-name`,
//! `job-name`, `batch.kubernetes.io/controller-uid`, `controller-uid`; the `Complete` condition
//! with reason `CompletionsReached` and the `Completed` Event; `Failed` with reason
//! `BackoffLimitExceeded`, message `Job has reached the specified backoff limit`, once the
//! failures exceed `backoffLimit`, deleting the pods still active) and `backoff_utils.go`
//! (a new pod after a failure waits 10 s × 2^(failures−1)).
//! Simplified: the back-off cap is 6 minutes (upstream's former `MaxJobBackOff`; newer releases
//! cap at 10 minutes); pods are tracked by phase directly (no finalizer-based
//! `uncountedTerminatedPods`); no podFailurePolicy, indexed completion or suspend.

use crate::sim::api::JsonPointer;
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::controller_utils::{self as cu, is_controlled_by, is_pod_active, is_pod_ready, key_of};
use super::{credentials, event, request, status_patch, WorkQueue};
use crate::sim::apiserver::events::EventType;
use crate::sim::apiserver::{ApiError, ApiRequest, ApiResponse, Credentials, Verb};
use crate::sim::clock::{seconds_to_ticks, Ticks};
use crate::sim::component::{Component, Context, Decision, DecisionId, ObjectEvent, Reconcile};
use crate::sim::trace::{Actor, Seq};

pub const COMPONENT: &str = "job-controller";
pub const DEFAULT_JOB_BACKOFF_TICKS: Ticks = seconds_to_ticks(10);
pub const MAX_JOB_BACKOFF_TICKS: Ticks = seconds_to_ticks(360);

/// The delay before the next pod after `failures` failures in a row: 0, 10 s, 20 s, 40 s, ...
/// capped at 6 minutes.
pub fn backoff_ticks(failures: u32) -> Ticks {
    if failures == 0 {
        return 0;
    }
    let shift = (failures - 1).min(20);
    (DEFAULT_JOB_BACKOFF_TICKS << shift).min(MAX_JOB_BACKOFF_TICKS)
}

#[derive(Default)]
pub struct JobController {
    queue: WorkQueue,
    /// Per job: failures counted so far and when the latest was seen.
    failures_seen: BTreeMap<String, (i64, Ticks)>,
    /// Per job: when to look again (back-off).
    due: BTreeMap<String, (Ticks, Seq)>,
    /// Refused pod creates, reported and retried on the API back-off.
    failures: cu::CreateFailures,
}

/// `DefaultJobApiBackOff` and `MaxJobApiBackOff`: a refused create is retried after 1 s,
/// doubling to 60 s.
const API_BACKOFF_TICKS: Ticks = seconds_to_ticks(1);
const API_BACKOFF_MAX_TICKS: Ticks = seconds_to_ticks(60);

impl JobController {
    pub fn new() -> Self {
        JobController {
            failures: cu::CreateFailures::new(API_BACKOFF_TICKS, API_BACKOFF_MAX_TICKS),
            ..JobController::default()
        }
    }

    /// The key of the Job that controls `pod`, if one does.
    fn job_key(pod: &Value) -> Option<String> {
        let r = cu::get_controller_of(pod)?;
        if r.get("kind").and_then(Value::as_str) != Some("Job") {
            return None;
        }
        let name = r.get("name").and_then(Value::as_str).unwrap_or("");
        Some(format!("{}/{name}", crate::sim::api::namespace(pod)))
    }
}

fn is_finished(job: &Value) -> bool {
    job.ptr("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                matches!(
                    c.get("type").and_then(Value::as_str),
                    Some("Complete" | "Failed")
                ) && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

fn phase(p: &Value) -> &str {
    p.ptr("/status/phase").and_then(Value::as_str).unwrap_or("")
}

impl JobController {
    fn sync_job(&mut self, ctx: &mut Context, key: &str, cause: Seq, out: &mut Reconcile) {
        let (ns, name) = cu::split_key(key);
        let Some(job) = ctx.lister.get("jobs", ns, name) else {
            self.failures_seen.remove(key);
            self.due.remove(key);
            return;
        };
        if is_finished(&job) {
            self.due.remove(key);
            return;
        }
        let ns = ns.unwrap_or("default");
        let pods: Vec<Value> = ctx
            .lister
            .list("pods", Some(ns))
            .into_iter()
            .filter(|p| is_controlled_by(p, &job))
            .collect();
        let active: Vec<&Value> = pods.iter().filter(|p| is_pod_active(p)).collect();
        let succeeded = pods.iter().filter(|p| phase(p) == "Succeeded").count() as i64;
        let failed = pods.iter().filter(|p| phase(p) == "Failed").count() as i64;
        let ready = active.iter().filter(|p| is_pod_ready(p)).count() as i64;
        let spec_i64 = |f: &str, d: i64| {
            job.ptr(&format!("/spec/{f}"))
                .and_then(Value::as_i64)
                .unwrap_or(d)
        };
        let completions = spec_i64("completions", 1);
        let parallelism = spec_i64("parallelism", 1);
        let backoff_limit = spec_i64("backoffLimit", 6);
        let now_rfc = ctx.clock.rfc3339();

        // Failures seen: remember when the latest one arrived, for the back-off.
        let (seen, last_failure_ticks) = self.failures_seen.get(key).copied().unwrap_or((0, 0));
        let last_failure_ticks = if failed > seen {
            ctx.now
        } else {
            last_failure_ticks
        };
        self.failures_seen
            .insert(key.to_string(), (failed, last_failure_ticks));

        let mut status = json!({
            "active": active.len(),
            "succeeded": succeeded,
            "failed": failed,
            "ready": ready,
            "startTime": job.ptr("/status/startTime").cloned().unwrap_or(json!(now_rfc)),
        });
        let mut decision = Decision::new("SyncJob", String::new()).caused_by(cause);
        if failed > backoff_limit {
            status["conditions"] = crate::sim::api::json_text(
                r#"[{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                     "message": "Job has reached the specified backoff limit",
                     "lastProbeTime": "${now}", "lastTransitionTime": "${now}"}]"#,
                &[("now", &now_rfc)],
            );
            status["active"] = json!(0);
            decision.reason = "BackoffLimitExceeded".into();
            decision.message = format!(
                "job {key}: {failed} failed pod(s) > backoffLimit {backoff_limit}: the job fails; deleting {} active pod(s)",
                active.len()
            );
            for p in &active {
                decision.actions.push(super::delete("pods", p));
            }
            decision.actions.push(event(
                ctx,
                &job,
                EventType::Warning,
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                COMPONENT,
            ));
            self.due.remove(key);
        } else if succeeded >= completions {
            status["conditions"] = crate::sim::api::json_text(
                r#"[{"type": "Complete", "status": "True", "reason": "CompletionsReached",
                     "message": "Reached expected number of succeeded pods",
                     "lastProbeTime": "${now}", "lastTransitionTime": "${now}"}]"#,
                &[("now", &now_rfc)],
            );
            status["completionTime"] = json!(now_rfc);
            decision.reason = "Completed".into();
            decision.message =
                format!("job {key}: {succeeded} of {completions} completions: the job is complete");
            decision.actions.push(event(
                ctx,
                &job,
                EventType::Normal,
                "Completed",
                "Job completed",
                COMPONENT,
            ));
            self.due.remove(key);
        } else {
            let want_active = parallelism.min(completions - succeeded).max(0);
            let missing = want_active - active.len() as i64;
            if missing <= 0 {
                self.failures.forget(key);
            }
            if missing > 0 && self.failures.backing_off(key, ctx.now) {
                // A refused create waits for its back-off; the status says what exists.
            } else if missing > 0 {
                let wait = backoff_ticks(failed.clamp(0, 64) as u32);
                let ready_at = if failed > 0 {
                    last_failure_ticks + wait
                } else {
                    0
                };
                if ctx.now < ready_at {
                    self.due.insert(key.to_string(), (ready_at, cause));
                    decision.reason = "BackOff".into();
                    decision.message = format!(
                        "job {key}: {failed} failure(s): back-off {} s before the next pod ({} s left)",
                        wait / 1000,
                        (ready_at - ctx.now).div_ceil(1000)
                    );
                } else {
                    self.due.remove(key);
                    decision.reason = "SuccessfulCreate".into();
                    decision.id = Some(DecisionId(0));
                    decision.message = format!(
                        "job {key}: want {want_active} active (parallelism {parallelism}, {succeeded}/{completions} done), have {}: creating {missing}",
                        active.len()
                    );
                    for _ in 0..missing {
                        let pod = self.new_pod(ctx, &job);
                        let pod_name = crate::sim::api::name(&pod).to_string();
                        decision
                            .actions
                            .push(request(Verb::Create, "pods", Some(ns)).body(pod));
                        decision.actions.push(event(
                            ctx,
                            &job,
                            EventType::Normal,
                            "SuccessfulCreate",
                            &format!("Created pod: {pod_name}"),
                            COMPONENT,
                        ));
                    }
                    status["active"] = json!(active.len() as i64 + missing);
                }
            }
        }
        let current = job.get("status").cloned().unwrap_or(json!({}));
        let changed = status.as_object().is_some_and(|m| {
            m.iter()
                .any(|(k, v)| current.get(k).unwrap_or(&json!(0)) != v)
        });
        if changed {
            decision.actions.push(status_patch("jobs", &job, status));
        }
        if !decision.actions.is_empty() || decision.reason == "BackOff" {
            if decision.message.is_empty() {
                decision.reason = "UpdateStatus".into();
                decision.message = format!(
                    "job {key}: active {}, succeeded {succeeded}, failed {failed}",
                    active.len()
                );
            }
            out.decisions.push(decision);
        }
    }

    fn new_pod(&self, ctx: &mut Context, job: &Value) -> Value {
        let name = crate::sim::api::name(job);
        let job_uid = cu::uid(job);
        let mut template = job.ptr("/spec/template").cloned().unwrap_or(json!({}));
        if !template.get("metadata").is_some_and(Value::is_object) {
            template["metadata"] = json!({});
        }
        if !template["metadata"]
            .get("labels")
            .is_some_and(Value::is_object)
        {
            template["metadata"]["labels"] = json!({});
        }
        let labels = &mut template["metadata"]["labels"];
        labels["batch.kubernetes.io/controller-uid"] = json!(job_uid);
        labels["batch.kubernetes.io/job-name"] = json!(name);
        labels["controller-uid"] = json!(job_uid);
        labels["job-name"] = json!(name);
        let prefix = format!("{name}-");
        let mut pod = cu::pod_from_template(job, &template, &prefix);
        pod["metadata"]["name"] = json!(cu::generate_name(&prefix, ctx.rng));
        pod
    }
}

impl Component for JobController {
    fn name(&self) -> String {
        COMPONENT.to_string()
    }

    fn actor(&self) -> Actor {
        Actor::controller(&self.name())
    }

    fn credentials(&self) -> Credentials {
        credentials()
    }

    fn watches(&self) -> Vec<&'static str> {
        vec!["jobs", "pods"]
    }

    fn observe(&mut self, ev: &ObjectEvent) {
        match ev.resource {
            "jobs" => self.queue.add(key_of(&ev.object), ev.seq),
            "pods" => {
                if let Some(key) = Self::job_key(&ev.object) {
                    self.failures.retry_now(&key);
                    self.queue.add(key, ev.seq);
                }
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let mut out = Reconcile::default();
        let mut work = self.queue.take();
        for (key, (due, seq)) in &self.due {
            if *due <= ctx.now {
                work.entry(key.clone()).or_insert(*seq);
            }
        }
        // Refusals to report (caused by the decision that sent the create), back-offs ended.
        for f in self.failures.report(ctx.now) {
            let (ns, name) = cu::split_key(&f.key);
            if let Some(job) = ctx.lister.get("jobs", ns, name) {
                let warning = event(
                    ctx,
                    &job,
                    EventType::Warning,
                    "FailedCreate",
                    &f.message,
                    COMPONENT,
                );
                out.decisions.push(
                    Decision::new("FailedCreate", format!("job {}: {}", f.key, f.message))
                        .caused_by(f.cause)
                        .action(warning),
                );
            }
            work.entry(f.key).or_insert(f.cause);
        }
        for (key, cause) in self.failures.due(ctx.now) {
            work.entry(key).or_insert(cause);
        }
        for (key, cause) in work {
            self.sync_job(ctx, &key, cause, &mut out);
        }
        out.requeue_after = self
            .due
            .values()
            .map(|(due, _)| due.saturating_sub(ctx.now).max(1))
            .chain(self.failures.requeue_after(ctx.now))
            .min();
        out
    }

    fn on_recorded(&mut self, _id: DecisionId, seq: Seq) {
        self.failures.create_recorded(seq);
    }

    fn requeue_after_responses(&mut self) -> Option<Ticks> {
        self.failures.unreported().then_some(1)
    }

    fn on_response(&mut self, request: &ApiRequest, result: &Result<ApiResponse, ApiError>) {
        if let (Verb::Create, Err(e)) = (request.verb, result) {
            if let Some(key) = request.body.as_ref().and_then(Self::job_key) {
                self.failures.refused(key, &e.message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_from_ten_seconds_and_stops_at_six_minutes() {
        let cases = [
            (0, 0),
            (1, 10),
            (2, 20),
            (3, 40),
            (4, 80),
            (6, 320),
            (7, 360),
            (30, 360),
        ];
        for (failures, seconds) in cases {
            assert_eq!(
                backoff_ticks(failures),
                seconds * 1000,
                "{failures} failures"
            );
        }
    }
}

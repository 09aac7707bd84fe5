//! The CronJob controller: a Job at each time the schedule names, its history trimmed.
//!
//! Mirrors: `pkg/controller/cronjob/cronjob_controllerv2.go` (`syncCronJob`: the owned Jobs
//! reconciled against `status.active` with the events `SawCompletedJob` "Saw completed job: X,
//! condition: Complete", `MissingJob` "Active job went missing: X" and `UnexpectedJob`; no start
//! while suspended; `mostRecentScheduleTime` from `status.lastScheduleTime` or the creation time,
//! at most one Job for the most recent missed time, `TooManyMissedTimes` past 100 missed,
//! `MissSchedule` past `startingDeadlineSeconds`; `concurrencyPolicy` Forbid (`JobAlreadyActive`)
//! and Replace (the active Jobs deleted, `SuccessfulDelete` "Deleted job X"); the Job named
//! `<cronjob>-<scheduled time in minutes since the epoch>` from `getJobFromTemplate2`, with the
//! `batch.kubernetes.io/cronjob-scheduled-timestamp` annotation and the controllerRef,
//! `SuccessfulCreate` "Created job X"; the requeue at the next schedule time plus 100 ms
//! (`nextScheduleDelta`)) and `cleanupFinishedJobs` (the oldest finished Jobs by start time beyond
//! `successfulJobsHistoryLimit` and `failedJobsHistoryLimit` deleted, background propagation).
//! Simplified: the schedule is read in UTC (`spec.timeZone` is only ever UTC, see `api::cron`);
//! the new Job enters `status.active` when the informer sees it (our intents carry no uid
//! before the apiserver assigns one), one status write later than upstream; missed times are
//! counted one by one up to 101, then the search jumps ahead by the interval as upstream's
//! estimate does.
//!
//! Each timer is caused by the decision that set it: the sync that computes a new next time
//! names its decision, and the sync the timer starts names that decision as its cause.

use crate::sim::api::JsonPointer;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::controller_utils::{self as cu, is_controlled_by, key_of};
use super::{credentials, event, request, status_patch, WorkQueue};
use crate::sim::api::cron::{self, Schedule};
use crate::sim::apiserver::events::EventType;
use crate::sim::apiserver::request::PropagationPolicy;
use crate::sim::apiserver::{ApiError, ApiRequest, ApiResponse, Credentials, Verb};
use crate::sim::clock::{rfc3339_from_unix, unix_from_rfc3339, Ticks, TICKS_PER_SECOND};
use crate::sim::component::{Component, Context, Decision, DecisionId, ObjectEvent, Reconcile};
use crate::sim::sort::StableSort;
use crate::sim::trace::{Actor, ObjectRef, Seq};

pub const COMPONENT: &str = "cronjob-controller";
pub const SCHEDULED_TIMESTAMP: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";
/// Upstream's `nextScheduleDelta`: wake a little after the time, so that it has passed.
const NEXT_SCHEDULE_DELTA_TICKS: Ticks = 100;
/// More missed start times than this bring `TooManyMissedTimes`.
const MISSED_TIMES_MAX: usize = 100;

#[derive(Default)]
pub struct CronJobController {
    queue: WorkQueue,
    /// Per cronjob: the tick of its next schedule time and the decision that set the timer.
    due: BTreeMap<String, (Ticks, Seq)>,
    /// Decisions of the last reconcile that set a timer, until the cluster tells their seq.
    timers_pending: BTreeMap<DecisionId, String>,
    next_id: u64,
    /// Per cronjob: Jobs it created that are not in `status.active` yet (no uid until seen).
    created: BTreeMap<String, BTreeSet<String>>,
    /// Jobs already reported as `UnexpectedJob` (upstream's event correlator folds the repeats).
    unexpected: BTreeSet<String>,
}

impl CronJobController {
    pub fn new() -> Self {
        CronJobController::default()
    }
}

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.ptr(pointer).and_then(Value::as_str).unwrap_or("")
}

fn time_at(v: &Value, pointer: &str) -> Option<i64> {
    v.ptr(pointer)
        .and_then(Value::as_str)
        .and_then(unix_from_rfc3339)
}

/// `jobutil.FinishedCondition`: `Complete` or `Failed` when the job has finished.
fn finished_condition(job: &Value) -> Option<&str> {
    job.ptr("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| {
            c.get("status").and_then(Value::as_str) == Some("True")
                && matches!(
                    c.get("type").and_then(Value::as_str),
                    Some("Complete" | "Failed")
                )
        })
        .and_then(|c| c.get("type").and_then(Value::as_str))
}

/// `ref.GetReference` of a Job, as `status.active` lists it.
fn job_ref(job: &Value) -> Value {
    json!({"apiVersion": "batch/v1", "kind": "Job", "name": text(job, "/metadata/name"),
        "namespace": text(job, "/metadata/namespace"), "uid": cu::uid(job),
        "resourceVersion": text(job, "/metadata/resourceVersion")})
}

/// `mostRecentScheduleTime`: the latest schedule time after `earliest` and not after `now`, and
/// how many there were (counted up to one past the limit).
pub fn most_recent_schedule_time(s: &Schedule, earliest: i64, now: i64) -> (Option<i64>, usize) {
    let (mut latest, mut missed, mut t) = (None, 0, earliest);
    while let Some(next) = s.next(t).filter(|n| *n <= now) {
        latest = Some(next);
        missed += 1;
        t = next;
        if missed > MISSED_TIMES_MAX {
            // Jump to the last stretch: only the most recent time matters from here.
            let step = s.next(next).map_or(60, |n| (n - next).max(1));
            if now - t > 2 * step {
                t = now - 2 * step;
            }
        }
    }
    (latest, missed)
}

impl CronJobController {
    fn sync_cron_job(&mut self, ctx: &mut Context, key: &str, cause: Seq, out: &mut Reconcile) {
        let (ns, name) = cu::split_key(key);
        let Some(cj) = ctx.lister.get("cronjobs", ns, name) else {
            self.due.remove(key);
            self.created.remove(key);
            return;
        };
        let ns = ns.unwrap_or("default");
        let jobs: Vec<Value> = ctx
            .lister
            .list("jobs", Some(ns))
            .into_iter()
            .filter(|j| is_controlled_by(j, &cj))
            .collect();
        let mut active: Vec<Value> = cj
            .ptr("/status/active")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut last_successful = cj.ptr("/status/lastSuccessfulTime").cloned();
        let mut last_schedule = cj.ptr("/status/lastScheduleTime").cloned();
        let mut actions: Vec<ApiRequest> = Vec::new();
        let mut notes: Vec<String> = Vec::new();
        let mut reason = "UpdateStatus";
        let emit = |ctx: &mut Context, actions: &mut Vec<ApiRequest>, t, why: &str, m: &str| {
            actions.push(event(ctx, &cj, t, why, m, COMPONENT));
        };
        let created = self.created.entry(key.to_string()).or_default();

        // The owned Jobs against status.active.
        for job in &jobs {
            let job_name = text(job, "/metadata/name");
            let in_active = active.iter().any(|r| text(r, "/uid") == cu::uid(job));
            let finished = finished_condition(job);
            // A Job this controller just created counts as listed (upstream has its uid from
            // the create's answer and lists it at once), even if it finished before it was seen.
            let ours = created.remove(job_name);
            match finished {
                None if !in_active && ours => {
                    active.push(job_ref(job));
                    notes.push(format!("job {job_name} is running: added to active"));
                }
                None if !in_active && self.unexpected.insert(cu::uid(job).to_string()) => {
                    let m = format!(
                        "Saw a job that the controller did not create or forgot: {job_name}"
                    );
                    emit(ctx, &mut actions, EventType::Warning, "UnexpectedJob", &m);
                    notes.push(m);
                }
                Some(condition) if in_active || ours => {
                    active.retain(|r| text(r, "/uid") != cu::uid(job));
                    let m = format!("Saw completed job: {job_name}, condition: {condition}");
                    emit(ctx, &mut actions, EventType::Normal, "SawCompletedJob", &m);
                    notes.push(m);
                    reason = "SawCompletedJob";
                }
                _ => {}
            }
            if finished == Some("Complete") {
                let done = job.ptr("/status/completionTime");
                let newer =
                    |t: &Value| t.as_str() > last_successful.as_ref().and_then(Value::as_str);
                if let Some(t) = done.filter(|t| newer(t)) {
                    last_successful = Some(t.clone());
                }
            }
        }
        let mut missing = Vec::new();
        active.retain(|r| {
            let found = jobs.iter().any(|j| cu::uid(j) == text(r, "/uid"));
            if !found {
                missing.push(text(r, "/name").to_string());
            }
            found
        });
        for job_name in missing {
            let m = format!("Active job went missing: {job_name}");
            emit(ctx, &mut actions, EventType::Normal, "MissingJob", &m);
            notes.push(m);
        }

        // Start a Job if a schedule time has come.
        let now = ctx.clock.unix_seconds();
        let mut next_time = None;
        let schedule_text = text(&cj, "/spec/schedule");
        let suspended = cj.ptr("/spec/suspend") == Some(&json!(true));
        if cu::is_being_deleted(&cj) || suspended {
            if suspended {
                notes.push("suspended: no new job".into());
            }
        } else {
            match cron::parse(schedule_text) {
                Err(e) => {
                    let m = format!("unparseable schedule: \"{schedule_text}\" : {e}");
                    emit(
                        ctx,
                        &mut actions,
                        EventType::Warning,
                        "UnparseableSchedule",
                        &m,
                    );
                    notes.push(m);
                }
                Ok(schedule) => {
                    let created_at = time_at(&cj, "/metadata/creationTimestamp").unwrap_or(now);
                    let earliest = last_schedule
                        .as_ref()
                        .and_then(Value::as_str)
                        .and_then(unix_from_rfc3339)
                        .unwrap_or(created_at);
                    let deadline = cj
                        .ptr("/spec/startingDeadlineSeconds")
                        .and_then(Value::as_i64);
                    let from = deadline.map_or(earliest, |d| earliest.max(now - d));
                    let (scheduled, missed) = most_recent_schedule_time(&schedule, from, now);
                    if let Some(t) = scheduled {
                        if missed > MISSED_TIMES_MAX {
                            let m = "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew";
                            emit(
                                ctx,
                                &mut actions,
                                EventType::Warning,
                                "TooManyMissedTimes",
                                m,
                            );
                        }
                        let job_name = format!("{name}-{}", t.div_euclid(60));
                        let policy = text(&cj, "/spec/concurrencyPolicy");
                        if deadline.is_some_and(|d| t + d < now) {
                            let when =
                                crate::sim::kubectl::describe::rfc1123z(&rfc3339_from_unix(t));
                            let m = format!("Missed scheduled time to start a job: {when}");
                            emit(ctx, &mut actions, EventType::Warning, "MissSchedule", &m);
                            notes.push(m);
                            reason = "MissSchedule";
                        } else if created.contains(&job_name)
                            || active.iter().any(|r| text(r, "/name") == job_name)
                        {
                        } else if policy == "Forbid" && !active.is_empty() {
                            let m = "Not starting job because prior execution is running and concurrency policy is Forbid";
                            emit(ctx, &mut actions, EventType::Normal, "JobAlreadyActive", m);
                            notes.push(format!("{m} (scheduled {})", rfc3339_from_unix(t)));
                            reason = "JobAlreadyActive";
                        } else {
                            if policy == "Replace" {
                                for r in std::mem::take(&mut active) {
                                    let mut del = request(Verb::Delete, "jobs", Some(ns))
                                        .name(text(&r, "/name"));
                                    del.delete_options.propagation_policy =
                                        Some(PropagationPolicy::Background);
                                    actions.push(del);
                                    let m = format!("Deleted job {}", text(&r, "/name"));
                                    emit(
                                        ctx,
                                        &mut actions,
                                        EventType::Normal,
                                        "SuccessfulDelete",
                                        &m,
                                    );
                                    notes.push(format!("{m} (concurrencyPolicy Replace)"));
                                }
                            }
                            let job = job_from_template(&cj, &job_name, t);
                            actions.push(request(Verb::Create, "jobs", Some(ns)).body(job));
                            let m = format!("Created job {job_name}");
                            emit(ctx, &mut actions, EventType::Normal, "SuccessfulCreate", &m);
                            notes.push(format!("{m} for {}", rfc3339_from_unix(t)));
                            reason = "SuccessfulCreate";
                            created.insert(job_name);
                            last_schedule = Some(json!(rfc3339_from_unix(t)));
                        }
                    }
                    // nextScheduleTimeDuration: after the most recent time, deadline or not.
                    let (recent, _) = most_recent_schedule_time(&schedule, earliest, now);
                    next_time = schedule.next(recent.unwrap_or(earliest).max(earliest));
                }
            }
        }

        // cleanupFinishedJobs: the oldest finished Jobs beyond the history limits.
        if !cu::is_being_deleted(&cj) {
            for (condition, limit) in [
                ("Complete", "/spec/successfulJobsHistoryLimit"),
                ("Failed", "/spec/failedJobsHistoryLimit"),
            ] {
                let Some(limit) = cj.ptr(limit).and_then(Value::as_i64) else {
                    continue;
                };
                let mut done: Vec<&Value> = jobs
                    .iter()
                    .filter(|j| finished_condition(j) == Some(condition))
                    .filter(|j| !cu::is_being_deleted(j))
                    .collect();
                let extra = done.len().saturating_sub(limit.max(0) as usize);
                done.stable_sort_by_key(|j| {
                    let start = text(j, "/status/startTime");
                    (start.is_empty(), start, text(j, "/metadata/name"))
                });
                for job in done.into_iter().take(extra) {
                    let mut del = super::delete("jobs", job);
                    del.delete_options.propagation_policy = Some(PropagationPolicy::Background);
                    actions.push(del);
                    let m = format!("Deleted job {}", text(job, "/metadata/name"));
                    emit(ctx, &mut actions, EventType::Normal, "SuccessfulDelete", &m);
                    notes.push(format!("{m} (history limit {limit} {condition})"));
                    if reason == "UpdateStatus" {
                        reason = "SuccessfulDelete";
                    }
                }
            }
        }

        let status = json!({
            "active": if active.is_empty() { Value::Null } else { json!(active) },
            "lastScheduleTime": last_schedule,
            "lastSuccessfulTime": last_successful,
        });
        let current = cj.get("status").cloned().unwrap_or(json!({}));
        let changed = ["active", "lastScheduleTime", "lastSuccessfulTime"]
            .iter()
            .any(|k| current.get(*k).unwrap_or(&Value::Null) != &status[*k]);
        if changed {
            actions.push(status_patch("cronjobs", &cj, status));
        }

        // The timer for the next schedule time.
        let epoch = now - (ctx.now / TICKS_PER_SECOND) as i64;
        let due = next_time
            .map(|t| ((t - epoch).max(0) as Ticks) * TICKS_PER_SECOND + NEXT_SCHEDULE_DELTA_TICKS);
        let new_timer = due.is_some_and(|d| self.due.get(key).map(|(t, _)| *t) != Some(d));
        if new_timer {
            let t = next_time.unwrap_or(0);
            notes.push(format!("next schedule time {}", rfc3339_from_unix(t)));
        }
        if actions.is_empty() && !new_timer {
            if due.is_none() {
                self.due.remove(key);
            }
            return;
        }
        if actions.is_empty() {
            reason = "NextScheduleTime";
        }
        let mut decision =
            Decision::new(reason, format!("cronjob {key}: {}", notes.join("; "))).caused_by(cause);
        decision.actions = actions;
        if let Some(object) = ObjectRef::of("cronjobs", &cj) {
            decision = decision.about(object);
        }
        match due {
            // A new time: this decision set the timer, and causes the sync it starts.
            Some(d) if new_timer => {
                self.next_id += 1;
                let id = DecisionId(self.next_id);
                decision = decision.id(id);
                self.timers_pending.insert(id, key.to_string());
                self.due.insert(key.to_string(), (d, cause));
            }
            Some(_) => {}
            None => {
                self.due.remove(key);
            }
        }
        out.decisions.push(decision);
    }
}

/// `getJobFromTemplate2`: the Job for the schedule time `t`.
fn job_from_template(cj: &Value, name: &str, t: i64) -> Value {
    let template = cj.ptr("/spec/jobTemplate").unwrap_or(&Value::Null);
    let mut annotations = template
        .ptr("/metadata/annotations")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or(json!({}));
    annotations[SCHEDULED_TIMESTAMP] = json!(rfc3339_from_unix(t));
    let mut job = json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": text(cj, "/metadata/namespace"),
            "annotations": annotations, "ownerReferences": [cu::new_controller_ref(cj)]},
        "spec": template.get("spec").cloned().unwrap_or(json!({}))});
    if let Some(labels) = template.ptr("/metadata/labels").filter(|l| l.is_object()) {
        job["metadata"]["labels"] = labels.clone();
    }
    job
}

impl Component for CronJobController {
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
        vec!["cronjobs", "jobs"]
    }

    fn observe(&mut self, ev: &ObjectEvent) {
        match ev.resource {
            "cronjobs" => self.queue.add(key_of(&ev.object), ev.seq),
            "jobs" => {
                if let Some(r) = cu::get_controller_of(&ev.object) {
                    if r.get("kind").and_then(Value::as_str) == Some("CronJob") {
                        let name = r.get("name").and_then(Value::as_str).unwrap_or("");
                        let ns = crate::sim::api::namespace(&ev.object);
                        self.queue.add(format!("{ns}/{name}"), ev.seq);
                    }
                }
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let mut out = Reconcile::default();
        let mut work = self.queue.take();
        // A timer that fired: its sync is caused by the decision that set it.
        for (key, (due, seq)) in &self.due {
            if *due <= ctx.now {
                work.insert(key.clone(), *seq);
            }
        }
        for (key, cause) in work {
            self.sync_cron_job(ctx, &key, cause, &mut out);
        }
        out.requeue_after = self
            .due
            .values()
            .map(|(due, _)| *due)
            .min()
            .map(|due| due.saturating_sub(ctx.now).max(1));
        out
    }

    fn on_recorded(&mut self, id: DecisionId, seq: Seq) {
        if let Some(key) = self.timers_pending.remove(&id) {
            if let Some(timer) = self.due.get_mut(&key) {
                timer.1 = seq;
            }
        }
    }

    fn on_response(&mut self, request: &ApiRequest, result: &Result<ApiResponse, ApiError>) {
        // A Job that could not be created will not be seen: forget it, so the time is tried again.
        if let (Err(_), Verb::Create, Some(body)) = (result, request.verb, &request.body) {
            let job = crate::sim::api::name(body);
            for names in self.created.values_mut() {
                names.remove(job);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_recent_time_is_the_last_one_not_after_now_and_missed_times_are_counted() {
        let every_minute = cron::parse("* * * * *").unwrap();
        let t0 = 1_748_736_000; // 2025-06-01T00:00:00Z
        assert_eq!(
            most_recent_schedule_time(&every_minute, t0, t0 + 59),
            (None, 0)
        );
        assert_eq!(
            most_recent_schedule_time(&every_minute, t0, t0 + 60),
            (Some(t0 + 60), 1)
        );
        assert_eq!(
            most_recent_schedule_time(&every_minute, t0 + 30, t0 + 185),
            (Some(t0 + 180), 3)
        );
        // A day without the controller: more than 100 missed, and still the latest time.
        let (latest, missed) = most_recent_schedule_time(&every_minute, t0, t0 + 86_400 + 5);
        assert_eq!(latest, Some(t0 + 86_400));
        assert!(missed > MISSED_TIMES_MAX, "{missed}");
    }

    #[test]
    fn a_job_is_named_after_its_minute_and_carries_the_scheduled_time() {
        let cj = json!({"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "hello", "namespace": "default", "uid": "u1"},
            "spec": {"jobTemplate": {"metadata": {"labels": {"app": "hello"}},
                "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}}});
        let t = 1_748_736_060;
        let job = job_from_template(&cj, &format!("hello-{}", t / 60), t);
        assert_eq!(job["metadata"]["name"], json!("hello-29145601"));
        assert_eq!(
            job["metadata"]["annotations"][SCHEDULED_TIMESTAMP],
            json!("2025-06-01T00:01:00Z")
        );
        assert_eq!(job["metadata"]["labels"], json!({"app": "hello"}));
        assert!(is_controlled_by(&job, &cj));
    }
}

//! CronJobs from the lab's terminal: the CronJob controller starts a Job at each schedule time,
//! names it after the minute, keeps the history limits, honours Forbid, Replace and suspend;
//! `kubectl get cronjob` prints kubectl 1.32's columns; `kubectl create job --from=cronjob/X`
//! instantiates the template by hand. Time passes with the shell's `sleep` (simulated time).
#![cfg(not(target_arch = "wasm32"))]

use kube_sandbox::sim::clock::unix_from_rfc3339;
use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;
use kube_sandbox::sim::trace::{TraceEvent, TraceKind};

#[path = "support/lab_shell.rs"]
mod lab_shell;
use lab_shell::{fails, lab, ok};

/// The job names `kubectl get jobs` lists, in its (name) order.
fn job_names(sh: &mut Shell<Lab>) -> Vec<String> {
    let out = ok(sh, "kubectl get jobs -o name");
    out.lines()
        .map(|l| l.trim_start_matches("job.batch/").to_string())
        .collect()
}

/// One row of `kubectl get cronjob NAME` as its cells (columns split on runs of 2+ spaces).
fn cronjob_row(sh: &mut Shell<Lab>, name: &str) -> Vec<String> {
    let out = ok(sh, &format!("kubectl get cronjob {name}"));
    let row = out.lines().nth(1).unwrap_or_default();
    row.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

fn last_schedule_minute(sh: &mut Shell<Lab>, name: &str) -> i64 {
    let line = format!("kubectl get cj {name} -o jsonpath={{.status.lastScheduleTime}}");
    let time = ok(sh, &line);
    unix_from_rfc3339(time.trim()).expect(&time) / 60
}

#[test]
fn a_cronjob_starts_a_job_every_minute_named_after_it_and_keeps_the_last_three() {
    let mut sh = lab();
    ok(
        &mut sh,
        "kubectl create cronjob hello --image=busybox --schedule='*/1 * * * *' -- echo hi",
    );
    let header = ok(&mut sh, "kubectl get cronjobs");
    assert!(
        header.starts_with(
            "NAME    SCHEDULE      TIMEZONE   SUSPEND   ACTIVE   LAST SCHEDULE   AGE\n"
        ),
        "{header}"
    );
    assert_eq!(
        cronjob_row(&mut sh, "hello")[..6],
        ["hello", "*/1 * * * *", "<none>", "False", "0", "<none>"]
    );
    let wide = ok(&mut sh, "kubectl get cj hello -o wide");
    assert!(wide.contains("CONTAINERS   IMAGES    SELECTOR"), "{wide}");
    assert!(wide.contains("hello        busybox   <none>"), "{wide}");
    assert!(job_names(&mut sh).is_empty());

    // The controller wakes 100 ms after the minute (upstream's nextScheduleDelta).
    ok(&mut sh, "sleep 61");
    let minute = last_schedule_minute(&mut sh, "hello");
    assert_eq!(job_names(&mut sh), [format!("hello-{minute}")]);
    let job = ok(&mut sh, &format!("kubectl get job hello-{minute} -o yaml"));
    assert!(
        job.contains("batch.kubernetes.io/cronjob-scheduled-timestamp:"),
        "{job}"
    );
    assert!(job.contains("kind: CronJob\n    name: hello\n"), "{job}");
    let row = cronjob_row(&mut sh, "hello");
    assert_ne!(row[5], "<none>", "LAST SCHEDULE: {row:?}");

    // Five more minutes and the last job's few seconds: six jobs were made, all finished, and the
    // three newest are kept (while the newest runs, the three before it are kept beside it).
    ok(&mut sh, "sleep 310");
    let minute = last_schedule_minute(&mut sh, "hello");
    let want: Vec<String> = (minute - 2..=minute)
        .map(|m| format!("hello-{m}"))
        .collect();
    let mut names = job_names(&mut sh);
    names.sort();
    assert_eq!(names, want);
    let described = ok(&mut sh, "kubectl describe cronjob hello");
    for line in [
        "Schedule:                      */1 * * * *",
        "Concurrency Policy:            Allow",
        "Successful Job History Limit:  3",
        "Failed Job History Limit:      1",
        "Active Jobs:         <none>",
        &format!("Created job hello-{minute}"),
        &format!("Saw completed job: hello-{minute}, condition: Complete"),
        &format!("Deleted job hello-{}", minute - 3),
    ] {
        assert!(described.contains(line), "{line:?} in\n{described}");
    }
}

#[test]
fn forbid_skips_a_time_while_the_job_runs_and_replace_deletes_it() {
    let mut sh = lab();
    for (name, policy) in [("forbid", "Forbid"), ("replace", "Replace")] {
        ok(
            &mut sh,
            &format!(
                "kubectl create cronjob {name} --image=busybox --schedule='* * * * *' -- sleep 150"
            ),
        );
        let patch = format!(
            "kubectl patch cronjob {name} -p '{{\"spec\":{{\"concurrencyPolicy\":\"{policy}\"}}}}'"
        );
        ok(&mut sh, &patch);
    }
    ok(&mut sh, "sleep 61");
    let first = last_schedule_minute(&mut sh, "forbid");
    assert_eq!(cronjob_row(&mut sh, "forbid")[4], "1", "ACTIVE");
    ok(&mut sh, "sleep 60");
    let names = job_names(&mut sh);
    assert_eq!(
        names,
        [format!("forbid-{first}"), format!("replace-{}", first + 1)]
    );
    assert_eq!(
        last_schedule_minute(&mut sh, "forbid"),
        first,
        "no new time"
    );
    let events = ok(
        &mut sh,
        "kubectl get events --field-selector involvedObject.kind=CronJob",
    );
    assert!(
        events.contains(
            "Not starting job because prior execution is running and concurrency policy is Forbid"
        ),
        "{events}"
    );
    assert!(
        events.contains(&format!("Deleted job replace-{first}")),
        "{events}"
    );
    let active = ok(
        &mut sh,
        "kubectl get cj replace -o jsonpath={.status.active[*].name}",
    );
    assert_eq!(active, format!("replace-{}", first + 1));
}

#[test]
fn a_suspended_cronjob_starts_nothing_until_resumed() {
    let mut sh = lab();
    ok(
        &mut sh,
        "kubectl create cronjob hello --image=busybox --schedule='*/1 * * * *' -- echo hi",
    );
    ok(
        &mut sh,
        "kubectl patch cj hello -p '{\"spec\":{\"suspend\":true}}'",
    );
    ok(&mut sh, "sleep 180");
    assert!(job_names(&mut sh).is_empty());
    assert_eq!(cronjob_row(&mut sh, "hello")[3], "True", "SUSPEND");
    // Resumed, it starts the most recent missed time at once, and only that one.
    ok(
        &mut sh,
        "kubectl patch cj hello -p '{\"spec\":{\"suspend\":false}}'",
    );
    ok(&mut sh, "sleep 1");
    assert_eq!(job_names(&mut sh).len(), 1);
}

#[test]
fn create_job_from_a_cronjob_copies_its_template_and_names_it_the_owner() {
    let mut sh = lab();
    ok(
        &mut sh,
        "kubectl create cronjob nightly --image=busybox --schedule=@daily -- echo backup",
    );
    assert_eq!(
        ok(
            &mut sh,
            "kubectl create job backup-now --from=cronjob/nightly"
        ),
        "job.batch/backup-now created\n"
    );
    let job = ok(&mut sh, "kubectl get job backup-now -o yaml");
    for part in [
        "cronjob.kubernetes.io/instantiate: manual",
        "kind: CronJob\n    name: nightly\n",
        "- echo\n        - backup\n",
    ] {
        assert!(job.contains(part), "{part:?} in\n{job}");
    }
    assert!(!job.contains("blockOwnerDeletion"), "{job}");
    assert_eq!(
        fails(&mut sh, "kubectl create job x --from=cronjob/nope"),
        "Error from server (NotFound): cronjobs.batch \"nope\" not found\n"
    );
    assert_eq!(
        fails(&mut sh, "kubectl create job x --from=nope"),
        "error: from must be of the form resource/name\n"
    );
    // Deleting the cronjob takes its jobs, the manual one too (its owner).
    ok(&mut sh, "kubectl delete cronjob nightly");
    ok(&mut sh, "sleep 5");
    assert!(job_names(&mut sh).is_empty());
}

#[test]
fn bad_schedules_are_refused_with_upstreams_messages() {
    let mut sh = lab();
    for (schedule, message) in [
        ("61 * * * *", "end of range (61) above maximum (59): 61"),
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        (
            "CRON_TZ=UTC * * * * *",
            "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
        ),
    ] {
        let line = format!("kubectl create cronjob bad --image=busybox --schedule='{schedule}'");
        assert_eq!(
            fails(&mut sh, &line),
            format!(
                "error: failed to create cronjob: CronJob.batch \"bad\" is invalid: spec.schedule: Invalid value: \"{schedule}\": {message}\n"
            )
        );
    }
}

#[test]
fn each_scheduled_job_is_caused_by_the_decision_that_set_its_timer() {
    let mut sh = lab();
    ok(
        &mut sh,
        "kubectl create cronjob hello --image=busybox --schedule='*/1 * * * *' -- echo hi",
    );
    ok(&mut sh, "sleep 185");
    let trace = sh.backend().trace();
    let decisions: Vec<&TraceEvent> = trace
        .events()
        .iter()
        .filter(|e| e.actor.controller.as_deref() == Some("cronjob-controller"))
        .filter(|e| matches!(e.kind, TraceKind::Decision { .. }))
        .collect();
    let mut timer_set_by = None;
    let mut creates = 0;
    for d in decisions {
        let TraceKind::Decision { reason, message } = &d.kind else {
            unreachable!()
        };
        if reason == "SuccessfulCreate" {
            creates += 1;
            assert!(timer_set_by.is_some(), "{message}");
            assert_eq!(d.cause, timer_set_by, "{message}");
        }
        if message.contains("next schedule time") {
            timer_set_by = Some(d.seq);
        }
    }
    assert_eq!(creates, 3);
}

#[test]
fn policy_zone_and_name_length_are_validated_as_upstream() {
    let mut sh = lab();
    ok(
        &mut sh,
        "kubectl create cronjob ok --image=busybox --schedule=@hourly",
    );
    assert_eq!(
        fails(
            &mut sh,
            "kubectl patch cj ok -p '{\"spec\":{\"concurrencyPolicy\":\"Sometimes\"}}'"
        ),
        "The CronJob \"ok\" is invalid: spec.concurrencyPolicy: Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\"\n"
    );
    // Only UTC is known to the sandbox (see src/sim/api/cron.rs).
    ok(
        &mut sh,
        "kubectl patch cj ok -p '{\"spec\":{\"timeZone\":\"UTC\"}}'",
    );
    assert_eq!(cronjob_row(&mut sh, "ok")[2], "UTC", "TIMEZONE");
    let long = "a".repeat(53);
    assert_eq!(
        fails(
            &mut sh,
            &format!("kubectl create cronjob {long} --image=busybox --schedule=@hourly")
        ),
        format!("error: failed to create cronjob: CronJob.batch \"{long}\" is invalid: metadata.name: Invalid value: \"{long}\": must be no more than 52 characters\n")
    );
}

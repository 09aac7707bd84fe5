//! Every lesson in `lessons/`: its scripted solution passes each step's checks in order, on a
//! fresh lab from the lesson's seed and setup; no step is already passed on the untouched
//! starting cluster; the solution's completion code verifies; broken files are refused with the
//! file, the line and the field.

use kube_sandbox::present::lessons::{load, pack_index, verify, LessonRun};
use kube_sandbox::sim::lessons::{self, Lesson};

fn builtin() -> Vec<Lesson> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/lessons");
    let index = std::fs::read_to_string(format!("{dir}/index.yaml")).expect("lessons/index.yaml");
    let files = pack_index("lessons/index.yaml", &index).expect("index");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".yaml") && n != "index.yaml")
        .collect();
    on_disk.sort();
    let mut listed = files.clone();
    listed.sort();
    assert_eq!(
        listed, on_disk,
        "index.yaml lists every lesson file, and only those"
    );
    files
        .iter()
        .map(|f| {
            let path = format!("lessons/{f}");
            let text = std::fs::read_to_string(format!("{dir}/{f}")).unwrap();
            load(&path, &text).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

fn check_lesson(lesson: &Lesson) {
    let (mut session, mut run) = LessonRun::start(lesson.clone(), 0.0);
    let since = session.cluster().trace().next_seq();
    // Untouched: no step is done before the student does anything.
    for (i, step) in lesson.steps.iter().enumerate() {
        let failing = lessons::failing(step, session.cluster(), since);
        assert!(
            !failing.is_empty(),
            "{}: step {} already passes on the untouched cluster",
            lesson.file,
            i + 1
        );
    }
    let mut all_lines = Vec::new();
    for (i, step) in lesson.steps.iter().enumerate() {
        assert_eq!(
            run.step(),
            i,
            "{}: the lesson is at step {}",
            lesson.file,
            i + 1
        );
        for line in &step.solution {
            run.record_line(line);
            session.run_line(line);
            all_lines.push(line.clone());
        }
        let failing = lessons::failing(step, session.cluster(), since);
        assert!(
            failing.is_empty(),
            "{}: step {} fails {:?} after its solution",
            lesson.file,
            i + 1,
            failing
        );
        run.after_line(&session, 1000.0 * (i as f64 + 1.0));
    }
    assert!(run.finished(), "{}: finished", lesson.file);
    let summary = run.summary().expect("summary");
    assert_eq!(summary.lines, all_lines);
    assert_eq!(
        verify(lesson, &all_lines),
        Ok(summary.code.clone()),
        "{}",
        lesson.file
    );
}

macro_rules! lesson_tests {
    ($($name:ident: $index:expr,)*) => {$(
        #[test]
        fn $name() {
            let all = builtin();
            check_lesson(&all[$index]);
        }
    )*};
}

lesson_tests! {
    lesson_01_solution_passes_every_step: 0,
    lesson_02_solution_passes_every_step: 1,
    lesson_03_solution_passes_every_step: 2,
    lesson_04_solution_passes_every_step: 3,
    lesson_05_solution_passes_every_step: 4,
    lesson_06_solution_passes_every_step: 5,
    lesson_07_solution_passes_every_step: 6,
    lesson_08_solution_passes_every_step: 7,
    lesson_09_solution_passes_every_step: 8,
    lesson_10_solution_passes_every_step: 9,
    lesson_11_solution_passes_every_step: 10,
    lesson_12_solution_passes_every_step: 11,
}

#[test]
fn there_are_at_least_twelve_lessons_with_distinct_ids_and_both_languages() {
    let all = builtin();
    assert!(all.len() >= 12);
    let mut ids: Vec<&str> = all.iter().map(|l| l.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "ids are distinct");
    for l in &all {
        assert!(
            l.title.ko.chars().any(|c| ('가'..='힣').contains(&c)),
            "{}: Korean title",
            l.file
        );
        for step in &l.steps {
            assert!(
                !step.solution.is_empty(),
                "{}: every step has a solution",
                l.file
            );
        }
    }
}

#[test]
fn a_wrong_transcript_does_not_verify_and_another_gives_another_code() {
    let all = builtin();
    let lesson = &all[3];
    let err = verify(lesson, &["kubectl get pods".to_string()]).unwrap_err();
    assert!(err.contains("step 1 of"), "{err}");
}

const GOOD: &str = "id: t
title: {ko: 시험, en: test}
intro: {ko: 가, en: a}
finish: {ko: 가, en: a}
steps:
  - task: {ko: 가, en: a}
    checks:
      - id: c
        text: {ko: 가, en: a}
        object:
          resource: pods
          count: 0
";

fn error_of(text: &str) -> String {
    load("lessons/broken.yaml", text).unwrap_err().to_string()
}

#[test]
fn broken_files_name_the_file_the_line_and_the_field() {
    assert!(load("lessons/ok.yaml", GOOD).is_ok());
    let table = [
        (
            GOOD.replace("resource: pods", "resource: podz"),
            "lessons/broken.yaml:11: steps[0].checks[0].object.resource: unknown resource \"podz\"",
        ),
        (
            GOOD.replace("          count: 0\n", "          cuont: 0\n"),
            "lessons/broken.yaml:12: steps[0].checks[0].object.cuont: unknown field",
        ),
        (
            GOOD.replace("      - id: c\n", "      - idd: c\n"),
            "lessons/broken.yaml:8: steps[0].checks[0].id: missing required field",
        ),
        (
            GOOD.replace("title: {ko: 시험, en: test}\n", "title: {ko: 시험}\n"),
            "lessons/broken.yaml:2: title.en: missing required field",
        ),
        (
            GOOD.replace(
                "        object:\n          resource: pods\n          count: 0\n",
                "        event: {kind: wish}\n",
            ),
            "lessons/broken.yaml:10: steps[0].checks[0].event.kind: unknown kind \"wish\"",
        ),
        (
            GOOD.replace("task: {ko: 가, en: a}", "task: [1, 2]"),
            "lessons/broken.yaml:6: steps[0].task: expected a map of fields",
        ),
        (
            "id: t\ntitle: {ko: 가\n".to_string(),
            "lessons/broken.yaml:3",
        ),
    ];
    for (text, want) in table {
        let got = error_of(&text);
        assert!(got.starts_with(want), "want {want:?}\n got {got:?}");
    }
}

/// A reload mid-lesson: the saved session (seed, the setup and the student's lines, and the
/// lesson's progress) replays to the same lab, and the lesson carries on at the same step with
/// the same marks, hints and lines, and finishes with the same code as the run never reloaded.
#[test]
fn a_lesson_saved_mid_way_resumes_at_the_same_step_and_finishes_with_the_same_code() {
    use kube_sandbox::present::session::Session;
    let lesson = builtin()
        .into_iter()
        .find(|l| l.steps.len() >= 2)
        .expect("a lesson of two steps or more");
    let (mut live, mut run) = LessonRun::start(lesson.clone(), 5.0);
    let first = &lesson.steps[0].solution;
    for line in first {
        run.record_line(line);
        live.run_line(line);
        run.after_line(&live, 1000.0);
    }
    run.reveal_hint();
    assert!(run.step() >= 1, "the first step's solution passes it");
    live.set_lesson_progress(Some(run.progress()));
    let saved = live.saved();

    let restored = Session::restore(&saved).expect("the saved session replays");
    let progress = saved.lesson.as_ref().expect("the progress is saved");
    let mut resumed =
        LessonRun::resume(lesson.clone(), progress, &restored).expect("the lesson resumes");
    assert_eq!(
        resumed, run,
        "the same place: step, hints, marks, lines, times"
    );

    // Both finish the same way.
    let mut restored = restored;
    for step in &lesson.steps[run.step()..] {
        for line in &step.solution {
            for (r, s) in [(&mut run, &mut live), (&mut resumed, &mut restored)] {
                r.record_line(line);
                s.run_line(line);
                r.after_line(s, 9000.0);
            }
        }
    }
    assert!(run.finished() && resumed.finished());
    assert_eq!(run.summary(), resumed.summary());

    // Progress that does not fit the lesson or the lab is refused, not half-applied.
    let mut other = progress.clone();
    other["id"] = "another-lesson".into();
    assert!(LessonRun::resume(lesson.clone(), &other, &restored).is_none());
    let mut past = progress.clone();
    past["step"] = (lesson.steps.len() + 1).into();
    assert!(LessonRun::resume(lesson.clone(), &past, &restored).is_none());
    let mut later = progress.clone();
    later["since"] = (restored.cluster().trace().next_seq() + 1).into();
    assert!(LessonRun::resume(lesson.clone(), &later, &restored).is_none());
    let mut broken = progress.clone();
    broken["lines"] = serde_json::json!([1, 2]);
    assert!(LessonRun::resume(lesson, &broken, &restored).is_none());
}

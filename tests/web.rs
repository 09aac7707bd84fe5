//! Browser tests: the Yew app mounted into a real page in headless Chromium
//! (`wasm-pack test --headless --chrome -- --test web`, run by `cargo xtask test`).
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use kube_sandbox::present::i18n::{text, Lang, Msg};
use kube_sandbox::web::{App, AppProps};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlFormElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Mounts the app into a fresh element of its own and lets Yew render.
async fn mount(lang: Lang) -> Element {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a browser document");
    let root = document.create_element("div").expect("create a div");
    document
        .body()
        .expect("a body")
        .append_child(&root)
        .expect("append the root");
    yew::Renderer::<App>::with_root_and_props(
        root.clone(),
        AppProps {
            lang: Some(lang),
            ..AppProps::default()
        },
    )
    .render();
    settle().await;
    root
}

/// Waits until the lab has booted (it boots in slices after the first frame): up to 30 s, since
/// the tests' wasm is a debug build.
async fn booted(root: &Element) -> bool {
    for _ in 0..600 {
        if root.query_selector("[data-busy]").ok().flatten().is_none() {
            return true;
        }
        settle().await;
    }
    false
}

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(50)).await;
}

fn all(root: &Element, css: &str) -> Vec<Element> {
    let list = root.query_selector_all(css).expect("a valid selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

fn one(root: &Element, css: &str) -> Element {
    root.query_selector(css)
        .expect("a valid selector")
        .unwrap_or_else(|| panic!("no element matches {css}"))
}

fn text_of(root: &Element, css: &str) -> String {
    one(root, css).text_content().unwrap_or_default()
}

#[wasm_bindgen_test]
async fn the_app_draws_three_vms_with_their_addresses() {
    let root = mount(Lang::En).await;
    let vms: Vec<(String, String)> = all(&root, "[data-vm]")
        .iter()
        .map(|vm| {
            let ip = one(vm, "[data-ip]").text_content().unwrap_or_default();
            (vm.get_attribute("data-vm").unwrap_or_default(), ip)
        })
        .collect();
    let want = [
        ("master", "172.16.20.11"),
        ("node1", "172.16.20.12"),
        ("node2", "172.16.20.13"),
    ]
    .map(|(n, ip)| (n.to_string(), ip.to_string()));
    assert_eq!(vms, want);
}

#[wasm_bindgen_test]
async fn the_control_plane_boxes_are_on_master_only() {
    let root = mount(Lang::En).await;
    let on = |vm: &str| {
        all(
            &one(&root, &format!("[data-vm='{vm}']")),
            "[data-component]",
        )
        .iter()
        .filter_map(|c| c.get_attribute("data-component"))
        .collect::<Vec<_>>()
    };
    assert_eq!(
        on("master"),
        [
            "kube-apiserver",
            "etcd",
            "kube-scheduler",
            "kube-controller-manager",
            "kubelet",
            "kube-proxy",
            "container-runtime"
        ]
    );
    assert_eq!(on("node1"), ["kubelet", "kube-proxy", "container-runtime"]);
    assert_eq!(on("node2"), ["kubelet", "kube-proxy", "container-runtime"]);
}

#[wasm_bindgen_test]
async fn the_language_switch_retitles_the_page_and_is_remembered() {
    let root = mount(Lang::Ko).await;
    assert_eq!(text_of(&root, "#app-title"), text(Lang::Ko, Msg::AppTitle));

    one(&root, "button[data-lang='en']")
        .dyn_into::<HtmlElement>()
        .expect("a button")
        .click();
    settle().await;
    assert_eq!(text_of(&root, "#app-title"), text(Lang::En, Msg::AppTitle));
    assert_eq!(kube_sandbox::web::stored_lang(), Some(Lang::En));
    let pressed = one(&root, "button[data-lang='en']").get_attribute("aria-pressed");
    assert_eq!(pressed.as_deref(), Some("true"));
}

#[wasm_bindgen_test]
async fn a_submitted_kubectl_line_runs_in_the_simulated_cluster() {
    let root = mount(Lang::En).await;
    let input: HtmlInputElement = one(&root, ".terminal__input").dyn_into().expect("an input");
    input.set_value("kubectl get nodes");
    let form: HtmlFormElement = one(&root, ".terminal__input-line")
        .dyn_into()
        .expect("a form");
    form.request_submit().expect("submit the form");
    settle().await;

    let commands: Vec<String> = all(&root, ".line--command")
        .iter()
        .filter_map(|l| l.text_content())
        .collect();
    assert_eq!(commands, ["[root@master ~]# kubectl get nodes"]);
    let output: Vec<String> = all(&root, ".line--output")
        .iter()
        .filter_map(|l| l.text_content())
        .collect();
    let table = output.last().expect("kubectl printed a table");
    assert!(
        table.starts_with("NAME     STATUS   ROLES           AGE"),
        "{table}"
    );
    for node in ["master", "node1", "node2"] {
        assert!(
            table
                .lines()
                .any(|l| l.starts_with(node) && l.contains("Ready")),
            "{table}"
        );
    }
    assert_eq!(input.value(), "", "the input is cleared for the next line");
}

#[wasm_bindgen_test]
async fn a_kubectl_error_is_shown_as_standard_error() {
    let root = mount(Lang::En).await;
    let input: HtmlInputElement = one(&root, ".terminal__input").dyn_into().expect("an input");
    input.set_value("kubectl get pdos");
    let form: HtmlFormElement = one(&root, ".terminal__input-line")
        .dyn_into()
        .expect("a form");
    form.request_submit().expect("submit the form");
    settle().await;
    let errors: Vec<String> = all(&root, ".line--error")
        .iter()
        .filter_map(|l| l.text_content())
        .collect();
    assert_eq!(
        errors,
        ["error: the server doesn't have a resource type \"pdos\"\n"]
    );
}

/// `kubectl explain` first fetches its docs (`explain.txt`, beside `index.html`). The test
/// runner serves no such file, so the line runs once the fetch has failed and says honestly
/// that the docs are not loaded (the end-to-end test sees the docs themselves, from `dist/`).
#[wasm_bindgen_test]
async fn kubectl_explain_runs_after_its_docs_are_fetched_and_says_when_they_are_missing() {
    let root = mount(Lang::En).await;
    let input: HtmlInputElement = one(&root, ".terminal__input").dyn_into().expect("an input");
    input.set_value("kubectl explain pod.spec.nodeName");
    let form: HtmlFormElement = one(&root, ".terminal__input-line")
        .dyn_into()
        .expect("a form");
    form.request_submit().expect("submit the form");
    let mut errors = Vec::new();
    for _ in 0..200 {
        settle().await;
        errors = all(&root, ".line--error")
            .iter()
            .filter_map(|l| l.text_content())
            .collect();
        if !errors.is_empty() {
            break;
        }
    }
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0] == "error: kubectl explain's docs (explain.txt) are not loaded yet\n",
        "{errors:?}"
    );
    assert!(all(&root, ".line--command").iter().any(|l| l
        .text_content()
        .unwrap_or_default()
        .contains("kubectl explain pod.spec.nodeName")));
}

#[wasm_bindgen_test]
async fn the_static_control_plane_pods_run_on_master() {
    let root = mount(Lang::En).await;
    assert!(booted(&root).await, "the lab boots");
    let master = one(&root, "[data-vm='master']");
    let pods: Vec<String> = master
        .query_selector_all("[data-pod]")
        .map(|list| {
            (0..list.length())
                .filter_map(|i| list.item(i))
                .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
                .filter_map(|e| e.get_attribute("data-pod"))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        pods.contains(&"kube-system/kube-apiserver-master".to_string()),
        "{pods:?}"
    );
    assert!(
        pods.contains(&"kube-system/etcd-master".to_string()),
        "{pods:?}"
    );
}

#[path = "support/fingerprint_session.rs"]
mod session;

/// Determinism across targets: the session the native `tests/trace_fingerprint.rs` runs gives
/// the same trace here, compiled to wasm, with the seed the page boots with.
#[wasm_bindgen_test]
fn the_native_session_gives_the_same_trace_fingerprint_in_wasm() {
    use kube_sandbox::sim::kubectl::Shell;
    use kube_sandbox::sim::lab::Lab;
    assert_eq!(session::SEED, kube_sandbox::web::LAB_SEED);
    let fingerprint = session::run(|seed| Shell::new(Lab::boot(seed)));
    let expected = include_str!("fixtures/trace_fingerprint.txt");
    assert_eq!(fingerprint, expected.trim());
}

#[wasm_bindgen_test]
async fn ssh_moves_the_terminal_to_another_vm_and_exit_brings_it_back() {
    let root = mount(Lang::En).await;
    let submit = |line: &str| {
        let input: HtmlInputElement = one(&root, ".terminal__input").dyn_into().expect("an input");
        input.set_value(line);
        let form: HtmlFormElement = one(&root, ".terminal__input-line")
            .dyn_into()
            .expect("a form");
        form.request_submit().expect("submit the form");
    };
    assert!(text_of(&root, ".terminal__title").ends_with("root@master"));
    // A line typed during the boot first finishes it, in slices: in this debug build on a busy
    // machine that takes longer than one `settle`.
    assert!(booted(&root).await, "the lab boots");
    submit("ssh node1");
    settle().await;
    assert!(text_of(&root, ".terminal__title").ends_with("root@node1"));
    submit("hostname");
    settle().await;
    let output: Vec<String> = all(&root, ".line--output")
        .iter()
        .filter_map(|l| l.text_content())
        .collect();
    assert_eq!(output.last().map(String::as_str), Some("node1\n"));
    submit("exit");
    settle().await;
    assert!(text_of(&root, ".terminal__title").ends_with("root@master"));
}

#[wasm_bindgen_test]
async fn the_first_frame_shows_the_vms_while_the_lab_boots() {
    let root = mount(Lang::Ko).await;
    assert_eq!(
        all(&root, "[data-vm]").len(),
        3,
        "the VMs are drawn at once"
    );
    // The boot runs in slices of a frame or so; a few of them have run by now, not all.
    assert_eq!(text_of(&root, "[data-busy]"), text(Lang::Ko, Msg::Booting));
    assert!(booted(&root).await, "the boot ended");
    let pods = all(&root, "[data-pod], [data-pod-group]").len();
    assert!(pods >= 4, "the booted lab's pods are on the cards: {pods}");
}

#[wasm_bindgen_test]
async fn a_pasted_5_mb_line_is_answered_and_the_terminal_goes_on_with_a_bounded_scrollback() {
    let root = mount(Lang::En).await;
    assert!(booted(&root).await, "the lab boots");
    let input: HtmlInputElement = one(&root, ".terminal__input").dyn_into().expect("an input");
    let form: HtmlFormElement = one(&root, ".terminal__input-line")
        .dyn_into()
        .expect("a form");
    let submit = |line: &str| {
        input.set_value(line);
        form.request_submit().expect("submit the form");
    };
    // Echoed once as typed and once as printed: 10 MB for a scrollback of 2 MiB.
    submit(&format!("echo {}", "p".repeat(5 << 20)));
    settle().await;
    let shown: usize = all(&root, ".terminal__scrollback .line")
        .iter()
        .filter_map(|l| l.text_content())
        .map(|t| t.len())
        .sum();
    assert!(
        shown > 1 << 20 && shown <= 2 << 20,
        "{shown} bytes in the scrollback"
    );
    submit("kubectl get nodes");
    settle().await;
    let outputs: Vec<String> = all(&root, ".line--output")
        .iter()
        .filter_map(|l| l.text_content())
        .collect();
    assert!(
        outputs.last().is_some_and(|o| o.starts_with("NAME")),
        "the terminal answers after the paste"
    );
}

// Starts the app: loads the wasm module beside this file. In a file of its own, not inline in
// index.html, so that the page's Content-Security-Policy can refuse every inline script.
import init from "./pkg/kube_sandbox.js";

init({ module_or_path: new URL("pkg/kube_sandbox_bg.wasm", import.meta.url) });

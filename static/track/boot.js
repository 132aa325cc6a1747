// Loads the page's WebAssembly (a separate file: the CSP allows no inline script). The mark
// times compile and start for `cargo xtask bench`.
import init from "/track/pkg/qdn_track_ui.js";
init({ module_or_path: "/track/pkg/qdn_track_ui_bg.wasm" }).then(() => performance.mark("qdn-wasm-ready"));

// Loads the page's WebAssembly (a separate file: the CSP allows no inline script).
import init from "/track/pkg/qdn_track_ui.js";
init({ module_or_path: "/track/pkg/qdn_track_ui_bg.wasm" });

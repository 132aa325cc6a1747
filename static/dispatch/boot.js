// Loads the console's WebAssembly (a separate file: the CSP allows no inline script).
import init from "/dispatch/pkg/qdn_dispatch_ui.js";
init({ module_or_path: "/dispatch/pkg/qdn_dispatch_ui_bg.wasm" });

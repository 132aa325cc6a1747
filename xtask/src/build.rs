//! Builds the tracking page into static/track/pkg, the dispatcher console into
//! static/dispatch/pkg and the Worker into edge/build, each only when its inputs changed since
//! the last build.

use std::path::PathBuf;
use std::process::Command;

use crate::tools::Tools;
use crate::util::{fingerprint, root, run, step, Result};

/// wasm features rustc enables by default for wasm32-unknown-unknown; wasm-opt must accept them.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// What worker-build enables for the Worker: rustc's defaults plus the exception handling of
/// wasm-bindgen's catch wrappers, and nothing newer than workerd reads.
const WORKER_WASM_FEATURES: &[&str] = &[
    "--enable-mutable-globals",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-bulk-memory",
    "--enable-multivalue",
    "--enable-reference-types",
    "--enable-exception-handling",
];

pub fn all(tools: &Tools) -> Result {
    ui(tools)?;
    console(tools)?;
    worker(tools)
}

fn stamp(name: &str) -> PathBuf {
    root().join("target/xtask").join(format!("{name}.stamp"))
}

/// Runs `build` unless the fingerprint of `inputs` and `outputs` matches the last run's.
fn cached(name: &str, inputs: &[&str], outputs: &[&str], build: impl FnOnce() -> Result) -> Result {
    let mut paths: Vec<PathBuf> = inputs.iter().map(|p| root().join(p)).collect();
    paths.extend(outputs.iter().map(|p| root().join(p)));
    let outputs_exist = outputs.iter().all(|p| root().join(p).exists());
    let before = fingerprint(&paths);
    if outputs_exist && std::fs::read_to_string(stamp(name)).ok().as_deref() == Some(before.as_str()) {
        eprintln!("    {name}: up to date");
        return Ok(());
    }
    build()?;
    std::fs::create_dir_all(root().join("target/xtask")).map_err(|e| e.to_string())?;
    std::fs::write(stamp(name), fingerprint(&paths)).map_err(|e| e.to_string())
}

const SHARED_INPUTS: &[&str] = &["Cargo.lock", "Cargo.toml", "shared/src", "shared/Cargo.toml"];

/// A crate's own inputs plus what every wasm build depends on.
fn with_shared(own: &[&'static str]) -> Vec<&'static str> {
    SHARED_INPUTS.iter().chain(own).copied().collect()
}

pub fn ui(tools: &Tools) -> Result {
    step("building the tracking page (track-ui → static/track/pkg)");
    wasm_page(tools, "track-ui", "qdn_track_ui", "static/track/pkg")
}

pub fn console(tools: &Tools) -> Result {
    step("building the dispatcher console (dispatch-ui → static/dispatch/pkg)");
    wasm_page(tools, "dispatch-ui", "qdn_dispatch_ui", "static/dispatch/pkg")
}

/// A Leptos CSR crate into `out` (`<lib>.js` and `<lib>_bg.wasm`), optimised for size.
fn wasm_page(tools: &Tools, krate: &'static str, lib: &str, out: &'static str) -> Result {
    let src = format!("{krate}/src");
    let manifest = format!("{krate}/Cargo.toml");
    let (bg, js) = (format!("{out}/{lib}_bg.wasm"), format!("{out}/{lib}.js"));
    let inputs = with_shared(&[]);
    let mut inputs: Vec<&str> = inputs;
    inputs.push(&src);
    inputs.push(&manifest);
    cached(krate, &inputs, &[&bg, &js], || {
        // wasm-pack with the wasm-bindgen CLI installed here (`no-install`: it downloads
        // nothing); wasm-opt is binaryen's from npm, a newer one than wasm-pack would fetch.
        run(Command::new(&tools.wasm_pack)
            .args(["build", krate, "--release", "--target", "web", "--mode", "no-install"])
            .args([
                "--no-pack",
                "--no-opt",
                "--no-typescript",
                "--out-dir",
                &format!("../{out}"),
            ])
            .env("PATH", path_with(tools.wasm_bindgen.parent()))
            .env("WASM_PACK_CACHE", root().join("target/wasm-pack-cache"))
            .current_dir(root()))?;
        let dir = root().join(out);
        // Not a page asset (wasm-pack marks its output as untracked).
        let _ = std::fs::remove_file(dir.join(".gitignore"));
        let bg = root().join(&bg);
        run(Command::new(tools.npm_bin("wasm-opt"))
            .args(WASM_FEATURES)
            .args(["-Oz", "--strip-debug"])
            .arg(&bg)
            .arg("-o")
            .arg(&bg))?;
        // The wasm-bindgen glue, minified: 49 KB of readable JS for the tracking page, 8.7 KB
        // gzip, 6.5 KB minified. Its exports and the wasm's import names are kept.
        let js = root().join(&js);
        run(Command::new(tools.npm_bin("esbuild"))
            .arg(&js)
            .args(["--minify", "--format=esm", "--allow-overwrite", "--log-level=warning"])
            .arg(format!("--outfile={}", js.display())))
    })
}

pub fn worker(tools: &Tools) -> Result {
    step("building the Worker (edge → edge/build, release)");
    let inputs = with_shared(&["edge/src", "edge/Cargo.toml"]);
    cached(
        "edge",
        &inputs,
        &["edge/build/worker/shim.mjs", "edge/build/index_bg.wasm"],
        || {
            run(Command::new(&tools.worker_build)
                .arg("--release")
                .current_dir(root().join("edge"))
                // worker-build must never download its tools from GitHub.
                .env("WASM_BINDGEN_BIN", &tools.wasm_bindgen)
                .env("WASM_OPT_BIN", tools.npm_bin("wasm-opt"))
                .env("ESBUILD_BIN", tools.npm_bin("esbuild")))?;
            // worker-build's own wasm-opt step is off (edge/Cargo.toml): it always keeps the
            // names section, 76 KB of the gzip size that only names frames in a stack trace.
            // `-O` as worker-build runs it: `-Oz` came out 0.5 KB larger after gzip.
            let wasm = root().join("edge/build/index_bg.wasm");
            run(Command::new(tools.npm_bin("wasm-opt"))
                .args(WORKER_WASM_FEATURES)
                .args(["-O", "--strip-debug", "--strip-producers"])
                .arg(&wasm)
                .arg("-o")
                .arg(&wasm))
        },
    )
}

/// Raw and gzip -9 sizes of a file, for reports.
pub fn sizes(path: &std::path::Path) -> Option<(u64, u64)> {
    let raw = std::fs::metadata(path).ok()?.len();
    let gz = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .ok()?
        .stdout
        .len() as u64;
    Some((raw, gz))
}

/// `PATH` with `dir` first, so a tool finds the binaries installed here before any other.
fn path_with(dir: Option<&std::path::Path>) -> std::ffi::OsString {
    let mut paths: Vec<std::path::PathBuf> = dir.into_iter().map(std::path::Path::to_path_buf).collect();
    paths.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(paths).unwrap_or_default()
}

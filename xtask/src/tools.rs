//! Installs what the build needs, idempotently: the wasm32 target, worker-build, wasm-pack, the
//! wasm-bindgen CLI matching Cargo.lock, and the npm packages of package-lock.json.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{cargo, output, root, run, step, Result};

pub const WORKER_BUILD_VERSION: &str = "0.8.7";
/// The pages' build tool (the design card's): run with `--mode no-install`, so it uses the
/// wasm-bindgen CLI installed here and downloads nothing.
pub const WASM_PACK_VERSION: &str = "0.15.1";

pub struct Tools {
    pub wasm_bindgen: PathBuf,
    pub worker_build: PathBuf,
    pub wasm_pack: PathBuf,
    pub node_bin: PathBuf,
}

impl Tools {
    pub fn npm_bin(&self, name: &str) -> PathBuf {
        self.node_bin.join(name)
    }
}

fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".cargo"));
    home.join("bin").join(name)
}

/// The wasm-bindgen version Cargo.lock pins (the CLI must be exactly it).
pub fn locked_wasm_bindgen() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|v| v.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen".into())
}

/// `cargo install` for the build tools: one target directory for the three, so the crates they
/// share (clap, ureq, serde, cargo_metadata, …) are compiled once, and `opt-level = 1`: the tools
/// only drive other programs and rewrite a few files. Measured on 2 cores: 415 s for all three,
/// against about 11 min with separate builds at the default release profile.
fn cargo_install() -> Command {
    let mut c = cargo();
    c.arg("install")
        .env("CARGO_TARGET_DIR", root().join("target/tools"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "0")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "false");
    c
}

pub fn ensure() -> Result<Tools> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        step("adding the wasm32-unknown-unknown target");
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }

    let worker_build = cargo_bin("worker-build");
    let have = output(Command::new(&worker_build).arg("--version")).unwrap_or_default();
    if !have.contains(WORKER_BUILD_VERSION) {
        step(&format!(
            "installing worker-build {WORKER_BUILD_VERSION} (first time only, ~3 min)"
        ));
        run(cargo_install().args(["worker-build", "--version", WORKER_BUILD_VERSION, "--locked"]))?;
    }

    let wasm_pack = cargo_bin("wasm-pack");
    let have = output(Command::new(&wasm_pack).arg("--version")).unwrap_or_default();
    if !have.contains(WASM_PACK_VERSION) {
        step(&format!(
            "installing wasm-pack {WASM_PACK_VERSION} (first time only, ~2 min)"
        ));
        run(cargo_install().args(["wasm-pack", "--version", WASM_PACK_VERSION, "--locked"]))?;
    }

    let want = locked_wasm_bindgen()?;
    let wasm_bindgen = cargo_bin("wasm-bindgen");
    let have = output(Command::new(&wasm_bindgen).arg("--version")).unwrap_or_default();
    if !have.split_whitespace().any(|w| w == want) {
        step(&format!("installing wasm-bindgen-cli {want} (first time only, ~2 min)"));
        run(cargo_install().args(["wasm-bindgen-cli", "--version", &want, "--force"]))?;
    }

    let node_bin = root().join("node_modules/.bin");
    let stamp = root().join("node_modules/.qdn-lock");
    let lock = std::fs::read(root().join("package-lock.json")).map_err(|e| format!("package-lock.json: {e}"))?;
    let lock_hash = {
        use sha2::{Digest, Sha256};
        format!("{:x}", Sha256::digest(&lock))
    };
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(lock_hash.as_str())
        || !node_bin.join("wrangler").exists()
    {
        step("installing wrangler, wasm-opt (binaryen), esbuild and playwright-core from package-lock.json");
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(root()))?;
        std::fs::write(&stamp, lock_hash).map_err(|e| e.to_string())?;
    }
    Ok(Tools {
        wasm_bindgen,
        worker_build,
        wasm_pack,
        node_bin,
    })
}

/// Debian's Chromium for the browser tests (installed with apt-get when missing and allowed).
pub fn chromium() -> Result<PathBuf> {
    let path = PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    if path.exists() {
        return Ok(path);
    }
    apt_install("chromium", "Debian's chromium for the browser tests")?;
    path.exists()
        .then_some(path)
        .ok_or_else(|| "chromium is still missing after apt-get".into())
}

/// schemathesis (PyPI, pinned in tests/requirements.txt); returns its `st` command.
pub fn schemathesis() -> Result<PathBuf> {
    let scripts =
        output(Command::new("python3").args(["-c", "import sysconfig; print(sysconfig.get_path('scripts'))"]))
            .ok_or("python3 is needed for schemathesis")?;
    let st = PathBuf::from(scripts.trim()).join("st");
    let have = output(Command::new(&st).arg("--version")).unwrap_or_default();
    let want = std::fs::read_to_string(root().join("tests/requirements.txt")).map_err(|e| e.to_string())?;
    let pinned = want
        .lines()
        .find_map(|l| l.strip_prefix("schemathesis=="))
        .unwrap_or("")
        .trim()
        .to_string();
    if pinned.is_empty() || !have.contains(&pinned) {
        step(&format!("installing schemathesis {pinned} (PyPI)"));
        run(Command::new("python3")
            .args(["-m", "pip", "install", "-q", "-r"])
            .arg(root().join("tests/requirements.txt")))?;
    }
    Ok(st)
}

/// Installs a Debian package (with sudo when not root), refreshing the package lists once if
/// the first attempt fails.
pub fn apt_install(package: &str, what: &str) -> Result {
    step(&format!("installing {what} (apt-get install {package})"));
    let root_user = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
    let apt = |args: &[&str]| {
        let mut c = if root_user {
            Command::new("apt-get")
        } else {
            Command::new("sudo")
        };
        if !root_user {
            c.arg("apt-get");
        }
        run(c.args(args).env("DEBIAN_FRONTEND", "noninteractive"))
    };
    if apt(&["install", "-y", "-q", package]).is_err() {
        apt(&["update", "-q"])?;
        apt(&["install", "-y", "-q", package])?;
    }
    Ok(())
}

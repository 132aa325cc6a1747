//! `cargo xtask test`: every check a change must pass, ending with `N passed, N failed`.
//!
//! Static checks and unit tests first; then the page and the Worker are built, a fresh
//! `wrangler dev` (new temporary state) is started on a free port, and the HTTP tests
//! (`tests/`, Rust) and browser tests (`tests/browser/`, headless Chromium) run against it.

use std::process::{Command, Stdio};

use crate::fixture::*;
use crate::util::{cargo, root, step, Result};

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, name: &str, r: Result) {
        match r {
            Ok(()) => self.passed += 1,
            Err(e) => {
                self.failed += 1;
                self.failures.push(format!("{name}: {e}"));
            }
        }
    }

    /// Runs a test command, adding the counts its output reports.
    fn suite(&mut self, name: &str, cmd: &mut Command) {
        step(name);
        let out = cmd.stderr(Stdio::inherit()).output();
        let Ok(out) = out else {
            self.check(name, Err("could not start".into()));
            return;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        print!("{text}");
        let (p, f) = counts(&text);
        self.passed += p;
        self.failed += f;
        if !out.status.success() {
            self.failures.push(format!("{name}: exited with {}", out.status));
            if f == 0 {
                self.failed += 1; // a suite that failed before running its tests
            }
        }
    }
}

/// Sums `N passed; M failed` (cargo test) and `N passed, M failed` (the browser runner).
fn counts(text: &str) -> (usize, usize) {
    let (mut p, mut f) = (0, 0);
    for line in text.lines() {
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == ';' || c == ',')
            .filter(|w| !w.is_empty())
            .collect();
        if !(line.starts_with("test result:") || line.starts_with("browser result:")) {
            continue;
        }
        for w in words.windows(2) {
            match w[1] {
                "passed" => p += w[0].parse::<usize>().unwrap_or(0),
                "failed" => f += w[0].parse::<usize>().unwrap_or(0),
                _ => {}
            }
        }
    }
    (p, f)
}

pub fn run(args: &[String]) -> Result {
    if args.first().map(String::as_str) == Some("--http") {
        return http_only(&args[1..]);
    }
    let started = std::time::Instant::now();
    let tools = crate::tools::ensure()?;
    let mut t = Tally::default();
    if let Some(only) = only(args) {
        // While iterating: build, then one HTTP test binary or one browser file on a fresh stack.
        let built = crate::build::all(&tools);
        let build_ok = built.is_ok();
        t.check("build", built);
        if build_ok {
            if let Err(e) = focused(&tools, &mut t, &only) {
                t.check("stack", Err(e));
            }
        }
        report(&t, started);
        return if t.failed > 0 {
            Err(format!("{} failed", t.failed))
        } else {
            Ok(())
        };
    }
    static_checks(&mut t);
    t.suite(
        "unit, property and fuzz tests (qdn-shared; the pages' pure code in qdn-track-ui and qdn-dispatch-ui; xtask's own)",
        cargo()
            .args([
                "test",
                "-q",
                "-p",
                "qdn-shared",
                "-p",
                "qdn-track-ui",
                "-p",
                "qdn-dispatch-ui",
                "-p",
                "xtask",
            ])
            .current_dir(root()),
    );
    let built = crate::build::all(&tools);
    let build_ok = built.is_ok();
    t.check("build", built);
    if build_ok {
        if let Err(e) = against_stack(&tools, &mut t, args) {
            t.check("stack", Err(e));
        }
    }
    report(&t, started);
    if t.failed > 0 {
        return Err(format!("{} failed", t.failed));
    }
    Ok(())
}

/// `cargo fmt --check`, and clippy `-D warnings` on the native and the wasm32 crates.
fn static_checks(t: &mut Tally) {
    step("cargo fmt --check");
    t.check(
        "fmt",
        crate::util::run(cargo().args(["fmt", "--all", "--check"]).current_dir(root())),
    );
    for (name, crates, target) in [
        (
            "clippy (native crates)",
            ["qdn-shared", "xtask", "qdn-tests"].as_slice(),
            None,
        ),
        (
            "clippy (wasm32 crates)",
            ["qdn-edge", "qdn-intl", "qdn-track-ui", "qdn-dispatch-ui"].as_slice(),
            Some("wasm32-unknown-unknown"),
        ),
    ] {
        step(name);
        let mut c = cargo();
        c.args(["clippy", "-q"]).current_dir(root());
        for krate in crates {
            c.args(["-p", krate]);
        }
        match target {
            Some(t) => c.args(["--target", t]),
            None => c.arg("--all-targets"),
        };
        t.check(name, crate::util::run(c.args(["--", "-D", "warnings"])));
    }
}

/// The failures, the wasm sizes, and last the tally line.
fn report(t: &Tally, started: std::time::Instant) {
    eprintln!();
    for f in &t.failures {
        eprintln!("FAILED {f}");
    }
    for (name, path) in [
        ("edge", "edge/build/index_bg.wasm"),
        ("track-ui", "static/track/pkg/qdn_track_ui_bg.wasm"),
        ("dispatch-ui", "static/dispatch/pkg/qdn_dispatch_ui_bg.wasm"),
    ] {
        if let Some((raw, gz)) = crate::build::sizes(&root().join(path)) {
            eprintln!("{name} wasm: {} KB raw, {} KB gzip", raw / 1024, gz / 1024);
        }
    }
    eprintln!("cargo xtask test took {:.0}s", started.elapsed().as_secs_f64());
    println!("{} passed, {} failed", t.passed, t.failed);
}

/// The stack's whole output never shows a secret or a token (tokens start `eyJ`, the base64 of
/// `{"`; they travel in URLs, which is why request logging stays off).
fn no_secrets_in(log: &std::path::Path) -> Result {
    let text = std::fs::read_to_string(log).map_err(|e| e.to_string())?;
    for needle in [TEST_JWT_SECRET, TEST_AUTH_TOKEN, "eyJhbGci", "eyJzY29wZ"] {
        if let Some(line) = text.lines().find(|l| l.contains(needle)) {
            return Err(format!("found {needle:?} in: {}", &line[..line.len().min(200)]));
        }
    }
    Ok(())
}

/// A bounded, seeded schemathesis run: no 5xx anywhere, and every answer as documented.
/// `/notify/voice` is left out: its 501 is the contract (an HTTP test asserts it).
fn schemathesis(st: &std::path::Path, base: &str) -> Result {
    step("schemathesis: openapi.yaml against wrangler dev");
    match schemathesis_run(st, base) {
        // wrangler dev's own proxy answers 503 "Your worker restarted mid-request" for a POST or
        // PUT caught by a reload of the local runtime (its ProxyWorker; seen about once in ten
        // runs on a loaded two-core machine, never from the Worker, whose logs show nothing).
        // That is the dev server, not the API: the run is repeated once, and said so.
        Err(e) if only_dev_restarts(&e) => {
            eprintln!("    schemathesis: wrangler dev restarted mid-request (its proxy's 503); running once more");
            schemathesis_run(st, base)
        }
        r => r,
    }
}

/// Whether every failure schemathesis reported is wrangler dev's restart answer.
fn only_dev_restarts(failures: &str) -> bool {
    let restarts = failures.matches("Your worker restarted mid-request").count();
    restarts > 0 && restarts == failures.matches("Test Case ID").count()
}

fn schemathesis_run(st: &std::path::Path, base: &str) -> Result {
    let dispatch = crate::seed::mint(TEST_JWT_SECRET, qdn_shared::token::Scope::Dispatch, None, 3600);
    let out = Command::new(st)
        .args([
            "run",
            "openapi.yaml",
            "--url",
            base,
            "-H",
            &format!("Authorization: Bearer {dispatch}"),
        ])
        .args([
            "-n",
            "15",
            "--seed",
            "1",
            "--workers",
            "2",
            "--phases",
            "examples,coverage,fuzzing",
            // Reproducible from the seed alone: no examples replayed from earlier runs.
            "--generation-database",
            "none",
        ])
        .args([
            "-c",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args(["--exclude-path", "/notify/voice"])
        .current_dir(root())
        .output()
        .map_err(|e| format!("schemathesis: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let generated = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(|c: char| c.is_ascii_digit()) && l.contains(" generated"))
        .unwrap_or("")
        .trim()
        .to_string();
    eprintln!("    schemathesis: {generated}");
    if !out.status.success() {
        let failures = text.split("FAILURES").nth(1).unwrap_or(&text);
        return Err(format!(
            "schemathesis found failures:\n{}",
            failures
                .char_indices()
                .nth(4000)
                .map_or(failures, |(i, _)| &failures[..i])
        ));
    }
    Ok(())
}

/// What the HTTP and browser tests need to know of the stack (see `qdn_tests`).
fn test_env(fx: &Fixture) -> Vec<(&'static str, String)> {
    vec![
        ("QDN_BASE_URL", fx.base.clone()),
        ("QDN_JWT_SECRET", TEST_JWT_SECRET.into()),
        ("QDN_CORS_ORIGIN", TEST_CORS_ORIGIN.into()),
        ("QDN_COMPANY_NUMBER", TEST_COMPANY_NUMBER.into()),
        ("QDN_BACKUP_NUMBER", TEST_BACKUP_NUMBER.into()),
        ("QDN_BACKUP_NUMBERS", TEST_BACKUP_NUMBERS.into()),
        ("QDN_MESSAGING_SERVICE_SID", TEST_MESSAGING_SERVICE_SID.into()),
        ("QDN_TWILIO_BASE", fx.standin.base_url.clone()),
        ("QDN_TWILIO_ACCOUNT_SID", TEST_ACCOUNT_SID.into()),
        ("QDN_TWILIO_AUTH_TOKEN", TEST_AUTH_TOKEN.into()),
        ("QDN_HANDLERS", qdn_tests::DISPATCHER_PHONES.join(",")),
        ("QDN_WRANGLER_LOG", fx.log.display().to_string()),
    ]
}

/// `--only http:<test binary>` or `--only browser:<file in tests/browser>`.
fn only(args: &[String]) -> Option<String> {
    let i = args.iter().position(|a| a == "--only")?;
    args.get(i + 1).cloned()
}

fn focused(tools: &crate::tools::Tools, t: &mut Tally, only: &str) -> Result {
    let fx = Fixture::new(tools, "test-only")?;
    let _stack = fx.start(tools)?;
    let env = test_env(&fx);
    match only.split_once(':') {
        Some(("http", name)) => t.suite(
            name,
            cargo()
                .args([
                    "test",
                    "-q",
                    "-p",
                    "qdn-tests",
                    "--test",
                    name,
                    "--",
                    "--test-threads",
                    "8",
                ])
                .envs(env)
                .current_dir(root()),
        ),
        Some(("browser", file)) => t.suite(
            file,
            Command::new("node")
                .arg(root().join("tests/browser").join(file))
                .envs(env)
                .env("CHROMIUM", crate::tools::chromium()?)
                .current_dir(root()),
        ),
        _ => return Err(format!("--only takes http:<test> or browser:<file>, not {only}")),
    }
    Ok(())
}

/// `cargo xtask test --http [cargo test args]`: build, start a fresh stack and run only the HTTP
/// tests (e.g. `--http --test jobs stops`), for iterating on one feature; not a substitute for
/// the whole run.
fn http_only(args: &[String]) -> Result {
    let tools = crate::tools::ensure()?;
    crate::build::all(&tools)?;
    let fx = Fixture::new(&tools, "test")?;
    let _stack = fx.start(&tools)?;
    crate::util::run(
        cargo()
            .args(["test", "-q", "-p", "qdn-tests"])
            .args(args)
            .envs(test_env(&fx))
            .current_dir(root()),
    )
}

fn against_stack(tools: &crate::tools::Tools, t: &mut Tally, _args: &[String]) -> Result {
    let fx = Fixture::new(tools, "test")?;
    let stack = fx.start(tools)?;
    let env = test_env(&fx);
    t.suite(
        "HTTP tests (tests/, against wrangler dev)",
        cargo()
            .args([
                "test",
                "-q",
                "--no-fail-fast",
                "-p",
                "qdn-tests",
                "--",
                "--test-threads",
                "8",
            ])
            .envs(env.clone())
            .current_dir(root()),
    );
    match crate::tools::schemathesis() {
        Ok(st) => t.check(
            "schemathesis (openapi.yaml against wrangler dev)",
            schemathesis(&st, &fx.base),
        ),
        Err(e) => t.check("schemathesis", Err(e)),
    }
    match crate::tools::chromium() {
        Ok(chromium) => {
            for (name, file) in [
                (
                    "browser tests of the tracking page (tests/browser, headless Chromium)",
                    "run.mjs",
                ),
                (
                    "browser tests of the dispatcher console (tests/browser, headless Chromium)",
                    "console.mjs",
                ),
            ] {
                t.suite(
                    name,
                    Command::new("node")
                        .arg(root().join("tests/browser").join(file))
                        .envs(env.clone())
                        .env("CHROMIUM", &chromium)
                        .current_dir(root()),
                );
            }
        }
        Err(e) => t.check("browser tests", Err(e)),
    }
    let setup = crate::restart::Setup {
        tools,
        options: fx.options(),
        standin: &fx.standin.base_url,
    };
    let (restarted, stack) = crate::restart::run(stack, setup);
    t.check("restart in the middle of a cascade", restarted);
    drop(stack);
    t.check(
        "a weak or published JWT_SECRET is refused on every request",
        crate::misconfig::run(tools, &fx),
    );
    t.check("no secret or token in the wrangler dev output", no_secrets_in(&fx.log));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::only_dev_restarts;

    #[test]
    fn only_the_dev_servers_restart_answer_is_run_again() {
        let restart = "1. Test Case ID: a\n- ST101 Server error\n[503] Service Unavailable:\n    `Your worker restarted mid-request. Please try again.`\n";
        let real =
            "2. Test Case ID: b\n- ST101 Server error\n[500] Internal Server Error:\n    `{\"error\":\"internal\"}`\n";
        assert!(only_dev_restarts(restart));
        assert!(!only_dev_restarts(&format!("{restart}{real}")));
        assert!(!only_dev_restarts(real));
    }
}

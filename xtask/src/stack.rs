//! A running `wrangler dev` (workerd with local D1 and Durable Objects), stopped on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tools::Tools;
use crate::util::{root, run, step, Result};

pub struct Stack {
    child: Child,
    pub base_url: String,
}

fn wrangler(tools: &Tools) -> Command {
    let mut c = Command::new(tools.npm_bin("wrangler"));
    c.current_dir(root())
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("CI", "true")
        .stdin(Stdio::null());
    c
}

pub fn migrate(tools: &Tools, persist: &Path) -> Result {
    step("applying D1 migrations (local)");
    run(wrangler(tools)
        .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
        .arg(persist))
}

#[derive(Clone)]
pub struct Options<'a> {
    pub port: u16,
    pub persist: &'a Path,
    pub vars: &'a [(String, String)],
    /// Where wrangler's output goes; inherited when None.
    pub log: Option<PathBuf>,
    /// Wrangler's DevTools bridge, for a debugger attached through wrangler. It relays four
    /// DevTools network events per subrequest (each D1 query) through node into wrangler's debug
    /// log, which measured as half the cost of a single-fix POST, so only the bench's comparison
    /// row starts it. The worker's console output does not need it (workerd's structured logs
    /// carry it).
    pub devtools: bool,
}

impl Stack {
    pub fn start(tools: &Tools, o: Options) -> Result<Stack> {
        step(&format!("starting wrangler dev on 127.0.0.1:{}", o.port));
        let mut c = wrangler(tools);
        c.args([
            "dev",
            "--ip",
            "127.0.0.1",
            "--port",
            &o.port.to_string(),
            "--persist-to",
        ])
        .arg(o.persist)
        .args([
            "--show-interactive-dev-session=false",
            "--log-level",
            "warn",
            "--inspector-port",
            "0",
        ]);
        if !o.devtools {
            // The one switch wrangler has for it: inside VS Code's JS debug terminal it leaves
            // the runtime's inspector to VS Code and starts no bridge of its own.
            c.env("VSCODE_INSPECTOR_OPTIONS", "{}");
        }
        for (k, v) in o.vars {
            c.arg("--var").arg(format!("{k}:{v}"));
        }
        if let Some(log) = &o.log {
            // Appended to, so a restarted stack keeps the earlier output.
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .map_err(|e| e.to_string())?;
            c.stdout(f.try_clone().map_err(|e| e.to_string())?).stderr(f);
        }
        // Its own process group, so stopping it stops workerd too.
        std::os::unix::process::CommandExt::process_group(&mut c, 0);
        let child = c.spawn().map_err(|e| format!("could not start wrangler: {e}"))?;
        let mut stack = Stack {
            child,
            base_url: format!("http://127.0.0.1:{}", o.port),
        };
        stack.wait_ready(Duration::from_secs(90))?;
        Ok(stack)
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result {
        let started = Instant::now();
        let url = format!("{}/healthz", self.base_url);
        while started.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("wrangler dev exited early ({status})"));
            }
            // Any answer is a served Worker (a misconfigured one answers 503, and says why).
            let answered = match ureq::get(&url).timeout(Duration::from_secs(2)).call() {
                Ok(_) | Err(ureq::Error::Status(..)) => true,
                Err(_) => false,
            };
            if answered {
                eprintln!("    serving after {:.1}s", started.elapsed().as_secs_f64());
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Err(format!(
            "wrangler dev did not answer {url} within {}s",
            timeout.as_secs()
        ))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Blocks until wrangler exits.
    pub fn wait(&mut self) {
        let _ = self.child.wait();
    }

    pub fn stop(&mut self) {
        kill_group(self.child.id());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

pub fn kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-TERM", "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.stop();
    }
}

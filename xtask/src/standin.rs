//! The local Twilio stand-in (`tests/src/bin/twilio_standin.rs`), stopped on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{cargo, root, run, step, Result};

pub struct Standin {
    child: Child,
    pub base_url: String,
}

pub struct Account<'a> {
    pub sid: &'a str,
    pub token: &'a str,
    pub api_key: &'a str,
    pub api_secret: &'a str,
    /// A Messaging Service SID and the pool number it sends from.
    pub messaging_service: Option<(&'a str, &'a str)>,
}

impl Standin {
    pub fn start(port: u16, account: &Account, quiet: bool) -> Result<Standin> {
        step(&format!("starting the Twilio stand-in on 127.0.0.1:{port}"));
        run(cargo()
            .args(["build", "-q", "-p", "qdn-tests", "--bin", "twilio_standin"])
            .current_dir(root()))?;
        let mut c = Command::new(root().join("target/debug/twilio_standin"));
        c.args([
            "--port",
            &port.to_string(),
            "--account-sid",
            account.sid,
            "--auth-token",
            account.token,
        ])
        .args(["--api-key", account.api_key, "--api-secret", account.api_secret])
        .stdin(Stdio::null());
        if let Some((sid, number)) = account.messaging_service {
            c.args(["--messaging-service", &format!("{sid}={number}")]);
        }
        if quiet {
            c.arg("--quiet").stdout(Stdio::null());
        }
        let child = c.spawn().map_err(|e| format!("could not start the stand-in: {e}"))?;
        let mut s = Standin {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(st)) = s.child.try_wait() {
                return Err(format!("the stand-in exited ({st})"));
            }
            if ureq::get(&format!("{}/healthz", s.base_url)).call().is_ok() {
                return Ok(s);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        s.stop();
        Err("the stand-in did not start".into())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        self.stop();
    }
}

//! A fresh stack for tests and benchmarks: temporary D1/Durable Object state, the Twilio
//! stand-in, and `wrangler dev` on a free port with test configuration (never a real secret).

use std::path::PathBuf;

use qdn_tests::twilio::{message_sid, Webhooks};
use qdn_tests::DISPATCHER_PHONES;

use crate::stack::{self, Options, Stack};
use crate::standin::{Account, Standin};
use crate::tools::Tools;
use crate::util::{free_port, Result};

pub const TEST_JWT_SECRET: &str = "test-jwt-secret-7d1e0b9c4f2a6e8d3b5c7a9f1e3d5b7c";
pub const TEST_CORS_ORIGIN: &str = "https://dispatch.example.com";
pub const TEST_COMPANY_NUMBER: &str = "+15550100000";
pub const TEST_BACKUP_NUMBER: &str = "+15550100009";
/// `TWILIO_BACKUP_NUMBERS`: a second backup carrier (tried after `TEST_BACKUP_NUMBER`).
pub const TEST_BACKUP_NUMBERS: &str = "+15550100008";
/// The primary route sends through this Messaging Service; the stand-in's pool number for it
/// is the company number.
pub const TEST_MESSAGING_SERVICE_SID: &str = "MG0123456789abcdef0123456789abcdef";
pub const TEST_ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TEST_AUTH_TOKEN: &str = "test-twilio-auth-token-5e1f";

pub struct Fixture {
    name: String,
    tmp: PathBuf,
    pub persist: PathBuf,
    pub port: u16,
    pub base: String,
    pub standin: Standin,
    pub vars: Vec<(String, String)>,
    pub log: PathBuf,
}

impl Fixture {
    pub fn new(tools: &Tools, name: &str) -> Result<Fixture> {
        let tmp = std::env::temp_dir().join(format!("qdn-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
        let persist = tmp.join("state");
        stack::migrate(tools, &persist)?;
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let account = Account {
            sid: TEST_ACCOUNT_SID,
            token: TEST_AUTH_TOKEN,
            api_key: "",
            api_secret: "",
            messaging_service: Some((TEST_MESSAGING_SERVICE_SID, TEST_COMPANY_NUMBER)),
        };
        let standin = Standin::start(free_port(), &account, true)?;
        let alerts = format!("{}/_standin/alerts", standin.base_url);
        // Tiles from a server that has none: the map must not care.
        let tiles = format!("{}/tiles/{{z}}/{{x}}/{{y}}.png", standin.base_url);
        let vars = [
            ("JWT_SECRET", TEST_JWT_SECRET),
            ("PUBLIC_BASE_URL", base.as_str()),
            ("CORS_ALLOWED_ORIGINS", TEST_CORS_ORIGIN),
            ("TWILIO_NUMBER", TEST_COMPANY_NUMBER),
            ("TWILIO_BACKUP_NUMBER", TEST_BACKUP_NUMBER),
            ("TWILIO_BACKUP_NUMBERS", TEST_BACKUP_NUMBERS),
            ("TWILIO_MESSAGING_SERVICE_SID", TEST_MESSAGING_SERVICE_SID),
            ("TWILIO_ACCOUNT_SID", TEST_ACCOUNT_SID),
            ("TWILIO_AUTH_TOKEN", TEST_AUTH_TOKEN),
            ("TWILIO_API_BASE", standin.base_url.as_str()),
            ("TWILIO_TIMEOUT_MS", "1500"),
            ("PRIMARY_HANDLER_PHONE", DISPATCHER_PHONES[0]),
            ("SECONDARY_HANDLER_PHONE", DISPATCHER_PHONES[1]),
            ("BACKUP_HANDLER_PHONE", DISPATCHER_PHONES[2]),
            ("ALERT_WEBHOOK_URL", alerts.as_str()),
            ("TRACK_PAGE_VERSION", ""),
            ("TRACK_TILE_URL", tiles.as_str()),
            ("TRACK_TILE_ATTRIBUTION", "© test tiles"),
            // Injected faults (tests/tests/durability.rs); never in `cargo xtask dev`.
            ("QDN_TEST_FAULTS", "1"),
            // Finished jobs' customers are erased at every maintenance run (tests/tests/retention.rs).
            ("CUSTOMER_DATA_DAYS", "0"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let log = tmp.join("wrangler.log");
        Ok(Fixture {
            name: name.to_string(),
            tmp,
            persist,
            port,
            base,
            standin,
            vars,
            log,
        })
    }

    pub fn options(&self) -> Options<'_> {
        Options {
            port: self.port,
            persist: &self.persist,
            vars: &self.vars,
            log: Some(self.log.clone()),
            devtools: false,
        }
    }

    /// Starts `wrangler dev`; on failure prints what it said.
    pub fn start(&self, tools: &Tools) -> Result<Stack> {
        self.start_with(tools, self.options())
    }

    pub fn start_with(&self, tools: &Tools, o: Options) -> Result<Stack> {
        Stack::start(tools, o).inspect_err(|_| {
            eprintln!("{}", std::fs::read_to_string(&self.log).unwrap_or_default());
        })
    }
}

/// A text from `from` to the test stack's company number, signed as Twilio signs it.
pub fn inbound_sms(base: &str, from: &str, body: &str) -> Result {
    let hooks = Webhooks {
        base,
        auth_token: TEST_AUTH_TOKEN,
    };
    hooks
        .inbound_sms(&message_sid(), from, TEST_COMPANY_NUMBER, body)
        .map(|_| ())
        .map_err(|e| format!("inbound SMS: {e}"))
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // The stack's output outlives its state, for reading after a failure.
        let keep = crate::util::root().join("target/xtask");
        let _ = std::fs::create_dir_all(&keep);
        let _ = std::fs::copy(&self.log, keep.join(format!("wrangler-{}.log", self.name)));
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}

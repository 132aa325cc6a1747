//! `cargo xtask dev`: set up, build, seed, serve, print how to use it; Ctrl-C stops it all.

use crate::seed::{self, Demo, DEMO_DEVICE, DEMO_JOB};
use crate::stack::{self, Options, Stack};
use crate::standin::{Account, Standin};
use crate::util::{read_vars, root, step, Result};

pub fn run() -> Result {
    let tools = crate::tools::ensure()?;
    crate::build::all(&tools)?;
    let vars = dev_vars()?;
    let var = |k: &str| {
        vars.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let secret = var("JWT_SECRET");
    // The Worker would refuse every request with these; say so before starting it.
    let problems = qdn_shared::config::Config::from_lookup(&|k| Some(var(k))).problems();
    if !problems.is_empty() {
        return Err(format!(".dev.vars: {}", problems.join("; ")));
    }
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8787);
    let persist = root().join(".wrangler/state");
    stack::migrate(&tools, &persist)?;
    // A local PUBLIC_BASE_URL follows the port; a real one (a tunnel, say) is kept.
    let mut overrides = Vec::new();
    let public = var("PUBLIC_BASE_URL");
    if public.is_empty() || public.contains("127.0.0.1") || public.contains("localhost") {
        overrides.push(("PUBLIC_BASE_URL".to_string(), format!("http://127.0.0.1:{port}")));
    }
    let standin = local_standin(&var, &mut overrides)?;
    let options = Options {
        port,
        persist: &persist,
        vars: &overrides,
        log: None,
        devtools: false,
    };
    let mut stack = Stack::start(&tools, options)?;
    stop_all_on_ctrl_c(&stack, standin.as_ref())?;
    step("seeding demo data");
    let base = stack.base_url.clone();
    let demo = seed::demo(&base, &secret, &vars)?;
    print_usage(&base, &demo);
    let phone = vars
        .iter()
        .find(|(k, v)| k == "PRIMARY_HANDLER_PHONE" && !v.is_empty())
        .map_or(qdn_tests::DISPATCHER_PHONES[0], |(_, v)| v.as_str());
    print_console(&base, phone, standin.is_some());
    stack.wait();
    Ok(())
}

/// `.dev.vars`, made from `.dev.vars.example` the first time.
fn dev_vars() -> Result<Vec<(String, String)>> {
    let path = root().join(".dev.vars");
    if !path.exists() {
        step("creating .dev.vars from .dev.vars.example");
        std::fs::copy(root().join(".dev.vars.example"), &path).map_err(|e| e.to_string())?;
    }
    Ok(read_vars(&path))
}

/// A local TWILIO_API_BASE means the stand-in: it prints every text the relay sends. Its
/// alerts endpoint takes the stack's alerts unless `.dev.vars` names another.
fn local_standin(var: &dyn Fn(&str) -> String, overrides: &mut Vec<(String, String)>) -> Result<Option<Standin>> {
    let twilio_base = var("TWILIO_API_BASE");
    let Some(port) = twilio_base
        .strip_prefix("http://127.0.0.1:")
        .and_then(|p| p.trim_end_matches('/').parse::<u16>().ok())
    else {
        return Ok(None);
    };
    let (sid, token, key, secret) = (
        var("TWILIO_ACCOUNT_SID"),
        var("TWILIO_AUTH_TOKEN"),
        var("TWILIO_API_KEY"),
        var("TWILIO_API_SECRET"),
    );
    let (service, number) = (var("TWILIO_MESSAGING_SERVICE_SID"), var("TWILIO_NUMBER"));
    let account = Account {
        sid: &sid,
        token: &token,
        api_key: &key,
        api_secret: &secret,
        // The stand-in's pool for the service is the company number.
        messaging_service: (!service.is_empty()).then_some((service.as_str(), number.as_str())),
    };
    let s = Standin::start(port, &account, false)?;
    if var("ALERT_WEBHOOK_URL").is_empty() {
        overrides.push((
            "ALERT_WEBHOOK_URL".to_string(),
            format!("{}/_standin/alerts", s.base_url),
        ));
    }
    Ok(Some(s))
}

fn stop_all_on_ctrl_c(stack: &Stack, standin: Option<&Standin>) -> Result {
    let pid = stack.pid();
    let standin_pid = standin.map(|s| s.pid());
    ctrlc::set_handler(move || {
        stack::kill_group(pid);
        if let Some(p) = standin_pid {
            let _ = std::process::Command::new("kill").arg(p.to_string()).status();
        }
        std::process::exit(0);
    })
    .map_err(|e| e.to_string())
}

fn print_usage(base: &str, demo: &Demo) {
    println!(
        "\n\x1b[1mQDN stack running at {base}\x1b[0m\n\n\
         Tracking page (demo job, en route):\n  {base}/track?job_id={track}\n\n\
         Dispatch token (12 h):\n  {dispatch}\n\n\
         Demo trailer TR-1, tracker device id: {DEMO_DEVICE}\n\n\
         Post a fix (Traccar/OsmAnd protocol):\n  curl -s \"{base}/ingest/osmand?id={DEMO_DEVICE}&lat={lat:.5}&lon={lon:.5}&speed=20\"\n\n\
         Post a fix (JSON API, ingest token):\n  curl -s -X POST {base}/api/jobs/{DEMO_JOB}/location -H 'Authorization: Bearer {ingest}' -H 'Content-Type: application/json' -d \"{{\\\"lat\\\": {lat:.5}, \\\"lon\\\": {lon:.5}, \\\"recorded_at\\\": \\\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\\\", \\\"trailer_id\\\": \\\"TR-1\\\"}}\"\n\n\
         Read the location:\n  curl -s {base}/api/jobs/{track}/location\n\n\
         Relay roster (primary → secondary → backup): curl -s {base}/api/relay/roster -H 'Authorization: Bearer {dispatch}'\n\
         Relay status: curl -s {base}/relay/status -H 'Authorization: Bearer {dispatch}'\n\
         Texts the relay sends through the local Twilio stand-in are printed below.\n\n\
         Ctrl-C stops everything.",
        track = demo.track_token,
        dispatch = demo.dispatch_token,
        ingest = demo.ingest_token,
        lat = demo.next_fix.0,
        lon = demo.next_fix.1,
    );
}

/// How to sign in to the console locally: the code's text is printed by the stand-in.
fn print_console(base: &str, phone: &str, standin: bool) {
    let code_at = if standin {
        format!("the stand-in prints the text below: \"twilio stand-in: SMS … → {phone}: NNNNNN is your QDN console code…\"")
    } else {
        "it is texted through the Twilio account of .dev.vars".to_string()
    };
    println!("\n\x1b[1mDispatcher console:\x1b[0m {base}/dispatch");
    println!("  Sign in with a roster phone, e.g. {phone} (the demo roster's primary); ask for a code and");
    println!("  {code_at}.");
    println!("  Open it at exactly this address: its origin is PUBLIC_BASE_URL, and the console's changes");
    println!("  are refused from any other. Chromium and Firefox keep its Secure cookie on http://127.0.0.1.");
}

//! The Worker's configuration, read once from its vars and secrets (names as in the contract)
//! into typed fields. Pure: the caller supplies the lookup, so the rules are tested natively.

/// Where Twilio's REST API lives unless `TWILIO_API_BASE` says otherwise.
pub const TWILIO_API_BASE: &str = "https://api.twilio.com";
/// A Twilio REST call that takes longer counts as a failed send.
pub const TWILIO_TIMEOUT_MS: u64 = 8000;
/// How long a finished job keeps its customer's name, phone and thread.
pub const CUSTOMER_DATA_DAYS: u32 = 180;
/// The origin a local `wrangler dev` serves on when `PUBLIC_BASE_URL` is unset.
pub const LOCAL_BASE_URL: &str = "http://127.0.0.1:8787";
/// The shortest `JWT_SECRET` accepted: HS256 keys under the hash's 32 bytes weaken the MAC.
pub const MIN_JWT_SECRET_BYTES: usize = 32;
/// How the example secret of `.dev.vars.example` begins: published, so never for a public
/// (https) deployment, even with its tail edited.
pub const EXAMPLE_JWT_SECRET_PREFIX: &str = "dev-only-change-me";
/// "Arriving soon" goes when the ETA first drops to this many minutes.
pub const ARRIVING_SOON_MIN: f64 = 10.0;
/// An `en_route` job whose trailers sent no fix for this many minutes raises an alert.
pub const TRACKER_SILENT_MIN: u32 = 10;
/// More primary-tier failovers than this in 60 minutes raise an alert.
pub const ALERT_FAILOVER_THRESHOLD: u32 = 3;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `JWT_SECRET`: the HS256 key of every token.
    pub jwt_secret: Option<String>,
    pub twilio: Twilio,
    /// `TWILIO_NUMBER`: the company number, sender of every text and shown on the page.
    pub company_number: Option<String>,
    /// `TWILIO_BACKUP_NUMBER` then `TWILIO_BACKUP_NUMBERS` (comma-separated, one per backup
    /// carrier): the fallback senders in the order they are tried, without repeats.
    pub backup_numbers: Vec<String>,
    /// `TWILIO_MESSAGING_SERVICE_SID`: when set, the primary route sends through this Messaging
    /// Service (Twilio picks the number from its pool) instead of `From: TWILIO_NUMBER`.
    pub messaging_service_sid: Option<String>,
    /// `ALERT_FAILOVER_THRESHOLD` (default 3): more primary-tier failovers than this in 60
    /// minutes raise one alert per clock hour.
    pub alert_failover_threshold: u32,
    /// `PUBLIC_BASE_URL`, without a trailing slash: links and webhook signatures.
    pub public_base_url: String,
    /// `CORS_ALLOWED_ORIGINS`, each without a trailing slash; `*` allows any.
    pub cors_origins: Vec<String>,
    /// `PRIMARY_`, `SECONDARY_`, `BACKUP_HANDLER_PHONE`: the roster until one is stored.
    pub handler_phones: [(&'static str, Option<String>); 3],
    /// `ALERT_WEBHOOK_URL`: where alerts are posted (Slack-compatible).
    pub alert_webhook_url: Option<String>,
    pub track_page: TrackPage,
    /// `CUSTOMER_DATA_DAYS` (default 180): a finished job's customer is erased after this.
    pub customer_data_days: u32,
    /// `ARRIVING_SOON_MIN` (default 10): the customer's "arriving soon" text goes when the ETA
    /// first drops to this many minutes or less.
    pub arriving_soon_min: f64,
    /// `TRACKER_SILENT_MIN` (default 10): minutes without a fix from an `en_route` job's
    /// trailer before one alert is raised.
    pub tracker_silent_min: u32,
    /// `QDN_TEST_FAULTS=1`: honour the test stack's injected faults. Never set in production.
    pub test_faults: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Twilio {
    pub account_sid: Option<String>,
    /// Also the key of webhook signatures.
    pub auth_token: Option<String>,
    /// `TWILIO_API_KEY` + `TWILIO_API_SECRET`: used for REST calls instead of the auth token.
    pub api_key: Option<(String, String)>,
    pub api_base: String,
    pub timeout_ms: u64,
}

/// How `/track` is served.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackPage {
    /// `TRACK_PAGE_VERSION`: serve `index-<v>.html` (an id-like name only: it lands in a path).
    pub version: Option<String>,
    /// `TRACK_PAGE_CANARY_PERCENT` (0-100): the share of jobs that get that version.
    pub canary_percent: u8,
    pub tiles: Option<Tiles>,
}

/// `TRACK_TILE_URL` and `TRACK_TILE_ATTRIBUTION`: an optional raster map background.
#[derive(Debug, Clone, PartialEq)]
pub struct Tiles {
    /// An http(s) `{z}/{x}/{y}` template.
    pub url: String,
    /// Its origin, added to the page's CSP for images.
    pub origin: String,
    pub attribution: String,
}

impl Config {
    /// Reads every setting through `get`, which answers a var or secret by name; blank values
    /// count as unset.
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Config {
        let get = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let api_key = get("TWILIO_API_KEY").zip(get("TWILIO_API_SECRET"));
        Config {
            jwt_secret: get("JWT_SECRET"),
            twilio: Twilio {
                account_sid: get("TWILIO_ACCOUNT_SID"),
                auth_token: get("TWILIO_AUTH_TOKEN"),
                api_key,
                api_base: get("TWILIO_API_BASE")
                    .unwrap_or_else(|| TWILIO_API_BASE.into())
                    .trim_end_matches('/')
                    .to_string(),
                timeout_ms: get("TWILIO_TIMEOUT_MS")
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(TWILIO_TIMEOUT_MS),
            },
            company_number: get("TWILIO_NUMBER"),
            backup_numbers: backups(get("TWILIO_BACKUP_NUMBER"), get("TWILIO_BACKUP_NUMBERS")),
            messaging_service_sid: get("TWILIO_MESSAGING_SERVICE_SID"),
            alert_failover_threshold: get("ALERT_FAILOVER_THRESHOLD")
                .and_then(|t| t.parse().ok())
                .unwrap_or(ALERT_FAILOVER_THRESHOLD),
            public_base_url: get("PUBLIC_BASE_URL")
                .unwrap_or_else(|| LOCAL_BASE_URL.into())
                .trim_end_matches('/')
                .to_string(),
            cors_origins: get("CORS_ALLOWED_ORIGINS")
                .map(|s| {
                    s.split(',')
                        .map(|o| o.trim().trim_end_matches('/').to_string())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            handler_phones: [
                ("primary", get("PRIMARY_HANDLER_PHONE")),
                ("secondary", get("SECONDARY_HANDLER_PHONE")),
                ("backup", get("BACKUP_HANDLER_PHONE")),
            ],
            alert_webhook_url: get("ALERT_WEBHOOK_URL"),
            track_page: TrackPage {
                version: get("TRACK_PAGE_VERSION").filter(|v| crate::job::valid_id(v)),
                canary_percent: get("TRACK_PAGE_CANARY_PERCENT")
                    .and_then(|p| p.parse::<u64>().ok())
                    .map_or(100, |p| p.min(100) as u8),
                tiles: get("TRACK_TILE_URL").and_then(|url| Tiles::new(url, get("TRACK_TILE_ATTRIBUTION"))),
            },
            customer_data_days: get("CUSTOMER_DATA_DAYS")
                .and_then(|d| d.parse().ok())
                .unwrap_or(CUSTOMER_DATA_DAYS),
            arriving_soon_min: get("ARRIVING_SOON_MIN")
                .and_then(|m| m.parse::<f64>().ok())
                .filter(|m| m.is_finite() && *m >= 0.0 && *m <= 24.0 * 60.0)
                .unwrap_or(ARRIVING_SOON_MIN),
            tracker_silent_min: get("TRACKER_SILENT_MIN")
                .and_then(|m| m.parse::<u32>().ok())
                .filter(|m| *m > 0)
                .unwrap_or(TRACKER_SILENT_MIN),
            test_faults: get("QDN_TEST_FAULTS").as_deref() == Some("1"),
        }
    }

    /// The company number when it is a clean E.164 number (it is written into HTML).
    pub fn company_number_e164(&self) -> Option<&str> {
        self.company_number.as_deref().filter(|p| crate::phone::is_e164(p))
    }

    /// What keeps this configuration from being served, each naming its setting (never its
    /// value). The Worker answers every request with these until they are fixed.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self.jwt_secret.as_deref() {
            None => out.push("JWT_SECRET is not set; set a random secret of at least 32 bytes".into()),
            Some(s) if s.len() < MIN_JWT_SECRET_BYTES => out.push(format!(
                "JWT_SECRET is shorter than {MIN_JWT_SECRET_BYTES} bytes; set a random secret of at least {MIN_JWT_SECRET_BYTES} bytes"
            )),
            Some(s) if s.starts_with(EXAMPLE_JWT_SECRET_PREFIX) && self.public_base_url.starts_with("https://") => {
                out.push(
                    "JWT_SECRET is the published example value (.dev.vars.example) and PUBLIC_BASE_URL is https; \
                     set a secret of your own"
                        .into(),
                )
            }
            Some(_) => {}
        }
        out
    }

    /// Whether a browser page at `origin` may call the API.
    pub fn cors_allows(&self, origin: &str) -> bool {
        self.cors_origins.iter().any(|o| o == origin || o == "*")
    }
}

/// The single backup first, then the list, each number once.
fn backups(single: Option<String>, list: Option<String>) -> Vec<String> {
    let list = list.unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for n in single.into_iter().chain(list.split(',').map(|n| n.trim().to_string())) {
        if !n.is_empty() && !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

impl Tiles {
    /// Off when the template is malformed: a broken background must never break the page.
    fn new(url: String, attribution: Option<String>) -> Option<Tiles> {
        let (scheme, rest) = url.split_once("://")?;
        let ok = ["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p))
            && !url.contains(['"', '<', '>', '\'', ' ', ';', ','])
            && matches!(scheme, "https" | "http");
        let origin = format!("{scheme}://{}", rest.split('/').next()?);
        ok.then(|| Tiles {
            url,
            origin,
            attribution: attribution.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Config {
        Config::from_lookup(&|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let c = config(&[]);
        assert_eq!(c.public_base_url, LOCAL_BASE_URL);
        assert_eq!(c.twilio.api_base, TWILIO_API_BASE);
        assert_eq!(c.twilio.timeout_ms, 8000);
        assert_eq!(c.track_page.canary_percent, 100);
        assert_eq!(c.customer_data_days, 180);
        assert!(!c.test_faults, "faults are for the test stack only");
        assert_eq!(c.alert_failover_threshold, 3);
        assert_eq!((c.arriving_soon_min, c.tracker_silent_min), (10.0, 10));
        assert!(c.backup_numbers.is_empty() && c.messaging_service_sid.is_none());
        assert!(c.jwt_secret.is_none() && c.cors_origins.is_empty() && c.track_page.tiles.is_none());
    }

    #[test]
    fn arrival_minutes_are_read_and_nonsense_falls_back_to_the_default() {
        let c = config(&[("ARRIVING_SOON_MIN", "7.5"), ("TRACKER_SILENT_MIN", "20")]);
        assert_eq!((c.arriving_soon_min, c.tracker_silent_min), (7.5, 20));
        let c = config(&[("ARRIVING_SOON_MIN", "-1"), ("TRACKER_SILENT_MIN", "0")]);
        assert_eq!((c.arriving_soon_min, c.tracker_silent_min), (10.0, 10));
        assert_eq!(config(&[("ARRIVING_SOON_MIN", "NaN")]).arriving_soon_min, 10.0);
    }

    #[test]
    fn values_are_trimmed_and_blank_is_unset() {
        let c = config(&[
            ("PUBLIC_BASE_URL", " https://quickdumpnow.com/ "),
            ("TWILIO_NUMBER", "  "),
            ("CORS_ALLOWED_ORIGINS", "https://a.example/, ,https://b.example"),
            ("TWILIO_API_BASE", "http://127.0.0.1:8788/"),
        ]);
        assert_eq!(c.public_base_url, "https://quickdumpnow.com");
        assert_eq!(c.company_number, None);
        assert_eq!(c.cors_origins, ["https://a.example", "https://b.example"]);
        assert!(c.cors_allows("https://b.example") && !c.cors_allows("https://c.example"));
        assert_eq!(c.twilio.api_base, "http://127.0.0.1:8788");
    }

    #[test]
    fn a_weak_or_published_jwt_secret_is_a_problem_that_names_no_value() {
        let good = "k".repeat(MIN_JWT_SECRET_BYTES);
        assert!(config(&[("JWT_SECRET", &good)]).problems().is_empty());
        let short = "k".repeat(MIN_JWT_SECRET_BYTES - 1);
        let p = config(&[("JWT_SECRET", &short)]).problems();
        assert!(
            p.len() == 1 && p[0].starts_with("JWT_SECRET is shorter than 32 bytes"),
            "{p:?}"
        );
        assert!(!p[0].contains(&short));
        assert!(config(&[("JWT_SECRET", "  ")]).problems()[0].contains("not set"));
        // The example's own value: fine locally, refused behind https.
        let example = example_secret();
        assert!(example.len() >= MIN_JWT_SECRET_BYTES, "the example must work locally");
        let local = [
            ("JWT_SECRET", example.as_str()),
            ("PUBLIC_BASE_URL", "http://127.0.0.1:8787"),
        ];
        assert!(config(&local).problems().is_empty());
        for public in ["https://quickdumpnow.com", " https://track.example.com/ "] {
            let p = config(&[("JWT_SECRET", example.as_str()), ("PUBLIC_BASE_URL", public)]).problems();
            assert!(p.len() == 1 && p[0].contains("example"), "{public}: {p:?}");
            assert!(!p[0].contains(&example));
        }
        let edited = format!("{EXAMPLE_JWT_SECRET_PREFIX}-but-edited-0000000000000000");
        let p = config(&[
            ("JWT_SECRET", edited.as_str()),
            ("PUBLIC_BASE_URL", "https://a.example"),
        ])
        .problems();
        assert_eq!(p.len(), 1);
    }

    /// The value `cargo xtask dev` copies into `.dev.vars`.
    fn example_secret() -> String {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../.dev.vars.example")).unwrap();
        let v = text.lines().find_map(|l| l.strip_prefix("JWT_SECRET=")).unwrap().trim();
        assert!(v.starts_with(EXAMPLE_JWT_SECRET_PREFIX), "{v}");
        v.to_string()
    }

    #[test]
    fn backup_senders_single_first_then_the_list_without_repeats() {
        let c = config(&[
            ("TWILIO_BACKUP_NUMBER", "+15550100009"),
            ("TWILIO_BACKUP_NUMBERS", " +15550100008, ,+15550100009,+15550100007 "),
        ]);
        assert_eq!(c.backup_numbers, ["+15550100009", "+15550100008", "+15550100007"]);
        let c = config(&[("TWILIO_BACKUP_NUMBERS", "+15550100008,+15550100007")]);
        assert_eq!(c.backup_numbers, ["+15550100008", "+15550100007"]);
        assert_eq!(
            config(&[("TWILIO_BACKUP_NUMBER", "+15550100009")]).backup_numbers,
            ["+15550100009"]
        );
    }

    #[test]
    fn messaging_service_and_failover_threshold() {
        let c = config(&[
            ("TWILIO_MESSAGING_SERVICE_SID", " MG0123 "),
            ("ALERT_FAILOVER_THRESHOLD", "5"),
        ]);
        assert_eq!(
            (c.messaging_service_sid.as_deref(), c.alert_failover_threshold),
            (Some("MG0123"), 5)
        );
        assert_eq!(
            config(&[("ALERT_FAILOVER_THRESHOLD", "-1")]).alert_failover_threshold,
            3
        );
    }

    #[test]
    fn an_api_key_needs_both_halves() {
        assert_eq!(config(&[("TWILIO_API_KEY", "SK1")]).twilio.api_key, None);
        assert_eq!(
            config(&[("TWILIO_API_KEY", "SK1"), ("TWILIO_API_SECRET", "s")])
                .twilio
                .api_key,
            Some(("SK1".into(), "s".into()))
        );
    }

    #[test]
    fn page_versions_and_canaries_are_bounded() {
        let c = config(&[("TRACK_PAGE_VERSION", "../x"), ("TRACK_PAGE_CANARY_PERCENT", "250")]);
        assert_eq!(c.track_page.version, None, "a version lands in a path: ids only");
        assert_eq!(c.track_page.canary_percent, 100);
        let c = config(&[("TRACK_PAGE_VERSION", "v2"), ("TRACK_PAGE_CANARY_PERCENT", "x")]);
        assert_eq!(
            (c.track_page.version.as_deref(), c.track_page.canary_percent),
            (Some("v2"), 100)
        );
    }

    #[test]
    fn tiles_only_from_a_clean_template() {
        let c = config(&[
            ("TRACK_TILE_URL", "https://tile.example.org/{z}/{x}/{y}.png"),
            ("TRACK_TILE_ATTRIBUTION", "© OSM"),
        ]);
        let t = c.track_page.tiles.unwrap();
        assert_eq!(
            (t.origin.as_str(), t.attribution.as_str()),
            ("https://tile.example.org", "© OSM")
        );
        for bad in [
            "ftp://tile.example.org/{z}/{x}/{y}.png",
            "https://tile.example.org/{z}/{x}.png",
            "https://tile.example.org/{z}/{x}/{y}.png\"><script>",
            "tile.example.org/{z}/{x}/{y}",
        ] {
            assert_eq!(config(&[("TRACK_TILE_URL", bad)]).track_page.tiles, None, "{bad}");
        }
    }
}

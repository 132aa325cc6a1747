//! Health, the page rewrite and static files, errors for unknown routes, CORS.

use qdn_tests::*;

#[test]
fn healthz() {
    let r = req("GET", "/healthz").send();
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), serde_json::json!({"ok": true}));
}

#[test]
fn the_track_paths_serve_the_page_with_safe_headers() {
    for path in ["/track", "/track/", "/track?job_id=abc.def.ghi"] {
        let r = req("GET", path).send();
        assert_eq!(r.status, 200, "{path}");
        assert!(r.header("content-type").unwrap().starts_with("text/html"), "{path}");
        assert!(r.body.contains("/track/boot.js"), "{path}");
        assert_eq!(r.header("referrer-policy").as_deref(), Some("no-referrer"));
        assert_eq!(r.header("x-content-type-options").as_deref(), Some("nosniff"));
        let csp = r.header("content-security-policy").unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"),
            "{csp}"
        );
        // The configured tile server's origin, and nothing else, is added for images.
        assert!(
            csp.contains(&format!("img-src 'self' data: {};", standin_base())),
            "{csp}"
        );
        assert!(r.body.contains("/tiles/{z}/{x}/{y}.png"));
        // The company number is filled in for people whose link fails.
        assert!(r.body.contains(&env_or("QDN_COMPANY_NUMBER", "+15550100000")));
    }
}

#[test]
fn static_files_have_their_types() {
    let wasm = req("GET", "/track/pkg/qdn_track_ui_bg.wasm").send();
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.header("content-type").as_deref(), Some("application/wasm"));
    let js = req("GET", "/track/pkg/qdn_track_ui.js").send();
    assert!(js.header("content-type").unwrap().contains("javascript"));
    let css = req("GET", "/track/track.css").send();
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
}

#[test]
fn unknown_routes_and_methods_are_json() {
    req("GET", "/api/nothing-here").send().expect_error(404, "not_found");
    req("GET", "/sms/whatever/else").send().expect_error(404, "not_found");
    let r = req("DELETE", "/api/jobs");
    let r = r.send();
    r.expect_error(405, "method_not_allowed");
    assert_eq!(r.header("allow").as_deref(), Some("GET, POST"));
    req("POST", "/healthz").send().expect_error(405, "method_not_allowed");
}

#[test]
fn cors_allows_only_listed_origins() {
    let allowed = env_or("QDN_CORS_ORIGIN", "https://dispatch.example.com");
    let pre = req("OPTIONS", "/api/jobs")
        .header("Origin", &allowed)
        .header("Access-Control-Request-Method", "POST")
        .send();
    assert_eq!(pre.status, 204);
    assert_eq!(pre.header("access-control-allow-origin"), Some(allowed.clone()));
    assert!(pre
        .header("access-control-allow-headers")
        .unwrap()
        .contains("Authorization"));
    assert!(pre.header("vary").unwrap().contains("Origin"));

    let foreign = req("OPTIONS", "/api/jobs")
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send();
    assert_eq!(foreign.status, 403);
    assert!(foreign.header("access-control-allow-origin").is_none());

    let get = req("GET", "/api/jobs/x.y.z/location").header("Origin", &allowed).send();
    assert_eq!(get.header("access-control-allow-origin"), Some(allowed));
    assert!(get.header("vary").unwrap().contains("Origin"));
    let get = req("GET", "/api/jobs/x.y.z/location")
        .header("Origin", "https://evil.example")
        .send();
    assert!(get.header("access-control-allow-origin").is_none());
    assert!(get.header("vary").unwrap().contains("Origin"));
    let notify = req("OPTIONS", "/notify/sms")
        .header("Origin", "https://evil.example")
        .send();
    assert!(notify.header("access-control-allow-origin").is_none());
}

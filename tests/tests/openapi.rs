//! `openapi.yaml` stays true: every documented operation is served, and every path the router
//! serves is documented.

use qdn_tests::*;

/// (method, path) of each operation, read from the file's `paths:` section. A path written as
/// a YAML alias of another (`/ingest/osmand/: *ingest_osmand`) has that path's operations.
fn operations() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml")).unwrap();
    let paths = text.split("\npaths:\n").nth(1).expect("a paths section");
    let mut out: Vec<(String, String)> = Vec::new();
    let mut anchors: Vec<(String, String)> = Vec::new();
    let mut current = None;
    for line in paths.lines() {
        if let Some(p) = line.strip_prefix("  /") {
            let (path, node) = p.split_once(':').unwrap_or((p, ""));
            let path = format!("/{path}");
            let node = node.trim();
            if let Some(anchor) = node.strip_prefix('&') {
                anchors.push((anchor.to_string(), path.clone()));
            } else if let Some(alias) = node.strip_prefix('*') {
                let (_, of) = anchors.iter().find(|(a, _)| a == alias).expect("an anchored path");
                let methods: Vec<String> = out.iter().filter(|(_, p)| p == of).map(|(m, _)| m.clone()).collect();
                out.extend(methods.into_iter().map(|m| (m, path.clone())));
            }
            current = Some(path);
        } else if let (Some(p), Some(m)) = (&current, line.strip_prefix("    ")) {
            let m = m.trim_end_matches(':');
            if ["get", "post", "put", "patch", "delete"].contains(&m) {
                out.push((m.to_uppercase(), p.clone()));
            }
        }
    }
    out
}

#[test]
fn every_documented_operation_is_served() {
    let ops = operations();
    assert!(ops.len() >= 25, "only {} operations found", ops.len());
    for (method, path) in ops {
        let concrete = path
            .replace("{key}", "job_nope")
            .replace("{trailer_id}", "TRnope")
            .replace("{dispatcher_id}", "nobody");
        let r = req(&method, &concrete).body("application/json", "{}");
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
        assert!(
            !(r.status == 404 && v["message"] == "no such endpoint") && r.status != 405,
            "{method} {path} is documented but not served: {} {}",
            r.status,
            r.body
        );
        assert!(r.status < 500, "{method} {path}: {} {}", r.status, r.body);
    }
}

#[test]
fn every_served_path_is_documented() {
    let router = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../edge/src/router.rs")).unwrap();
    let documented: Vec<String> = operations().into_iter().map(|(_, p)| p).collect();
    // Literal segments of each route pattern, e.g. ["api", "jobs", key, "location"].
    for line in router.lines().map(str::trim).filter(|l| l.starts_with("[\"")) {
        let pattern = line.split("=>").next().unwrap().split('|').next().unwrap().trim();
        let segs: Vec<&str> = pattern.trim_matches(|c| c == '[' || c == ']').split(", ").collect();
        let fits = |p: &str| {
            let ps: Vec<&str> = p.trim_start_matches('/').split('/').collect();
            ps.len() == segs.len()
                && ps.iter().zip(&segs).all(|(a, b)| {
                    if b.starts_with('"') {
                        b.trim_matches('"') == *a || b.trim_matches('"').is_empty()
                    } else {
                        true
                    }
                })
        };
        assert!(
            documented.iter().any(|p| fits(p)) || pattern.contains("\"\""),
            "route {pattern} is not in openapi.yaml"
        );
    }
}

//! Bodies are read with a hard cap whatever their framing: a chunked body past it is a 413 on
//! the endpoints anyone can reach.
//!
//! In a binary of its own: an answer before the body's end can trip `wrangler dev`'s proxy into a
//! 503 of its own for the next request through it, which must not hit the other suites' tests
//! running in parallel.

use qdn_tests::*;

/// A raw HTTP/1.1 POST with a chunked body of `total` bytes in 16 KB chunks; the status and body
/// of the answer (status 0 if none came within 15 s).
fn chunked(path: &str, headers: &[(&str, &str)], total: usize) -> (u16, String) {
    use std::io::{Read, Write};
    let host = base().trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(&host).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(15))).unwrap();
    let mut out =
        format!("POST {path} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    let mut left = total;
    while left > 0 {
        let n = left.min(16 * 1024);
        out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        out.extend(std::iter::repeat_n(b'a', n));
        out.extend_from_slice(b"\r\n");
        left -= n;
    }
    out.extend_from_slice(b"0\r\n\r\n");
    s.write_all(&out).unwrap();
    // Read the answer by its own framing: the server need not close while the body is open.
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    let (head, body) = loop {
        let n = s.read(&mut buf).unwrap_or(0);
        answer.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&answer).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let lower = head.to_ascii_lowercase();
            let length = lower
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|l| l.trim().parse::<usize>().ok());
            let done = match length {
                Some(len) => body.len() >= len,
                None => body.ends_with("0\r\n\r\n"),
            };
            if done || n == 0 {
                break (head.to_string(), body.to_string());
            }
        } else if n == 0 {
            break (text, String::new());
        }
    };
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, body)
}

/// `wrangler dev` puts a proxy in front of the Worker (Cloudflare does not): when the Worker
/// answers before the proxy has forwarded the whole request body, the proxy's forwarding may
/// fail and it answers this 503 itself.
fn dev_proxy_artifact(status: u16, body: &str) -> bool {
    status == 503 && body.contains("restarted mid-request")
}

#[test]
fn a_chunked_body_past_the_cap_is_refused_on_the_open_endpoints() {
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    // One byte more than the cap: the Worker must read all that was sent to refuse it, so it
    // answers once the proxy has forwarded (nearly) everything.
    let past_the_cap = 256 * 1024 + 1;
    for (path, headers) in [
        ("/ingest/osmand", vec![form]),
        // The signature is checked over the body's parameters, so the body is read first.
        (
            "/sms/inbound",
            vec![form, ("X-Twilio-Signature", "bm90LWEtc2lnbmF0dXJl")],
        ),
        ("/ingest/osmand", vec![("Content-Type", "application/json")]),
    ] {
        let answer = (0..5)
            .map(|_| chunked(path, &headers, past_the_cap))
            .find(|(status, body)| !dev_proxy_artifact(*status, body));
        let (status, body) = answer.unwrap_or_else(|| panic!("{path}: only the dev proxy's 503 in 5 tries"));
        assert_eq!(status, 413, "{path}: {body}");
        assert!(body.contains("body_too_large"), "{path}: {body}");
    }
    // Just under the cap, chunked, is read whole: the answer is about its content.
    let (status, body) = (0..5)
        .map(|_| chunked("/ingest/osmand", &[form], 256 * 1024))
        .find(|(status, body)| !dev_proxy_artifact(*status, body))
        .expect("only the dev proxy's 503 in 5 tries");
    assert_eq!(status, 400, "{body}");
    assert!(!body.contains("body_too_large"), "{body}");
}

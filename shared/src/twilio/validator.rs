//! `X-Twilio-Signature`, checked as twilio-python's `RequestValidator.validate`
//! (`twilio/request_validator.py`) and twilio-node's `validateRequest` /
//! `validateRequestWithBody` (`src/webhooks/webhooks.ts`) check it: a request either library
//! accepts is accepted here, and nothing else.
//!
//! The signature is base64(HMAC-SHA1(auth token, URL + each parameter name followed by its
//! value)), names sorted, a repeated name's values deduplicated and sorted. Twilio signs the URL
//! as it called it, which proxies and frameworks rewrite: both libraries therefore try the URL
//! with its port removed and with the scheme's default port added, and twilio-node also the
//! URL in WHATWG form and with its query re-encoded by Node's legacy `querystring`.
//! A JSON body is not signed itself: Twilio adds `bodySHA256` (hex SHA-256 of the body) to the
//! URL and signs the URL alone.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// What Twilio POSTed.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// `application/x-www-form-urlencoded`, parsed in order (see [`super::parse_form`]).
    Form(&'a [(String, String)]),
    /// Any other body (JSON), as received; signed through the URL's `bodySHA256`.
    Raw(&'a [u8]),
}

/// Parameters grouped by name, each name's values deduplicated and sorted, names sorted.
fn grouped(params: &[(String, String)]) -> Vec<(&str, Vec<&str>)> {
    let mut by_name: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for (k, v) in params {
        by_name.entry(k).or_default().push(v);
    }
    by_name
        .into_iter()
        .map(|(k, mut vs)| {
            vs.sort_unstable();
            vs.dedup();
            (k, vs)
        })
        .collect()
}

/// The same, sorted by UTF-16 code units as JavaScript's `Array.prototype.sort` does; it differs
/// from code-point order only for characters above U+FFFF.
fn grouped_utf16(params: &[(String, String)]) -> Vec<(&str, Vec<&str>)> {
    let key = |s: &str| s.encode_utf16().collect::<Vec<u16>>();
    let mut g = grouped(params);
    g.sort_by_cached_key(|(k, _)| key(k));
    for (_, vs) in &mut g {
        vs.sort_by_cached_key(|v| key(v));
    }
    g
}

fn mac(auth_token: &str, url: &str, grouped: &[(&str, Vec<&str>)]) -> Hmac<Sha1> {
    let mut m = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key length");
    m.update(url.as_bytes());
    for (k, vs) in grouped {
        for v in vs {
            m.update(k.as_bytes());
            m.update(v.as_bytes());
        }
    }
    m
}

/// `X-Twilio-Signature` for a request to `url` with form `params` (twilio-python's
/// `compute_signature`).
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    STANDARD.encode(mac(auth_token, url, &grouped(params)).finalize().into_bytes())
}

/// Hex SHA-256 of a body, as Twilio puts it in `bodySHA256`.
pub fn body_sha256(body: &[u8]) -> String {
    Sha256::digest(body).iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks `provided` (the `X-Twilio-Signature` header) for a request to `url` (the public URL
/// with the query as received) carrying `body`. Constant time in the signature.
pub fn validate(auth_token: &str, url: &str, body: Body<'_>, provided: &str) -> bool {
    // Exactly the header's bytes, as both libraries compare strings: no trimming.
    let Ok(sig) = STANDARD.decode(provided) else {
        return false;
    };
    let params: &[(String, String)] = match body {
        Body::Form(params) => params,
        Body::Raw(raw) => match query_param(url, "bodySHA256") {
            Some(hash) if hash == body_sha256(raw) => &[],
            _ => return false,
        },
    };
    let mut orders = vec![grouped(params)];
    let utf16 = grouped_utf16(params);
    if utf16 != orders[0] {
        orders.push(utf16);
    }
    candidate_urls(url)
        .iter()
        .any(|u| orders.iter().any(|g| mac(auth_token, u, g).verify_slice(&sig).is_ok()))
}

/// A query parameter's first value, decoded (Python's `parse_qs`, WHATWG's `searchParams`).
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or("");
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Every form of `url` that twilio-python or twilio-node signs a request against.
pub fn candidate_urls(url: &str) -> Vec<String> {
    let mut out = Vec::with_capacity(6);
    let mut push = |u: String| {
        if !out.contains(&u) {
            out.push(u);
        }
    };
    if let Some(parts) = RawUrl::split(url) {
        push(parts.without_port());
        push(parts.with_port());
    } else {
        push(url.to_string());
    }
    if let Ok(parsed) = url::Url::parse(url) {
        let without = node_remove_port(&parsed);
        let with = node_add_port(&parsed);
        for u in [without, with] {
            let legacy = node_legacy_querystring(&u);
            push(u);
            if let Some(l) = legacy {
                push(l);
            }
        }
    }
    out
}

/// A URL cut as Python's `urlparse` cuts it, enough for `add_port` / `remove_port` and the
/// `geturl()` that serializes their result (which drops an empty query or fragment).
struct RawUrl<'a> {
    scheme: String,
    userinfo: Option<&'a str>,
    host: &'a str,
    port: Option<&'a str>,
    rest: String,
}

impl<'a> RawUrl<'a> {
    fn split(url: &'a str) -> Option<Self> {
        let (scheme, after) = url.split_once("://")?;
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let (netloc, rest) = after.split_at(end);
        let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut rest = path.to_string();
        for (mark, part) in [('?', query), ('#', fragment)] {
            if !part.is_empty() {
                rest.push(mark);
                rest.push_str(part);
            }
        }
        let (userinfo, hostport) = match netloc.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, netloc),
        };
        let colon = if hostport.starts_with('[') {
            hostport.find(']').and_then(|i| hostport[i..].find(':').map(|j| i + j))
        } else {
            hostport.rfind(':')
        };
        let (host, port) = match colon {
            // Python's `.port` is None for an empty port ("host:").
            Some(i) if i + 1 < hostport.len() => (&hostport[..i], Some(&hostport[i + 1..])),
            Some(i) => (&hostport[..i], None),
            None => (hostport, None),
        };
        Some(RawUrl {
            scheme: scheme.to_ascii_lowercase(),
            userinfo,
            host,
            port,
            rest,
        })
    }

    fn build(&self, port: Option<&str>) -> String {
        let user = self.userinfo.map(|u| format!("{u}@")).unwrap_or_default();
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        format!("{}://{user}{}{port}{}", self.scheme, self.host, self.rest)
    }

    fn without_port(&self) -> String {
        self.build(None)
    }

    fn with_port(&self) -> String {
        match self.port {
            Some(p) => self.build(Some(p)),
            None => self.build(Some(if self.scheme == "https" { "443" } else { "80" })),
        }
    }
}

/// twilio-node `removePort`: the WHATWG serialization without any port.
fn node_remove_port(u: &url::Url) -> String {
    let mut u = u.clone();
    // Fails only for URLs that cannot have a port, which then have none to remove.
    let _ = u.set_port(None);
    u.to_string()
}

/// twilio-node `addPort`: a URL without a port (WHATWG drops a default one) gets the scheme's
/// default written out (`:443` for https, `:80` for anything else), built from its parts.
fn node_add_port(u: &url::Url) -> String {
    if u.port().is_some() {
        return u.to_string();
    }
    let port = if u.scheme() == "https" { ":443" } else { ":80" };
    let mut s = format!("{}://", u.scheme());
    s.push_str(u.username());
    if let Some(p) = u.password() {
        s.push(':');
        s.push_str(p);
    }
    if !u.username().is_empty() || u.password().is_some() {
        s.push('@');
    }
    if let Some(h) = u.host_str() {
        s.push_str(h);
        s.push_str(port);
    }
    s.push_str(u.path());
    if let Some(q) = u.query().filter(|q| !q.is_empty()) {
        s.push('?');
        s.push_str(q);
    }
    if let Some(f) = u.fragment().filter(|f| !f.is_empty()) {
        s.push('#');
        s.push_str(f);
    }
    s
}

/// twilio-node `withLegacyQuerystring`: the URL re-parsed (a default port is dropped again),
/// its query removed, then `"?" + querystring.stringify(querystring.parse(query))` appended.
fn node_legacy_querystring(url: &str) -> Option<String> {
    let mut u = url::Url::parse(url).ok()?;
    let query = u.query().filter(|q| !q.is_empty())?.to_string();
    u.set_query(None);
    Some(format!("{u}?{}", node_qs::stringify(&node_qs::parse(&query))))
}

/// Node's legacy `querystring` module, as far as twilio-node's re-encoding uses it.
mod node_qs {
    /// `querystring.parse` with its defaults (`&`, `=`, 1000 keys): `+` is a space, `%XX` is
    /// decoded (a malformed escape stays as it is), repeated keys collect their values, and the
    /// result's keys come in JavaScript object order.
    pub fn parse(query: &str) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for piece in query.split('&').take(1000) {
            if piece.is_empty() {
                continue;
            }
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            let (k, v) = (unescape(k), unescape(v));
            match out.iter_mut().find(|(key, _)| *key == k) {
                Some((_, vs)) => vs.push(v),
                None => out.push((k, vec![v])),
            }
        }
        // Integer-like keys (array indices) come first, ascending, as in any JS object.
        let index = |k: &str| -> Option<u32> {
            let n: u32 = k.parse().ok()?;
            (n.to_string() == k && n != u32::MAX).then_some(n)
        };
        out.sort_by_key(|(k, _)| index(k).map_or((1, 0), |n| (0, n)));
        out
    }

    fn unescape(s: &str) -> String {
        let spaced = s.replace('+', " ");
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8_lossy()
            .into_owned()
    }

    /// `querystring.stringify`: `key=value` pairs joined with `&`, a repeated key once per
    /// value, escaped as `encodeURIComponent` escapes.
    pub fn stringify(pairs: &[(String, Vec<String>)]) -> String {
        let mut parts = Vec::new();
        for (k, vs) in pairs {
            for v in vs {
                parts.push(format!("{}={}", escape(k), escape(v)));
            }
        }
        parts.join("&")
    }

    fn escape(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;

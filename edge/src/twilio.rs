//! Twilio: the REST client (sending texts, finding a send after a restart) and the webhook
//! signature check. Only fields Twilio's Messages API defines are sent.

use std::time::Duration;

use futures_util::future::{select, Either};
use qdn_shared::twilio::{self, SendAnswer};
use worker::{AbortController, Delay, Env, Fetch, Headers, Method, Request, RequestInit};

use crate::config::Config;
use crate::error::{AppError, AppResult};

/// Who a text is sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender<'a> {
    /// `From`: one of our numbers.
    From(&'a str),
    /// `MessagingServiceSid`: Twilio picks the number from the service's pool.
    Service(&'a str),
}

impl<'a> Sender<'a> {
    /// The primary route: the Messaging Service when one is configured, else the company number.
    pub fn primary(cfg: &'a Config) -> AppResult<Sender<'a>> {
        match cfg.messaging_service_sid.as_deref() {
            Some(sid) => Ok(Sender::Service(sid)),
            None => crate::config::require(&cfg.company_number, "TWILIO_NUMBER").map(Sender::From),
        }
    }

    /// The number or service SID, as recorded with a send.
    pub fn as_str(&self) -> &'a str {
        match *self {
            Sender::From(n) | Sender::Service(n) => n,
        }
    }
}

pub struct Client {
    base: String,
    account_sid: String,
    auth: String,
    timeout: Duration,
}

impl Client {
    pub fn new(cfg: &Config) -> AppResult<Client> {
        let t = &cfg.twilio;
        let account_sid = crate::config::require(&t.account_sid, "TWILIO_ACCOUNT_SID")?;
        // An API key pair, when set, is used instead of the auth token.
        let (user, pass) = match &t.api_key {
            Some((k, s)) => (k.as_str(), s.as_str()),
            None => (account_sid, crate::config::require(&t.auth_token, "TWILIO_AUTH_TOKEN")?),
        };
        let auth = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("{user}:{pass}"));
        Ok(Client {
            base: t.api_base.clone(),
            account_sid: account_sid.to_string(),
            auth,
            timeout: Duration::from_millis(t.timeout_ms),
        })
    }

    fn messages_url(&self) -> String {
        format!("{}/2010-04-01/Accounts/{}/Messages.json", self.base, self.account_sid)
    }

    /// `POST Messages.json`: `To`, `From` or `MessagingServiceSid`, `Body`, `StatusCallback`.
    pub async fn send_sms(&self, to: &str, from: Sender<'_>, body: &str, status_callback: Option<&str>) -> SendAnswer {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("To", to);
        match from {
            Sender::From(n) => form.append_pair("From", n),
            Sender::Service(sid) => form.append_pair("MessagingServiceSid", sid),
        };
        form.append_pair("Body", body);
        if let Some(cb) = status_callback {
            form.append_pair("StatusCallback", cb);
        }
        match self.call(Method::Post, &self.messages_url(), Some(form.finish())).await {
            Some((status, text)) => twilio::classify(status, &text),
            None => SendAnswer::Failed { code: None },
        }
    }

    /// The SID of the relayed text of `reference` sent to `to` as `from`, if Twilio has one:
    /// tells a send lost in a restart from one that went out. The relayed text starts with
    /// `#REF `, so `#K7Q2` never matches `#K7Q2AB`. A Messaging Service's number is Twilio's
    /// pick, so then only `To` narrows the list.
    pub async fn find_sent(&self, to: &str, from: Sender<'_>, reference: &str) -> Option<Option<String>> {
        let prefix = format!("#{reference} ");
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("To", to);
        if let Sender::From(n) = from {
            query.append_pair("From", n);
        }
        let query = query.finish();
        let (status, text) = self
            .call(Method::Get, &format!("{}?{query}", self.messages_url()), None)
            .await?;
        if status != 200 {
            return None;
        }
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        let found = v["messages"]
            .as_array()?
            .iter()
            .find(|m| m["body"].as_str().is_some_and(|b| b.starts_with(&prefix)));
        Some(found.and_then(|m| m["sid"].as_str().map(str::to_string)))
    }

    /// One request with the client timeout; `None` if it failed or timed out.
    async fn call(&self, method: Method, url: &str, form: Option<String>) -> Option<(u16, String)> {
        let headers = Headers::new();
        headers.set("Authorization", &format!("Basic {}", self.auth)).ok()?;
        headers.set("Accept", "application/json").ok()?;
        if form.is_some() {
            headers.set("Content-Type", "application/x-www-form-urlencoded").ok()?;
        }
        let controller = AbortController::default();
        let signal = controller.signal();
        let mut init = RequestInit::new();
        init.with_method(method)
            .with_headers(headers)
            .with_body(form.map(Into::into));
        let req = Request::new_with_init(url, &init).ok()?;
        let fetch = Box::pin(async move {
            let mut resp = Fetch::Request(req).send_with_signal(&signal).await.ok()?;
            let status = resp.status_code();
            Some((status, resp.text().await.unwrap_or_default()))
        });
        match select(fetch, Box::pin(Delay::from(self.timeout))).await {
            Either::Left((r, _)) => r,
            Either::Right(_) => {
                controller.abort();
                worker::console_warn!("twilio: no answer within {} ms", self.timeout.as_millis());
                None
            }
        }
    }
}

/// Reads a webhook's form body after checking `X-Twilio-Signature` over `PUBLIC_BASE_URL` +
/// path + query, as twilio-python and twilio-node check it: a missing or wrong signature is a
/// 403 and the body is not used. A body that is not a form (JSON) is checked through the URL's
/// `bodySHA256`, as Twilio signs those; every webhook we serve takes a form, so a correctly
/// signed JSON body is then a 415, not a 403 (the signature was right, the format is not ours).
pub async fn verified_form(req: &mut Request, env: &Env) -> AppResult<Vec<(String, String)>> {
    let cfg = crate::config::get(env);
    let token = crate::config::require(&cfg.twilio.auth_token, "TWILIO_AUTH_TOKEN")?;
    let signature = crate::http::header(req, "X-Twilio-Signature")
        .ok_or_else(|| AppError::client(403, "signature_missing", "X-Twilio-Signature is required"))?;
    let url = req.url()?;
    let mut signed_url = format!("{}{}", cfg.public_base_url, url.path());
    if let Some(q) = url.query() {
        signed_url.push('?');
        signed_url.push_str(q);
    }
    let is_form = crate::http::header(req, "Content-Type")
        .is_none_or(|ct| ct.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    let body = crate::http::body_bytes(req).await?;
    let params = if is_form { twilio::parse_form(&body) } else { Vec::new() };
    let signed_body = if is_form {
        twilio::Body::Form(&params)
    } else {
        twilio::Body::Raw(&body)
    };
    if !twilio::validate(token, &signed_url, signed_body, &signature) {
        return Err(AppError::client(
            403,
            "signature_invalid",
            "X-Twilio-Signature does not match this request",
        ));
    }
    if !is_form {
        return Err(AppError::client(
            415,
            "unsupported_media_type",
            "Twilio posts this webhook as application/x-www-form-urlencoded",
        ));
    }
    Ok(params)
}

pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    twilio::param(params, name).filter(|v| !v.is_empty())
}

pub fn twiml(xml: &str) -> worker::Response {
    crate::http::bytes_response(
        200,
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{xml}").into_bytes(),
        "text/xml",
    )
}

pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

//! An incoming text or picture message as Twilio's webhook describes it
//! (<https://www.twilio.com/docs/messaging/guides/webhook-request>): `MessageSid`, `From`, `To`,
//! `Body`, and for MMS `NumMedia` with `MediaUrl{N}` / `MediaContentType{N}`, N from 0.

use serde::Serialize;

use super::param;
use crate::ErrorCode;

/// Twilio accepts at most 10 media files on one message.
pub const MAX_MEDIA: usize = 10;

/// The longest "(+N more)" line, with its newline.
const MORE_LINE: usize = "\n(+10 more)".len();

/// One attachment, stored by Twilio at `url` (fetching it may need the account's credentials
/// when the account enforces HTTP auth on media).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Media {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub message_sid: String,
    pub from: String,
    pub to: Option<String>,
    /// Empty for a picture sent without text.
    pub body: String,
    pub media: Vec<Media>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    #[error("MessageSid is required")]
    MessageSid,
    #[error("From is required")]
    From,
    #[error("NumMedia must be a number of 0 to 10")]
    NumMedia,
}

impl ErrorCode for InboundError {
    fn code(&self) -> &'static str {
        match self {
            InboundError::MessageSid => "invalid_message_sid",
            InboundError::From => "invalid_from",
            InboundError::NumMedia => "invalid_num_media",
        }
    }
}

impl Inbound {
    /// Reads a (signature-checked) webhook form.
    pub fn from_params(params: &[(String, String)]) -> Result<Inbound, InboundError> {
        let non_empty = |name: &str| param(params, name).map(str::trim).filter(|v| !v.is_empty());
        let message_sid = non_empty("MessageSid")
            .or(non_empty("SmsMessageSid"))
            .ok_or(InboundError::MessageSid)?
            .to_string();
        let from = non_empty("From").ok_or(InboundError::From)?.to_string();
        let count = match non_empty("NumMedia") {
            None => 0,
            Some(n) => n
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= MAX_MEDIA)
                .ok_or(InboundError::NumMedia)?,
        };
        let media = (0..count)
            .filter_map(|i| {
                let url = non_empty(&format!("MediaUrl{i}"))?;
                // Only links a phone can open are passed on to a dispatcher.
                let parsed = url::Url::parse(url).ok()?;
                matches!(parsed.scheme(), "https" | "http").then(|| Media {
                    url: parsed.to_string(),
                    content_type: non_empty(&format!("MediaContentType{i}")).map(str::to_string),
                })
            })
            .collect();
        Ok(Inbound {
            message_sid,
            from,
            to: non_empty("To").map(str::to_string),
            body: param(params, "Body").unwrap_or("").to_string(),
            media,
        })
    }

    /// `"mms"` when something is attached, else `"sms"` (the thread's `channel`).
    pub fn channel(&self) -> &'static str {
        if self.media.is_empty() {
            "sms"
        } else {
            "mms"
        }
    }

    /// What a dispatcher reads: the text, then each attachment's link on a line of its own,
    /// marked with its type, so a picture sent without text is never an empty message.
    pub fn relay_text(&self) -> String {
        let mut out = self.body.trim().to_string();
        for m in &self.media {
            if !out.is_empty() {
                out.push('\n');
            }
            match &m.content_type {
                Some(t) => out.push_str(&format!("[{t}] {}", m.url)),
                None => out.push_str(&m.url),
            }
        }
        out
    }

    /// [`relay_text`](Self::relay_text) in at most `max` characters (what the relayed SMS has
    /// room for): the links are what a dispatcher cannot get otherwise, so the text is cut
    /// first (ending in `...`); links that still do not fit are counted, never cut in half.
    pub fn relay_text_within(&self, max: usize) -> String {
        let full = self.relay_text();
        if full.chars().count() <= max {
            return full;
        }
        let mut links: Vec<String> = Vec::new();
        let mut used = 0;
        let mut left_out = 0;
        for m in &self.media {
            let line = match &m.content_type {
                Some(t) => format!("[{t}] {}", m.url),
                None => m.url.clone(),
            };
            // Room is kept for the line itself, its newline, and a "(+N more)" line.
            let need = line.chars().count() + 1;
            if left_out == 0 && used + need + MORE_LINE <= max {
                used += need;
                links.push(line);
            } else {
                left_out += 1;
            }
        }
        if left_out > 0 {
            links.push(format!("(+{left_out} more)"));
        }
        let tail = links.join("\n");
        let room = match tail.chars().count() {
            0 => max,
            n => max.saturating_sub(n + 1),
        };
        let text = self.body.trim();
        // The cut is marked with "..." (GSM-7), not "…", which would make the whole SMS UCS-2.
        let mut out = if text.is_empty() || room < 4 {
            String::new()
        } else if text.chars().count() <= room {
            text.to_string()
        } else {
            let mut cut: String = text.chars().take(room - 3).collect();
            cut.push_str("...");
            cut
        };
        if !out.is_empty() && !tail.is_empty() {
            out.push('\n');
        }
        out.push_str(&tail);
        out
    }

    pub fn media_urls(&self) -> Vec<&str> {
        self.media.iter().map(|m| m.url.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twilio::parse_form;

    const MEDIA: &str = "https://api.twilio.com/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Messages/MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Media/MEXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";

    /// The form Twilio posts for a picture sent without text (parameters as documented on the
    /// incoming-message webhook page).
    fn picture_only() -> Vec<(String, String)> {
        parse_form(format!(
            "ToCountry=US&MediaContentType0=image%2Fjpeg&ToState=CA&SmsMessageSid=MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX&NumMedia=1&ToCity=&FromZip=&SmsSid=MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX&FromState=CA&SmsStatus=received&FromCity=&Body=&FromCountry=US&To=%2B15005550006&ToZip=&NumSegments=1&MessageSid=MMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX&AccountSid=ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX&From=%2B14155552671&MediaUrl0={}&ApiVersion=2010-04-01",
            form_urlencoded::byte_serialize(MEDIA.as_bytes()).collect::<String>()
        ).as_bytes())
    }

    #[test]
    fn a_picture_without_text_reaches_the_dispatcher_as_a_link() {
        let m = Inbound::from_params(&picture_only()).unwrap();
        assert_eq!(m.channel(), "mms");
        assert_eq!(m.body, "");
        assert_eq!(m.media_urls(), vec![MEDIA]);
        assert_eq!(m.relay_text(), format!("[image/jpeg] {MEDIA}"));
        assert_eq!(m.from, "+14155552671");
    }

    #[test]
    fn text_and_several_pictures() {
        let mut p = picture_only();
        for (k, v) in [
            ("Body", "gate code 4411, see photos"),
            ("NumMedia", "2"),
            ("MediaUrl1", "https://api.twilio.com/x/Media/ME2"),
            ("MediaContentType1", "image/png"),
        ] {
            match p.iter_mut().find(|(name, _)| name == k) {
                Some(pair) => pair.1 = v.to_string(),
                None => p.push((k.to_string(), v.to_string())),
            }
        }
        let m = Inbound::from_params(&p).unwrap();
        assert_eq!(
            m.relay_text(),
            format!("gate code 4411, see photos\n[image/jpeg] {MEDIA}\n[image/png] https://api.twilio.com/x/Media/ME2")
        );
        assert_eq!(serde_json::to_value(&m.media[1]).unwrap()["content_type"], "image/png");
    }

    #[test]
    fn links_survive_a_long_text() {
        let mut p = picture_only();
        let long = "w".repeat(2000);
        p.iter_mut().find(|(k, _)| k == "Body").unwrap().1 = long.clone();
        let m = Inbound::from_params(&p).unwrap();
        let t = m.relay_text_within(1200);
        assert_eq!(t.chars().count(), 1200);
        assert!(t.ends_with(&format!("...\n[image/jpeg] {MEDIA}")), "{t}");
        // A long text without media is only cut.
        let mut p = parse_form(b"MessageSid=SM1&From=%2B14155552671&NumMedia=0");
        p.push(("Body".into(), long));
        let t = Inbound::from_params(&p).unwrap().relay_text_within(1200);
        assert_eq!((t.chars().count(), t.ends_with("w...")), (1200, true));
        // A short message is left alone.
        let short = Inbound::from_params(&picture_only()).unwrap();
        assert_eq!(short.relay_text_within(1200), short.relay_text());
    }

    #[test]
    fn links_that_do_not_fit_are_counted_not_cut() {
        let mut p = picture_only();
        p.iter_mut().find(|(k, _)| k == "NumMedia").unwrap().1 = "10".into();
        for i in 1..10 {
            p.push((format!("MediaUrl{i}"), format!("{MEDIA}{i}")));
            p.push((format!("MediaContentType{i}"), "image/jpeg".into()));
        }
        let m = Inbound::from_params(&p).unwrap();
        assert_eq!(m.media.len(), 10);
        let t = m.relay_text_within(1200);
        assert!(t.chars().count() <= 1200, "{}", t.chars().count());
        let shown = t.lines().filter(|l| l.starts_with("[image/jpeg] https://")).count();
        assert!(shown >= 5, "{t}");
        let expected: Vec<String> = (0..shown)
            .map(|i| match i {
                0 => format!("[image/jpeg] {MEDIA}"),
                i => format!("[image/jpeg] {MEDIA}{i}"),
            })
            .collect();
        assert_eq!(t.lines().take(shown).collect::<Vec<_>>(), expected, "a link was cut");
        assert!(t.ends_with(&format!("(+{} more)", 10 - shown)), "{t}");
    }

    #[test]
    fn a_plain_text_is_sms() {
        let p = parse_form(b"MessageSid=SM1&From=%2B14155552671&To=%2B15005550006&Body=hello&NumMedia=0");
        let m = Inbound::from_params(&p).unwrap();
        assert_eq!((m.channel(), m.relay_text().as_str()), ("sms", "hello"));
        assert!(m.media.is_empty());
    }

    #[test]
    fn what_twilio_never_sends() {
        let err = |s: &str| Inbound::from_params(&parse_form(s.as_bytes())).unwrap_err().code();
        assert_eq!(err("From=%2B1&Body=x"), "invalid_message_sid");
        assert_eq!(err("MessageSid=SM1&Body=x"), "invalid_from");
        assert_eq!(err("MessageSid=SM1&From=%2B1&NumMedia=eleven"), "invalid_num_media");
        assert_eq!(err("MessageSid=SM1&From=%2B1&NumMedia=11"), "invalid_num_media");
        // A link that is not http(s) is not passed on.
        let p = parse_form(b"MessageSid=SM1&From=%2B1&NumMedia=1&MediaUrl0=javascript%3Aalert(1)");
        assert!(Inbound::from_params(&p).unwrap().media.is_empty());
    }
}

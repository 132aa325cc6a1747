//! What a dispatcher's text to the company number means, and the texts that teach the syntax.

use super::message::MessageKind;

/// The customer's text is cut to this many characters in the relayed SMS.
pub const RELAYED_BODY_MAX: usize = 1200;

/// The answer to a text that is no command.
pub const HELP: &str = "QDN relay: reply ACK (your latest), ACK #REF, or #REF your message to answer the customer.";
/// The answer to a command whose reference names no open relay.
pub const NO_SUCH_RELAY: &str = "QDN relay: no open relay matches that reference.";

/// The answer to a reply that no sender number could deliver.
pub fn reply_failed(reference: &str, customer: &str) -> String {
    format!("QDN relay: your reply to #{reference} did NOT reach {customer}: Twilio refused it from every number. Please call them.")
}

/// The text a dispatcher gets for a customer's message: who, which job, what, and how to answer.
pub fn relayed_text(reference: &str, kind: MessageKind, from: &str, job_id: Option<&str>, body: &str) -> String {
    let mut cut: String = body.chars().take(RELAYED_BODY_MAX).collect();
    if body.chars().count() > RELAYED_BODY_MAX {
        cut.push('…');
    }
    let what = match kind {
        MessageKind::Voicemail => "Voicemail",
        MessageKind::Sms => "SMS",
    };
    let job = job_id.map(|j| format!(" (job {j})")).unwrap_or_default();
    format!("#{reference} {what} from {from}{job}: {cut}\nReply ACK #{reference} to take it, or #{reference} <message> to answer.")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `ACK` (their latest open relay) or `ACK #K7Q2`; also a bare `#K7Q2`.
    Ack { reference: Option<String> },
    /// `#K7Q2 on our way`: acknowledges, and the text goes on to the customer.
    Reply { reference: String, text: String },
    /// Anything else.
    Unknown,
}

/// `#` then 3 to 8 letters or digits (case-insensitive; answered in upper case).
fn reference(word: &str) -> Option<String> {
    let r = word.strip_prefix('#')?;
    ((3..=8).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| r.to_ascii_uppercase())
}

pub fn parse(body: &str) -> Command {
    let body = body.trim();
    let mut words = body.split_whitespace();
    let Some(first) = words.next() else {
        return Command::Unknown;
    };
    let first_clean = first.trim_end_matches(['.', '!', ',']);
    if first_clean.eq_ignore_ascii_case("ack") || first_clean.eq_ignore_ascii_case("ok") {
        return match words.next() {
            None => Command::Ack { reference: None },
            Some(w) => match reference(w.trim_end_matches(['.', '!', ','])) {
                Some(r) => Command::Ack { reference: Some(r) },
                None => Command::Ack { reference: None },
            },
        };
    }
    if let Some(r) = reference(first_clean) {
        let text = body[first.len()..].trim().to_string();
        return if text.is_empty() {
            Command::Ack { reference: Some(r) }
        } else {
            Command::Reply { reference: r, text }
        };
    }
    Command::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands() {
        assert_eq!(parse("ACK"), Command::Ack { reference: None });
        assert_eq!(parse("  ack. "), Command::Ack { reference: None });
        assert_eq!(
            parse("Ack #k7q2"),
            Command::Ack {
                reference: Some("K7Q2".into())
            }
        );
        assert_eq!(
            parse("#K7Q2"),
            Command::Ack {
                reference: Some("K7Q2".into())
            }
        );
        assert_eq!(
            parse("#K7Q2 on our way, 10 min"),
            Command::Reply {
                reference: "K7Q2".into(),
                text: "on our way, 10 min".into()
            }
        );
        assert_eq!(parse("hello"), Command::Unknown);
        assert_eq!(parse("#AB hi"), Command::Unknown, "too short a reference");
        assert_eq!(parse(""), Command::Unknown);
        assert_eq!(parse("acknowledged"), Command::Unknown);
    }

    #[test]
    fn the_relayed_text_teaches_what_parse_understands() {
        let t = relayed_text(
            "K7Q2",
            MessageKind::Sms,
            "+15550100200",
            Some("J-1042"),
            "Where is my dumpster?",
        );
        assert!(t.starts_with("#K7Q2 SMS from +15550100200 (job J-1042): Where is my dumpster?"));
        let hint = t.lines().last().unwrap();
        let ack = hint.split(" to take it").next().unwrap().trim_start_matches("Reply ");
        assert_eq!(
            parse(ack),
            Command::Ack {
                reference: Some("K7Q2".into())
            }
        );
        let long = relayed_text("K7Q2", MessageKind::Voicemail, "+1", None, &"x".repeat(2000));
        assert!(long.contains("Voicemail from +1: ") && long.contains(&format!("{}…\n", "x".repeat(RELAYED_BODY_MAX))));
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_without_panic(s in "\\PC{0,200}") {
            let _ = parse(&s);
        }
    }
}

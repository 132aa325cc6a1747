//! What a dispatcher's text to the company number means, and the texts that teach the syntax.

use super::message::MessageKind;
use crate::gsm7::gsm7_name;
use crate::job::JobStatus;
use crate::opt_out::{keyword, Keyword};

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

/// A name longer than this is cut in the relayed text (it is context, not the message).
pub const NAME_MAX: usize = 24;

/// What a relayed text says of the open job of the customer who wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct JobContext<'a> {
    pub customer_name: &'a str,
    pub job_id: &'a str,
    pub status: JobStatus,
    /// Minutes to arrival, when the trailer is moving and has a recent fix.
    pub eta_min: Option<u32>,
}

/// A job status in a dispatcher's shorthand.
fn status_words(s: JobStatus) -> &'static str {
    match s {
        JobStatus::Scheduled => "scheduled",
        JobStatus::EnRoute => "on the way",
        JobStatus::AtSite => "on site",
        JobStatus::EnRouteNext => "to next stop",
        JobStatus::Completed => "done",
        JobStatus::Cancelled => "cancelled",
    }
}

/// The name to put on a message about a job: the job's customer's, when it comes from their
/// phone; otherwise none, so the sender's number stands instead (a per-job webhook takes texts
/// and calls from anyone about the job, and a dispatcher must not take a stranger for the
/// customer).
pub fn name_for<'a>(customer_name: &'a str, customer_phone: &str, from: &str) -> &'a str {
    if customer_phone == from {
        customer_name
    } else {
        ""
    }
}

/// The text a dispatcher gets for a customer's message: who, which job, what, and how to answer,
/// e.g. `#K7Q2 Jane Smith (job J-1042, on the way, ETA 12 min): Where is my dumpster?`.
///
/// Short, to cost few SMS parts: everything but the customer's own words is GSM-7 (a name is
/// folded by `gsm7_name`, the cut body ends in `...`), so a customer's GSM-7 text stays GSM-7.
/// A STOP or START is marked: the customer no longer gets (or gets again) automatic texts.
pub fn relayed_text(reference: &str, kind: MessageKind, from: &str, job: Option<&JobContext>, body: &str) -> String {
    let mut cut: String = body.chars().take(RELAYED_BODY_MAX).collect();
    if body.chars().count() > RELAYED_BODY_MAX {
        cut.push_str("...");
    }
    let who = match job {
        Some(j) => {
            let full = gsm7_name(j.customer_name);
            let mut name: String = full.chars().take(NAME_MAX).collect();
            if name.is_empty() {
                name = from.to_string();
            } else if full.chars().count() > NAME_MAX {
                name.push('.');
            }
            let eta = match j.eta_min {
                Some(m) if j.status.is_moving() => format!(", ETA {m} min"),
                _ => String::new(),
            };
            let voicemail = if kind == MessageKind::Voicemail {
                "Voicemail, "
            } else {
                ""
            };
            format!("{voicemail}{name} (job {}, {}{eta})", j.job_id, status_words(j.status))
        }
        None => match kind {
            MessageKind::Voicemail => format!("Voicemail from {from}"),
            MessageKind::Sms => format!("SMS from {from}"),
        },
    };
    let mark = match (kind, keyword(body)) {
        (MessageKind::Sms, Some(Keyword::OptOut)) => " [opted out of automatic texts]",
        (MessageKind::Sms, Some(Keyword::OptIn)) => " [opted back in to texts]",
        // Twilio answers HELP with the number's help text; a person may still want to call.
        (MessageKind::Sms, Some(Keyword::Help)) => " [asked for HELP]",
        _ => "",
    };
    format!("#{reference} {who}{mark}: {cut}\nReply #{reference} <msg> or ACK #{reference}")
}

/// What a dispatcher hears on picking up a relayed call, before "press 1": the same context as a
/// relayed text (who, which job, its status and ETA), or the caller's number.
pub fn call_screen_text(from: &str, job: Option<&JobContext>) -> String {
    let who = match job {
        Some(j) => {
            let name: String = j.customer_name.trim().chars().take(NAME_MAX).collect();
            let name = if name.is_empty() { from.to_string() } else { name };
            let eta = match j.eta_min {
                Some(1) if j.status.is_moving() => ", E T A 1 minute".to_string(),
                Some(m) if j.status.is_moving() => format!(", E T A {m} minutes"),
                _ => String::new(),
            };
            format!("{name}, job {}, {}{eta}", j.job_id, status_words(j.status))
        }
        None if from.is_empty() => "an unknown caller".to_string(),
        None => from.to_string(),
    };
    format!("Call for Quick Dump Now from {who}. Press 1 to take this call.")
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

    fn jane(status: JobStatus, eta_min: Option<u32>) -> JobContext<'static> {
        JobContext {
            customer_name: "Jane Smith",
            job_id: "J-1042",
            status,
            eta_min,
        }
    }

    #[test]
    fn the_relayed_text_teaches_what_parse_understands() {
        let t = relayed_text(
            "K7Q2",
            MessageKind::Sms,
            "+15550100200",
            Some(&jane(JobStatus::EnRoute, Some(12))),
            "Where is my dumpster?",
        );
        assert!(
            t.starts_with("#K7Q2 Jane Smith (job J-1042, on the way, ETA 12 min): Where is my dumpster?\n"),
            "{t}"
        );
        let hint = t.lines().last().unwrap();
        let (reply, ack) = hint.trim_start_matches("Reply ").split_once(" or ").unwrap();
        assert_eq!(
            parse(ack),
            Command::Ack {
                reference: Some("K7Q2".into())
            }
        );
        assert_eq!(
            parse(&reply.replace("<msg>", "on our way")),
            Command::Reply {
                reference: "K7Q2".into(),
                text: "on our way".into()
            }
        );
        let long = relayed_text("K7Q2", MessageKind::Voicemail, "+1", None, &"x".repeat(2000));
        assert!(
            long.starts_with("#K7Q2 Voicemail from +1: ")
                && long.contains(&format!("{}...\n", "x".repeat(RELAYED_BODY_MAX)))
        );
    }

    #[test]
    fn the_job_context_says_what_is_known() {
        let t = relayed_text(
            "K7Q2",
            MessageKind::Sms,
            "+1555",
            Some(&jane(JobStatus::Scheduled, Some(5))),
            "hi",
        );
        assert!(
            t.starts_with("#K7Q2 Jane Smith (job J-1042, scheduled): hi"),
            "no ETA unless moving: {t}"
        );
        let t = relayed_text(
            "K7Q2",
            MessageKind::Sms,
            "+1555",
            Some(&jane(JobStatus::EnRoute, None)),
            "hi",
        );
        assert!(t.starts_with("#K7Q2 Jane Smith (job J-1042, on the way): hi"), "{t}");
        let t = relayed_text(
            "K7Q2",
            MessageKind::Voicemail,
            "+1555",
            Some(&jane(JobStatus::AtSite, None)),
            "call me",
        );
        assert!(
            t.starts_with("#K7Q2 Voicemail, Jane Smith (job J-1042, on site): call me"),
            "{t}"
        );
        let nameless = JobContext {
            customer_name: "李",
            ..jane(JobStatus::AtSite, None)
        };
        let t = relayed_text("K7Q2", MessageKind::Sms, "+1555", Some(&nameless), "hi");
        assert!(t.starts_with("#K7Q2 +1555 (job J-1042, on site): hi"), "{t}");
    }

    #[test]
    fn stop_and_start_are_marked() {
        let t = relayed_text(
            "K7Q2",
            MessageKind::Sms,
            "+1555",
            Some(&jane(JobStatus::EnRoute, None)),
            "STOP",
        );
        assert!(
            t.starts_with("#K7Q2 Jane Smith (job J-1042, on the way) [opted out of automatic texts]: STOP"),
            "{t}"
        );
        let t = relayed_text("K7Q2", MessageKind::Sms, "+1555", None, "start");
        assert!(
            t.starts_with("#K7Q2 SMS from +1555 [opted back in to texts]: start"),
            "{t}"
        );
        let t = relayed_text("K7Q2", MessageKind::Sms, "+1555", None, "Help!");
        assert!(t.starts_with("#K7Q2 SMS from +1555 [asked for HELP]: Help!"), "{t}");
        let t = relayed_text("K7Q2", MessageKind::Sms, "+1555", None, "please stop calling");
        assert!(!t.contains("opted"), "{t}");
    }

    #[test]
    fn a_60_character_text_costs_two_parts_at_most_three_and_stays_gsm7() {
        let body = "Where is my dumpster? The driver said 9am and it is now 10am";
        assert_eq!(body.chars().count(), 60);
        let t = relayed_text(
            "K7Q2",
            MessageKind::Sms,
            "+15550100200",
            Some(&jane(JobStatus::EnRoute, Some(12))),
            body,
        );
        assert!(crate::gsm7::segments(&t) <= 2, "{t}");
        let long = JobContext {
            customer_name: "Zoë Łukasz 李 Wolfeschlegelsteinhausenbergerdorff-Maximiliana",
            job_id: &"j".repeat(64),
            status: JobStatus::EnRouteNext,
            eta_min: Some(999),
        };
        for kind in [MessageKind::Sms, MessageKind::Voicemail] {
            let t = relayed_text("K7Q2ABCD", kind, "+15550100200", Some(&long), body);
            assert!(crate::gsm7::is_gsm7(&t), "a name must not make the text UCS-2: {t}");
            assert!(crate::gsm7::segments(&t) <= 3, "{t}");
            assert!(t.contains("Zoe Lukasz Wolfeschlegel."), "{t}");
        }
    }

    #[test]
    fn a_stranger_writing_about_a_job_is_named_by_their_number() {
        let stranger = JobContext {
            customer_name: name_for("Jane Smith", "+15550100200", "+15550100999"),
            ..jane(JobStatus::EnRoute, None)
        };
        let t = relayed_text("K7Q2", MessageKind::Sms, "+15550100999", Some(&stranger), "hi");
        assert!(t.starts_with("#K7Q2 +15550100999 (job J-1042, on the way): hi"), "{t}");
        assert_eq!(name_for("Jane Smith", "+15550100200", "+15550100200"), "Jane Smith");
    }

    #[test]
    fn the_call_screen_says_who_and_which_job_before_press_1() {
        let t = call_screen_text("+15550100200", Some(&jane(JobStatus::EnRoute, Some(12))));
        assert_eq!(
            t,
            "Call for Quick Dump Now from Jane Smith, job J-1042, on the way, E T A 12 minutes. Press 1 to take this call."
        );
        let t = call_screen_text("+15550100200", Some(&jane(JobStatus::Scheduled, Some(12))));
        assert_eq!(
            t,
            "Call for Quick Dump Now from Jane Smith, job J-1042, scheduled. Press 1 to take this call."
        );
        let t = call_screen_text("+15550100200", None);
        assert_eq!(
            t,
            "Call for Quick Dump Now from +15550100200. Press 1 to take this call."
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_without_panic(s in "\\PC{0,200}") {
            let _ = parse(&s);
        }
    }
}

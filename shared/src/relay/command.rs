//! What a dispatcher's text to the company number means.

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

    proptest::proptest! {
        #[test]
        fn any_text_parses_without_panic(s in "\\PC{0,200}") {
            let _ = parse(&s);
        }
    }
}

//! Twilio's standard opt-out keywords. A customer who texts one of them as the whole message
//! (any case, surrounding spaces and a trailing `.`/`!` ignored, as Twilio matches them) opts out
//! of or back into our automatic texts, or asks for help (Twilio answers HELP itself).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT.
    OptOut,
    /// START, YES, UNSTOP.
    OptIn,
    /// HELP, INFO.
    Help,
}

const OPT_OUT: [&str; 6] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
const OPT_IN: [&str; 3] = ["START", "YES", "UNSTOP"];
const HELP: [&str; 2] = ["HELP", "INFO"];

/// The keyword a customer's text is, if it is one; a sentence that merely contains one is not.
pub fn keyword(body: &str) -> Option<Keyword> {
    let word = body.trim().trim_end_matches(['.', '!']).trim().to_ascii_uppercase();
    let is = |list: &[&str]| list.contains(&word.as_str());
    if is(&OPT_OUT) {
        Some(Keyword::OptOut)
    } else if is(&OPT_IN) {
        Some(Keyword::OptIn)
    } else if is(&HELP) {
        Some(Keyword::Help)
    } else {
        None
    }
}

/// Where a recorded opt-out came from (the `opt_outs.source` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The customer texted an opt-out keyword to the company number.
    Keyword,
    /// Twilio refused a send with error 21610 (the recipient unsubscribed on Twilio's side).
    Twilio21610,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Keyword => "keyword",
            Source::Twilio21610 => "twilio_21610",
        }
    }
}

/// Twilio's error code for a send to a recipient who unsubscribed.
pub const UNSUBSCRIBED_CODE: u32 = 21610;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_standard_keywords() {
        for w in [
            "STOP",
            "stop",
            " Stop. ",
            "STOPALL",
            "unsubscribe",
            "Cancel",
            "END",
            "quit!",
        ] {
            assert_eq!(keyword(w), Some(Keyword::OptOut), "{w}");
        }
        for w in ["START", "yes", "Unstop"] {
            assert_eq!(keyword(w), Some(Keyword::OptIn), "{w}");
        }
        for w in ["HELP", "info"] {
            assert_eq!(keyword(w), Some(Keyword::Help), "{w}");
        }
    }

    #[test]
    fn a_sentence_with_a_keyword_is_no_keyword() {
        for w in [
            "please stop",
            "Stop by at 3",
            "yes please",
            "",
            "STOP STOP",
            "S TOP",
            "stopp",
        ] {
            assert_eq!(keyword(w), None, "{w:?}");
        }
    }
}

//! Phone numbers in E.164, the only form Twilio and the roster use.

/// `+` then 8 to 15 digits, the first not zero.
pub fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

#[cfg(test)]
mod tests {
    #[test]
    fn e164() {
        assert!(super::is_e164("+15551234567"));
        assert!(super::is_e164("+447700900123"));
        for bad in [
            "15551234567",
            "+1555",
            "+0123456789",
            "+1 555 123 4567",
            "+1234567890123456",
            "",
        ] {
            assert!(!super::is_e164(bad), "{bad}");
        }
    }
}

//! The SMS/call relay's decisions: who is eligible, what to do on each event, what dispatchers
//! mean by their texts. The Worker performs the actions (Twilio sends, alarms, alerts).

pub mod alert;
pub mod cascade;
pub mod command;
pub mod message;
pub mod roster;
pub mod thread;

use sha2::{Digest, Sha256};

/// Letters and digits that survive being read aloud or typed on a phone (no 0/O, 1/I/L).
const REF_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// The relay's short reference for a message, derived from its Twilio SID so that Twilio's
/// retries get the same one: `len` (4-8) characters, written with a leading `#`.
pub fn reference(message_sid: &str, len: usize) -> String {
    let digest = Sha256::digest(message_sid.as_bytes());
    digest
        .iter()
        .take(len.clamp(4, 8))
        .map(|b| REF_ALPHABET[*b as usize % REF_ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn references_are_stable_short_and_unambiguous() {
        let a = super::reference("SM0123456789abcdef0123456789abcdef", 4);
        assert_eq!(a, super::reference("SM0123456789abcdef0123456789abcdef", 4));
        assert_eq!(a.len(), 4);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() && !"01OIL".contains(c)));
        assert_ne!(a, super::reference("SM0123456789abcdef0123456789abcdee", 4));
    }
}

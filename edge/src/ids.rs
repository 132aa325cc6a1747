//! Random ids, from the runtime's CSPRNG.

const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// `prefix` + `len` Crockford base32 characters (5 bits each).
pub fn new_id(prefix: &str, len: usize) -> String {
    let mut bytes = vec![0u8; len];
    // crypto.getRandomValues only fails for requests over 64 KiB.
    getrandom::getrandom(&mut bytes).expect("crypto.getRandomValues is available");
    let mut s = String::with_capacity(prefix.len() + len);
    s.push_str(prefix);
    s.extend(bytes.iter().map(|b| ALPHABET[(b & 31) as usize] as char));
    s
}

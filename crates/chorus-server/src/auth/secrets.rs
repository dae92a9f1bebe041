//! The secrets accounts hand out (session cookies, invite links, API
//! tokens): 256 bits from the operating system's random source, written
//! base64url without padding. The database keeps only each one's SHA-256,
//! so a leaked copy of it opens nothing.
//!
//! Timing: a presented secret is never compared with a stored one. It is
//! hashed ([`digest`]) and the digest is looked up; an attacker who can
//! time the lookup learns how a SHA-256 output they cannot steer compares
//! to stored ones, which says nothing about any secret. Passwords are
//! checked by Argon2's own verify, which compares in constant time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

/// Random bytes in every secret: 256 bits.
pub const SECRET_BYTES: usize = 32;

/// A fresh secret: 43 characters of base64url.
pub fn random_secret() -> anyhow::Result<String> {
    let mut bytes = [0_u8; SECRET_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("the system's random source failed: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps of `secret`: the hex SHA-256 of its text.
pub fn digest(secret: &str) -> String {
    use std::fmt::Write as _;
    Sha256::digest(secret.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// A time-ordered row id with a short prefix saying what it is (`us_…`).
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_256_random_bits_in_base64url() {
        let a = random_secret().expect("random");
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(
            URL_SAFE_NO_PAD.decode(&a).expect("base64url").len(),
            SECRET_BYTES
        );
        assert_ne!(a, random_secret().expect("random"));
    }

    #[test]
    fn digests_are_hex_sha256() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(new_id("us").starts_with("us_"));
    }
}

//! Review link tokens: 32 bytes from the operating system's random source,
//! written base64url without padding (43 characters). Only the SHA-256 of
//! the token is stored, so a copy of the database opens no review.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Random bytes in a token.
pub const TOKEN_BYTES: usize = 32;
/// Characters of a token as written.
pub const TOKEN_CHARS: usize = 43;

/// A new token.
pub fn new_token() -> anyhow::Result<String> {
    let mut bytes = [0_u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("the system's random source failed: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The token's bytes, if `token` is written exactly as `new_token` writes
/// them; anything else is no token.
pub fn decode(token: &str) -> Option<[u8; TOKEN_BYTES]> {
    if token.len() != TOKEN_CHARS
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    bytes.try_into().ok()
}

/// What the database keeps of a token: the hex SHA-256 of its text.
pub fn hash(token: &str) -> String {
    crate::assets::hex_id(&Sha256::digest(token.as_bytes()))
}

/// Whether two secrets are equal, in a time that does not depend on where
/// they first differ.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_characters_of_base64url() {
        let token = new_token().expect("random bytes");
        assert_eq!(token.len(), TOKEN_CHARS);
        assert!(decode(&token).is_some());
        assert_ne!(token, new_token().expect("random bytes"));
        assert_eq!(hash(&token).len(), 64);
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn only_well_formed_tokens_decode() {
        let token = URL_SAFE_NO_PAD.encode([7_u8; TOKEN_BYTES]);
        assert_eq!(decode(&token), Some([7; TOKEN_BYTES]));
        assert_eq!(decode(&token[1..]), None);
        assert_eq!(decode(&format!("{}=", &token[1..])), None);
        assert_eq!(decode(&format!("{}+", &token[1..])), None);
        assert_eq!(decode("../../etc/passwd"), None);
    }

    #[test]
    fn secrets_compare() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"ab"));
    }
}

//! Signing as the Standard Webhooks specification says: an endpoint's
//! secret is `whsec_` and the base64 of 24–64 random bytes; each attempt
//! carries `webhook-id`, `webhook-timestamp` (Unix seconds) and
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`
//! keyed with the decoded bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

/// What every secret starts with.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a secret we make (the specification allows 24–64).
const SECRET_BYTES: usize = 32;

/// A new secret from the operating system's random source.
pub fn new_secret() -> anyhow::Result<String> {
    let mut key = [0u8; SECRET_BYTES];
    getrandom::fill(&mut key)
        .map_err(|e| anyhow::anyhow!("the operating system gave no random bytes: {e}"))?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(key)))
}

/// The HMAC key a secret stands for, or why it is not one.
pub fn key_of(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret
        .strip_prefix(SECRET_PREFIX)
        .ok_or_else(|| format!("a webhook secret starts with {SECRET_PREFIX}"))?;
    let key = STANDARD
        .decode(encoded)
        .map_err(|e| format!("the part after {SECRET_PREFIX} is not base64: {e}"))?;
    if !(24..=64).contains(&key.len()) {
        return Err(format!(
            "a webhook secret holds 24 to 64 bytes, this one {}",
            key.len()
        ));
    }
    Ok(key)
}

/// The `webhook-signature` header's value for one attempt.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    // Any key length is valid for HMAC, so this cannot fail.
    let mut mac = <Hmac<Sha256>>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed independently with Python's `hmac` and `base64`:
    /// key = bytes 1..=32, `hmac.new(key, b"{id}.{ts}.{body}", sha256)`.
    #[test]
    fn signs_as_an_independent_implementation_does() {
        let secret = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
        let key = key_of(secret).expect("a valid secret");
        assert_eq!(key, (1..=32).collect::<Vec<u8>>());
        let body = r#"{"type":"job.finished","timestamp":"2023-01-19T00:13:51Z","data":{"job_id":"j1","status":"succeeded"}}"#;
        assert_eq!(
            signature(&key, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", 1_674_087_231, body),
            "v1,PJ8PwmkCWb1Ws0lQ5HkOPeRz5/qjqFs/DfhuHF2Cj9o="
        );
    }

    #[test]
    fn new_secrets_are_valid_and_differ() {
        let a = new_secret().expect("random");
        let b = new_secret().expect("random");
        assert_ne!(a, b);
        assert_eq!(key_of(&a).expect("valid").len(), SECRET_BYTES);
    }

    #[test]
    fn malformed_secrets_say_why() {
        assert!(key_of("AQID").unwrap_err().contains("starts with whsec_"));
        assert!(key_of("whsec_!!").unwrap_err().contains("not base64"));
        assert!(key_of("whsec_AQID").unwrap_err().contains("24 to 64 bytes"));
    }
}

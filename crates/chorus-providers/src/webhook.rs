//! Webhook signatures and replays. Replicate signs with HMAC-SHA256 (the
//! Standard Webhooks scheme); fal signs with ED25519 keys it publishes as a
//! JWKS document. Both checks also enforce a replay window ourselves, and
//! `Deduper` drops redeliveries so handlers stay idempotent.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::{Signature, VerifyingKey};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::WebhookError;
use crate::provider::WebhookHeaders;
use crate::secret::Secret;

/// Replicate's window, and fal's: ±5 minutes.
pub const REPLAY_WINDOW_S: i64 = 300;

fn header<'a>(headers: &'a WebhookHeaders, name: &'static str) -> Result<&'a str, WebhookError> {
    headers
        .get(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(WebhookError::MissingHeader(name))
}

fn check_window(timestamp: i64, now_unix: i64) -> Result<(), WebhookError> {
    let age_s = now_unix - timestamp;
    if age_s.abs() > REPLAY_WINDOW_S {
        return Err(WebhookError::Stale {
            age_s,
            window_s: REPLAY_WINDOW_S,
        });
    }
    Ok(())
}

/// Verifies a Replicate delivery; returns its `webhook-id` for dedupe.
/// `secret` is the `whsec_…` text from `GET /v1/webhooks/default/secret`.
pub fn verify_replicate(
    secret: &Secret,
    headers: &WebhookHeaders,
    body: &[u8],
    now_unix: i64,
) -> Result<String, WebhookError> {
    let id = header(headers, "webhook-id")?;
    let timestamp_text = header(headers, "webhook-timestamp")?;
    let signatures = header(headers, "webhook-signature")?;
    let timestamp: i64 = timestamp_text
        .parse()
        .map_err(|_| WebhookError::MalformedHeader("webhook-timestamp"))?;
    check_window(timestamp, now_unix)?;

    let encoded = secret
        .expose()
        .strip_prefix("whsec_")
        .unwrap_or(secret.expose());
    let key = STANDARD.decode(encoded).map_err(|_| {
        WebhookError::NoKeys("the Replicate webhook secret is not whsec_<base64>".into())
    })?;
    // Every listed `v1,` signature is a candidate (keys rotate); one match is enough.
    for candidate in signatures.split_whitespace() {
        let Some(sig_b64) = candidate.strip_prefix("v1,") else {
            continue;
        };
        let Ok(sig) = STANDARD.decode(sig_b64) else {
            continue;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&key)
            .map_err(|_| WebhookError::NoKeys("empty Replicate webhook secret".into()))?;
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp_text.as_bytes());
        mac.update(b".");
        mac.update(body);
        // `verify_slice` compares in constant time.
        if mac.verify_slice(&sig).is_ok() {
            return Ok(id.to_string());
        }
    }
    Err(WebhookError::BadSignature)
}

/// Parses fal's JWKS document into ED25519 keys (`kty` OKP, `crv` Ed25519,
/// `x` base64url). Keys of other types are skipped.
pub fn parse_jwks(document: &[u8]) -> Result<Vec<VerifyingKey>, WebhookError> {
    let json: serde_json::Value = serde_json::from_slice(document)
        .map_err(|e| WebhookError::NoKeys(format!("JWKS is not JSON: {e}")))?;
    let keys: Vec<VerifyingKey> = json
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter(|k| k.get("crv").and_then(serde_json::Value::as_str) == Some("Ed25519"))
        .filter_map(|k| k.get("x").and_then(serde_json::Value::as_str))
        .filter_map(|x| URL_SAFE_NO_PAD.decode(x.trim_end_matches('=')).ok())
        .filter_map(|raw| <[u8; 32]>::try_from(raw.as_slice()).ok())
        .filter_map(|raw| VerifyingKey::from_bytes(&raw).ok())
        .collect();
    if keys.is_empty() {
        return Err(WebhookError::NoKeys("the JWKS lists no Ed25519 key".into()));
    }
    Ok(keys)
}

/// The bytes fal signs.
pub fn fal_signed_message(
    request_id: &str,
    user_id: &str,
    timestamp: &str,
    body: &[u8],
) -> Vec<u8> {
    let digest = hex::encode(Sha256::digest(body));
    format!("{request_id}\n{user_id}\n{timestamp}\n{digest}").into_bytes()
}

/// Verifies a fal delivery against `keys`; returns the request id.
pub fn verify_fal(
    keys: &[VerifyingKey],
    headers: &WebhookHeaders,
    body: &[u8],
    now_unix: i64,
) -> Result<String, WebhookError> {
    let request_id = header(headers, "x-fal-webhook-request-id")?;
    let user_id = header(headers, "x-fal-webhook-user-id")?;
    let timestamp_text = header(headers, "x-fal-webhook-timestamp")?;
    let signature_hex = header(headers, "x-fal-webhook-signature")?;
    let timestamp: i64 = timestamp_text
        .parse()
        .map_err(|_| WebhookError::MalformedHeader("x-fal-webhook-timestamp"))?;
    check_window(timestamp, now_unix)?;
    let raw = hex::decode(signature_hex)
        .map_err(|_| WebhookError::MalformedHeader("x-fal-webhook-signature"))?;
    let bytes = <[u8; 64]>::try_from(raw.as_slice())
        .map_err(|_| WebhookError::MalformedHeader("x-fal-webhook-signature"))?;
    let signature = Signature::from_bytes(&bytes);
    let message = fal_signed_message(request_id, user_id, timestamp_text, body);
    if keys
        .iter()
        .any(|k| k.verify_strict(&message, &signature).is_ok())
    {
        Ok(request_id.to_string())
    } else {
        Err(WebhookError::BadSignature)
    }
}

/// Remembers delivery ids for `ttl` so a redelivered webhook is handled
/// once. fal redelivers for about two hours, so the default keeps three.
#[derive(Debug)]
pub struct Deduper {
    ttl: Duration,
    seen: Mutex<HashMap<String, Instant>>,
}

impl Default for Deduper {
    fn default() -> Self {
        Deduper::new(Duration::from_hours(3))
    }
}

impl Deduper {
    pub fn new(ttl: Duration) -> Self {
        Deduper {
            ttl,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// True the first time `id` is seen within the ttl.
    pub fn first_time(&self, id: &str) -> bool {
        let now = Instant::now();
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Forget old ids as we go so memory stays bounded by the rate × ttl.
        seen.retain(|_, at| now.duration_since(*at) < self.ttl);
        if seen.contains_key(id) {
            return false;
        }
        seen.insert(id.to_string(), now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn headers(pairs: &[(&str, &str)]) -> WebhookHeaders {
        WebhookHeaders(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
        )
    }

    fn replicate_sig(key: &[u8], id: &str, ts: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("key");
        mac.update(format!("{id}.{ts}.").as_bytes());
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn replicate_good_forged_stale() {
        let key = b"0123456789abcdef0123456789abcdef";
        let secret = Secret::new(format!("whsec_{}", STANDARD.encode(key)));
        let body = br#"{"id":"p1","status":"succeeded"}"#;
        let now = 1_800_000_000;
        let good = replicate_sig(key, "msg_1", now, body);
        let list = format!("v1,AAAA {good}");
        let h = headers(&[
            ("webhook-id", "msg_1"),
            ("webhook-timestamp", &now.to_string()),
            ("webhook-signature", &list),
        ]);
        assert_eq!(
            verify_replicate(&secret, &h, body, now + 10),
            Ok("msg_1".into())
        );
        // Body changed after signing.
        assert_eq!(
            verify_replicate(&secret, &h, br#"{"id":"p1","status":"failed"}"#, now),
            Err(WebhookError::BadSignature)
        );
        // Signed with another key.
        let forged = replicate_sig(b"another key entirely, 32 bytes!!", "msg_1", now, body);
        let h2 = headers(&[
            ("webhook-id", "msg_1"),
            ("webhook-timestamp", &now.to_string()),
            ("webhook-signature", &forged),
        ]);
        assert_eq!(
            verify_replicate(&secret, &h2, body, now),
            Err(WebhookError::BadSignature)
        );
        // Valid signature, but replayed six minutes later.
        assert!(matches!(
            verify_replicate(&secret, &h, body, now + 360),
            Err(WebhookError::Stale { age_s: 360, .. })
        ));
        let missing = headers(&[("webhook-id", "msg_1")]);
        assert_eq!(
            verify_replicate(&secret, &missing, body, now),
            Err(WebhookError::MissingHeader("webhook-timestamp"))
        );
    }

    #[test]
    fn fal_good_forged_stale() {
        let signing = SigningKey::from_bytes(&[7u8; 32]);
        let jwks = format!(
            r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","x":"{}"}}]}}"#,
            URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes())
        );
        let keys = parse_jwks(jwks.as_bytes()).expect("keys");
        let body = br#"{"request_id":"r1","status":"OK"}"#;
        let now = 1_800_000_000i64;
        let ts = now.to_string();
        let sig = hex::encode(
            signing
                .sign(&fal_signed_message("r1", "u1", &ts, body))
                .to_bytes(),
        );
        let h = headers(&[
            ("X-Fal-Webhook-Request-Id", "r1"),
            ("X-Fal-Webhook-User-Id", "u1"),
            ("X-Fal-Webhook-Timestamp", &ts),
            ("X-Fal-Webhook-Signature", &sig),
        ]);
        assert_eq!(verify_fal(&keys, &h, body, now), Ok("r1".into()));
        assert_eq!(
            verify_fal(&keys, &h, b"{}", now),
            Err(WebhookError::BadSignature)
        );
        assert!(matches!(
            verify_fal(&keys, &h, body, now - 301),
            Err(WebhookError::Stale { .. })
        ));
        let other = SigningKey::from_bytes(&[9u8; 32]);
        let forged = hex::encode(
            other
                .sign(&fal_signed_message("r1", "u1", &ts, body))
                .to_bytes(),
        );
        let h2 = headers(&[
            ("X-Fal-Webhook-Request-Id", "r1"),
            ("X-Fal-Webhook-User-Id", "u1"),
            ("X-Fal-Webhook-Timestamp", &ts),
            ("X-Fal-Webhook-Signature", &forged),
        ]);
        assert_eq!(
            verify_fal(&keys, &h2, body, now),
            Err(WebhookError::BadSignature)
        );
        assert!(parse_jwks(br#"{"keys":[]}"#).is_err());
    }

    #[test]
    fn deduper_passes_each_id_once() {
        let d = Deduper::default();
        assert!(d.first_time("r1"));
        assert!(!d.first_time("r1"));
        assert!(d.first_time("r2"));
        let short = Deduper::new(Duration::ZERO);
        assert!(short.first_time("r1"));
        assert!(short.first_time("r1"));
    }
}

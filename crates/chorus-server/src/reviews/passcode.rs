//! Passcodes on review links: kept as Argon2id hashes (PHC strings), asked
//! once per browser, which then holds an unlock cookie. The cookie's value
//! is derived from the token and the stored hash, so it opens only this
//! link, nothing extra is stored, and a new passcode ends every session
//! unlocked with the old one. Wrong tries are counted per link and per
//! client address before any hashing, so a throttled try costs no CPU.

use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use axum::http::HeaderMap;
use axum::http::header;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chorus_core::review::MAX_PASSCODE_CHARS;
use sha2::{Digest, Sha256};

use super::token;
use crate::throttle::{Throttle, Ticket};

/// The unlock cookie's name.
pub const COOKIE: &str = "chorus_review";
/// Wrong tries one link takes within the throttle's window.
pub const TRIES_PER_LINK: usize = 5;
/// Wrong tries one client address takes within the window, over all links.
pub const TRIES_PER_CLIENT: usize = 20;

/// Why `passcode` cannot be set, or `None`.
pub fn problem(passcode: &str) -> Option<String> {
    let chars = passcode.chars().count();
    if passcode.trim().is_empty() {
        Some("a passcode cannot be empty; leave it out for none".into())
    } else if chars > MAX_PASSCODE_CHARS {
        Some(format!(
            "the passcode is {chars} characters; the most is {MAX_PASSCODE_CHARS}"
        ))
    } else {
        None
    }
}

/// The Argon2id hash of `passcode` (default parameters, a random salt).
/// Slow on purpose: run it off the async threads.
pub fn hash(passcode: &str) -> anyhow::Result<String> {
    let mut salt = [0_u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| anyhow::anyhow!("the system's random source failed: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hashed = Argon2::default()
        .hash_password(passcode.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("cannot hash the passcode: {e}"))?;
    Ok(hashed.to_string())
}

/// Whether `passcode` is the one hashed in `phc`. Slow on purpose.
pub fn verify(passcode: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(passcode.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The unlock cookie's value for the link with token bytes `token` whose
/// passcode is hashed as `phc`: base64url SHA-256 of the two.
pub fn unlock_value(token: &[u8], phc: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(token);
    digest.update(phc.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.finalize())
}

/// Whether the request carries this link's unlock cookie.
pub fn unlocked(headers: &HeaderMap, token: &[u8], phc: &str) -> bool {
    let expected = unlock_value(token, phc);
    cookies(headers, COOKIE).any(|value| token::same_secret(value.as_bytes(), expected.as_bytes()))
}

/// Every value of cookie `name` the request carries.
pub fn cookies<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(move |pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key.trim() == name).then(|| value.trim())
        })
}

/// The `Set-Cookie` that unlocks the link at `/r/<token>`; `Secure` when
/// the request came over https.
pub fn set_cookie(token_text: &str, value: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={value}; Path=/r/{token_text}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Takes a try at link `link_id`'s passcode from `client` (when known), or
/// says how long to wait. Give the ticket back when the passcode was right.
pub fn take_try(
    throttle: &Throttle,
    link_id: &str,
    client: Option<&str>,
) -> Result<Ticket, Duration> {
    let mut keys = vec![(format!("link {link_id}"), TRIES_PER_LINK)];
    if let Some(client) = client {
        keys.push((format!("client {client}"), TRIES_PER_CLIENT));
    }
    throttle.take(&keys)
}

/// "Too many wrong passcodes" in words, with when to try again.
pub fn wait_message(wait: Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    format!(
        "Too many wrong passcodes; try again in {minutes} minute{}",
        if minutes == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passcodes_hash_and_verify() {
        let phc = hash("tulip season").expect("hashes");
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify("tulip season", &phc));
        assert!(!verify("tulip Season", &phc));
        assert!(!verify("tulip season", "not a hash"));
        assert_ne!(phc, hash("tulip season").expect("hashes"), "salted");
    }

    #[test]
    fn passcode_rules() {
        assert!(problem("").is_some());
        assert!(problem("   ").is_some());
        assert!(problem(&"x".repeat(MAX_PASSCODE_CHARS + 1)).is_some());
        assert_eq!(problem("open sesame"), None);
    }

    #[test]
    fn the_cookie_follows_the_passcode() {
        let token = [1_u8; 32];
        let a = unlock_value(&token, "$argon2id$one");
        assert_eq!(a.len(), 43);
        assert_ne!(a, unlock_value(&token, "$argon2id$two"));
        assert_ne!(a, unlock_value(&[2; 32], "$argon2id$one"));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            format!("theme=dark; {COOKIE}={a}").parse().expect("header"),
        );
        assert!(unlocked(&headers, &token, "$argon2id$one"));
        assert!(!unlocked(&headers, &token, "$argon2id$two"));
        assert_eq!(
            set_cookie("tok", "v", true),
            "chorus_review=v; Path=/r/tok; HttpOnly; SameSite=Strict; Secure"
        );
    }

    #[test]
    fn tries_are_counted_per_link_and_per_client() {
        let throttle = Throttle::new(Duration::from_mins(15));
        for link in ["a", "b", "c", "d"] {
            for _ in 0..TRIES_PER_LINK {
                take_try(&throttle, link, Some("198.51.100.7")).expect("a try");
            }
            assert!(
                take_try(&throttle, link, None).is_err(),
                "link {link} is full"
            );
        }
        assert!(
            take_try(&throttle, "e", Some("198.51.100.7")).is_err(),
            "20 tries from one address, over all links"
        );
        take_try(&throttle, "e", Some("203.0.113.9")).expect("another address");
        take_try(&throttle, "f", None).expect("an unknown address counts per link only");
    }

    #[test]
    fn waits_read_in_minutes() {
        assert_eq!(
            wait_message(Duration::from_secs(61)),
            "Too many wrong passcodes; try again in 2 minutes"
        );
        assert_eq!(
            wait_message(Duration::from_secs(3)),
            "Too many wrong passcodes; try again in 1 minute"
        );
    }
}

//! Account passwords: kept as Argon2id hashes (PHC strings, which carry
//! their own salt and parameters), checked against the rules every
//! password must pass (`chorus_core::access::password_problems`).
//!
//! Checking a password for an email that has no account (or no password
//! yet) still runs one full Argon2 verify, against a hash made once at
//! start-up, so how long the answer takes says nothing about which emails
//! exist.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Memory per hash, in KiB (19 MiB). With [`TIME_COST`] and
/// [`PARALLELISM`] this is OWASP's minimum for Argon2id (Password Storage
/// Cheat Sheet: m=19456, t=2, p=1): tens of milliseconds of one core on a
/// server, which a person signing in never notices, while every guess of
/// an attacker holding a stolen database costs the same 19 MiB and time,
/// so graphics cards (much compute, little memory per core) gain little. Raising these makes every sign-in slower and
/// hashes made before keep their own parameters (they are in the PHC string).
pub const MEMORY_KIB: u32 = 19_456;
/// Passes over the memory.
pub const TIME_COST: u32 = 2;
/// Lanes; one, so a burst of sign-ins cannot take every core.
pub const PARALLELISM: u32 = 1;
/// Bytes of random salt per hash.
pub const SALT_BYTES: usize = 16;

fn hasher() -> Argon2<'static> {
    // The constants above are within Argon2's limits; `Params::new` can
    // only refuse values outside them.
    let params = Params::new(MEMORY_KIB, TIME_COST, PARALLELISM, None).unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password`, with a fresh random salt. Slow on purpose:
/// call it off the async threads ([`hash_off_thread`]).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let mut salt = [0_u8; SALT_BYTES];
    getrandom::fill(&mut salt)
        .map_err(|e| anyhow::anyhow!("the system's random source failed: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hashed = hasher()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
    Ok(hashed.to_string())
}

/// A hash no password matches in practice, verified against when there is
/// no real one, so that a missing account costs the same time as a wrong
/// password.
static STAND_IN: LazyLock<Option<String>> = LazyLock::new(|| {
    let mut unguessable = [0_u8; 32];
    getrandom::fill(&mut unguessable).ok()?;
    hash(&format!("{unguessable:?}")).ok()
});

/// Whether `password` is the one hashed in `phc`. With no `phc` (no such
/// account, or no password set yet) it verifies against a stand-in hash
/// anyway and answers `false`. Argon2's verify compares the hashes in
/// constant time. Slow on purpose: call it through [`verify_off_thread`].
pub fn verify(password: &str, phc: Option<&str>) -> bool {
    let (phc, real) = match phc {
        Some(phc) => (phc, true),
        None => match STAND_IN.as_deref() {
            Some(stand_in) => (stand_in, false),
            None => return false,
        },
    };
    let matches = PasswordHash::new(phc).is_ok_and(|parsed| {
        hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    });
    real && matches
}

/// Makes the stand-in hash now rather than on the first sign-in, so that
/// first answer is not slower than the rest.
pub fn warm_up() {
    LazyLock::force(&STAND_IN);
}

/// [`hash`] on a blocking thread.
pub async fn hash_off_thread(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| anyhow::anyhow!("password hashing stopped: {e}"))?
}

/// [`verify`] on a blocking thread.
pub async fn verify_off_thread(password: String, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || verify(&password, phc.as_deref()))
        .await
        .unwrap_or(false)
}

/// Why `password` cannot be the password of `email`; empty when it can.
pub fn problems(password: &str, email: &str) -> Vec<String> {
    chorus_core::access::password_problems(password, email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_the_stated_parameters() {
        let phc = hash("violet harbor tractor").expect("hashes");
        assert!(
            phc.starts_with(&format!(
                "$argon2id$v=19$m={MEMORY_KIB},t={TIME_COST},p={PARALLELISM}$"
            )),
            "{phc}"
        );
        assert!(verify("violet harbor tractor", Some(&phc)));
        assert!(!verify("violet harbor tractoR", Some(&phc)));
        assert!(!verify("violet harbor tractor", Some("not a hash")));
        assert_ne!(
            phc,
            hash("violet harbor tractor").expect("hashes"),
            "salted"
        );
    }

    #[test]
    fn no_hash_spends_a_verify_and_never_matches() {
        warm_up();
        let stand_in = STAND_IN.as_deref().expect("made");
        assert!(stand_in.starts_with("$argon2id$"));
        let real = hash("violet harbor tractor").expect("hashes");
        let time = |phc: Option<&str>| {
            let started = std::time::Instant::now();
            assert!(!verify("wrong guess at it", phc));
            started.elapsed()
        };
        // Take the fastest of a few, so a busy machine does not decide it.
        let missing = (0..3).map(|_| time(None)).min().expect("three");
        let wrong = (0..3).map(|_| time(Some(&real))).min().expect("three");
        assert!(
            missing * 2 > wrong,
            "a missing account answered in {missing:?}, a wrong password in {wrong:?}"
        );
    }

    #[test]
    fn weak_passwords_are_refused_with_reasons() {
        assert!(!problems("tulips", "ana@example.com").is_empty());
        assert!(problems("violet harbor tractor", "ana@example.com").is_empty());
    }
}

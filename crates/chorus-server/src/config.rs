//! Where the server listens, where it keeps its data, and how its queue
//! worker shares jobs with other servers.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Settings for `chorus serve`.
#[derive(Clone)]
pub struct ServeConfig {
    pub addr: SocketAddr,
    /// Holds `chorus.db` and `assets/` unless the two below say otherwise.
    pub data_dir: PathBuf,
    /// The built studio app (Trunk's `dist/`).
    pub dist_dir: PathBuf,
    /// `postgres://…` to share jobs with other servers; SQLite in
    /// `data_dir` when `None`. May hold a password: never logged as is.
    pub database_url: Option<String>,
    /// `s3://bucket/prefix` or a folder; `data_dir/assets` when `None`.
    pub assets: Option<String>,
    pub queue: QueueSettings,
    /// How the built app is sent to browsers.
    pub delivery: Delivery,
    /// How long a deleted job can be restored before it and the assets no
    /// other job uses are removed for good.
    pub undo_window: Duration,
    /// Whether callers must sign in: `Off` only on a loopback address
    /// without `--require-sign-in`.
    pub sign_in: SignInMode,
    /// `CHORUS_PUBLIC_URL`, e.g. `https://studio.example.com`.
    pub public_url: Option<String>,
}

/// Whether this server asks who is calling (see `auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignInMode {
    /// Nobody signs in; every caller acts as the local owner. The default
    /// on a loopback address.
    #[default]
    Off,
    /// Every studio route needs a session or a token.
    Required,
}

impl SignInMode {
    /// Off only on a loopback address, and only when `--require-sign-in`
    /// was not given: anywhere else, anyone who reaches the address could
    /// otherwise spend the studio's credits.
    pub fn for_address(addr: SocketAddr, require_sign_in: bool) -> SignInMode {
        if require_sign_in || !addr.ip().is_loopback() {
            SignInMode::Required
        } else {
            SignInMode::Off
        }
    }
}

/// `--public-url` checked and tidied: `http(s)://host[:port][/path]`,
/// without a trailing slash.
pub fn check_public_url(url: &str) -> anyhow::Result<String> {
    let url = url.trim().trim_end_matches('/');
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(url.to_string()),
        _ => anyhow::bail!(
            "--public-url {url} is not an address people open: give it as https://studio.example.com"
        ),
    }
}

/// The undo window when none is set.
pub const DEFAULT_UNDO_WINDOW: Duration = Duration::from_secs(10);

/// How the built studio app is sent to browsers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Delivery {
    /// Precompressed files chosen by `Accept-Encoding`, immutable caching for
    /// content-hashed names, `no-cache` for `index.html`, JSON answers
    /// compressed on the fly.
    #[default]
    Production,
    /// Every file as it lies on disk, with no compression and no caching
    /// headers: how Chorus served the app before, kept only as the reference
    /// that `cargo xtask bench load` measures beside the real thing.
    Plain,
}

/// How this server's worker takes and holds jobs.
#[derive(Debug, Clone)]
pub struct QueueSettings {
    /// How long a claimed job stays this worker's without a renewal. A dead
    /// worker's jobs are taken over once it lapses.
    pub lease: Duration,
    /// Hosted jobs run at once on this server (each mostly waits on its
    /// provider). Local renders run one at a time whatever this says.
    pub hosted_at_once: usize,
    /// How often an idle worker looks for work created by other servers
    /// (jobs created here wake it at once).
    pub idle_poll: Duration,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            lease: Duration::from_secs(30),
            hosted_at_once: 32,
            idle_poll: Duration::from_secs(2),
        }
    }
}

impl ServeConfig {
    /// Everything in `data_dir` (SQLite and local files), default queue.
    pub fn local(addr: SocketAddr, data_dir: PathBuf, dist_dir: PathBuf) -> ServeConfig {
        ServeConfig {
            addr,
            data_dir,
            dist_dir,
            database_url: None,
            assets: None,
            queue: QueueSettings::default(),
            delivery: Delivery::Production,
            undo_window: DEFAULT_UNDO_WINDOW,
            sign_in: SignInMode::Off,
            public_url: None,
        }
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("chorus.db")
    }

    pub fn assets_dir(&self) -> PathBuf {
        self.data_dir.join("assets")
    }
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeConfig")
            .field("addr", &self.addr)
            .field("data_dir", &self.data_dir)
            .field("dist_dir", &self.dist_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(crate::db::redact_url),
            )
            .field("assets", &self.assets)
            .field("queue", &self.queue)
            .field("delivery", &self.delivery)
            .field("undo_window", &self.undo_window)
            .field("sign_in", &self.sign_in)
            .field("public_url", &self.public_url)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_is_off_only_on_loopback_unless_asked_for() {
        let at = |a: &str| a.parse::<SocketAddr>().expect("address");
        assert_eq!(
            SignInMode::for_address(at("127.0.0.1:8080"), false),
            SignInMode::Off
        );
        assert_eq!(
            SignInMode::for_address(at("[::1]:8080"), false),
            SignInMode::Off
        );
        assert_eq!(
            SignInMode::for_address(at("127.0.0.1:8080"), true),
            SignInMode::Required
        );
        assert_eq!(
            SignInMode::for_address(at("0.0.0.0:8080"), false),
            SignInMode::Required
        );
        assert_eq!(
            SignInMode::for_address(at("192.168.1.20:8080"), false),
            SignInMode::Required
        );
    }

    #[test]
    fn public_urls_are_web_addresses() {
        assert_eq!(
            check_public_url("https://studio.example.com/").expect("fine"),
            "https://studio.example.com"
        );
        assert!(check_public_url("studio.example.com").is_err());
        assert!(check_public_url("https://").is_err());
        assert!(check_public_url("ftp://studio.example.com").is_err());
    }
}

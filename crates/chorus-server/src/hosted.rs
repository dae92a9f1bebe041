//! Which hosted providers this server runs, read from the environment only:
//! each adapter whose key is set (FAL_KEY, REPLICATE_API_TOKEN,
//! RUNWARE_API_KEY, DASHSCOPE_API_KEY), and `CHORUS_PUBLIC_URL` for webhook
//! and image URLs. Keys are never logged: only provider names are.
//!
//! For tests against local fakes: `CHORUS_TEST_FAL_BASE`,
//! `CHORUS_TEST_REPLICATE_BASE`, `CHORUS_TEST_RUNWARE_URL` and
//! `CHORUS_TEST_DASHSCOPE_BASE` point the adapters at other addresses,
//! `CHORUS_TEST_ALLOW_LOOPBACK=1` lets downloads come from 127.0.0.1 over
//! http, and `CHORUS_TEST_POLL_MS` polls providers that often instead of
//! backing off from 2 s to 30 s.

use std::sync::Arc;
use std::time::Duration;

use chorus_providers::dashscope::{self, DashScope};
use chorus_providers::fal::{Fal, FalConfig};
use chorus_providers::http::ClientConfig;
use chorus_providers::replicate::{Replicate, ReplicateConfig};
use chorus_providers::runware::{self, Runware};
use chorus_providers::{Backoff, Provider, SubmitLedger};

use crate::db::Db;
use crate::provider_engine::{EngineSettings, ProviderEngine};
use crate::queue::Engine;
use crate::submit_ledger::DbLedger;

fn env(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

/// The providers whose keys are set, each submitting through the database
/// ledger in `db`.
pub fn providers_from_env(db: &Db) -> Vec<Arc<dyn Provider>> {
    let ledger: Arc<dyn SubmitLedger> = Arc::new(DbLedger::new(db.clone()));
    let mut providers: Vec<Arc<dyn Provider>> = Vec::new();
    if let Ok(mut config) = FalConfig::from_env() {
        if let Some(base) = env("CHORUS_TEST_FAL_BASE") {
            let base = base.trim_end_matches('/').to_string();
            config.jwks_url = format!("{base}/.well-known/jwks.json");
            config.client.base_url = base;
        }
        keep(&mut providers, Fal::new(config, Arc::clone(&ledger)));
    }
    if let Ok(mut config) = ReplicateConfig::from_env() {
        if let Some(base) = env("CHORUS_TEST_REPLICATE_BASE") {
            config.client.base_url = base;
        }
        keep(&mut providers, Replicate::new(config, Arc::clone(&ledger)));
    }
    if let Ok(mut config) = ClientConfig::from_env(&runware::API) {
        if let Some(url) = env("CHORUS_TEST_RUNWARE_URL") {
            config.base_url = url;
        }
        keep(&mut providers, Runware::new(config, Arc::clone(&ledger)));
    }
    if let Ok(mut config) = ClientConfig::from_env(&dashscope::API) {
        if let Some(base) = env("CHORUS_TEST_DASHSCOPE_BASE") {
            config.base_url = base;
        }
        keep(&mut providers, DashScope::new(config, ledger));
    }
    providers
}

/// Runs `adapter`, or logs why it cannot run: one whose client cannot be
/// set up is left out.
fn keep<P: Provider + 'static>(
    providers: &mut Vec<Arc<dyn Provider>>,
    adapter: chorus_providers::Result<P>,
) {
    match adapter {
        Ok(adapter) => providers.push(Arc::new(adapter)),
        Err(e) => tracing::error!("{e}"),
    }
}

/// How engines wait and download, with the public URL from the environment.
pub fn settings_from_env() -> EngineSettings {
    let mut settings = EngineSettings {
        public_url: env("CHORUS_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_string()),
        ..EngineSettings::default()
    };
    settings.download.allow_loopback = env("CHORUS_TEST_ALLOW_LOOPBACK").as_deref() == Some("1");
    if let Some(ms) = env("CHORUS_TEST_POLL_MS").and_then(|v| v.parse::<u64>().ok()) {
        let every = Duration::from_millis(ms.max(1));
        settings.wait.backoff = Backoff::new(every, every);
        settings.cancel_check = every.max(Duration::from_millis(100));
    }
    settings
}

/// One engine per provider.
pub fn engines(providers: &[Arc<dyn Provider>], settings: &EngineSettings) -> Vec<Arc<dyn Engine>> {
    providers
        .iter()
        .map(|p| {
            tracing::info!(provider = p.name(), "hosted provider configured");
            Arc::new(ProviderEngine::new(Arc::clone(p), settings.clone())) as Arc<dyn Engine>
        })
        .collect()
}

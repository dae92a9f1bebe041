//! The four providers' fakes seen from the server: start one, point an
//! adapter (or a `chorus serve` child's environment) at it, make a job
//! request for its model, and read back what it was sent.

#![allow(dead_code, reason = "each test binary uses some of the helpers")]

use std::sync::Arc;
use std::time::Duration;

use chorus_providers::dashscope::{self, DashScope};
use chorus_providers::fake::dashscope::{self as fake_dashscope, FakeDashScope};
use chorus_providers::fake::fal::{self as fake_fal, FakeFal};
use chorus_providers::fake::replicate::{self as fake_replicate, FakeReplicate};
use chorus_providers::fake::runware::{self as fake_runware, FakeRunware};
use chorus_providers::fake::{Script, State_, lock};
use chorus_providers::fal::{Fal, FalConfig};
use chorus_providers::http::{ClientConfig, RetryPolicy};
use chorus_providers::replicate::{Replicate, ReplicateConfig};
use chorus_providers::runware::{self, Runware};
use chorus_providers::{Backoff, DownloadPolicy, Provider, Secret, WaitOptions};
use chorus_server::AppState;
use chorus_server::provider_engine::{EngineSettings, ProviderEngine};
use chorus_server::queue::Engine;
use chorus_server::state::models_with_keys;
use chorus_server::submit_ledger::DbLedger;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Fal,
    Replicate,
    Runware,
    DashScope,
}

pub const ALL: [Which; 4] = [
    Which::Fal,
    Which::Replicate,
    Which::Runware,
    Which::DashScope,
];

pub enum Fake {
    Fal(FakeFal),
    Replicate(FakeReplicate),
    Runware(FakeRunware),
    DashScope(FakeDashScope),
}

/// Three attempts with millisecond backoff; calls may take `call_timeout`
/// (generous by default: test machines are loaded).
pub fn retry(call_timeout: Duration) -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        backoff: Backoff::new(Duration::from_millis(5), Duration::from_millis(20)),
        call_timeout,
    }
}

pub fn fast_retry() -> RetryPolicy {
    retry(Duration::from_secs(5))
}

/// Quick polls, a 10 s job limit, fakes on loopback.
pub fn fast_settings() -> EngineSettings {
    EngineSettings {
        wait: WaitOptions {
            backoff: Backoff::new(Duration::from_millis(10), Duration::from_millis(40)),
            time_limit: Duration::from_secs(10),
            max_poll_failures: 2,
            seed: 1,
        },
        download: DownloadPolicy {
            allow_loopback: true,
            ..DownloadPolicy::default()
        },
        cancel_check: Duration::from_millis(20),
        public_url: None,
    }
}

impl Which {
    pub fn name(self) -> &'static str {
        match self {
            Which::Fal => "fal",
            Which::Replicate => "replicate",
            Which::Runware => "runware",
            Which::DashScope => "dashscope",
        }
    }

    /// The model jobs for this provider use.
    pub fn model(self) -> &'static str {
        match self {
            Which::Fal => "happyhorse-1.1@fal",
            Which::Replicate => "wan-2.5@replicate",
            Which::Runware => "happyhorse-1.1@runware",
            Which::DashScope => "happyhorse-1.1@dashscope",
        }
    }

    /// The key its fake accepts.
    pub fn key(self) -> &'static str {
        match self {
            Which::Fal => fake_fal::KEY,
            Which::Replicate => fake_replicate::TOKEN,
            Which::Runware => fake_runware::KEY,
            Which::DashScope => fake_dashscope::KEY,
        }
    }

    pub fn key_variable(self) -> &'static str {
        chorus_server::state::key_variable(self.name()).expect("a hosted provider")
    }

    pub async fn start(self, script: Script) -> Fake {
        match self {
            Which::Fal => Fake::Fal(FakeFal::start(script).await),
            Which::Replicate => Fake::Replicate(FakeReplicate::start(script).await),
            Which::Runware => Fake::Runware(FakeRunware::start(script).await),
            Which::DashScope => Fake::DashScope(FakeDashScope::start(script).await),
        }
    }
}

/// A job request for `which`'s model: 5 s, 720p, 16:9, text to video.
pub fn request(which: Which, prompt: &str) -> Value {
    json!({
        "model": which.model(),
        "mode": "text-to-video",
        "prompt": prompt,
        "duration_s": 5,
        "resolution": "720p",
        "aspect_ratio": "16:9"
    })
}

impl Fake {
    pub fn which(&self) -> Which {
        match self {
            Fake::Fal(_) => Which::Fal,
            Fake::Replicate(_) => Which::Replicate,
            Fake::Runware(_) => Which::Runware,
            Fake::DashScope(_) => Which::DashScope,
        }
    }

    pub fn state(&self) -> &State_ {
        match self {
            Fake::Fal(f) => &f.state,
            Fake::Replicate(f) => &f.state,
            Fake::Runware(f) => &f.state,
            Fake::DashScope(f) => &f.state,
        }
    }

    /// An adapter aimed at this fake, submitting through `state`'s ledger,
    /// using `key` (the fake's own unless a test says otherwise).
    pub fn adapter(&self, state: &AppState, key: &str, retry: RetryPolicy) -> Arc<dyn Provider> {
        let ledger = Arc::new(DbLedger::new(state.db.clone()));
        let key = Secret::new(key);
        match self {
            Fake::Fal(f) => {
                let mut config = FalConfig::new(key);
                config.client.base_url.clone_from(&f.base);
                config.jwks_url = f.jwks_url();
                config.client.retry = retry;
                Arc::new(Fal::new(config, ledger).expect("fal client"))
            }
            Fake::Replicate(f) => {
                let mut config = ReplicateConfig::new(key);
                config.client.base_url.clone_from(&f.base);
                config.webhook_secret = Some(Secret::new(fake_replicate::webhook_secret()));
                config.client.retry = retry;
                Arc::new(Replicate::new(config, ledger).expect("replicate client"))
            }
            Fake::Runware(f) => {
                let mut config = ClientConfig::new(&runware::API, key);
                config.base_url = f.api_url();
                config.retry = retry;
                Arc::new(Runware::new(config, ledger).expect("runware client"))
            }
            Fake::DashScope(f) => {
                let mut config = ClientConfig::new(&dashscope::API, key);
                config.base_url.clone_from(&f.base);
                config.retry = retry;
                Arc::new(DashScope::new(config, ledger).expect("dashscope client"))
            }
        }
    }

    /// `state` as a server with this provider's key would have it, and the
    /// engine its worker would run.
    pub fn serve_with(
        &self,
        state: &AppState,
        settings: EngineSettings,
    ) -> (AppState, Vec<Arc<dyn Engine>>) {
        self.serve_with_key(state, settings, self.which().key(), fast_retry())
    }

    pub fn serve_with_key(
        &self,
        state: &AppState,
        settings: EngineSettings,
        key: &str,
        retry: RetryPolicy,
    ) -> (AppState, Vec<Arc<dyn Engine>>) {
        let provider = self.adapter(state, key, retry);
        let var = self.which().key_variable();
        let state = state
            .clone()
            .with_models(models_with_keys(|v| v == var))
            .with_providers(vec![Arc::clone(&provider)]);
        (
            state,
            vec![Arc::new(ProviderEngine::new(provider, settings))],
        )
    }

    /// The environment a `chorus serve` child needs to use this fake.
    pub fn env(&self) -> Vec<(String, String)> {
        let which = self.which();
        let mut env = vec![(which.key_variable().to_string(), which.key().to_string())];
        let (var, value) = match self {
            Fake::Fal(f) => ("CHORUS_TEST_FAL_BASE", f.base.clone()),
            Fake::Replicate(f) => ("CHORUS_TEST_REPLICATE_BASE", f.base.clone()),
            Fake::Runware(f) => ("CHORUS_TEST_RUNWARE_URL", f.api_url()),
            Fake::DashScope(f) => ("CHORUS_TEST_DASHSCOPE_BASE", f.base.clone()),
        };
        env.push((var.to_string(), value));
        if which == Which::Replicate {
            env.push((
                "REPLICATE_WEBHOOK_SECRET".to_string(),
                fake_replicate::webhook_secret(),
            ));
        }
        env
    }

    /// The prompt of every submit that created a job, in order.
    pub fn submitted_prompts(&self) -> Vec<String> {
        let pointer = match self.which() {
            Which::Fal => "/prompt",
            Which::Replicate | Which::DashScope => "/input/prompt",
            Which::Runware => "/positivePrompt",
        };
        lock(self.state())
            .submits
            .iter()
            .filter_map(|body| body.pointer(pointer).and_then(Value::as_str))
            .map(str::to_string)
            .collect()
    }

    /// The provider's ids of the jobs it holds.
    pub fn job_ids(&self) -> Vec<String> {
        lock(self.state()).jobs.keys().cloned().collect()
    }

    /// Completes `id`, delivering its webhook as the script says.
    pub async fn finish(&self, id: &str) {
        match self {
            Fake::Fal(f) => f.finish(id).await,
            Fake::Replicate(f) => f.finish(id).await,
            Fake::Runware(f) => f.finish(id).await,
            Fake::DashScope(_) => {
                lock(self.state()).jobs.get_mut(id).expect("task").done = true;
            }
        }
    }
}

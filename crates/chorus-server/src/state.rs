//! Shared server state: the database, the asset store, the event bus and the
//! model registry as this server sees it. What runs jobs is not part of it:
//! the queue worker is handed its engines (`queue::spawn_worker`).

use std::sync::Arc;

use anyhow::Context as _;
use chorus_core::ModelSpec;
use tokio::sync::{Notify, Semaphore};

use crate::assets::AssetStore;
use crate::config::{QueueSettings, ServeConfig};
use crate::db::Db;
use crate::events::{Events, Wakers};
use crate::throttle::Throttle;
use chorus_providers::{Deduper, Provider};

/// The window wrong review passcodes are counted in.
pub const PASSCODE_WINDOW: std::time::Duration = std::time::Duration::from_mins(15);

/// The window sign-in tries are counted in.
pub const SIGN_IN_WINDOW: std::time::Duration = std::time::Duration::from_mins(15);

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub assets: AssetStore,
    /// How the queue worker takes and holds jobs.
    pub queue: QueueSettings,
    pub events: Events,
    pub models: Arc<Vec<ModelSpec>>,
    /// Wakes the queue worker when a job is created.
    pub wake: Arc<Notify>,
    /// The built studio app.
    pub dist_dir: std::path::PathBuf,
    /// Where imported clips are received before they are checked and stored.
    pub spool: std::path::PathBuf,
    /// How the app and JSON answers are sent (compression, caching).
    pub delivery: crate::config::Delivery,
    /// Pollers of hosted jobs, woken early by verified webhooks.
    pub wakers: Wakers,
    /// The hosted providers configured here, for verifying their webhooks.
    pub providers: Arc<Vec<Arc<dyn Provider>>>,
    /// Webhook deliveries already handled (providers redeliver).
    pub webhook_deliveries: Arc<Deduper>,
    /// How long a deleted job can be restored (see `removal`).
    pub undo_window: std::time::Duration,
    /// Wrong review passcodes tried lately, per link and per client.
    pub passcode_tries: Arc<Throttle>,
    /// Lip-sync readings of shared takes run one at a time.
    pub analyses: Arc<Semaphore>,
    /// Sign-in tries lately, per account and per client address.
    pub sign_in_tries: Arc<Throttle>,
    /// Whether callers must sign in (off on a loopback address by default).
    pub sign_in: crate::config::SignInMode,
    /// `CHORUS_PUBLIC_URL`: the address people reach this studio at, for
    /// invite links, and whether cookies are `Secure` (an `https://` one).
    pub public_url: Option<String>,
    /// The translation engines whose keys are set (localized lines).
    pub translation: Arc<crate::localize::Translation>,
    /// How outgoing webhooks are retried and sent (tests shorten it).
    pub outgoing: crate::outgoing::Settings,
}

impl AppState {
    /// Opens (creating if needed) the database and the asset store the
    /// config names, and brings the schema up to date. Jobs a stopped server
    /// left running stay as they are: `serve` requeues them
    /// (`leases::requeue_interrupted`) before its worker starts.
    pub async fn open(config: &ServeConfig) -> anyhow::Result<AppState> {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data folder {}",
                config.data_dir.display()
            )
        })?;
        let db = Db::open(config.database_url.as_deref(), &config.data_dir).await?;
        let assets = AssetStore::open_location(config.assets.as_deref(), config.assets_dir())?;
        let spool = config.data_dir.join("incoming");
        crate::spool::open_spool(&spool)?;
        Ok(AppState {
            db,
            assets,
            queue: config.queue.clone(),
            events: Events::new(),
            models: Arc::new(available_models()),
            wake: Arc::new(Notify::new()),
            wakers: Wakers::default(),
            providers: Arc::new(Vec::new()),
            webhook_deliveries: Arc::new(Deduper::default()),
            dist_dir: config.dist_dir.clone(),
            spool,
            delivery: config.delivery,
            undo_window: config.undo_window,
            passcode_tries: Arc::new(Throttle::new(PASSCODE_WINDOW)),
            analyses: Arc::new(Semaphore::new(1)),
            sign_in_tries: Arc::new(Throttle::new(SIGN_IN_WINDOW)),
            sign_in: config.sign_in,
            public_url: config.public_url.clone(),
            translation: Arc::new(crate::localize::Translation::from_env()),
            outgoing: crate::outgoing::Settings::from_env(),
        })
    }
}

impl AppState {
    /// The same state with `providers` receiving webhooks.
    #[must_use]
    pub fn with_providers(mut self, providers: Vec<Arc<dyn Provider>>) -> AppState {
        self.providers = Arc::new(providers);
        self
    }

    /// The same state translating with `translation` (tests: local fakes).
    #[must_use]
    pub fn with_translation(mut self, translation: crate::localize::Translation) -> AppState {
        self.translation = Arc::new(translation);
        self
    }

    /// The same state offering `models` (see `models_with_keys`).
    #[must_use]
    pub fn with_models(mut self, models: Vec<ModelSpec>) -> AppState {
        self.models = Arc::new(models);
        self
    }
}

/// The registry, with each model marked available or not on this server
/// by whether its provider's key is in the environment.
pub fn available_models() -> Vec<ModelSpec> {
    models_with_keys(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
}

/// chorus-core's registry plus the models the provider adapters add (each
/// id once, chorus-core's entry first), each marked unavailable with the
/// reason when `key_is_set` says its provider's key is missing.
pub fn models_with_keys(key_is_set: impl Fn(&str) -> bool) -> Vec<ModelSpec> {
    let mut models = chorus_core::registry();
    for extra in chorus_providers::models() {
        if !models.iter().any(|m| m.id == extra.id) {
            models.push(extra);
        }
    }
    for model in &mut models {
        if let Some(var) = key_variable(&model.provider)
            && !key_is_set(var)
        {
            model.available = false;
            model.unavailable_reason = Some(format!("{var} is not set on the server"));
        }
    }
    models
}

/// The environment variable holding a provider's API key.
pub fn key_variable(provider: &str) -> Option<&'static str> {
    match provider {
        "fal" => Some("FAL_KEY"),
        "replicate" => Some("REPLICATE_API_TOKEN"),
        "runware" => Some("RUNWARE_API_KEY"),
        "dashscope" => Some("DASHSCOPE_API_KEY"),
        _ => None,
    }
}

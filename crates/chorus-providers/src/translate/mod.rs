//! Hosted translation engines for localized lines: Qwen-MT on DashScope and
//! DeepL behind one `Translator` interface. A request carries the line, the
//! two languages, the glossary pairs for this target and, after a take ran
//! long, a hint that the line must be spoken in fewer seconds. Each engine
//! speaks its vendor's protocol through the shared `http::Client` (key from
//! the environment, sent only to the configured base URL, retries with
//! backoff that honour `Retry-After`), and every failure comes back as a
//! `TranslateError` whose message names the engine and says what to do.
//!
//! Translating the same line twice costs a few tokens or characters and
//! creates nothing, so translation calls are retried like reads: timeouts,
//! 429 and 5xx, a few times, then a clear error.

pub mod deepl;
pub mod qwen_mt;

use std::sync::Arc;
use std::time::Duration;

use chorus_core::Language;
use serde::{Deserialize, Serialize};

use reqwest::Method;
use serde_json::Value;

use crate::error::ProviderError;
use crate::http::{
    Answer, Api, CallKind, Client, ClientConfig, RetryPolicy, TIMED_OUT, provider_message,
};
use crate::provider::BoxFuture;
use crate::secret::Secret;
use crate::wait::Backoff;

pub use deepl::DeepL;
pub use qwen_mt::QwenMt;

/// One glossary pair for the request's target language (the studio's own
/// type): a term kept as it is has `source == target`.
pub use chorus_core::localize::TermPair;

/// "Must be spoken within `seconds`; the last proposal needed
/// `needed_seconds`."
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitHint {
    pub seconds: f64,
    pub needed_seconds: f64,
}

/// One line to translate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranslateRequest {
    pub text: String,
    pub source: Language,
    pub target: Language,
    pub terms: Vec<TermPair>,
    pub fit: Option<FitHint>,
}

/// An engine's proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Translation {
    pub text: String,
    /// The engine's id (`qwen-mt`, `deepl`).
    pub engine: &'static str,
    /// Our estimate of what the call cost, in millionths of a US dollar,
    /// from the vendor's published price (see each engine's `PRICE` notes).
    pub cost_usd_micros: i64,
}

/// What kind of failure, for the studio to pick a reaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TranslateErrorKind {
    /// The engine's key is not set (or cannot be used).
    NotConfigured,
    /// The engine refused the key.
    Auth,
    /// Still rate-limited after every retry.
    RateLimited,
    /// The account's quota or budget at the vendor is used up.
    QuotaExceeded,
    /// No answer within the call's time limit, after every retry.
    Timeout,
    /// This engine cannot do this request (language pair, or the vendor
    /// refused it as invalid).
    Unsupported,
    /// The engine answered with something we cannot read.
    BadAnswer,
    /// The engine is failing (5xx) or cannot be reached.
    Unavailable,
}

/// Why a translation did not come back. `message` is a sentence a
/// marketer can act on, naming the engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TranslateError {
    pub kind: TranslateErrorKind,
    pub message: String,
}

impl TranslateError {
    pub fn new(kind: TranslateErrorKind, message: impl Into<String>) -> Self {
        TranslateError {
            kind,
            message: message.into(),
        }
    }
}

/// A hosted translation engine.
pub trait Translator: Send + Sync {
    /// `qwen-mt` or `deepl`.
    fn id(&self) -> &'static str;
    /// The name the studio shows.
    fn name(&self) -> &'static str;
    /// Whether this engine translates `source` into `target`.
    fn supports(&self, source: Language, target: Language) -> bool;
    /// Translates one line.
    fn translate<'a>(
        &'a self,
        request: &'a TranslateRequest,
    ) -> BoxFuture<'a, Result<Translation, TranslateError>>;
}

/// Whether an engine can be used here, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngineStatus {
    pub id: &'static str,
    pub name: &'static str,
    pub available: bool,
    /// When unavailable: what to do about it.
    pub reason: Option<String>,
}

/// Points the Qwen-MT engine at another address (a local fake in tests).
pub const QWEN_MT_BASE_VAR: &str = "CHORUS_TEST_QWEN_MT_BASE";
/// Points the DeepL engine at another address (a local fake in tests).
pub const DEEPL_BASE_VAR: &str = "CHORUS_TEST_DEEPL_BASE";

/// How hard a translation call tries by default: three attempts, 0.5 s
/// then 1 s apart (longer when the engine's `Retry-After` says so, up to
/// `http::RETRY_AFTER_CAP`), each at most 20 s.
pub fn default_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        backoff: Backoff::new(Duration::from_millis(500), Duration::from_secs(4)),
        call_timeout: Duration::from_secs(20),
    }
}

/// Engines whose keys are set, plus the status of every engine (with the
/// reason for the missing ones), from the process environment.
pub fn engines_from_env() -> (Vec<Arc<dyn Translator>>, Vec<EngineStatus>) {
    engines_from(|var| std::env::var(var).ok())
}

/// As `engines_from_env`, reading variables through `lookup` (so tests need
/// not touch the process environment). Blank values count as unset.
pub fn engines_from(
    lookup: impl Fn(&str) -> Option<String>,
) -> (Vec<Arc<dyn Translator>>, Vec<EngineStatus>) {
    let read = |var: &str| {
        lookup(var)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut engines: Vec<Arc<dyn Translator>> = Vec::new();
    let mut statuses = Vec::new();

    let qwen = read(qwen_mt::API.key_var).map(|key| {
        let mut config = qwen_mt::config_for(Secret::new(key));
        if let Some(base) = read(QWEN_MT_BASE_VAR) {
            config.base_url = base;
        }
        let model = read(qwen_mt::MODEL_VAR).unwrap_or_else(|| qwen_mt::DEFAULT_MODEL.into());
        QwenMt::new(config).map(|engine| engine.with_model(model))
    });
    keep(
        &mut engines,
        &mut statuses,
        (qwen_mt::ID, qwen_mt::NAME, qwen_mt::API.key_var),
        qwen,
    );

    let deepl = read(deepl::API.key_var).map(|key| {
        let mut config = deepl::config_for(Secret::new(key));
        if let Some(base) = read(DEEPL_BASE_VAR) {
            config.base_url = base;
        }
        DeepL::new(config)
    });
    keep(
        &mut engines,
        &mut statuses,
        (deepl::ID, deepl::NAME, deepl::API.key_var),
        deepl,
    );
    (engines, statuses)
}

/// Adds `built` to `engines` when it could be set up, and its status.
fn keep<T: Translator + 'static>(
    engines: &mut Vec<Arc<dyn Translator>>,
    statuses: &mut Vec<EngineStatus>,
    (id, name, key_var): (&'static str, &'static str, &'static str),
    built: Option<Result<T, TranslateError>>,
) {
    let reason = match built {
        None => Some(format!("Set {key_var} to use {name}")),
        Some(Err(e)) => Some(e.message),
        Some(Ok(engine)) => {
            engines.push(Arc::new(engine));
            None
        }
    };
    statuses.push(EngineStatus {
        id,
        name,
        available: reason.is_none(),
        reason,
    });
}

/// An engine's authenticated client, and the voice of its errors.
#[derive(Debug)]
pub(crate) struct Wire {
    client: Client,
    pub voice: Voice,
}

impl Wire {
    /// The client for `api` as `config` says; `name` is the engine's.
    pub(crate) fn new(
        api: &Api,
        name: &'static str,
        config: ClientConfig,
    ) -> Result<Self, TranslateError> {
        let voice = Voice {
            name,
            key_var: api.key_var,
            call_timeout: config.retry.call_timeout,
        };
        let client = Client::new(api, config).map_err(|e| voice.setup(&e))?;
        Ok(Wire { client, voice })
    }

    /// POSTs `body` as JSON to `path`, retried as `kind` allows; the
    /// final answer (2xx, or a 4xx other than 429 for the engine to read).
    pub(crate) async fn post(
        &self,
        kind: CallKind,
        path: &str,
        body: &Value,
    ) -> Result<Answer, TranslateError> {
        self.client
            .send(kind, Method::POST, path, |r| r.json(body))
            .await
            .map_err(|e| self.voice.failed(e.error))
    }

    /// An answer's body as JSON, or a `BadAnswer`.
    pub(crate) fn json(
        &self,
        answer: &Answer,
        context: &'static str,
    ) -> Result<Value, TranslateError> {
        answer
            .json(self.client.provider, context)
            .map_err(|e| self.voice.failed(e))
    }
}

/// What the error messages say about an engine.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Voice {
    pub name: &'static str,
    pub key_var: &'static str,
    pub call_timeout: Duration,
}

impl Voice {
    /// A request this engine does not take.
    pub(crate) fn unsupported(self, source: Language, target: Language) -> TranslateError {
        TranslateError::new(
            TranslateErrorKind::Unsupported,
            format!(
                "{} cannot translate {} into {}; pick another engine for this language",
                self.name,
                source.code(),
                target.code()
            ),
        )
    }

    /// A client that could not be set up.
    pub(crate) fn setup(self, e: &ProviderError) -> TranslateError {
        TranslateError::new(
            TranslateErrorKind::NotConfigured,
            format!(
                "{} cannot be used: {e}; set {} again on the server",
                self.name, self.key_var
            ),
        )
    }

    /// A call that failed after the client's retries.
    pub(crate) fn failed(self, e: ProviderError) -> TranslateError {
        use TranslateErrorKind as K;
        let name = self.name;
        match e {
            ProviderError::Unavailable {
                status: 429,
                attempts,
                message,
                ..
            } => {
                if message.to_lowercase().contains("quota") {
                    return self.quota(&message);
                }
                TranslateError::new(
                    K::RateLimited,
                    format!(
                        "{name} is rate-limiting this studio (429) after {attempts} {}; wait a minute and press Translate again",
                        tries(attempts)
                    ),
                )
            }
            ProviderError::Unavailable {
                status,
                attempts,
                message,
                ..
            } => TranslateError::new(
                K::Unavailable,
                format!(
                    "{name} is failing (HTTP {status}: {message}) after {attempts} {}; try again in a few minutes or pick another engine",
                    tries(attempts)
                ),
            ),
            ProviderError::Network {
                attempts, detail, ..
            } if detail.starts_with(TIMED_OUT) => TranslateError::new(
                K::Timeout,
                format!(
                    "{name} did not answer within {} s, {attempts} {}; press Translate again or pick another engine",
                    self.call_timeout.as_secs_f64(),
                    tries(attempts)
                ),
            ),
            ProviderError::Network {
                attempts, detail, ..
            } => TranslateError::new(
                K::Unavailable,
                format!(
                    "cannot reach {name} ({detail}) after {attempts} {}; check the server's connection and press Translate again",
                    tries(attempts)
                ),
            ),
            ProviderError::Unauthorized { status, .. } => self.auth(status),
            ProviderError::BadResponse { detail, .. } => self.bad_answer(&detail),
            ProviderError::NotConfigured { .. } | ProviderError::ClientSetup { .. } => {
                self.setup(&e)
            }
            other => TranslateError::new(K::Unavailable, format!("{name} failed: {other}")),
        }
    }

    pub(crate) fn auth(self, status: u16) -> TranslateError {
        TranslateError::new(
            TranslateErrorKind::Auth,
            format!(
                "{} refused the API key ({status}); check {} on the server",
                self.name, self.key_var
            ),
        )
    }

    pub(crate) fn quota(self, detail: &str) -> TranslateError {
        TranslateError::new(
            TranslateErrorKind::QuotaExceeded,
            format!(
                "{}'s quota for this account is used up ({detail}); raise the limit or top up the account at the vendor, or pick another engine",
                self.name
            ),
        )
    }

    pub(crate) fn bad_answer(self, detail: &str) -> TranslateError {
        TranslateError::new(
            TranslateErrorKind::BadAnswer,
            format!(
                "{} sent an answer we cannot read ({detail}); press Translate again or pick another engine",
                self.name
            ),
        )
    }

    /// A final 4xx answer the engine did not explain otherwise.
    pub(crate) fn refused(self, answer: &Answer) -> TranslateError {
        if matches!(answer.status, 401 | 403) {
            return self.auth(answer.status);
        }
        TranslateError::new(
            TranslateErrorKind::Unsupported,
            format!(
                "{} refused this line (HTTP {}: {}); edit the line or pick another engine",
                self.name,
                answer.status,
                provider_message(&answer.body)
            ),
        )
    }
}

fn tries(n: u32) -> &'static str {
    if n == 1 { "try" } else { "tries" }
}

/// The terms worth sending: both sides non-empty, tabs and line breaks
/// flattened to spaces, the first pair for each source kept.
pub(crate) fn clean_terms(terms: &[TermPair]) -> Vec<TermPair> {
    let flat = |s: &str| {
        s.split(['\t', '\n', '\r'])
            .collect::<Vec<_>>()
            .join(" ")
            .trim()
            .to_string()
    };
    let mut kept: Vec<TermPair> = Vec::new();
    for pair in terms {
        let (source, target) = (flat(&pair.source), flat(&pair.target));
        if source.is_empty() || target.is_empty() || kept.iter().any(|k| k.source == source) {
            continue;
        }
        kept.push(TermPair { source, target });
    }
    kept
}

/// Rounds a cost in millionths of a dollar to a whole number.
pub(crate) fn micros(cost: f64) -> i64 {
    cost.round() as i64
}

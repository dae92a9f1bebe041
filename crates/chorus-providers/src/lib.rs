//! Hosted video providers behind one interface. Each adapter (fal, Replicate,
//! Runware, DashScope) speaks its provider's protocol exactly and implements
//! `Provider`: submit once per job key, read status and results, cancel,
//! verify webhooks. Around them: the shared HTTP retry layer, the polling
//! loop with backoff and a time limit, and a download that only keeps real
//! MP4s fetched from public https addresses. `translate`: hosted translation
//! engines (Qwen-MT, DeepL) for localized lines, on the same HTTP layer.

pub mod dashscope;
pub mod download;
pub mod error;
#[cfg(feature = "fake")]
pub mod fake;
pub mod fal;
pub mod http;
pub mod images;
pub mod ledger;
pub mod models;
pub mod provider;
pub mod replicate;
pub mod runware;
pub mod secret;
pub mod translate;
pub mod wait;
pub mod webhook;

pub use download::{DownloadPolicy, SavedVideo, VideoInfo, VideoStore, download_video};
pub use error::{ProviderError, Result, WebhookError};
pub use ledger::{MemoryLedger, SubmitLedger, SubmitRecord};
pub use models::models;
pub use provider::{
    BoxFuture, CancelOutcome, ImageInput, JobState, Provider, ProviderJob, ProviderOutput,
    SubmitRequest, WebhookEvent, WebhookHeaders,
};
pub use secret::Secret;
pub use translate::{
    EngineStatus, FitHint, TermPair, TranslateError, TranslateErrorKind, TranslateRequest,
    Translation, Translator, engines_from_env,
};
pub use wait::{Backoff, SeededRng, WaitOptions, wait_for_outcome, within_time_limit};
pub use webhook::Deduper;

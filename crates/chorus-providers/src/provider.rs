//! The one interface every hosted provider implements, and the plain data
//! that crosses it: what to generate, the provider's handle on a job, where
//! a job stands, and what it produced.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use chorus_core::{AspectRatio, GenerationRequest, Mode, ModelSpec, Resolution};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// A boxed future, so `Provider` stays object-safe (`Arc<dyn Provider>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One image the request uses (the start image, or `character1`…).
#[derive(Clone)]
pub struct ImageInput {
    pub bytes: Bytes,
    /// `image/png`, `image/jpeg`, …
    pub mime: String,
    /// Where the provider can fetch it, when the server has a public base
    /// URL. Without one, adapters send a data URL where the API allows it.
    pub public_url: Option<String>,
}

impl std::fmt::Debug for ImageInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageInput")
            .field("bytes", &self.bytes.len())
            .field("mime", &self.mime)
            .field("public_url", &self.public_url)
            .finish()
    }
}

/// One take to generate: everything an adapter sends.
#[derive(Debug, Clone)]
pub struct SubmitRequest {
    /// Our key for this take (job id plus take index). Submits are
    /// idempotent on it: the same key never creates a second paid job.
    pub job_key: String,
    /// Registry id (`happyhorse-1.1@fal`).
    pub model: String,
    pub mode: Mode,
    /// The final prompt for this take (dialogue already woven in).
    pub prompt: String,
    pub negative_prompt: String,
    pub duration_s: u32,
    pub resolution: Resolution,
    pub aspect_ratio: AspectRatio,
    pub audio: bool,
    pub seed: Option<i64>,
    /// Start image (image-to-video) or references in order.
    pub images: Vec<ImageInput>,
    /// Where the provider should post completion, if we receive webhooks.
    pub webhook_url: Option<String>,
}

impl SubmitRequest {
    /// One take of `request`, speaking `prompt`.
    pub fn from_generation(
        job_key: impl Into<String>,
        request: &GenerationRequest,
        prompt: impl Into<String>,
        images: Vec<ImageInput>,
    ) -> Self {
        SubmitRequest {
            job_key: job_key.into(),
            model: request.model.clone(),
            mode: request.mode,
            prompt: prompt.into(),
            negative_prompt: request.negative_prompt.clone(),
            duration_s: request.duration_s,
            resolution: request.resolution,
            aspect_ratio: request.aspect_ratio,
            audio: request.audio,
            seed: request.seed,
            images,
            webhook_url: None,
        }
    }
}

/// The provider's handle on a submitted job. The caller persists it (with
/// the job) so polling, cancel and result survive a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderJob {
    /// `fal`, `replicate`, `runware`, `dashscope`.
    pub provider: String,
    /// Registry id of the model.
    pub model: String,
    pub job_key: String,
    /// fal `request_id`, Replicate prediction id, Runware `taskUUID`,
    /// DashScope `task_id`.
    pub provider_id: String,
    /// Provider-side model path the job runs on (fal needs it for URLs).
    pub endpoint: String,
}

/// What a finished job produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProviderOutput {
    /// Output video URLs, to be downloaded at once (some expire in an hour).
    pub video_urls: Vec<String>,
    /// Actual cost in millionths of a dollar, when the provider reports it.
    pub cost_usd_micros: Option<u64>,
    pub seed: Option<i64>,
}

/// Where a job stands at the provider.
#[derive(Debug, Clone, PartialEq)]
pub enum JobState {
    Queued {
        position: Option<u32>,
    },
    Running,
    Succeeded(ProviderOutput),
    /// Failed at the provider; `message` is the provider's own words.
    Failed {
        message: String,
    },
    Canceled,
}

impl JobState {
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JobState::Succeeded(_) | JobState::Failed { .. } | JobState::Canceled
        )
    }
}

/// What a cancel request achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// The provider stopped it or will.
    Requested,
    /// Too late: it already finished (and was paid for).
    AlreadyFinished,
    /// The provider does not know the job.
    NotFound,
    /// The provider's API has no cancel; the job runs to the end.
    Unsupported,
}

/// A verified webhook delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// The provider's job id it is about.
    pub provider_id: String,
    /// Unique per delivery attempt set: dedupe on it.
    pub delivery_id: String,
    /// The state the body reports. Adapters treat it as a hint and read the
    /// authoritative state through the API (see `wait::wait_for_outcome`).
    pub state: JobState,
}

/// The headers a webhook came with, lowercased names.
#[derive(Debug, Clone, Default)]
pub struct WebhookHeaders(pub Vec<(String, String)>);

impl WebhookHeaders {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A hosted provider. Each method makes at most the HTTP calls it names;
/// retries of safe calls happen inside, submits are never sent twice.
pub trait Provider: Send + Sync {
    /// `fal`, `replicate`, …
    fn name(&self) -> &'static str;
    /// The models this adapter serves, with their limits and prices.
    fn capabilities(&self) -> Vec<ModelSpec>;
    /// Starts a job, or returns the one already started for `job_key`.
    fn submit<'a>(&'a self, request: &'a SubmitRequest) -> BoxFuture<'a, Result<ProviderJob>>;
    /// Reads the job's state once.
    fn status<'a>(&'a self, job: &'a ProviderJob) -> BoxFuture<'a, Result<JobState>>;
    /// Asks the provider to stop the job.
    fn cancel<'a>(&'a self, job: &'a ProviderJob) -> BoxFuture<'a, Result<CancelOutcome>>;
    /// Checks a webhook's signature and freshness, then parses it.
    /// `now_unix` is passed in so the replay window is testable.
    fn verify_webhook<'a>(
        &'a self,
        headers: &'a WebhookHeaders,
        body: &'a [u8],
        now_unix: i64,
    ) -> BoxFuture<'a, Result<WebhookEvent>>;
}

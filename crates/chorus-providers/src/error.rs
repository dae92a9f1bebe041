//! The crate's one error type. Every message says what happened and what a
//! person can do about it; the provider's own wording is kept verbatim where
//! there is one. Keys never appear here: requests are described by provider
//! and path, never by headers.

use thiserror::Error;

/// Why a provider call did not give what was asked.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProviderError {
    /// No key configured for the provider.
    #[error("{provider} is not configured: set {env_var} on the server")]
    NotConfigured {
        provider: &'static str,
        env_var: &'static str,
    },
    /// The provider's client could not be set up; nothing was sent.
    #[error("cannot set up the {provider} client: {detail}")]
    ClientSetup {
        provider: &'static str,
        detail: String,
    },
    /// The request asks for something this model cannot do; nothing was spent.
    #[error("{model} cannot do this: {reason}")]
    Unsupported { model: String, reason: String },
    /// The provider refused the key.
    #[error(
        "{provider} refused the API key (HTTP {status}): {message}. Check the key configured on the server"
    )]
    Unauthorized {
        provider: &'static str,
        status: u16,
        message: String,
    },
    /// The provider rejected the request (4xx other than auth); not retried.
    #[error("{provider} rejected the request (HTTP {status}): {message}")]
    Rejected {
        provider: &'static str,
        status: u16,
        message: String,
    },
    /// The provider kept failing (5xx) after every retry.
    #[error(
        "{provider} is failing (HTTP {status} after {attempts} attempts): {message}. Try again later"
    )]
    Unavailable {
        provider: &'static str,
        status: u16,
        attempts: u32,
        message: String,
    },
    /// The provider could not be reached after every retry.
    #[error("cannot reach {provider} after {attempts} attempts: {detail}")]
    Network {
        provider: &'static str,
        attempts: u32,
        detail: String,
    },
    /// The provider answered with something we cannot read.
    #[error("{provider} sent an answer we cannot read ({context}): {detail}")]
    BadResponse {
        provider: &'static str,
        context: &'static str,
        detail: String,
    },
    /// A submit for this job was sent but its outcome is unknown (timeout or
    /// server error mid-request). Sending it again could pay twice, so we stop.
    #[error(
        "a {provider} submission for job {job_key} may already exist (the earlier attempt's outcome is unknown): check the provider's dashboard before retrying"
    )]
    SubmitInDoubt {
        provider: &'static str,
        job_key: String,
    },
    /// The generation itself failed at the provider.
    #[error("{provider} could not generate the video: {message}")]
    GenerationFailed {
        provider: &'static str,
        message: String,
    },
    /// The job was canceled at the provider.
    #[error("the {provider} job was canceled")]
    Canceled { provider: &'static str },
    /// The job took longer than allowed.
    #[error("the {provider} job did not finish within {limit_s} s")]
    TimedOut {
        provider: &'static str,
        limit_s: u64,
    },
    /// The output is gone from the provider before we saved it.
    #[error(
        "the video is no longer available from {provider} ({reason}); outputs must be saved as soon as they are ready, so generate it again"
    )]
    OutputExpired {
        provider: &'static str,
        reason: String,
    },
    /// The output URL is not one we will fetch.
    #[error("refusing to download {url}: {reason}")]
    UnsafeUrl { url: String, reason: String },
    /// The output is larger than the cap.
    #[error("the video is larger than the {limit_bytes}-byte limit")]
    TooLarge { limit_bytes: u64 },
    /// The output is not a playable MP4.
    #[error("the provider's output is not a usable MP4: {detail}")]
    NotMp4 { detail: String },
    /// The submit ledger could not be read or written; nothing was sent.
    #[error("cannot record the submission: {0}")]
    Ledger(String),
    /// Storing the downloaded video failed.
    #[error("cannot store the video: {0}")]
    Storage(String),
    /// A webhook failed verification; it must be answered 4xx and ignored.
    #[error("webhook rejected: {0}")]
    Webhook(#[from] WebhookError),
}

/// Why a webhook was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WebhookError {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("malformed header {0}")]
    MalformedHeader(&'static str),
    #[error(
        "timestamp is {age_s} s away from now, outside the ±{window_s} s window (stale or replayed)"
    )]
    Stale { age_s: i64, window_s: i64 },
    #[error("signature does not match")]
    BadSignature,
    #[error("no verification key is available: {0}")]
    NoKeys(String),
    #[error("webhook body is not valid JSON: {0}")]
    BadBody(String),
    #[error("this provider's webhooks cannot be verified: {0}")]
    Unsupported(&'static str),
}

pub type Result<T, E = ProviderError> = std::result::Result<T, E>;

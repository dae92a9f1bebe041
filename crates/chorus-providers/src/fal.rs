//! fal's queue API for HappyHorse 1.1: submit to the model path, then read
//! status, result and cancel under the app path (the model id without its
//! `v1.1/<mode>` sub-path). Webhooks are ED25519-signed with keys from fal's
//! JWKS document, fetched on first use and refreshed when a key is unknown.
//! fal has no idempotency header, so submits go through the ledger.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chorus_core::{Mode, ModelSpec};
use ed25519_dalek::VerifyingKey;
use reqwest::Method;
use serde_json::{Value, json};

use crate::error::{ProviderError, Result, WebhookError};
use crate::http::{
    Answer, Api, AuthScheme, CallError, CallKind, Client, ClientConfig, accepted_id,
};
use crate::images::{image_ref, image_refs};
use crate::ledger::{SubmitLedger, submit_without_own_id};
use crate::models::{check_fits, happyhorse_fal};
use crate::provider::{
    BoxFuture, CancelOutcome, JobState, Provider, ProviderJob, ProviderOutput, SubmitRequest,
    WebhookEvent, WebhookHeaders,
};
use crate::secret::Secret;
use crate::webhook::{parse_jwks, verify_fal};

const NAME: &str = "fal";
/// fal's queue API, keyed by `FAL_KEY`.
pub const API: Api = Api {
    provider: NAME,
    base_url: "https://queue.fal.run",
    key_var: "FAL_KEY",
    scheme: AuthScheme::Key,
};
/// (2nd-hand) where fal publishes its webhook keys: the address the public
/// verifiers use.
pub const JWKS_URL: &str = "https://rest.alpha.fal.ai/.well-known/jwks.json";
/// How long fetched webhook keys are trusted before a refresh.
const JWKS_TTL: Duration = Duration::from_hours(1);
/// Shortest gap between two fetches prompted by an unknown signature.
const JWKS_MIN_REFRESH: Duration = Duration::from_mins(1);

/// Where and how to reach fal.
#[derive(Debug, Clone)]
pub struct FalConfig {
    /// The queue API (`API`'s address; a fake's in tests).
    pub client: ClientConfig,
    /// fal's published webhook keys.
    pub jwks_url: String,
}

impl FalConfig {
    pub fn new(key: Secret) -> Self {
        FalConfig {
            client: ClientConfig::new(&API, key),
            jwks_url: JWKS_URL.into(),
        }
    }

    /// From `FAL_KEY`; `NotConfigured` when unset.
    pub fn from_env() -> Result<Self> {
        Ok(FalConfig {
            client: ClientConfig::from_env(&API)?,
            jwks_url: JWKS_URL.into(),
        })
    }
}

/// The fal adapter.
#[derive(Debug)]
pub struct Fal {
    client: Client,
    jwks_url: String,
    ledger: Arc<dyn SubmitLedger>,
    jwks: Mutex<Option<(Instant, Vec<VerifyingKey>)>>,
}

/// fal's model id for HappyHorse in `mode`.
pub fn model_id(mode: Mode) -> String {
    format!("alibaba/happy-horse/v1.1/{}", mode.slug())
}

/// The app path status, result and cancel live under: the first two
/// segments of the model id.
pub fn app_path(model_id: &str) -> String {
    model_id.split('/').take(2).collect::<Vec<_>>().join("/")
}

/// The JSON body fal's HappyHorse endpoints take.
pub fn request_body(request: &SubmitRequest) -> Result<Value> {
    let spec = happyhorse_fal();
    let mut body = json!({
        "prompt": request.prompt,
        "aspect_ratio": request.aspect_ratio.label(),
        "resolution": request.resolution.label(),
        "duration": request.duration_s,
    });
    if let Some(seed) = request.seed {
        body["seed"] = json!(seed);
    }
    match request.mode {
        Mode::TextToVideo => {}
        Mode::ImageToVideo => {
            let first = request
                .images
                .first()
                .ok_or_else(|| ProviderError::Unsupported {
                    model: spec.full_name(),
                    reason: "image-to-video needs a start image".into(),
                })?;
            body["image_url"] = json!(image_ref(first, &spec.id, true)?);
        }
        Mode::ReferenceToVideo => {
            body["image_urls"] = json!(image_refs(&request.images, &spec.id, true)?);
        }
    }
    Ok(body)
}

impl Fal {
    pub fn new(config: FalConfig, ledger: Arc<dyn SubmitLedger>) -> Result<Self> {
        Ok(Fal {
            client: Client::new(&API, config.client)?,
            jwks_url: config.jwks_url,
            ledger,
            jwks: Mutex::new(None),
        })
    }

    /// A job's path under the queue API: its app path, then `tail`.
    fn request_path(job: &ProviderJob, tail: &str) -> String {
        format!(
            "/{}/requests/{}{tail}",
            app_path(&job.endpoint),
            job.provider_id
        )
    }

    async fn get(&self, path: &str) -> Result<Answer> {
        Ok(self
            .client
            .send(CallKind::Safe, Method::GET, path, |r| r)
            .await?)
    }

    async fn send_submit(
        &self,
        request: &SubmitRequest,
        body: Value,
    ) -> Result<ProviderJob, CallError> {
        let endpoint = model_id(request.mode);
        let json = self
            .client
            .submit_json(
                &format!("/{endpoint}"),
                &body,
                |r| match &request.webhook_url {
                    Some(hook) => r.query(&[("fal_webhook", hook)]),
                    None => r,
                },
                "submit answer",
            )
            .await?;
        Ok(ProviderJob {
            provider: NAME.into(),
            model: request.model.clone(),
            job_key: request.job_key.clone(),
            provider_id: accepted_id(&json, "/request_id", NAME, "submit answer")?,
            endpoint,
        })
    }

    async fn result(&self, job: &ProviderJob) -> Result<JobState> {
        let answer = self
            .get(&Self::request_path(job, ""))
            .await?
            .reject_auth(NAME)?;
        if answer.status >= 400 {
            // fal answers a failed generation's result with its error body.
            return Ok(JobState::Failed {
                message: crate::http::provider_message(&answer.body),
            });
        }
        let json = answer.json(NAME, "result")?;
        Ok(JobState::Succeeded(output_from_payload(&json)))
    }

    async fn keys(&self, refresh: bool) -> Result<Vec<VerifyingKey>, WebhookError> {
        {
            // A refresh is rate-limited so forged webhooks cannot make us
            // hammer fal's key endpoint.
            let keep_for = if refresh { JWKS_MIN_REFRESH } else { JWKS_TTL };
            let cached = self
                .jwks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((at, keys)) = cached.as_ref()
                && at.elapsed() < keep_for
            {
                return Ok(keys.clone());
            }
        }
        let answer = self
            .client
            .get_without_key(&self.jwks_url)
            .await
            .map_err(|e| WebhookError::NoKeys(e.error.to_string()))?;
        if answer.status != 200 {
            return Err(WebhookError::NoKeys(format!(
                "JWKS answered HTTP {}",
                answer.status
            )));
        }
        let keys = parse_jwks(&answer.body)?;
        *self
            .jwks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((Instant::now(), keys.clone()));
        Ok(keys)
    }
}

fn output_from_payload(payload: &Value) -> ProviderOutput {
    let mut urls: Vec<String> = payload
        .pointer("/video/url")
        .and_then(Value::as_str)
        .map(str::to_string)
        .into_iter()
        .collect();
    if let Some(list) = payload.get("videos").and_then(Value::as_array) {
        urls.extend(
            list.iter()
                .filter_map(|v| v.get("url").and_then(Value::as_str))
                .map(str::to_string),
        );
    }
    ProviderOutput {
        video_urls: urls,
        cost_usd_micros: None,
        seed: payload.get("seed").and_then(Value::as_i64),
    }
}

impl Provider for Fal {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> Vec<ModelSpec> {
        vec![happyhorse_fal()]
    }

    fn submit<'a>(&'a self, request: &'a SubmitRequest) -> BoxFuture<'a, Result<ProviderJob>> {
        Box::pin(async move {
            check_fits(&happyhorse_fal(), request)?;
            let body = request_body(request)?;
            submit_without_own_id(self.ledger.as_ref(), NAME, &request.job_key, || {
                self.send_submit(request, body)
            })
            .await
        })
    }

    fn status<'a>(&'a self, job: &'a ProviderJob) -> BoxFuture<'a, Result<JobState>> {
        Box::pin(async move {
            let json = self
                .client
                .get_json(&Self::request_path(job, "/status"), "status")
                .await?;
            let status = json
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or_default();
            match status {
                "IN_QUEUE" => Ok(JobState::Queued {
                    position: json
                        .get("queue_position")
                        .and_then(Value::as_u64)
                        .map(|p| p as u32),
                }),
                "IN_PROGRESS" => Ok(JobState::Running),
                "COMPLETED" => match json.get("error").and_then(Value::as_str) {
                    Some(message) => Ok(JobState::Failed {
                        message: message.into(),
                    }),
                    None => self.result(job).await,
                },
                other => Err(ProviderError::BadResponse {
                    provider: NAME,
                    context: "status",
                    detail: format!("unknown status {other:?}"),
                }),
            }
        })
    }

    fn cancel<'a>(&'a self, job: &'a ProviderJob) -> BoxFuture<'a, Result<CancelOutcome>> {
        Box::pin(async move {
            let answer = self
                .client
                .send(
                    CallKind::Safe,
                    Method::PUT,
                    &Self::request_path(job, "/cancel"),
                    |r| r,
                )
                .await?
                .reject_auth(NAME)?;
            // fal says what happened in `status`, whatever the HTTP code.
            let json = answer.json(NAME, "cancel answer")?;
            match json.get("status").and_then(Value::as_str) {
                Some("OK" | "CANCELLATION_REQUESTED") => Ok(CancelOutcome::Requested),
                Some("ALREADY_COMPLETED") => Ok(CancelOutcome::AlreadyFinished),
                Some("NOT_FOUND") => Ok(CancelOutcome::NotFound),
                other => Err(ProviderError::BadResponse {
                    provider: NAME,
                    context: "cancel answer",
                    detail: format!("unknown status {other:?}"),
                }),
            }
        })
    }

    fn verify_webhook<'a>(
        &'a self,
        headers: &'a WebhookHeaders,
        body: &'a [u8],
        now_unix: i64,
    ) -> BoxFuture<'a, Result<WebhookEvent>> {
        Box::pin(async move {
            let keys = self.keys(false).await?;
            let request_id = match verify_fal(&keys, headers, body, now_unix) {
                Ok(id) => id,
                // fal may have rotated its keys since we fetched them.
                Err(WebhookError::BadSignature) => {
                    verify_fal(&self.keys(true).await?, headers, body, now_unix)?
                }
                Err(e) => return Err(e.into()),
            };
            let json: Value =
                serde_json::from_slice(body).map_err(|e| WebhookError::BadBody(e.to_string()))?;
            let state = match json.get("status").and_then(Value::as_str) {
                Some("OK") => JobState::Succeeded(output_from_payload(
                    json.get("payload").unwrap_or(&Value::Null),
                )),
                _ => JobState::Failed {
                    message: match json.get("error").and_then(Value::as_str) {
                        Some(error) => error.to_string(),
                        None => crate::http::provider_message(
                            json.get("payload")
                                .unwrap_or(&Value::Null)
                                .to_string()
                                .as_bytes(),
                        ),
                    },
                },
            };
            Ok(WebhookEvent {
                provider_id: request_id.clone(),
                delivery_id: request_id,
                state,
            })
        })
    }
}

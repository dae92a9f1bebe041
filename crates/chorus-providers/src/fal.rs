//! fal's queue API for HappyHorse 1.1: submit to the model path, then read
//! status, result and cancel under the app path (the model id without its
//! `v1.1/<mode>` sub-path). Webhooks are ED25519-signed with keys from fal's
//! JWKS document, fetched on first use and refreshed when a key is unknown.
//! fal has no idempotency header, so submits go through the ledger.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chorus_core::{Mode, ModelSpec};
use ed25519_dalek::VerifyingKey;
use serde_json::{Value, json};

use crate::error::{ProviderError, Result, WebhookError};
use crate::http::{Answer, CallError, CallKind, Http, RetryPolicy, accepted_id};
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
/// How long fetched webhook keys are trusted before a refresh.
const JWKS_TTL: Duration = Duration::from_hours(1);
/// Shortest gap between two fetches prompted by an unknown signature.
const JWKS_MIN_REFRESH: Duration = Duration::from_mins(1);

/// Where and how to reach fal.
#[derive(Debug, Clone)]
pub struct FalConfig {
    pub key: Secret,
    /// `https://queue.fal.run`; a fake's address in tests.
    pub queue_base: String,
    /// fal's published webhook keys.
    pub jwks_url: String,
    pub retry: RetryPolicy,
    pub seed: u64,
}

impl FalConfig {
    pub fn new(key: Secret) -> Self {
        FalConfig {
            key,
            queue_base: "https://queue.fal.run".into(),
            // (2nd-hand) the address the public verifiers use.
            jwks_url: "https://rest.alpha.fal.ai/.well-known/jwks.json".into(),
            retry: RetryPolicy::default(),
            seed: crate::wait::SeededRng::from_time().next_u64(),
        }
    }

    /// From `FAL_KEY`; `NotConfigured` when unset.
    pub fn from_env() -> Result<Self> {
        Secret::from_env("FAL_KEY")
            .map(FalConfig::new)
            .ok_or(ProviderError::NotConfigured {
                provider: NAME,
                env_var: "FAL_KEY",
            })
    }
}

/// The fal adapter.
pub struct Fal {
    config: FalConfig,
    http: Http,
    ledger: Arc<dyn SubmitLedger>,
    jwks: Mutex<Option<(Instant, Vec<VerifyingKey>)>>,
}

impl std::fmt::Debug for Fal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fal")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
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
    pub fn new(config: FalConfig, ledger: Arc<dyn SubmitLedger>) -> Self {
        let http = Http::new(NAME, config.retry.clone(), config.seed);
        Fal {
            config,
            http,
            ledger,
            jwks: Mutex::new(None),
        }
    }

    fn base(&self) -> &str {
        self.config.queue_base.trim_end_matches('/')
    }

    fn auth(&self) -> String {
        format!("Key {}", self.config.key.expose())
    }

    fn request_url(&self, job: &ProviderJob, tail: &str) -> String {
        format!(
            "{}/{}/requests/{}{tail}",
            self.base(),
            app_path(&job.endpoint),
            job.provider_id
        )
    }

    async fn get(&self, url: &str) -> Result<Answer> {
        Ok(self
            .http
            .send(CallKind::Safe, |c| {
                c.get(url).header("Authorization", self.auth())
            })
            .await?)
    }

    async fn send_submit(
        &self,
        request: &SubmitRequest,
        body: Value,
    ) -> Result<ProviderJob, CallError> {
        let endpoint = model_id(request.mode);
        let url = format!("{}/{endpoint}", self.base());
        let answer = self
            .http
            .send(CallKind::Submit, |c| {
                let mut builder = c
                    .post(&url)
                    .header("Authorization", self.auth())
                    .json(&body);
                if let Some(hook) = &request.webhook_url {
                    builder = builder.query(&[("fal_webhook", hook)]);
                }
                builder
            })
            .await?;
        let json = answer.submitted(NAME, "submit answer")?;
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
            .get(&self.request_url(job, ""))
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
            .http
            .send(CallKind::Safe, |c| c.get(&self.config.jwks_url))
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
                .http
                .get_json(&self.request_url(job, "/status"), &self.auth(), "status")
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
            let url = self.request_url(job, "/cancel");
            let answer = self
                .http
                .send(CallKind::Safe, |c| {
                    c.put(&url).header("Authorization", self.auth())
                })
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

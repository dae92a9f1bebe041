//! Runware's task API for HappyHorse 1.1: one endpoint taking an array of
//! tasks, `videoInference` delivered asynchronously and read back with
//! `getResponse`. We choose the `taskUUID` ourselves and record it before
//! sending, so a submit whose answer was lost is resumed by polling that id
//! rather than sent again. Runware documents no webhook signature, so
//! webhooks are not accepted; polling is the delivery path.

use std::sync::Arc;

use chorus_core::{Mode, ModelSpec};
use serde_json::{Value, json};

use crate::error::{ProviderError, Result, WebhookError};
use crate::http::{CallError, CallKind, Http, RetryPolicy, provider_message};
use crate::images::{image_ref, image_refs};
use crate::ledger::{SendOutcome, SubmitLedger, submit_once};
use crate::models::{check_fits, happyhorse_runware};
use crate::provider::{
    BoxFuture, CancelOutcome, JobState, Provider, ProviderJob, ProviderOutput, SubmitRequest,
    WebhookEvent, WebhookHeaders,
};
use crate::secret::Secret;

const NAME: &str = "runware";
pub const MODEL: &str = "alibaba:happyhorse@1.1";

#[derive(Debug, Clone)]
pub struct RunwareConfig {
    pub key: Secret,
    /// `https://api.runware.ai/v1`; a fake's address in tests.
    pub api_url: String,
    pub retry: RetryPolicy,
    pub seed: u64,
}

impl RunwareConfig {
    pub fn new(key: Secret) -> Self {
        RunwareConfig {
            key,
            api_url: "https://api.runware.ai/v1".into(),
            retry: RetryPolicy::default(),
            seed: crate::wait::SeededRng::from_time().next_u64(),
        }
    }

    /// From `RUNWARE_API_KEY`.
    pub fn from_env() -> Result<Self> {
        Secret::from_env("RUNWARE_API_KEY")
            .map(RunwareConfig::new)
            .ok_or(ProviderError::NotConfigured {
                provider: NAME,
                env_var: "RUNWARE_API_KEY",
            })
    }
}

pub struct Runware {
    config: RunwareConfig,
    http: Http,
    ledger: Arc<dyn SubmitLedger>,
}

impl std::fmt::Debug for Runware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runware")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The `videoInference` task for `request`.
pub fn task_for(request: &SubmitRequest, task_uuid: &str) -> Result<Value> {
    let spec = happyhorse_runware();
    let (width, height) = request.aspect_ratio.dimensions(request.resolution);
    let mut task = json!({
        "taskType": "videoInference",
        "taskUUID": task_uuid,
        "model": MODEL,
        "positivePrompt": request.prompt,
        "duration": request.duration_s,
        "width": width,
        "height": height,
        "outputType": "URL",
        "outputFormat": "MP4",
        "deliveryMethod": "async",
        "includeCost": true,
        "providerSettings": {"alibaba": {"audio": request.audio}},
    });
    if !request.negative_prompt.is_empty() {
        task["negativePrompt"] = json!(request.negative_prompt);
    }
    if let Some(seed) = request.seed {
        task["seed"] = json!(seed);
    }
    if let Some(hook) = &request.webhook_url {
        task["webhookURL"] = json!(hook);
    }
    match (request.mode, request.images.first()) {
        (Mode::ImageToVideo, Some(first)) => {
            task["frameImages"] =
                json!([{"inputImage": image_ref(first, &spec.id, true)?, "frame": "first"}]);
        }
        (Mode::ReferenceToVideo, _) => {
            task["referenceImages"] = json!(image_refs(&request.images, &spec.id, true)?);
        }
        _ => {}
    }
    Ok(task)
}

/// Reads a `getResponse` answer for `task_uuid`.
pub fn state_of(answer: &Value, task_uuid: &str) -> Result<JobState> {
    let for_us = |v: &&Value| v.get("taskUUID").and_then(Value::as_str) == Some(task_uuid);
    if let Some(error) = answer
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|list| list.iter().find(for_us))
    {
        return Ok(JobState::Failed {
            message: provider_message(json!({"errors": [error]}).to_string().as_bytes()),
        });
    }
    let Some(result) = answer
        .get("data")
        .and_then(Value::as_array)
        .and_then(|list| list.iter().find(for_us))
    else {
        // Accepted but not yet listed.
        return Ok(JobState::Queued { position: None });
    };
    match result.get("status").and_then(Value::as_str) {
        Some("processing") => Ok(JobState::Running),
        Some("success") => Ok(JobState::Succeeded(ProviderOutput {
            video_urls: result
                .get("videoURL")
                .and_then(Value::as_str)
                .map(str::to_string)
                .into_iter()
                .collect(),
            // Runware reports dollars as a float.
            cost_usd_micros: result
                .get("cost")
                .and_then(Value::as_f64)
                .map(|usd| (usd * 1_000_000.0).round() as u64),
            seed: result.get("seed").and_then(Value::as_i64),
        })),
        Some("error") => Ok(JobState::Failed {
            message: provider_message(result.to_string().as_bytes()),
        }),
        other => Err(ProviderError::BadResponse {
            provider: NAME,
            context: "getResponse",
            detail: format!("unknown status {other:?}"),
        }),
    }
}

impl Runware {
    pub fn new(config: RunwareConfig, ledger: Arc<dyn SubmitLedger>) -> Self {
        let http = Http::new(NAME, config.retry.clone(), config.seed);
        Runware {
            config,
            http,
            ledger,
        }
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.config.key.expose())
    }

    fn job(request: &SubmitRequest, task_uuid: String) -> ProviderJob {
        ProviderJob {
            provider: NAME.into(),
            model: request.model.clone(),
            job_key: request.job_key.clone(),
            provider_id: task_uuid,
            endpoint: MODEL.into(),
        }
    }

    async fn send_submit(
        &self,
        request: &SubmitRequest,
        task: Value,
        task_uuid: String,
    ) -> Result<ProviderJob, CallError> {
        let body = json!([task]);
        let answer = self
            .http
            .send(CallKind::Submit, |c| {
                c.post(&self.config.api_url)
                    .header("Authorization", self.auth())
                    .json(&body)
            })
            .await?
            .into_ok(NAME)
            .map_err(|error| CallError {
                error,
                outcome: SendOutcome::NotCreated,
            })?;
        // An answer we cannot read still means the task may run: keep its id.
        if let Ok(json) = answer.json(NAME, "submit answer")
            && json
                .get("errors")
                .is_some_and(|e| e.as_array().is_some_and(|l| !l.is_empty()))
        {
            return Err(CallError {
                error: ProviderError::Rejected {
                    provider: NAME,
                    status: answer.status,
                    message: provider_message(&answer.body),
                },
                outcome: SendOutcome::NotCreated,
            });
        }
        Ok(Self::job(request, task_uuid))
    }
}

impl Provider for Runware {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> Vec<ModelSpec> {
        vec![happyhorse_runware()]
    }

    fn submit<'a>(&'a self, request: &'a SubmitRequest) -> BoxFuture<'a, Result<ProviderJob>> {
        Box::pin(async move {
            check_fits(&happyhorse_runware(), request)?;
            let task_uuid = uuid::Uuid::new_v4().to_string();
            let task = task_for(request, &task_uuid)?;
            submit_once(
                self.ledger.as_ref(),
                &request.job_key,
                Some(task_uuid.clone()),
                // The earlier attempt chose its id; polling it tells whether it runs.
                |prepared| match prepared {
                    Some(id) => Ok(Self::job(request, id)),
                    None => Err(ProviderError::SubmitInDoubt {
                        provider: NAME,
                        job_key: request.job_key.clone(),
                    }),
                },
                || self.send_submit(request, task, task_uuid),
            )
            .await
        })
    }

    fn status<'a>(&'a self, job: &'a ProviderJob) -> BoxFuture<'a, Result<JobState>> {
        Box::pin(async move {
            let body = json!([{"taskType": "getResponse", "taskUUID": job.provider_id}]);
            let answer = self
                .http
                .send(CallKind::Safe, |c| {
                    c.post(&self.config.api_url)
                        .header("Authorization", self.auth())
                        .json(&body)
                })
                .await?
                .reject_auth(NAME)?;
            // Runware answers a failed task's poll with a 4xx and an error list.
            let json = answer.json(NAME, "getResponse")?;
            if answer.status >= 400 && json.get("errors").is_none() {
                answer.into_ok(NAME)?;
            }
            state_of(&json, &job.provider_id)
        })
    }

    fn cancel<'a>(&'a self, _job: &'a ProviderJob) -> BoxFuture<'a, Result<CancelOutcome>> {
        Box::pin(async { Ok(CancelOutcome::Unsupported) })
    }

    fn verify_webhook<'a>(
        &'a self,
        _: &'a WebhookHeaders,
        _: &'a [u8],
        _: i64,
    ) -> BoxFuture<'a, Result<WebhookEvent>> {
        Box::pin(async {
            Err(
                WebhookError::Unsupported("Runware does not sign webhooks; its jobs are polled")
                    .into(),
            )
        })
    }
}

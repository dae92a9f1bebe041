//! Runware's task API for HappyHorse 1.1: one endpoint taking an array of
//! tasks, `videoInference` delivered asynchronously and read back with
//! `getResponse`. We choose the `taskUUID` ourselves and record it before
//! sending, so a submit whose answer was lost is resumed by polling that id
//! rather than sent again. Runware documents no webhook signature, so
//! webhooks are not accepted; polling is the delivery path.

use std::sync::Arc;

use chorus_core::{Mode, ModelSpec};
use reqwest::Method;
use serde_json::{Value, json};

use crate::error::{ProviderError, Result, WebhookError};
use crate::http::{
    Answer, Api, AuthScheme, CallError, CallKind, Client, ClientConfig, provider_message,
};
use crate::images::{image_ref, image_refs};
use crate::ledger::{SendOutcome, SubmitLedger, submit_once};
use crate::models::{check_fits, happyhorse_runware};
use crate::provider::{
    BoxFuture, CancelOutcome, JobState, Provider, ProviderJob, ProviderOutput, SubmitRequest,
    WebhookEvent, WebhookHeaders,
};

const NAME: &str = "runware";
pub const MODEL: &str = "alibaba:happyhorse@1.1";
/// Runware's one task endpoint, keyed by `RUNWARE_API_KEY`.
pub const API: Api = Api {
    provider: NAME,
    base_url: "https://api.runware.ai/v1",
    key_var: "RUNWARE_API_KEY",
    scheme: AuthScheme::Bearer,
};

/// The Runware adapter.
#[derive(Debug)]
pub struct Runware {
    client: Client,
    ledger: Arc<dyn SubmitLedger>,
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
    /// `config.base_url` is the task endpoint itself.
    pub fn new(config: ClientConfig, ledger: Arc<dyn SubmitLedger>) -> Result<Self> {
        Ok(Runware {
            client: Client::new(&API, config)?,
            ledger,
        })
    }

    /// POSTs `tasks` to the one endpoint, retrying as `kind` allows.
    async fn post(&self, kind: CallKind, tasks: &Value) -> Result<Answer, CallError> {
        self.client
            .send(kind, Method::POST, "", |r| r.json(tasks))
            .await
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
            .post(CallKind::Submit, &body)
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
            let answer = self.post(CallKind::Safe, &body).await?.reject_auth(NAME)?;
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

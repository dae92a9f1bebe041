//! Alibaba's DashScope API for HappyHorse 1.1: an async task created with
//! `X-DashScope-Async: enable`, then polled. Only its five ratios, `720P` /
//! `1080P`, and reference images by URL. `watermark` defaults to true there,
//! so it is always sent as false. Task ids expire after 24 h (`UNKNOWN`).
//! No idempotency key, no documented cancel or webhook signature.

use std::sync::Arc;

use chorus_core::{Mode, ModelSpec, Resolution};
use serde_json::{Value, json};

use crate::error::{ProviderError, Result, WebhookError};
use crate::http::{Api, AuthScheme, CallError, Client, ClientConfig, accepted_id};
use crate::images::image_refs;
use crate::ledger::{SubmitLedger, submit_without_own_id};
use crate::models::{check_fits, happyhorse_dashscope};
use crate::provider::{
    BoxFuture, CancelOutcome, JobState, Provider, ProviderJob, ProviderOutput, SubmitRequest,
    WebhookEvent, WebhookHeaders,
};

const NAME: &str = "dashscope";
const CREATE_PATH: &str = "/api/v1/services/aigc/video-generation/video-synthesis";

/// DashScope's international API, keyed by `DASHSCOPE_API_KEY`.
pub const API: Api = Api {
    provider: NAME,
    base_url: "https://dashscope-intl.aliyuncs.com",
    key_var: "DASHSCOPE_API_KEY",
    scheme: AuthScheme::Bearer,
};

/// The DashScope adapter.
#[derive(Debug)]
pub struct DashScope {
    client: Client,
    ledger: Arc<dyn SubmitLedger>,
}

/// The create body for `request`.
pub fn body_for(request: &SubmitRequest) -> Result<Value> {
    let spec = happyhorse_dashscope();
    let mut input = json!({"prompt": request.prompt});
    if request.mode == Mode::ReferenceToVideo {
        let media: Vec<Value> = image_refs(&request.images, &spec.id, false)?
            .into_iter()
            .map(|url| json!({"type": "reference_image", "url": url}))
            .collect();
        input["media"] = json!(media);
    }
    let mut parameters = json!({
        "resolution": match request.resolution {
            Resolution::P720 => "720P",
            Resolution::P1080 => "1080P",
        },
        "ratio": request.aspect_ratio.label(),
        "duration": request.duration_s,
        "watermark": false,
    });
    if let Some(seed) = request.seed {
        parameters["seed"] = json!(seed);
    }
    Ok(json!({
        "model": format!("happyhorse-1.1-{}", request.mode.short()),
        "input": input,
        "parameters": parameters,
    }))
}

/// Reads a task answer.
pub fn state_of(task: &Value) -> Result<JobState> {
    let output = task.get("output").unwrap_or(&Value::Null);
    match output.get("task_status").and_then(Value::as_str) {
        Some("PENDING") => Ok(JobState::Queued { position: None }),
        Some("RUNNING") => Ok(JobState::Running),
        Some("SUCCEEDED") => Ok(JobState::Succeeded(ProviderOutput {
            video_urls: output
                .get("video_url")
                .and_then(Value::as_str)
                .map(str::to_string)
                .into_iter()
                .collect(),
            // `usage` counts seconds, not money.
            cost_usd_micros: None,
            seed: None,
        })),
        Some("FAILED") => Ok(JobState::Failed {
            message: crate::http::provider_message(output.to_string().as_bytes()),
        }),
        Some("CANCELED") => Ok(JobState::Canceled),
        Some("UNKNOWN") => Err(ProviderError::OutputExpired {
            provider: NAME,
            reason: "DashScope no longer knows the task; its ids and videos expire after 24 h"
                .into(),
        }),
        other => Err(ProviderError::BadResponse {
            provider: NAME,
            context: "task",
            detail: format!("unknown task_status {other:?}"),
        }),
    }
}

impl DashScope {
    pub fn new(config: ClientConfig, ledger: Arc<dyn SubmitLedger>) -> Result<Self> {
        Ok(DashScope {
            client: Client::new(&API, config)?,
            ledger,
        })
    }

    async fn send_submit(
        &self,
        request: &SubmitRequest,
        body: Value,
    ) -> Result<ProviderJob, CallError> {
        let json = self
            .client
            .submit_json(
                CREATE_PATH,
                &body,
                |r| r.header("X-DashScope-Async", "enable"),
                "create answer",
            )
            .await?;
        Ok(ProviderJob {
            provider: NAME.into(),
            model: request.model.clone(),
            job_key: request.job_key.clone(),
            provider_id: accepted_id(&json, "/output/task_id", NAME, "create answer")?,
            endpoint: body["model"].as_str().unwrap_or_default().to_string(),
        })
    }
}

impl Provider for DashScope {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> Vec<ModelSpec> {
        vec![happyhorse_dashscope()]
    }

    fn submit<'a>(&'a self, request: &'a SubmitRequest) -> BoxFuture<'a, Result<ProviderJob>> {
        Box::pin(async move {
            check_fits(&happyhorse_dashscope(), request)?;
            let body = body_for(request)?;
            submit_without_own_id(self.ledger.as_ref(), NAME, &request.job_key, || {
                self.send_submit(request, body)
            })
            .await
        })
    }

    fn status<'a>(&'a self, job: &'a ProviderJob) -> BoxFuture<'a, Result<JobState>> {
        Box::pin(async move {
            let path = format!("/api/v1/tasks/{}", job.provider_id);
            state_of(&self.client.get_json(&path, "task").await?)
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
                WebhookError::Unsupported("DashScope tasks are polled; it sends no webhooks here")
                    .into(),
            )
        })
    }
}

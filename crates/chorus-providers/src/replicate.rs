//! Replicate's predictions API for Veo 3 Fast, Kling 2.6 and Wan 2.5, each
//! with its own input names. Outputs are deleted after an hour (`output`
//! null, `data_removed` true), which is reported as expired. Webhooks are
//! HMAC-signed; the timestamp window is checked here because Replicate's
//! own client does not. No idempotency header exists, so submits go through
//! the ledger.

use std::sync::Arc;

use chorus_core::{Mode, ModelSpec};
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::error::{ProviderError, Result, WebhookError};
use crate::http::{Api, AuthScheme, CallError, CallKind, Client, ClientConfig, accepted_id};
use crate::images::image_ref;
use crate::ledger::{SendOutcome, SubmitLedger, submit_without_own_id};
use crate::models::{self, check_fits};
use crate::provider::{
    BoxFuture, CancelOutcome, JobState, Provider, ProviderJob, ProviderOutput, SubmitRequest,
    WebhookEvent, WebhookHeaders,
};
use crate::secret::Secret;
use crate::webhook::verify_replicate;

const NAME: &str = "replicate";
/// Replicate's API, keyed by `REPLICATE_API_TOKEN`.
pub const API: Api = Api {
    provider: NAME,
    base_url: "https://api.replicate.com",
    key_var: "REPLICATE_API_TOKEN",
    scheme: AuthScheme::Bearer,
};

/// Where and how to reach Replicate.
#[derive(Debug, Clone)]
pub struct ReplicateConfig {
    /// The API (`API`'s address; a fake's in tests).
    pub client: ClientConfig,
    /// The `whsec_…` signing secret; webhooks are refused without it.
    pub webhook_secret: Option<Secret>,
}

impl ReplicateConfig {
    pub fn new(token: Secret) -> Self {
        ReplicateConfig {
            client: ClientConfig::new(&API, token),
            webhook_secret: None,
        }
    }

    /// From `REPLICATE_API_TOKEN` and `REPLICATE_WEBHOOK_SECRET`.
    pub fn from_env() -> Result<Self> {
        Ok(ReplicateConfig {
            client: ClientConfig::from_env(&API)?,
            webhook_secret: Secret::from_env("REPLICATE_WEBHOOK_SECRET"),
        })
    }
}

/// The Replicate adapter.
#[derive(Debug)]
pub struct Replicate {
    client: Client,
    webhook_secret: Option<Secret>,
    ledger: Arc<dyn SubmitLedger>,
}

/// Replicate's `owner/name` for one of our registry ids.
pub fn model_path(model: &str) -> Option<&'static str> {
    match model {
        models::VEO3_FAST_REPLICATE => Some("google/veo-3-fast"),
        models::KLING_26_REPLICATE => Some("kwaivgi/kling-v2.6"),
        models::WAN_25_REPLICATE => Some("wan-video/wan-2.5-t2v-fast"),
        _ => None,
    }
}

fn spec_for(model: &str) -> Result<ModelSpec> {
    models::models()
        .into_iter()
        .find(|m| m.id == model && m.provider == NAME)
        .ok_or_else(|| ProviderError::Unsupported {
            model: model.into(),
            reason: "Replicate does not serve this model here".into(),
        })
}

/// The `input` object for `request`, in the model's own names.
pub fn input_for(request: &SubmitRequest) -> Result<Value> {
    let spec = spec_for(&request.model)?;
    let mut input = Map::new();
    input.insert("prompt".into(), json!(request.prompt));
    if !request.negative_prompt.is_empty() {
        input.insert("negative_prompt".into(), json!(request.negative_prompt));
    }
    input.insert("duration".into(), json!(request.duration_s));
    let start_image = match (request.mode, request.images.first()) {
        (Mode::ImageToVideo, Some(image)) => Some(image_ref(image, &spec.id, true)?),
        _ => None,
    };
    match request.model.as_str() {
        models::VEO3_FAST_REPLICATE => {
            input.insert("aspect_ratio".into(), json!(request.aspect_ratio.label()));
            input.insert("resolution".into(), json!(request.resolution.label()));
            input.insert("generate_audio".into(), json!(request.audio));
            if let Some(image) = start_image {
                input.insert("image".into(), json!(image));
            }
            if let Some(seed) = request.seed {
                input.insert("seed".into(), json!(seed));
            }
        }
        models::KLING_26_REPLICATE => {
            input.insert("aspect_ratio".into(), json!(request.aspect_ratio.label()));
            input.insert("generate_audio".into(), json!(request.audio));
            if let Some(image) = start_image {
                input.insert("start_image".into(), json!(image));
            }
        }
        _ => {
            // Wan names the frame by pixels, `1280*720`.
            let (w, h) = request.aspect_ratio.dimensions(request.resolution);
            input.insert("size".into(), json!(format!("{w}*{h}")));
            // Keep the user's prompt as written: expansion rewrites dialogue.
            input.insert("enable_prompt_expansion".into(), json!(false));
            if let Some(seed) = request.seed {
                input.insert("seed".into(), json!(seed));
            }
        }
    }
    Ok(Value::Object(input))
}

/// Reads a prediction object into a state.
pub fn state_of(prediction: &Value) -> Result<JobState> {
    let status = prediction
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match status {
        "starting" => Ok(JobState::Queued { position: None }),
        "processing" => Ok(JobState::Running),
        "succeeded" => {
            let urls: Vec<String> = match prediction.get("output") {
                Some(Value::String(url)) => vec![url.clone()],
                Some(Value::Array(list)) => list
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            };
            let removed = prediction.get("data_removed").and_then(Value::as_bool) == Some(true);
            if urls.is_empty() && removed {
                return Err(ProviderError::OutputExpired {
                    provider: NAME,
                    reason: "Replicate deleted the output (data_removed), as it does an hour after a prediction".into(),
                });
            }
            Ok(JobState::Succeeded(ProviderOutput {
                video_urls: urls,
                cost_usd_micros: None,
                seed: None,
            }))
        }
        "failed" => Ok(JobState::Failed {
            message: prediction
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("no reason given")
                .to_string(),
        }),
        "canceled" => Ok(JobState::Canceled),
        other => Err(ProviderError::BadResponse {
            provider: NAME,
            context: "prediction",
            detail: format!("unknown status {other:?}"),
        }),
    }
}

impl Replicate {
    pub fn new(config: ReplicateConfig, ledger: Arc<dyn SubmitLedger>) -> Result<Self> {
        Ok(Replicate {
            client: Client::new(&API, config.client)?,
            webhook_secret: config.webhook_secret,
            ledger,
        })
    }

    async fn send_submit(
        &self,
        request: &SubmitRequest,
        body: Value,
    ) -> Result<ProviderJob, CallError> {
        let not_created = |error| CallError {
            error,
            outcome: SendOutcome::NotCreated,
        };
        let endpoint = model_path(&request.model).ok_or_else(|| {
            not_created(ProviderError::Unsupported {
                model: request.model.clone(),
                reason: "Replicate does not serve this model here".into(),
            })
        })?;
        let json = self
            .client
            .submit_json(
                &format!("/v1/models/{endpoint}/predictions"),
                &body,
                |r| r,
                "create answer",
            )
            .await?;
        Ok(ProviderJob {
            provider: NAME.into(),
            model: request.model.clone(),
            job_key: request.job_key.clone(),
            provider_id: accepted_id(&json, "/id", NAME, "create answer")?,
            endpoint: endpoint.to_string(),
        })
    }
}

impl Provider for Replicate {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> Vec<ModelSpec> {
        vec![models::veo3_fast(), models::kling_26(), models::wan_25()]
    }

    fn submit<'a>(&'a self, request: &'a SubmitRequest) -> BoxFuture<'a, Result<ProviderJob>> {
        Box::pin(async move {
            check_fits(&spec_for(&request.model)?, request)?;
            let mut body = json!({ "input": input_for(request)? });
            if let Some(hook) = &request.webhook_url {
                body["webhook"] = json!(hook);
                body["webhook_events_filter"] = json!(["completed"]);
            }
            submit_without_own_id(self.ledger.as_ref(), NAME, &request.job_key, || {
                self.send_submit(request, body)
            })
            .await
        })
    }

    fn status<'a>(&'a self, job: &'a ProviderJob) -> BoxFuture<'a, Result<JobState>> {
        Box::pin(async move {
            let path = format!("/v1/predictions/{}", job.provider_id);
            state_of(&self.client.get_json(&path, "prediction").await?)
        })
    }

    fn cancel<'a>(&'a self, job: &'a ProviderJob) -> BoxFuture<'a, Result<CancelOutcome>> {
        Box::pin(async move {
            let path = format!("/v1/predictions/{}/cancel", job.provider_id);
            let answer = self
                .client
                .send(CallKind::Safe, Method::POST, &path, |r| r)
                .await?
                .reject_auth(NAME)?;
            if answer.status == 404 {
                return Ok(CancelOutcome::NotFound);
            }
            let answer = answer.into_ok(NAME)?;
            let status = answer.json(NAME, "cancel answer")?;
            Ok(match status.get("status").and_then(Value::as_str) {
                Some("succeeded" | "failed") => CancelOutcome::AlreadyFinished,
                _ => CancelOutcome::Requested,
            })
        })
    }

    fn verify_webhook<'a>(
        &'a self,
        headers: &'a WebhookHeaders,
        body: &'a [u8],
        now_unix: i64,
    ) -> BoxFuture<'a, Result<WebhookEvent>> {
        Box::pin(async move {
            let secret = self.webhook_secret.as_ref().ok_or_else(|| {
                WebhookError::NoKeys(
                    "set REPLICATE_WEBHOOK_SECRET to accept Replicate webhooks".into(),
                )
            })?;
            let delivery_id = verify_replicate(secret, headers, body, now_unix)?;
            let prediction: Value =
                serde_json::from_slice(body).map_err(|e| WebhookError::BadBody(e.to_string()))?;
            let provider_id = prediction
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| WebhookError::BadBody("no prediction id".into()))?
                .to_string();
            Ok(WebhookEvent {
                provider_id,
                delivery_id,
                state: state_of(&prediction)?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chorus_core::{AspectRatio, Resolution};

    fn request(model: &str) -> SubmitRequest {
        let mut base = chorus_core::GenerationRequest::new(model);
        base.resolution = Resolution::P720;
        base.aspect_ratio = AspectRatio::Landscape16x9;
        SubmitRequest::from_generation("job-1", &base, "a fox says hello", Vec::new())
    }

    #[test]
    fn each_model_gets_its_own_input_names() {
        let wan = input_for(&request(models::WAN_25_REPLICATE)).expect("wan");
        assert_eq!(wan["size"], "1280*720");
        assert_eq!(wan["enable_prompt_expansion"], false);
        assert!(wan.get("aspect_ratio").is_none());

        let veo = input_for(&request(models::VEO3_FAST_REPLICATE)).expect("veo");
        assert_eq!(veo["resolution"], "720p");
        assert_eq!(veo["generate_audio"], true);

        let mut kling_req = request(models::KLING_26_REPLICATE);
        kling_req.mode = Mode::ImageToVideo;
        kling_req.images = vec![crate::ImageInput {
            bytes: bytes::Bytes::from_static(b"img"),
            mime: "image/png".into(),
            public_url: Some("https://cdn.example/start.png".into()),
        }];
        let kling = input_for(&kling_req).expect("kling");
        assert_eq!(kling["start_image"], "https://cdn.example/start.png");
        assert!(kling.get("image").is_none());
    }

    #[test]
    fn removed_output_is_expired() {
        let gone = json!({"id": "p", "status": "succeeded", "output": null, "data_removed": true});
        assert!(matches!(
            state_of(&gone),
            Err(ProviderError::OutputExpired { .. })
        ));
    }
}

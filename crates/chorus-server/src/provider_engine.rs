//! Runs jobs on a hosted provider: one provider job per take (one per spoken
//! language), submitted through the database ledger so a restart resumes by
//! polling the job already paid for, and each output copied into our asset
//! store the moment it is ready (some providers delete outputs in an hour).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chorus_core::{Job, JobOutput, Language};
use chorus_providers::{
    BoxFuture, DownloadPolicy, ImageInput, Provider, ProviderJob, SubmitRequest, VideoInfo,
    VideoStore, WaitOptions, download_video, wait_for_outcome,
};

use crate::queue::{Engine, EngineFuture, JobContext};
use crate::state::AppState;
use crate::submit_ledger::{SavedTake, save_take, saved_take};

/// How a provider engine waits, downloads and is reached back.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    pub wait: WaitOptions,
    pub download: DownloadPolicy,
    /// How often the job is checked for a cancel while the provider works.
    pub cancel_check: Duration,
    /// Our public base URL, when providers can reach us (webhooks, images).
    pub public_url: Option<String>,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            // Hosted video takes minutes; polls start quick and settle at 30 s.
            wait: WaitOptions::new(
                Duration::from_secs(2),
                Duration::from_secs(30),
                Duration::from_mins(30),
            ),
            download: DownloadPolicy::default(),
            cancel_check: Duration::from_secs(2),
            public_url: None,
        }
    }
}

/// An `Engine` for every model one hosted provider serves.
pub struct ProviderEngine {
    provider: Arc<dyn Provider>,
    settings: EngineSettings,
}

impl ProviderEngine {
    pub fn new(provider: Arc<dyn Provider>, settings: EngineSettings) -> Self {
        ProviderEngine { provider, settings }
    }
}

impl Engine for ProviderEngine {
    fn models(&self) -> Vec<String> {
        self.provider
            .capabilities()
            .into_iter()
            .map(|m| m.id)
            .collect()
    }

    fn run<'a>(&'a self, job: &'a Job, ctx: &'a JobContext) -> EngineFuture<'a> {
        Box::pin(self.run_job(job, ctx))
    }

    fn at_once(&self, settings: &crate::config::QueueSettings) -> usize {
        settings.hosted_at_once
    }
}

/// Saves downloaded clips into the asset store, keeping the last one's
/// bytes for its poster.
struct AssetVideos<'a> {
    state: &'a AppState,
    stored: std::sync::Mutex<Option<Bytes>>,
}

impl VideoStore for AssetVideos<'_> {
    fn store<'a>(
        &'a self,
        video: Bytes,
        info: &'a VideoInfo,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            if let Ok(mut stored) = self.stored.lock() {
                *stored = Some(video.clone());
            }
            self.state
                .assets
                .put(
                    &self.state.db,
                    &video,
                    "video/mp4",
                    Some((info.width, info.height)),
                )
                .await
                .map(|record| record.id)
                .map_err(|e| format!("{e:#}"))
        })
    }
}

/// The prompt for one take: the scene, then the line to speak and in which
/// language, since the hosted models take a single prompt.
fn take_prompt(scene: &str, line: Option<(Language, &str)>) -> String {
    match line {
        Some((language, text)) => format!(
            "{scene}\n\nSpoken in {}: \"{text}\"",
            language.display_name()
        ),
        None => scene.to_string(),
    }
}

/// Why a take stopped early.
enum Stop {
    Canceled,
    Failed(String),
}

impl ProviderEngine {
    async fn run_job(&self, job: &Job, ctx: &JobContext) -> Result<Vec<JobOutput>, String> {
        let images = self.images(job, ctx.state()).await?;
        let takes: Vec<Option<(Language, &str)>> =
            if job.request.audio && !job.request.dialogue.is_empty() {
                job.request
                    .dialogue
                    .iter()
                    .map(|d| Some((d.language, d.text.as_str())))
                    .collect()
            } else {
                vec![None]
            };
        let total = takes.len();
        let mut outputs = Vec::with_capacity(total);
        let mut cost: Option<u64> = None;
        for (index, line) in takes.into_iter().enumerate() {
            let key = format!("{}/{index}", job.id);
            let saved = match saved_take(&ctx.state().db, &key).await {
                Ok(Some(saved)) => saved,
                Ok(None) => {
                    let prompt = take_prompt(&job.request.prompt, line);
                    let request =
                        SubmitRequest::from_generation(&key, &job.request, prompt, images.clone());
                    let outcome = self
                        .run_take(request, line.map(|(l, _)| l), ctx, (index, total))
                        .await;
                    match outcome {
                        Ok(saved) => saved,
                        Err(Stop::Canceled) => return Err("Canceled".into()),
                        Err(Stop::Failed(reason)) => return Err(reason),
                    }
                }
                Err(e) => return Err(format!("Cannot read the job's progress: {e:#}")),
            };
            if let Some(c) = saved.cost_usd_micros {
                cost = Some(cost.unwrap_or(0).saturating_add(c));
            }
            outputs.push(saved.output);
            ctx.progress((index + 1) as f32 / total as f32).await;
        }
        if let Some(cost) = cost
            && let Err(e) = crate::jobs::set_actual_cost(&ctx.state().db, &job.id.0, cost).await
        {
            tracing::warn!(job = %job.id, error = format!("{e:#}"), "cannot record the cost");
        }
        Ok(outputs)
    }

    /// Submits (or finds) one take's provider job, waits for it, and saves
    /// its clip.
    async fn run_take(
        &self,
        mut request: SubmitRequest,
        language: Option<Language>,
        ctx: &JobContext,
        (index, total): (usize, usize),
    ) -> Result<SavedTake, Stop> {
        let name = self.provider.name();
        if let Some(base) = &self.settings.public_url {
            request.webhook_url = Some(format!(
                "{}/api/webhooks/{name}",
                base.trim_end_matches('/')
            ));
        }
        if ctx.is_canceled().await {
            return Err(Stop::Canceled);
        }
        // A job key already accepted returns the recorded provider job with
        // no new submit: that is how a restarted server resumes.
        let provider_job = self
            .provider
            .submit(&request)
            .await
            .map_err(|e| Stop::Failed(sentence(&e.to_string())))?;
        let wakers = &ctx.state().wakers;
        let wake = wakers.register(&provider_job.provider_id);
        let waited = tokio::select! {
            outcome = wait_for_outcome(self.provider.as_ref(), &provider_job, &self.settings.wait, Some(&wake)) => Some(outcome),
            () = self.watch(ctx, (index, total)) => None,
        };
        wakers.forget(&provider_job.provider_id);
        let output = match waited {
            None => {
                // Stopped because the job is no longer ours: pass a cancel
                // on, but never for a job another worker has taken over.
                if ctx.is_canceled().await {
                    self.cancel(&provider_job).await;
                }
                return Err(Stop::Canceled);
            }
            Some(Err(e)) => return Err(Stop::Failed(sentence(&e.to_string()))),
            Some(Ok(output)) => output,
        };
        let store = AssetVideos {
            state: ctx.state(),
            stored: std::sync::Mutex::default(),
        };
        // Each take is one clip; a provider listing more is unexpected, and
        // the first is the one it means.
        let Some(url) = output.video_urls.first() else {
            return Err(Stop::Failed(format!("{name} finished without a video")));
        };
        let saved = download_video(name, url, &self.settings.download, &store)
            .await
            .map_err(|e| Stop::Failed(sentence(&e.to_string())))?;
        let stored = store.stored.lock().ok().and_then(|mut s| s.take());
        let (poster, strip) = match stored {
            Some(bytes) => {
                crate::posters::make_for(ctx.state(), &saved.asset_id, bytes.to_vec()).await
            }
            None => (None, None),
        };
        let take = SavedTake {
            output: JobOutput {
                language,
                video: saved.asset_id,
                sidecar: None,
                width: saved.info.width,
                height: saved.info.height,
                duration_ms: saved.info.duration_ms,
                fps: saved.info.fps.unwrap_or(0),
                has_audio: saved.info.has_audio,
                revision: None,
                name: None,
                poster,
                strip,
            },
            cost_usd_micros: output.cost_usd_micros,
        };
        let job_id = request.job_key.split('/').next().unwrap_or_default();
        let assets = crate::holdings::of_output(&take.output);
        if let Err(e) = crate::holdings::link(&ctx.state().db, job_id, &assets).await {
            tracing::warn!(take = %request.job_key, error = format!("{e:#}"), "cannot record the take's assets");
        }
        if let Err(e) = save_take(&ctx.state().db, &request.job_key, &take).await {
            // The clip is saved as an asset; only a resume would fetch it again.
            tracing::warn!(take = %request.job_key, error = format!("{e:#}"), "cannot record the finished take");
        }
        Ok(take)
    }

    /// Reports progress while the provider works; returns once the job is
    /// no longer this worker's (canceled, or taken over), never otherwise.
    async fn watch(&self, ctx: &JobContext, (index, total): (usize, usize)) {
        let started = Instant::now();
        loop {
            tokio::time::sleep(self.settings.cancel_check).await;
            // Providers report no fraction; this eases towards 90 % of the
            // take over about a minute so the bar shows life, never arrival.
            let elapsed = started.elapsed().as_secs_f32();
            let within = 0.9 * (1.0 - (-elapsed / 60.0).exp());
            if !ctx.progress((index as f32 + within) / total as f32).await {
                return;
            }
        }
    }

    async fn cancel(&self, job: &ProviderJob) {
        match self.provider.cancel(job).await {
            Ok(outcome) => {
                tracing::info!(provider = job.provider, id = %job.provider_id, ?outcome, "cancel passed to the provider");
            }
            Err(e) => {
                tracing::warn!(provider = job.provider, id = %job.provider_id, error = %e, "the provider did not take the cancel");
            }
        }
    }

    /// The request's start image or references, with public URLs when the
    /// server has a public address.
    async fn images(&self, job: &Job, state: &AppState) -> Result<Vec<ImageInput>, String> {
        let mut images = Vec::with_capacity(job.request.references.len());
        for (i, id) in job.request.references.iter().enumerate() {
            let missing = || {
                format!(
                    "Reference {} is missing from the asset store; upload it again",
                    i + 1
                )
            };
            let record = crate::assets::find(&state.db, id)
                .await
                .map_err(|_| missing())?
                .ok_or_else(missing)?;
            let bytes = state.assets.read(id).await.map_err(|_| missing())?;
            images.push(ImageInput {
                bytes: Bytes::from(bytes),
                mime: record.mime,
                public_url: self.settings.public_url.as_ref().map(|base| {
                    format!(
                        "{}{}",
                        base.trim_end_matches('/'),
                        chorus_core::api::asset_url(id)
                    )
                }),
            });
        }
        Ok(images)
    }
}

/// The providers' messages start lower case; the studio shows sentences.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

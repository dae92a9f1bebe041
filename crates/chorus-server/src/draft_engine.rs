//! Runs jobs for the `draft` model on this machine with chorus-draft: one
//! render per spoken language, each MP4 and sidecar saved as assets.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chorus_core::{Job, JobOutput, model::DRAFT_MODEL_ID};
use chorus_draft::{RenderInput, RenderOptions};

use crate::holdings;
use crate::queue::{Engine, EngineFuture, JobContext};

pub struct DraftEngine;

impl Engine for DraftEngine {
    fn models(&self) -> Vec<String> {
        vec![DRAFT_MODEL_ID.to_string()]
    }

    fn run<'a>(&'a self, job: &'a Job, ctx: &'a JobContext) -> EngineFuture<'a> {
        Box::pin(render_job(job, ctx))
    }
}

async fn render_job(job: &Job, ctx: &JobContext) -> Result<Vec<JobOutput>, String> {
    let state = ctx.state();
    let mut references = Vec::with_capacity(job.request.references.len());
    for (i, id) in job.request.references.iter().enumerate() {
        let bytes = state.assets.read(id).await.map_err(|_| {
            format!(
                "Reference {} is missing from the asset store; upload it again",
                i + 1
            )
        })?;
        references.push(bytes);
    }
    let takes: Vec<Option<(chorus_core::Language, String)>> =
        if job.request.audio && !job.request.dialogue.is_empty() {
            job.request
                .dialogue
                .iter()
                .map(|d| Some((d.language, d.text.clone())))
                .collect()
        } else {
            vec![None]
        };
    let total = takes.len() as f32;
    let references = Arc::new(references);
    let mut outputs = Vec::with_capacity(takes.len());
    for (index, line) in takes.into_iter().enumerate() {
        if ctx.is_canceled().await {
            return Err("Canceled".into());
        }
        let language = line.as_ref().map(|(l, _)| *l);
        let input = RenderInput {
            request: job.request.clone(),
            line,
            references: references.as_ref().clone(),
            options: RenderOptions::default(),
        };
        // The render is CPU-bound; it reports progress through an atomic the
        // async side samples, so the blocking thread never waits on the database.
        let fraction = Arc::new(AtomicU32::new(0));
        let reporter = Arc::clone(&fraction);
        let mut render = tokio::task::spawn_blocking(move || {
            chorus_draft::render(&input, &mut |p| {
                reporter.store(p.to_bits(), Ordering::Relaxed);
            })
        });
        let rendered = loop {
            tokio::select! {
                done = &mut render => break done,
                () = tokio::time::sleep(std::time::Duration::from_millis(250)) => {
                    let p = f32::from_bits(fraction.load(Ordering::Relaxed));
                    ctx.progress((index as f32 + p * 0.95) / total).await;
                }
            }
        };
        let rendered = rendered
            .map_err(|e| format!("The draft engine stopped unexpectedly ({e})"))?
            .map_err(|e| e.to_string())?;
        let sidecar = serde_json::to_vec_pretty(&rendered.sidecar).map_err(|e| e.to_string())?;
        let video = state
            .assets
            .put(
                &state.db,
                &rendered.mp4,
                "video/mp4",
                Some((rendered.width, rendered.height)),
            )
            .await
            .map_err(|e| format!("Could not save the clip: {e:#}"))?;
        let sidecar = state
            .assets
            .put(&state.db, &sidecar, "application/json", None)
            .await
            .map_err(|e| format!("Could not save the sidecar: {e:#}"))?;
        let (poster, strip) = crate::posters::make_for(state, &video.id, rendered.mp4).await;
        let output = JobOutput {
            language,
            video: video.id,
            sidecar: Some(sidecar.id),
            width: rendered.width,
            height: rendered.height,
            duration_ms: u64::from(rendered.duration_ms),
            fps: rendered.fps,
            has_audio: rendered.has_audio,
            revision: None,
            name: None,
            poster,
            strip,
        };
        // Linked now, so a job canceled after this take still takes its
        // files with it when it is deleted.
        if let Err(e) = holdings::link(&state.db, &job.id.0, &holdings::of_output(&output)).await {
            tracing::warn!(job = %job.id, error = format!("{e:#}"), "cannot record the take's assets");
        }
        outputs.push(output);
        ctx.progress((index + 1) as f32 / total).await;
    }
    Ok(outputs)
}

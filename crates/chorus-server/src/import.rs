//! Clips made elsewhere (a provider's playground, an editor, a freelancer)
//! brought in as takes. Each file is streamed to a spool file while its
//! SHA-256 is computed (see `spool`), checked by its bytes
//! (`chorus_decode::probe_file`: container, codecs, a decodable first
//! picture and first sound), and only
//! when every clip of the import passes are they moved into the asset store
//! and recorded as one finished job. A refused import leaves nothing behind.

use chorus_core::{GenerationRequest, ImportedClip, Job, JobOutput, JobStatus, Problem};
use chorus_decode::{ClipProbe, Container};

use crate::error::ApiError;
use crate::jobs;
use crate::spool::Spooled;
use crate::state::AppState;

/// A received clip that passed its check.
struct Checked {
    spooled: Spooled,
    probe: ClipProbe,
}

/// Checks every clip by its bytes; all pass, or the import is refused with
/// one problem per clip that failed, each naming the file.
async fn check_all(clips: Vec<Spooled>) -> Result<Vec<Checked>, ApiError> {
    let mut checked = Vec::with_capacity(clips.len());
    let mut problems = Vec::new();
    for (index, spooled) in clips.into_iter().enumerate() {
        let path = spooled.path.clone();
        let probe = tokio::task::spawn_blocking(move || chorus_decode::probe_file(&path))
            .await
            .map_err(|e| anyhow::anyhow!("the check of an imported clip stopped: {e}"))?;
        match probe {
            Ok(probe) => checked.push(Checked { spooled, probe }),
            Err(e) => problems.push(Problem::error(
                format!("clips[{index}]"),
                format!("{}: {e}", spooled.name),
            )),
        }
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(ApiError::invalid(problems))
    }
}

/// Checks the clips, stores them and records the finished job whose takes
/// they are.
pub async fn import(state: &AppState, clips: Vec<Spooled>) -> Result<Job, ApiError> {
    if clips.is_empty() {
        return Err(ApiError::BadRequest(
            "Attach at least one clip as a form field named \"file\"".into(),
        ));
    }
    let checked = check_all(clips).await?;
    let mut outputs = Vec::with_capacity(checked.len());
    let mut described = Vec::with_capacity(checked.len());
    for Checked { spooled, probe } in &checked {
        let mime = match probe.container {
            Container::Mp4 => "video/mp4",
            Container::Mov => "video/quicktime",
        };
        // The poster first: storing moves the spooled file away.
        let (poster, strip) =
            crate::posters::make_for_file(state, &spooled.id, &spooled.path).await;
        let record = state
            .assets
            .put_file(
                &state.db,
                &spooled.path,
                &spooled.id,
                mime,
                Some((probe.width, probe.height)),
            )
            .await?;
        outputs.push(JobOutput {
            language: spooled.language,
            video: record.id,
            sidecar: None,
            width: probe.width,
            height: probe.height,
            duration_ms: probe.duration_ms,
            fps: probe.fps.round() as u32,
            has_audio: true,
            revision: None,
            name: Some(spooled.name.clone()),
            poster,
            strip,
        });
        described.push(ImportedClip {
            name: spooled.name.clone(),
            language: spooled.language,
            width: probe.width,
            height: probe.height,
            duration_ms: probe.duration_ms,
        });
    }
    let now = crate::db::now_ms();
    let job = Job {
        id: jobs::new_job_id(),
        status: JobStatus::Succeeded,
        progress: 1.0,
        request: GenerationRequest::imported(&described),
        estimate: None,
        created_at: now,
        updated_at: now,
        outputs,
        error: None,
        actual_cost_usd_micros: None,
        bytes: 0,
        deleted_at: None,
    };
    jobs::insert(&state.db, &job).await?;
    // Read back for what its assets take.
    let job = jobs::get(&state.db, &job.id.0).await?.unwrap_or(job);
    state.events.publish(&job);
    Ok(job)
}

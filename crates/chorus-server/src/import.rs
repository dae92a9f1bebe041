//! Clips made elsewhere (a provider's playground, an editor, a freelancer)
//! brought in as takes. Each file is streamed to a spool file while its
//! SHA-256 is computed, checked by its bytes (`chorus_decode::probe_file`:
//! container, codecs, a decodable first picture and first sound), and only
//! when every clip of the import passes are they moved into the asset store
//! and recorded as one finished job. A refused import leaves nothing behind.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use chorus_core::api::MAX_IMPORT_BYTES;
use chorus_core::{GenerationRequest, ImportedClip, Job, JobOutput, JobStatus, Language, Problem};
use chorus_decode::{ClipProbe, Container};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt as _;

use crate::assets::hex_id;
use crate::error::{ApiError, describe_bytes};
use crate::jobs;
use crate::state::AppState;

/// A file being received, removed when dropped unless it was moved away.
#[derive(Debug)]
pub struct Spooled {
    path: PathBuf,
    /// The name it came with.
    pub name: String,
    /// What is spoken in it.
    pub language: Option<Language>,
    /// SHA-256 of its bytes, as an asset id.
    pub id: String,
    pub bytes: u64,
}

impl Drop for Spooled {
    fn drop(&mut self) {
        // Gone already when the store moved it into place.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The folder spool files are written in, created if needed; leftovers of a
/// server that stopped mid-upload (older than an hour) are removed.
pub fn open_spool(folder: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create the upload folder {}", folder.display()))?;
    let stale = SystemTime::now() - Duration::from_hours(1);
    for entry in std::fs::read_dir(folder)?.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < stale);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// Receives one clip's bytes from `chunks` (as they arrive) into a spool
/// file in `folder`, refusing it once it passes the size limit.
pub async fn receive<S>(
    folder: &Path,
    name: String,
    language: Option<Language>,
    mut chunks: S,
) -> Result<Spooled, ApiError>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, ApiError>> + Unpin,
{
    use futures_util::StreamExt as _;

    let path = folder.join(format!("{}.part", uuid::Uuid::now_v7().simple()));
    let mut spooled = Spooled {
        path,
        name,
        language,
        id: String::new(),
        bytes: 0,
    };
    let file = tokio::fs::File::create(&spooled.path)
        .await
        .with_context(|| format!("cannot write {}", spooled.path.display()))?;
    let mut file = tokio::io::BufWriter::with_capacity(1 << 20, file);
    let mut hash = Sha256::new();
    while let Some(chunk) = chunks.next().await.transpose()? {
        spooled.bytes += chunk.len() as u64;
        if spooled.bytes > MAX_IMPORT_BYTES {
            return Err(ApiError::TooLarge(format!(
                "{} is larger than {}, the limit for one clip",
                spooled.name,
                describe_bytes(usize::try_from(MAX_IMPORT_BYTES).unwrap_or(usize::MAX))
            )));
        }
        hash.update(&chunk);
        file.write_all(&chunk)
            .await
            .with_context(|| format!("cannot write {}", spooled.path.display()))?;
    }
    file.flush()
        .await
        .with_context(|| format!("cannot write {}", spooled.path.display()))?;
    spooled.id = hex_id(&hash.finalize());
    Ok(spooled)
}

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
        });
        described.push(ImportedClip {
            name: spooled.name.clone(),
            language: spooled.language,
            width: probe.width,
            height: probe.height,
            duration_ms: probe.duration_ms,
        });
    }
    let now = jobs::now_ms();
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
    };
    jobs::insert(&state.db, &job).await?;
    state.events.publish(&job);
    Ok(job)
}

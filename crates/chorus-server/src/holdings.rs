//! Which assets each job uses (`job_assets`): its references, takes,
//! sidecars, posters and strips. A job's storage is the sum of its assets'
//! sizes, and when a job is removed for good, the assets no other job
//! holds go with it. Links are written as the assets are stored, before
//! the job's outputs name them, so a take saved by a job canceled halfway
//! is still removed with it.

use chorus_core::{GenerationRequest, JobOutput};

use crate::db::{Db, on_db};

/// Every asset a take names.
pub fn of_output(output: &JobOutput) -> Vec<String> {
    let mut ids = vec![output.video.clone()];
    ids.extend(output.sidecar.clone());
    ids.extend(output.poster.clone());
    ids.extend(output.strip.as_ref().map(|s| s.image.clone()));
    ids
}

/// Every asset some takes name.
pub fn of_outputs(outputs: &[JobOutput]) -> Vec<String> {
    outputs.iter().flat_map(of_output).collect()
}

/// Every asset a job names: its references and its takes' files.
pub fn of_job(request: &GenerationRequest, outputs: &[JobOutput]) -> Vec<String> {
    let mut ids = request.references.clone();
    ids.extend(of_outputs(outputs));
    ids
}

/// Records that job `job_id` uses `asset_ids` (again is fine).
pub async fn link(db: &Db, job_id: &str, asset_ids: &[String]) -> anyhow::Result<()> {
    let mut ids: Vec<&str> = asset_ids
        .iter()
        .map(String::as_str)
        .filter(|id| crate::assets::is_valid_id(id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let values: Vec<String> = (0..ids.len())
        .map(|i| format!("($1, ${})", i + 2))
        .collect();
    let sql = format!(
        "INSERT INTO job_assets (job_id, asset_id) VALUES {} ON CONFLICT DO NOTHING",
        values.join(", ")
    );
    on_db!(write db, pool => {
        let mut query = sqlx::query(&sql).bind(job_id);
        for id in &ids {
            query = query.bind(*id);
        }
        query.execute(pool).await.map(|_| ())
    })?;
    Ok(())
}

/// The assets job `job_id` uses.
pub async fn assets_of(db: &Db, job_id: &str) -> anyhow::Result<Vec<String>> {
    let ids = on_db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT asset_id FROM job_assets WHERE job_id = $1 ORDER BY asset_id",
    )
    .bind(job_id)
    .fetch_all(pool)
    .await)?;
    Ok(ids)
}

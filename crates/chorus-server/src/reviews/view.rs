//! What the review page loads: the shared takes with their files under the
//! link's address, the link's comments and standing decisions, its options,
//! and the lip-sync readings when the link shows them.

use chorus_core::Job;
use chorus_core::review::{Review, TakeReading};

use super::links::StoredLink;
use super::{comments, decisions, readings, scope};
use crate::db::Db;

/// The review behind `link` (on `job`), its files under `/r/<token>`.
pub async fn review(db: &Db, link: &StoredLink, job: &Job, token: &str) -> anyhow::Result<Review> {
    let link = &link.link;
    let takes = scope::review_takes(job, &link.takes, &format!("/r/{token}"));
    let readings = if link.verdicts {
        let videos: Vec<&str> = takes
            .iter()
            .map(|t| job.outputs[t.index].video.as_str())
            .collect();
        let found = readings::of_videos(db, &videos).await?;
        takes
            .iter()
            .filter_map(|t| {
                let reading = found.get(&job.outputs[t.index].video)?;
                Some(TakeReading {
                    take: t.index,
                    ..reading.clone()
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Review {
        link_id: link.id.clone(),
        title: scope::title(job, &link.takes),
        takes,
        comments: comments::of_link(db, &link.id).await?,
        decisions: decisions::of_link(db, &link.id).await?,
        downloads: link.downloads,
        approvals: link.approvals,
        verdicts: link.verdicts,
        expires_at: link.expires_at,
        readings,
    })
}

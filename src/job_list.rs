//! The Library's list of jobs, kept newest first while answers from
//! `GET /api/jobs` and live events arrive in any order.

use chorus_core::Job;

/// Puts `job` into `list`, replacing an older copy, never a newer one (an
/// event can overtake the list it is merged with).
pub fn upsert(list: &mut Vec<Job>, job: Job) {
    match list.iter_mut().find(|j| j.id == job.id) {
        Some(existing) if existing.updated_at > job.updated_at => {}
        Some(existing) => *existing = job,
        None => list.push(job),
    }
    list.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| b.id.cmp(&a.id))
    });
}

/// Merges a fetched list into what is shown.
pub fn merge(list: &mut Vec<Job>, fetched: Vec<Job>) {
    for job in fetched {
        upsert(list, job);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chorus_core::{GenerationRequest, JobId, JobStatus};

    fn job(id: &str, created: i64, updated: i64, status: JobStatus) -> Job {
        Job {
            id: JobId(id.into()),
            status,
            progress: 0.0,
            request: GenerationRequest::new("draft"),
            estimate: None,
            created_at: created,
            updated_at: updated,
            outputs: Vec::new(),
            error: None,
            actual_cost_usd_micros: None,
            bytes: 0,
            deleted_at: None,
        }
    }

    #[test]
    fn newest_first_and_updates_replace() {
        let mut list = Vec::new();
        upsert(&mut list, job("a", 1, 1, JobStatus::Queued));
        upsert(&mut list, job("b", 2, 2, JobStatus::Queued));
        upsert(&mut list, job("a", 1, 3, JobStatus::Running));
        let ids: Vec<_> = list.iter().map(|j| j.id.0.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        assert_eq!(list[1].status, JobStatus::Running);
    }

    #[test]
    fn a_stale_copy_does_not_undo_an_event() {
        let mut list = vec![job("a", 1, 5, JobStatus::Succeeded)];
        merge(&mut list, vec![job("a", 1, 2, JobStatus::Running)]);
        assert_eq!(list[0].status, JobStatus::Succeeded);
    }
}

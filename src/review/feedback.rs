//! The studio's view of what reviewers say: every job's comments and
//! standing decisions, loaded when a card first shows and then kept live
//! from the studio's event stream (`review` events), so counts on cards and
//! markers on players move within a second of a reviewer posting.

use std::collections::{HashMap, HashSet};

use chorus_core::JobId;
use chorus_core::review::{Comment, Decision, JobFeedback, ReviewEvent};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::player::markers::markers_of;
use crate::player::Marker;
use crate::review_api;

#[derive(Clone, Copy)]
pub struct FeedbackStore {
    jobs: RwSignal<HashMap<JobId, JobFeedback>>,
    /// Jobs asked for and not yet answered.
    asked: StoredValue<Vec<JobId>>,
    /// Counts every review event, so views of links (opens, counts) can
    /// read them again.
    pub changes: RwSignal<u64>,
    /// A comment picked in a job's review panel, to be shown on its take's
    /// player: the job, the take, the comment and its frame.
    pub focus: RwSignal<Option<(JobId, usize, String, usize)>>,
    /// Which jobs' share forms and feedback lists are open, and the link
    /// each made last (shown once): kept here because a job card is built
    /// anew whenever its job changes (a new version, a reading stored).
    pub sharing: RwSignal<HashSet<JobId>>,
    pub reading: RwSignal<HashSet<JobId>>,
    pub made: RwSignal<HashMap<JobId, String>>,
}

fn upsert_comment(list: &mut Vec<Comment>, comment: Comment) {
    match list.iter_mut().find(|c| c.id == comment.id) {
        Some(known) => *known = comment,
        None => list.push(comment),
    }
}

fn upsert_decision(list: &mut Vec<Decision>, decision: Decision) {
    match list
        .iter_mut()
        .find(|d| d.link_id == decision.link_id && d.take == decision.take)
    {
        Some(known) => *known = decision,
        None => list.push(decision),
    }
}

impl FeedbackStore {
    pub fn new() -> Self {
        FeedbackStore {
            jobs: RwSignal::new(HashMap::new()),
            asked: StoredValue::new(Vec::new()),
            changes: RwSignal::new(0),
            focus: RwSignal::new(None),
            sharing: RwSignal::new(HashSet::new()),
            reading: RwSignal::new(HashSet::new()),
            made: RwSignal::new(HashMap::new()),
        }
    }

    /// Loads `job`'s feedback once (a card showing it calls this).
    pub fn want(&self, job: &JobId) {
        let known = self.jobs.with_untracked(|j| j.contains_key(job))
            || self.asked.with_value(|a| a.contains(job));
        if known {
            return;
        }
        self.asked.update_value(|a| a.push(job.clone()));
        let store = *self;
        let job = job.clone();
        spawn_local(async move {
            if let Ok(feedback) = review_api::feedback(&job).await {
                store.jobs.update(|j| {
                    // Events that arrived while it loaded are kept.
                    let entry = j.entry(job.clone()).or_insert(JobFeedback {
                        comments: Vec::new(),
                        decisions: Vec::new(),
                    });
                    for c in feedback.comments {
                        if !entry.comments.iter().any(|k| k.id == c.id) {
                            entry.comments.push(c);
                        }
                    }
                    for d in feedback.decisions {
                        if !entry.decisions.iter().any(|k| k.link_id == d.link_id && k.take == d.take) {
                            entry.decisions.push(d);
                        }
                    }
                });
            }
            store.asked.update_value(|a| a.retain(|j| *j != job));
        });
    }

    /// Opens or closes `job`'s entry in `set`.
    pub fn toggle(set: RwSignal<HashSet<JobId>>, job: &JobId) {
        set.update(|s| {
            if !s.remove(job) {
                s.insert(job.clone());
            }
        });
    }

    /// Everything loaded again (the stream reconnected, and may have
    /// missed events).
    pub fn reload(&self) {
        let jobs: Vec<JobId> = self.jobs.with_untracked(|j| j.keys().cloned().collect());
        self.jobs.set(HashMap::new());
        for job in jobs {
            self.want(&job);
        }
    }

    pub fn apply(&self, event: ReviewEvent) {
        self.changes.update(|n| *n += 1);
        let job = event.job_id().clone();
        self.jobs.update(|jobs| {
            let entry = jobs.entry(job).or_insert(JobFeedback {
                comments: Vec::new(),
                decisions: Vec::new(),
            });
            match event {
                ReviewEvent::Comment { comment, .. } => upsert_comment(&mut entry.comments, comment),
                ReviewEvent::Decision { decision, .. } => upsert_decision(&mut entry.decisions, decision),
                ReviewEvent::Link { .. } => {}
            }
        });
    }

    /// Shows a change made here at once (the stream brings it too).
    pub fn keep_comment(&self, job: &JobId, comment: Comment) {
        self.apply(ReviewEvent::Comment {
            job_id: job.clone(),
            comment,
        });
    }

    pub fn comments(&self, job: &JobId) -> Vec<Comment> {
        self.jobs
            .with(|j| j.get(job).map(|f| f.comments.clone()).unwrap_or_default())
    }

    pub fn decisions(&self, job: &JobId) -> Vec<Decision> {
        self.jobs
            .with(|j| j.get(job).map(|f| f.decisions.clone()).unwrap_or_default())
    }

    /// Markers for the comments on take `index` of `job` (replies are
    /// shown with their comment, not on their own).
    pub fn markers(&self, job: &JobId, original: usize, index: usize) -> Vec<Marker> {
        self.jobs.with(|j| {
            j.get(job)
                .map(|f| markers_of(&f.comments, original, index))
                .unwrap_or_default()
        })
    }
}

impl Default for FeedbackStore {
    fn default() -> Self {
        Self::new()
    }
}

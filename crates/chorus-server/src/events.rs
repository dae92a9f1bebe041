//! What the server tells its parts as things happen: the event bus behind
//! `GET /api/events` (every job change is published here and fanned out to
//! each connected studio tab; every change on a client review beside it,
//! for the studio and the open review pages), and the wakers that let a provider's webhook
//! cut short the wait of the worker polling that provider job.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chorus_core::Job;
use chorus_core::review::ReviewEvent;
use tokio::sync::{Notify, broadcast};

#[derive(Clone)]
pub struct Events {
    sender: broadcast::Sender<Job>,
    reviews: broadcast::Sender<ReviewEvent>,
}

impl Events {
    pub fn new() -> Self {
        // A slow tab that falls this far behind skips ahead; it then reloads
        // the list, so nothing is lost from its view.
        let (sender, _) = broadcast::channel(256);
        let (reviews, _) = broadcast::channel(256);
        Events { sender, reviews }
    }

    pub fn publish(&self, job: &Job) {
        // No subscribers is normal (no tab open).
        let _ = self.sender.send(job.clone());
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Job> {
        self.sender.subscribe()
    }

    /// Announces a comment, a decision or a change to a review link.
    pub fn publish_review(&self, event: ReviewEvent) {
        let _ = self.reviews.send(event);
    }

    pub fn subscribe_reviews(&self) -> broadcast::Receiver<ReviewEvent> {
        self.reviews.subscribe()
    }
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

/// Wakes the poller of a provider job when its webhook arrives, keyed by the
/// provider's job id.
#[derive(Debug, Default, Clone)]
pub struct Wakers(Arc<Mutex<HashMap<String, Arc<Notify>>>>);

impl Wakers {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Notify>>> {
        // A poisoned map still holds valid entries; each write is one insert.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The notifier for `provider_id`, created on first use.
    pub fn register(&self, provider_id: &str) -> Arc<Notify> {
        Arc::clone(self.lock().entry(provider_id.to_string()).or_default())
    }

    pub fn forget(&self, provider_id: &str) {
        self.lock().remove(provider_id);
    }

    /// Wakes the poller of `provider_id`; false when nobody waits here.
    pub fn wake(&self, provider_id: &str) -> bool {
        match self.lock().get(provider_id) {
            Some(notify) => {
                // `notify_one` keeps a permit, so a webhook that lands between
                // two polls is not lost.
                notify.notify_one();
                true
            }
            None => false,
        }
    }
}

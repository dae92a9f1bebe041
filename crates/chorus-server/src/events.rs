//! The event bus behind `GET /api/events`: every job change is published here
//! and fanned out to each connected studio tab.

use chorus_core::Job;
use tokio::sync::broadcast;

#[derive(Clone)]
pub struct Events {
    sender: broadcast::Sender<Job>,
}

impl Events {
    pub fn new() -> Self {
        // A slow tab that falls this far behind skips ahead; it then reloads
        // the list, so nothing is lost from its view.
        let (sender, _) = broadcast::channel(256);
        Events { sender }
    }

    pub fn publish(&self, job: &Job) {
        // No subscribers is normal (no tab open).
        let _ = self.sender.send(job.clone());
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Job> {
        self.sender.subscribe()
    }
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

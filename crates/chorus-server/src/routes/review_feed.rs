//! `GET /r/{token}/api/events`: the review page's live feed, as
//! server-sent events of this link and its job only: `comment` and
//! `decision` (their JSON), `link` (the link's options changed), `job`
//! (the job changed, say a new version or a lip-sync reading: reload the
//! review), and `closed` (`{"message": …}`), after which the stream ends.
//! It ends when the link is revoked and when it expires, whether or not
//! anything else happens; a new passcode ends it too (after the `link`
//! event), so the page asks for the passcode again.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Sse;
use axum::response::sse::{Event, KeepAlive};
use chorus_core::Job;
use chorus_core::review::{ReviewEvent, ReviewLink};
use futures_util::Stream;
use tokio::sync::broadcast::{self, error::RecvError};

use super::review_link::{closed_message, enter};
use crate::db::now_ms;
use crate::error::ApiResult;
use crate::jobs;
use crate::reviews::links::{self, StoredLink};
use crate::state::AppState;

pub(super) async fn stream(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let access = enter(&state, &token, &headers, true).await?;
    let feed = Feed {
        jobs: state.events.subscribe(),
        reviews: state.events.subscribe_reviews(),
        link_id: access.link.link.id.clone(),
        job_id: access.job.id.0.clone(),
        expires_at: access.link.link.expires_at,
        passcode_hash: access.link.passcode_hash,
        state,
        done: false,
    };
    let events = futures_util::stream::unfold(feed, |mut feed| async move {
        feed.next().await.map(|event| (Ok(event), feed))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// One page's feed: what it listens to, and when its link expires.
struct Feed {
    state: AppState,
    jobs: broadcast::Receiver<Job>,
    reviews: broadcast::Receiver<ReviewEvent>,
    link_id: String,
    job_id: String,
    expires_at: Option<i64>,
    passcode_hash: Option<String>,
    /// The last event has been sent.
    done: bool,
}

/// What woke the feed.
enum Woke {
    Expired,
    Review(Result<ReviewEvent, RecvError>),
    Job(Result<Job, RecvError>),
}

fn closed(message: String) -> Event {
    Event::default()
        .event("closed")
        .json_data(serde_json::json!({ "message": message }))
        .unwrap_or_else(|_| Event::default().event("closed").data("{}"))
}

/// Reload the review: something changed that the page cannot patch in.
fn reload() -> Event {
    Event::default().event("job").data("{}")
}

fn json_event(name: &str, value: &impl serde::Serialize) -> Event {
    Event::default()
        .event(name)
        .json_data(value)
        .unwrap_or_else(|_| reload())
}

impl Feed {
    /// The next event for the page, or `None` once the stream is over.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if self.done {
                return None;
            }
            let expiry = self.expires_at.map(|at| {
                let left = u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0);
                tokio::time::Instant::now() + Duration::from_millis(left)
            });
            let woke = tokio::select! {
                () = async {
                    match expiry {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                } => Woke::Expired,
                got = self.reviews.recv() => Woke::Review(got),
                got = self.jobs.recv() => Woke::Job(got),
            };
            match woke {
                Woke::Expired => {
                    // Woken a moment early, it sleeps again.
                    if let Err(last) = self.current().await {
                        return Some(last);
                    }
                }
                Woke::Review(Ok(event)) if event.link_id() == self.link_id => {
                    return match event {
                        ReviewEvent::Comment { comment, .. } => {
                            Some(json_event("comment", &comment))
                        }
                        ReviewEvent::Decision { decision, .. } => {
                            Some(json_event("decision", &decision))
                        }
                        ReviewEvent::Link { .. } => match self.current().await {
                            Err(last) => Some(last),
                            Ok(link) => {
                                if link.passcode_hash.is_some()
                                    && link.passcode_hash != self.passcode_hash
                                {
                                    // Unlocked with the old passcode: the
                                    // page must ask again.
                                    self.done = true;
                                }
                                Some(json_event("link", &for_reviewer(link.link)))
                            }
                        },
                    };
                }
                Woke::Job(Ok(job)) if job.id.0 == self.job_id => {
                    if job.deleted_at.is_some() {
                        self.done = true;
                        return Some(closed("This review link was closed by the studio".into()));
                    }
                    return Some(reload());
                }
                Woke::Review(Ok(_)) | Woke::Job(Ok(_)) => {}
                // Fell behind: reload rather than miss a change.
                Woke::Review(Err(RecvError::Lagged(_))) | Woke::Job(Err(RecvError::Lagged(_))) => {
                    return Some(reload());
                }
                Woke::Review(Err(RecvError::Closed)) | Woke::Job(Err(RecvError::Closed)) => {
                    return None;
                }
            }
        }
    }

    /// The link as it now is, its expiry followed from here on; `Err` with
    /// the last event when it has closed (revoked, expired, its job gone).
    async fn current(&mut self) -> Result<StoredLink, Event> {
        let ended = |feed: &mut Feed, message: String| {
            feed.done = true;
            closed(message)
        };
        let link = match links::by_id(&self.state.db, &self.link_id).await {
            Ok(link) => link,
            Err(e) => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "a review feed cannot read its link"
                );
                return Err(reload());
            }
        };
        let job = jobs::get(&self.state.db, &self.job_id).await.ok().flatten();
        let (Some(link), Some(job)) = (link, job) else {
            return Err(ended(
                self,
                "This review link was closed by the studio".into(),
            ));
        };
        if let Some(message) = closed_message(&link, &job, now_ms()) {
            return Err(ended(self, message));
        }
        self.expires_at = link.link.expires_at;
        Ok(link)
    }
}

/// The link as a reviewer may see it: without who else opened it.
fn for_reviewer(link: ReviewLink) -> ReviewLink {
    ReviewLink {
        opened: Vec::new(),
        ..link
    }
}

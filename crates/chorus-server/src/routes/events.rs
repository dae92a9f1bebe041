//! `GET /api/events`: a server-sent event stream of job changes, one `job`
//! event per change, so every open studio tab stays current without polling;
//! and beside them a `review` event (a `ReviewEvent`) for every comment,
//! decision and change to a review link.
//!
//! A stream opened with a session or an API token ends when that stops
//! working (signed out everywhere, revoked, the account removed): it asks
//! every [`RECHECK`], so no stream outlives its credential by more.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::Sse;
use axum::response::sse::{Event, KeepAlive};
use axum::routing::get;
use chorus_core::api::JobEvent;
use futures_util::Stream;
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use crate::auth::{Actor, Via, sessions, tokens};
use crate::db::{Db, now_ms};
use crate::state::AppState;

/// How often an open stream checks its credential still works.
pub const RECHECK: Duration = Duration::from_secs(5);

pub fn router() -> Router<AppState> {
    Router::new().route("/events", get(stream))
}

/// Follow jobs and reviews
///
/// Server-sent events: `job` (data: a `JobEvent`) for every change to a
/// job, `review` (data: a `ReviewEvent`) for every comment, decision and
/// change to a review link, and `resync` when the stream fell behind
/// (reload the list). Ends when the credential it was opened with does.
#[utoipa::path(get, path = "/api/events", tag = "events",
    responses((status = 200, description = "An event stream that stays open", content_type = "text/event-stream", body = String)))]
async fn stream(
    State(state): State<AppState>,
    actor: Actor,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events = BroadcastStream::new(state.events.subscribe()).filter_map(|item| match item {
        Ok(job) => Event::default()
            .event("job")
            .json_data(JobEvent { job })
            .ok()
            .map(Ok),
        // The tab fell behind: tell it to reload the list rather than miss changes.
        Err(BroadcastStreamRecvError::Lagged(_)) => {
            Some(Ok(Event::default().event("resync").data("{}")))
        }
    });
    let reviews =
        BroadcastStream::new(state.events.subscribe_reviews()).filter_map(|item| match item {
            Ok(event) => Event::default()
                .event("review")
                .json_data(event)
                .ok()
                .map(Ok),
            Err(BroadcastStreamRecvError::Lagged(_)) => {
                Some(Ok(Event::default().event("resync").data("{}")))
            }
        });
    let until_ended = credential_ended(state.db.clone(), actor.via);
    let stream = futures_util::StreamExt::take_until(events.merge(reviews), until_ended);
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// Resolves once the credential a stream was opened with stops working;
/// never with sign-in off. A database hiccup is not taken as an ending.
async fn credential_ended(db: Db, via: Via) {
    loop {
        let live = match &via {
            Via::Local => return std::future::pending().await,
            Via::Session { session_id } => sessions::is_live(&db, session_id, now_ms()).await,
            Via::Token { token_id, .. } => tokens::is_live(&db, token_id).await,
        };
        if matches!(live, Ok(false)) {
            return;
        }
        tokio::time::sleep(RECHECK).await;
    }
}

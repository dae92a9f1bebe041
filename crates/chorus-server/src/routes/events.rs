//! `GET /api/events`: a server-sent event stream of job changes, one `job`
//! event per change, so every open studio tab stays current without polling;
//! and beside them a `review` event (a `ReviewEvent`) for every comment,
//! decision and change to a review link.

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

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/events", get(stream))
}

async fn stream(
    State(state): State<AppState>,
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
    Sse::new(events.merge(reviews)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

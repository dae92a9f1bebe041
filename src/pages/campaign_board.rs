//! `/campaigns/{id}`: the campaign's board, kept current by the job event
//! stream (a change to one of its jobs reloads the board, at most once per
//! 300 ms, and only while the page is visible), filtered by status,
//! language and decision with the filters kept in the URL.

use chorus_core::api::JobEvent;
use chorus_core::board::{BoardFilter, Campaign, VariantStatus};
use chorus_core::review::ReviewEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;

use crate::campaign_api;
use crate::campaign_view::{filter_from_search, filter_to_search, layout};
use crate::components::campaign::board_grid::BoardGrid;
use crate::components::campaign::board_header::{BoardFilters, BoardHeader};
use crate::live_feed::{LiveFeed, json_handler};

/// Job events this close together reload the board once.
const RELOAD_PAUSE_MS: u64 = 300;

/// Writes the filters into the address bar without a new history entry.
fn show_in_url(id: &str, filter: BoardFilter) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let search = filter_to_search(filter);
    let path = if search.is_empty() {
        format!("/campaigns/{id}")
    } else {
        format!("/campaigns/{id}?{search}")
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
    }
}

/// Whether a job's change may show on this board: one of its jobs, or a
/// new job while some of its variants wait to be sent.
fn concerns(campaign: &Campaign, job_id: &str) -> bool {
    campaign.variants.iter().any(|v| {
        v.job_id.as_deref() == Some(job_id)
            || (v.status == VariantStatus::Held && campaign.canceled_at.is_none())
    })
}

#[component]
pub fn CampaignBoardPage() -> impl IntoView {
    let params = use_params_map();
    let id = params.with_untracked(|p| p.get("id")).unwrap_or_default();
    let campaign = RwSignal::new(None::<Campaign>);
    let error = RwSignal::new(None::<String>);
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let filter = RwSignal::new(filter_from_search(&search));
    let live = RwSignal::new(false);

    let load = {
        let id = id.clone();
        move || {
            let id = id.clone();
            spawn_local(async move {
                match campaign_api::board(&id).await {
                    Ok(board) => {
                        let _ = error.try_set(None);
                        let _ = campaign.try_set(Some(board));
                    }
                    Err(e) => {
                        let _ = error.try_set(Some(e.message()));
                    }
                }
            });
        }
    };
    load();
    let pending = StoredValue::new_local(None::<TimeoutHandle>);
    let reload_soon = {
        let load = load.clone();
        move || {
            if pending.try_with_value(Option::is_some).unwrap_or(true) {
                return;
            }
            let load = load.clone();
            let handle = set_timeout_with_handle(
                move || {
                    pending.try_set_value(None);
                    load();
                },
                std::time::Duration::from_millis(RELOAD_PAUSE_MS),
            );
            pending.set_value(handle.ok());
        }
    };
    let on_job = {
        let reload_soon = reload_soon.clone();
        move |event: JobEvent| {
            let ours = campaign
                .try_with_untracked(|c| c.as_ref().is_some_and(|c| concerns(c, &event.job.id.0)))
                .unwrap_or(false);
            if ours {
                reload_soon();
            }
        }
    };
    // A client's decision shows on its cell.
    let on_review = {
        let reload_soon = reload_soon.clone();
        move |event: ReviewEvent| {
            if matches!(event, ReviewEvent::Decision { .. }) {
                reload_soon();
            }
        }
    };
    let feed = StoredValue::new_local(LiveFeed::listen(
        "/api/events",
        vec![("job", json_handler(on_job)), ("review", json_handler(on_review))],
        move || {
            let _ = live.try_set(true);
            // Catch up on whatever changed while the stream was down.
            reload_soon();
        },
        move || {
            let _ = live.try_set(false);
        },
    ));
    on_cleanup(move || {
        feed.set_value(None);
        if let Some(Some(h)) = pending.try_get_value() {
            h.clear();
        }
    });

    Effect::new({
        let id = id.clone();
        move |previous: Option<BoardFilter>| {
            let now = filter.get();
            if previous.is_some_and(|p| p != now) {
                show_in_url(&id, now);
            }
            now
        }
    });
    let board_layout = Memo::new(move |_| {
        let f = filter.get();
        campaign.with(|c| c.as_ref().map(|c| layout(c, f)).unwrap_or_default())
    });
    let languages = Memo::new(move |_| campaign.with(|c| c.as_ref().map(|c| c.languages.clone()).unwrap_or_default()));
    let loaded = move || campaign.with(Option::is_some);

    view! {
        <div class="campaign-page board-page" data-testid="campaign-board-page">
            {move || error.get().map(|why| view! { <p class="banner error" role="alert" data-testid="board-error">{why}</p> })}
            <Show when=loaded fallback=move || view! {
                <p class="hint" role="status">{move || if error.with(Option::is_some) { "" } else { "Loading the board…" }}</p>
            }>
                <BoardHeader campaign />
                <div class="board-bar">
                    <BoardFilters filter languages />
                    <span class="hint" data-testid="board-shown">
                        {move || board_layout.with(|l| format!("{} shown", l.shown))}
                        {move || if live.get() { " · live" } else { "" }}
                    </span>
                </div>
                <BoardGrid campaign layout=board_layout />
            </Show>
        </div>
    }
}

//! The page a client's campaign link opens (`/c/{token}`), with no studio
//! around it: every variant of the campaign as a card, row by row, each
//! finished one opening its own review (comments, approve) and showing the
//! decision made there when the client comes back.

use chorus_core::board::{ClientBoard, ClientVariant, VariantStatus};
use chorus_core::review::Verdict;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;

use crate::api;

async fn board(token: &str) -> Result<ClientBoard, api::ApiError> {
    api::get(&format!("/c/{token}/api/board")).await
}

#[component]
pub fn CampaignReviewPage() -> impl IntoView {
    let token = use_params_map()
        .with_untracked(|p| p.get("token"))
        .unwrap_or_default();
    let loaded = RwSignal::new(None::<Result<ClientBoard, String>>);
    let load = move || {
        let token = token.clone();
        spawn_local(async move {
            loaded.set(Some(board(&token).await.map_err(|e| e.message())));
        });
    };
    load();
    // Back from a take's review: show the decision just made.
    let back = load.clone();
    let handle = window_event_listener(leptos::ev::pageshow, move |_| back());
    let focus = window_event_listener(leptos::ev::focus, move |_| load());
    on_cleanup(move || {
        handle.remove();
        focus.remove();
    });

    view! {
        <div class="review-page campaign-review" data-testid="campaign-review">
            <header class="review-head">
                <span class="brand">"Chorus"<span class="brand-sub">" review"</span></span>
                <h1 data-testid="campaign-review-title">
                    {move || loaded.with(|b| match b {
                        Some(Ok(b)) => b.name.clone(),
                        _ => String::new(),
                    })}
                </h1>
            </header>
            {move || match loaded.get() {
                None => view! { <p class="hint">"Opening the campaign…"</p> }.into_any(),
                Some(Err(why)) => view! {
                    <section class="empty-state" data-testid="review-gone">
                        <h2>"This review is not available"</h2>
                        <p role="alert">{why}</p>
                        <p class="hint">"Ask the studio that sent it for a new link."</p>
                    </section>
                }.into_any(),
                Some(Ok(board)) => view! { <ClientBoardView board /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn ClientBoardView(board: ClientBoard) -> impl IntoView {
    let done = board
        .variants
        .iter()
        .filter(|v| v.status == VariantStatus::Succeeded)
        .count();
    let approved = board
        .variants
        .iter()
        .filter(|v| v.decision == Some(Verdict::Approved))
        .count();
    let mut rows: Vec<(u32, Vec<ClientVariant>)> = Vec::new();
    for v in board.variants {
        match rows.last_mut() {
            Some((row, list)) if *row == v.row => list.push(v),
            _ => rows.push((v.row, vec![v])),
        }
    }
    view! {
        <p class="campaign-review-summary" data-testid="campaign-review-summary">
            {format!("{done} of {} ready to review · {approved} approved", rows.iter().map(|r| r.1.len()).sum::<usize>())}
        </p>
        <p class="hint">"Open a clip to watch it, comment on a frame and approve it or ask for changes."</p>
        {rows
            .into_iter()
            .map(|(row, variants)| view! {
                <section class="campaign-review-row">
                    <h2>{format!("Row {row}")}</h2>
                    <ul class="campaign-review-cards">
                        {variants.into_iter().map(|v| view! { <ClientCard v /> }).collect_view()}
                    </ul>
                </section>
            })
            .collect_view()}
    }
}

#[component]
fn ClientCard(v: ClientVariant) -> impl IntoView {
    let label = format!("{} · {}", v.language.display_name(), v.ratio.label());
    let decision = v.decision.map(|d| {
        let class = match d {
            Verdict::Approved => "decision approved",
            Verdict::ChangesRequested => "decision changes",
        };
        let who = v.reviewer.clone().map(|r| format!(" by {r}")).unwrap_or_default();
        view! { <span class=class data-testid="client-decision">{format!("{}{who}", d.label())}</span> }
    });
    let (w, h) = v.ratio.ratio();
    let frame_style = format!("aspect-ratio: {w} / {h}");
    let picture = match &v.poster_url {
        Some(src) => view! { <img src=src.clone() alt="" loading="lazy" /> }.into_any(),
        None => view! { <span class="hint">{v.status.label()}</span> }.into_any(),
    };
    let body = view! {
        <span class="campaign-review-frame" style=frame_style>{picture}</span>
        <span class="campaign-review-label">{label}</span>
        {decision}
    };
    match v.review_url {
        Some(url) => view! {
            <li class="campaign-review-card" data-testid="client-variant" data-row=v.row data-lang=v.language.code() data-ratio=v.ratio.label()>
                <a href=url>{body}</a>
            </li>
        }
        .into_any(),
        None => view! {
            <li class="campaign-review-card waiting" data-testid="client-variant" data-row=v.row data-lang=v.language.code() data-ratio=v.ratio.label()>
                {body}
            </li>
        }
        .into_any(),
    }
}

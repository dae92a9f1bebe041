//! The board's grid: sheet rows down, one column per language × format,
//! each cell a variant (its poster once done, status and progress, cost,
//! lip-sync verdict, the client's decision, or why it is held). Only the
//! rows on screen are built. A finished cell opens its take in the player.

use chorus_core::board::{BoardVariant, Campaign, VariantStatus};
use chorus_core::review::{ReadingVerdict, Verdict};
use leptos::html;
use leptos::prelude::*;

use super::rows_window::use_rows_window;
use crate::campaign_view::{BoardLayout, cell_cost};

/// Height of one board row, px (CSS `.board-row` matches).
const ROW_H: f64 = 140.0;

fn sync_slug(v: ReadingVerdict) -> &'static str {
    match v {
        ReadingVerdict::InSync => "in-sync",
        ReadingVerdict::Detectable => "detectable",
        ReadingVerdict::Unacceptable => "unacceptable",
        ReadingVerdict::CantTell => "cant-tell",
    }
}

fn cell_view(v: &BoardVariant) -> AnyView {
    let slug = v.status.slug();
    let (w, h) = v.ratio.ratio();
    let what = format!("Row {}, {} {}", v.row, v.language.display_name(), v.ratio.label());
    let poster = match &v.poster {
        Some(poster) => view! {
            <img src=format!("/api/assets/{poster}") alt="" loading="lazy" data-testid="cell-poster"
                style=format!("aspect-ratio:{w}/{h}") />
        }
        .into_any(),
        None => view! {
            <span class="poster-empty" style=format!("aspect-ratio:{w}/{h}")>{v.ratio.label()}</span>
        }
        .into_any(),
    };
    let running = v.status == VariantStatus::Running;
    let percent = (v.progress.clamp(0.0, 1.0) * 100.0).round() as u32;
    let status = if running {
        format!("{} {percent}%", v.status.label())
    } else {
        v.status.label().to_string()
    };
    let sync = v.sync.as_ref().map(|s| {
        let offset = s
            .offset_ms
            .map(|ms| format!(" {ms:+.0} ms"))
            .unwrap_or_default();
        view! {
            <span class=format!("cell-sync {}", sync_slug(s.verdict)) title=s.summary.clone() data-testid="cell-sync">
                {format!("{}{offset}", s.verdict.label())}
            </span>
        }
    });
    let decision = v.decision.map(|d| {
        let who = v.reviewer.clone().map(|r| format!(" · {r}")).unwrap_or_default();
        let class = match d {
            Verdict::Approved => "cell-decision approved",
            Verdict::ChangesRequested => "cell-decision changes",
        };
        view! { <span class=class data-testid="cell-decision">{format!("{}{who}", d.label())}</span> }
    });
    let reason = v.reason.clone().map(|r| {
        let title = r.clone();
        view! { <span class="cell-reason" title=title>{r}</span> }
    });
    let body = view! {
        <span class="cell-poster">{poster}</span>
        <span class="cell-info">
            <span class=format!("status-chip {slug}") data-testid="cell-status">{status}</span>
            <span class="cell-cost">{cell_cost(v)}</span>
            {sync}
            {decision}
            {reason}
        </span>
        {running.then(|| view! { <span class="cell-progress" aria-hidden="true"><span style=format!("width:{percent}%")></span></span> })}
    };
    match (&v.job_id, v.status) {
        (Some(job), VariantStatus::Succeeded) => view! {
            <a class=format!("board-cell {slug}") href=format!("/compare/{job}") data-testid="board-cell" data-status=slug
                aria-label=format!("{what}: done, open the take")>{body}</a>
        }
        .into_any(),
        _ => view! {
            <div class=format!("board-cell {slug}") data-testid="board-cell" data-status=slug
                aria-label=format!("{what}: {}", v.status.label())>{body}</div>
        }
        .into_any(),
    }
}

#[component]
pub fn BoardGrid(campaign: RwSignal<Option<Campaign>>, layout: Memo<BoardLayout>) -> impl IntoView {
    let count = Signal::derive(move || layout.with(|l| l.rows.len()));
    let anchor = NodeRef::<html::Div>::new();
    let range = use_rows_window(anchor, ROW_H, count, move || layout.track());
    let columns = move || layout.with(|l| l.columns.len());
    let template = move || format!("grid-template-columns: 56px repeat({}, minmax(190px, 1fr))", columns());
    view! {
        <div class="board-scroll">
            <div class="board" role="grid" aria-label="Variants by row, language and format" data-testid="board"
                aria-rowcount=move || count.get().to_string()>
                <div class="board-head" role="row" style=template>
                    <span role="columnheader" class="board-rowhead">"Row"</span>
                    {move || layout.with(|l| l.columns.iter().map(|(language, ratio)| view! {
                        <span role="columnheader">{language.display_name()}" "<span class="hint">{ratio.label()}</span></span>
                    }).collect_view())}
                </div>
                <div class="board-body" node_ref=anchor style=move || format!("height:{}px", count.get() as f64 * ROW_H)>
                    {move || {
                        let range = range.get();
                        let style = template();
                        layout.with(|l| campaign.with(|c| {
                            let Some(c) = c else { return Vec::new() };
                            l.rows.get(range.clone()).unwrap_or_default().iter().enumerate().map(|(k, row)| {
                                let top = (range.start + k) as f64 * ROW_H;
                                view! {
                                    <div class="board-row" role="row" data-testid="board-row" style=format!("top:{top}px;{style}")>
                                        <span class="board-rowhead" role="rowheader">{row.row}</span>
                                        {row.cells.iter().map(|cell| match cell.and_then(|i| c.variants.get(i)) {
                                            Some(v) => view! { <span role="gridcell" class="board-slot">{cell_view(v)}</span> }.into_any(),
                                            None => view! { <span role="gridcell" class="board-slot empty"></span> }.into_any(),
                                        }).collect_view()}
                                    </div>
                                }
                            }).collect::<Vec<_>>()
                        }))
                    }}
                </div>
            </div>
            <Show when=move || count.get() == 0>
                <p class="empty-hint">"No variant matches these filters."</p>
            </Show>
        </div>
    }
}

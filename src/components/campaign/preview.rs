//! The expansion preview: how many variants are ready, worth a look or
//! blocked; what they cost in all, per model and per language; the
//! campaign-wide problems; and a table of every variant with its filled
//! prompt and line, speech fit, cost and problems, of which only the rows on
//! screen are built.

use chorus_core::campaign::{Expansion, Readiness, Variant};
use chorus_core::cost::format_usd;
use leptos::html;
use leptos::prelude::*;

use super::form::use_campaign_form;
use super::rows_window::use_rows_window;
use crate::campaign_draft::thousands;

/// Height of one table row, px (CSS `.preview-row` matches).
const ROW_H: f64 = 64.0;

fn fit_text(v: &Variant) -> String {
    let clip = v.request.duration_s;
    match v.fit_seconds {
        Some(s) => format!("{s:.1} s of {clip} s"),
        None if v.fit_pending => "measuring…".into(),
        None => "—".into(),
    }
}

fn readiness_slug(r: Readiness) -> &'static str {
    match r {
        Readiness::Ready => "ready",
        Readiness::Warning => "warning",
        Readiness::Blocked => "blocked",
    }
}

fn row_view(i: usize, v: &Variant) -> impl IntoView + use<> {
    let problems: Vec<(bool, String)> = v
        .problems
        .iter()
        .map(|p| (p.is_error(), p.describe(v.row)))
        .collect();
    let all_problems = problems
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let line = v.line().to_string();
    let prompt = v.request.prompt.clone();
    let fit_over = v
        .fit_seconds
        .is_some_and(|s| s > v.request.duration_s as f32);
    let slug = readiness_slug(v.readiness);
    let top = i as f64 * ROW_H;
    view! {
        <div class="preview-row" role="row" data-testid="variant-row" data-readiness=slug
            style=format!("top:{top}px")>
            <span role="cell" class="v-row">{v.row}</span>
            <span role="cell" class="v-lang">{v.language.code().to_uppercase()}</span>
            <span role="cell" class="v-ratio">{v.ratio.label()}</span>
            <span role="cell" class="v-text">
                <span class="v-prompt" title=prompt.clone()>{prompt.clone()}</span>
                <span class="v-line" title=line.clone()>{if line.is_empty() { "no line".to_string() } else { format!("“{line}”") }}</span>
            </span>
            <span role="cell" class="v-fit" class:over=fit_over data-testid="variant-fit">{fit_text(v)}</span>
            <span role="cell" class="v-cost">{format_usd(v.cost_usd_micros)}</span>
            <span role="cell" class="v-problems" title=all_problems>
                <span class=format!("state-dot {slug}") aria-hidden="true"></span>
                {if problems.is_empty() {
                    view! { <span class="hint">{match v.readiness { Readiness::Blocked => "blocked by the campaign", _ => "ready" }}</span> }.into_any()
                } else {
                    problems.into_iter().take(2).map(|(error, text)| view! {
                        <span class="v-problem" class:error=error class:warning=!error>{text}</span>
                    }).collect_view().into_any()
                }}
            </span>
        </div>
    }
}

#[component]
pub fn Preview() -> impl IntoView {
    let form = use_campaign_form();
    let expansion = form.expansion;
    let only_problems = RwSignal::new(false);
    // Indices of the variants the table lists.
    let listed = Memo::new(move |_| {
        let only = only_problems.get();
        expansion.with(|e| {
            e.variants
                .iter()
                .enumerate()
                .filter(|(_, v)| !only || !v.problems.is_empty() || v.readiness != Readiness::Ready)
                .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX))
                .collect::<Vec<u32>>()
        })
    });
    let count = Signal::derive(move || listed.with(Vec::len));
    let anchor = NodeRef::<html::Div>::new();
    let range = use_rows_window(anchor, ROW_H, count, move || expansion.track());
    let counts = move || expansion.with(|e| e.counts);
    let totals = move || {
        expansion.with(|e: &Expansion| {
            (
                format_usd(e.total_usd_micros),
                e.per_model
                    .iter()
                    .map(|(m, c)| format!("{m} {}", format_usd(*c)))
                    .collect::<Vec<_>>()
                    .join(" · "),
                e.per_language
                    .iter()
                    .map(|(l, c)| format!("{} {}", l.code().to_uppercase(), format_usd(*c)))
                    .collect::<Vec<_>>()
                    .join(" · "),
            )
        })
    };
    view! {
        <section class="panel campaign-preview" aria-labelledby="preview-title" data-testid="campaign-preview">
            <div class="panel-head">
                <h2 class="panel-title" id="preview-title">"Preview"</h2>
                <label class="check-inline">
                    <input type="checkbox" prop:checked=move || only_problems.get()
                        on:change=move |ev| only_problems.set(event_target_checked(&ev)) />
                    "Only variants with problems"
                </label>
            </div>
            <div class="preview-summary" aria-live="polite">
                <div class="count-tiles" data-testid="variant-counts">
                    <span class="count-tile ready"><strong data-testid="count-ready">{move || thousands(counts().ready)}</strong>" ready"</span>
                    <span class="count-tile warning"><strong data-testid="count-warning">{move || thousands(counts().warning)}</strong>" to look at"</span>
                    <span class="count-tile blocked"><strong data-testid="count-blocked">{move || thousands(counts().blocked)}</strong>" blocked"</span>
                </div>
                <div class="cost-lines">
                    <p class="cost-total">"Total " <strong data-testid="campaign-total">{move || totals().0}</strong></p>
                    <p class="hint" data-testid="cost-per-model">{move || totals().1}</p>
                    <p class="hint" data-testid="cost-per-language">{move || totals().2}</p>
                </div>
            </div>
            {move || form.fit_error.get().map(|why| view! { <p class="problem warning" role="status">{why}</p> })}
            <ul class="field-problems campaign-problems" data-testid="campaign-problems">
                {move || expansion.with(|e| e.problems.iter().map(|p| {
                    let error = p.is_error();
                    view! {
                        <li class="problem" class:error=error class:warning=!error data-testid="campaign-problem">
                            <span class="problem-icon" aria-hidden="true">{if error { "!" } else { "i" }}</span>
                            <span class="problem-text">{p.to_string()}</span>
                        </li>
                    }
                }).collect_view())}
            </ul>
            <div class="preview-table" role="table" aria-label="Variants" aria-rowcount=move || count.get().to_string()>
                <div class="preview-head" role="row">
                    <span role="columnheader">"Row"</span>
                    <span role="columnheader">"Lang"</span>
                    <span role="columnheader">"Format"</span>
                    <span role="columnheader">"Prompt and line"</span>
                    <span role="columnheader">"Speech fit"</span>
                    <span role="columnheader">"Cost"</span>
                    <span role="columnheader">"Problems"</span>
                </div>
                <div class="preview-body" node_ref=anchor role="rowgroup"
                    style=move || format!("height:{}px", count.get() as f64 * ROW_H)>
                    {move || {
                        let range = range.get();
                        listed.with(|listed| expansion.with(|e| {
                            listed.get(range.clone()).unwrap_or_default().iter().enumerate().filter_map(|(k, &i)| {
                                let v = e.variants.get(i as usize)?;
                                Some(row_view(range.start + k, v))
                            }).collect_view()
                        }))
                    }}
                </div>
                <Show when=move || count.get() == 0>
                    <p class="empty-hint">{move || if only_problems.get() { "No variant has a problem." } else { "Paste a sheet and choose languages and formats: each row × language × format is one variant." }}</p>
                </Show>
            </div>
        </section>
    }
}

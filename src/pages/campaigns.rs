//! `/campaigns`: every campaign, newest first, with how far it has come and
//! what it has spent, and the way to start a new one.

use chorus_core::board::CampaignSummary;
use chorus_core::cost::format_usd;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::access::use_access;
use crate::campaign_api;

pub(crate) fn when(ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    String::from(date.to_locale_string("en-GB", &wasm_bindgen::JsValue::UNDEFINED))
}

fn state(s: &CampaignSummary) -> (&'static str, &'static str) {
    if s.canceled_at.is_some() {
        ("canceled", "Canceled")
    } else if s.finished_at.is_some() {
        ("finished", "Finished")
    } else {
        ("running", "Running")
    }
}

#[component]
pub fn CampaignsPage() -> impl IntoView {
    let access = use_access();
    let list = RwSignal::new(None::<Result<Vec<CampaignSummary>, String>>);
    spawn_local(async move {
        let answer = campaign_api::list().await.map_err(|e| e.message()).map(|mut l| {
            l.sort_by_key(|c| std::cmp::Reverse(c.created_at));
            l
        });
        let _ = list.try_set(Some(answer));
    });
    view! {
        <div class="campaign-page" data-testid="campaigns-page">
            <header class="page-head row">
                <div>
                    <h1>"Campaigns"</h1>
                    <p class="page-sub">"A template and a sheet made into many clips: every row in every language and format."</p>
                </div>
                <Show when=move || access.can_edit()>
                    <a class="button primary" href="/campaigns/new" data-testid="new-campaign">"New campaign"</a>
                </Show>
            </header>
            {move || match list.get() {
                None => view! { <p class="hint" role="status">"Loading campaigns…"</p> }.into_any(),
                Some(Err(why)) => view! { <p class="banner error" role="alert">{why}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <section class="empty-state">
                        <h2>"No campaigns yet"</h2>
                        <p>"Paste a sheet of products, claims or names, and make one clip per row, language and format."</p>
                    </section>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="campaign-list" data-testid="campaign-list">
                        {list.into_iter().map(|s| {
                            let (slug, label) = state(&s);
                            let done = if s.variants == 0 { 0.0 } else { f64::from(s.succeeded) / f64::from(s.variants) * 100.0 };
                            view! {
                                <li>
                                    <a class="campaign-summary" href=format!("/campaigns/{}", s.id) data-testid="campaign-summary">
                                        <span class="summary-main">
                                            <span class="summary-name">{s.name.clone()}</span>
                                            <span class="hint">{when(s.created_at)}</span>
                                        </span>
                                        <span class=format!("status-chip {slug}")>{label}</span>
                                        <span class="summary-progress">
                                            <span class="hint">{format!("{} of {} done", s.succeeded, s.variants)}
                                                {(s.failed > 0).then(|| format!(" · {} failed", s.failed))}
                                                {(s.approved > 0).then(|| format!(" · {} approved", s.approved))}
                                            </span>
                                            <span class="bar" aria-hidden="true"><span style=format!("width:{done:.1}%")></span></span>
                                        </span>
                                        <span class="summary-money">
                                            <strong>{format_usd(s.committed_usd_micros)}</strong>
                                            <span class="hint">{format!(" of ≈{}", format_usd(s.estimate_usd_micros))}</span>
                                        </span>
                                    </a>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </div>
    }
}

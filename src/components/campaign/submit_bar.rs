//! "Run 12 variants · $0.60": sends the campaign once under the form's key
//! (a double click or a retry after a lost answer sends the same key, so
//! the server makes it once), says why it cannot while anything is blocked,
//! and shows the server's own problems when it refuses.

use chorus_core::board::CampaignSubmit;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use super::form::{CampaignForm, use_campaign_form};
use crate::api::ApiError;
use crate::campaign_api;
use crate::campaign_draft::{blocked_reason, parse_cap, parse_seed, run_label};

#[component]
pub fn SubmitBar() -> impl IntoView {
    let form = use_campaign_form();
    let navigate = use_navigate();
    let sending = RwSignal::new(false);
    let refused = RwSignal::new(None::<(String, Vec<String>)>);
    let label = move || form.expansion.with(run_label);
    let why_not = Memo::new(move |_| {
        let rows = form.spec.with(|s| s.sheet.rows.len());
        if let Some(e) = form.sheet_errors.with(|e| e.first().map(ToString::to_string)) {
            return Some(format!("The sheet cannot be read: {e}"));
        }
        if let Some(p) = form.draft.with(|d| parse_cap(&d.cap).err().or_else(|| parse_seed(&d.seed).err())) {
            return Some(p);
        }
        form.expansion
            .with(|e| blocked_reason(e, rows))
            .or_else(|| (form.measuring.get() > 0).then(|| "Measuring how long each line takes to say…".to_string()))
    });
    let run = move |_| {
        if sending.get_untracked() || why_not.with_untracked(Option::is_some) {
            return;
        }
        sending.set(true);
        refused.set(None);
        let submit = CampaignSubmit {
            key: form.key(),
            spec: form.spec.get_untracked(),
            images: form.images.get_untracked(),
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match campaign_api::submit(&submit).await {
                Ok(campaign) => {
                    CampaignForm::sent();
                    navigate(&format!("/campaigns/{}", campaign.id), leptos_router::NavigateOptions::default());
                }
                Err(err) => {
                    let problems = match &err {
                        ApiError::Rejected { body, .. } => body
                            .error
                            .problems
                            .iter()
                            .map(|p| format!("{}: {}", p.field, p.message))
                            .collect(),
                        _ => Vec::new(),
                    };
                    let mut message = err.message();
                    if err.status() == Some(409) {
                        // This key already made a campaign (an answer lost,
                        // then the form changed): the next Run is a new one.
                        let _ = form.draft.try_update(|d| d.key.clear());
                        message.push_str(
                            " — the campaign sent earlier is on the Campaigns page; Run again to send this form as a new campaign.",
                        );
                    }
                    let _ = refused.try_set(Some((message, problems)));
                    let _ = sending.try_set(false);
                }
            }
        });
    };
    view! {
        <div class="campaign-submit" data-testid="campaign-submit-bar">
            <div class="submit-why" aria-live="polite">
                {move || why_not.get().map(|why| view! { <p class="hint" data-testid="submit-blocked">{why}</p> })}
                {move || refused.get().map(|(message, problems)| view! {
                    <div class="banner error" role="alert" data-testid="server-refused">
                        <p>{message}</p>
                        <ul>{problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                    </div>
                })}
            </div>
            <button type="button" class="button primary run-button" data-testid="campaign-run"
                aria-disabled=move || (why_not.with(Option::is_some) || sending.get()).to_string()
                disabled=move || sending.get()
                on:click=run>
                {move || if sending.get() { "Sending…".to_string() } else { label() }}
            </button>
        </div>
    }
}

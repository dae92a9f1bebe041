//! Beside the price on Compose: what is left of this month's budget (the
//! studio's or your own, whichever is tighter), and a warning when the job
//! shown would pass it. Nothing at all when there is no limit.

use chorus_core::access::BudgetLeft;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::access_rules::budget_note;
use crate::account_api;
use crate::compose_state::use_compose;

#[component]
pub fn BudgetLeftNote() -> impl IntoView {
    let state = use_compose();
    let left = RwSignal::new(None::<BudgetLeft>);
    // Asked each time Compose opens, and again after a refusal.
    Effect::new(move |_| {
        state.budget_checks.track();
        spawn_local(async move {
            // No answer (an older server, no permission): say nothing.
            left.set(account_api::budget_left().await.ok());
        });
    });
    let note = Memo::new(move |_| {
        let cost = state.cost.with(|c| c.as_ref().map(|c| c.usd_micros));
        left.with(|l| l.as_ref().and_then(|l| budget_note(l, cost)))
    });
    move || {
        note.get().map(|n| {
            view! {
                <p class="budget-left" class:over=n.over role=if n.over { "alert" } else { "status" }
                    data-testid="budget-left" data-over=n.over.to_string()>
                    {n.text}
                </p>
            }
        })
    }
}

//! The price before anything is spent, with the arithmetic behind it.

use leptos::prelude::*;

use crate::compose_state::use_compose;

#[component]
pub fn CostSummary() -> impl IntoView {
    let state = use_compose();
    let text = move || match state.cost.get() {
        None => ("—".to_string(), "No price for this resolution".to_string()),
        Some(cost) if cost.is_free() => {
            let takes = if cost.takes == 1 {
                "1 take".to_string()
            } else {
                format!("{} takes", cost.takes)
            };
            (
                "Free".to_string(),
                format!(
                    "{takes} × {} s, rendered on this machine",
                    cost.seconds_per_take
                ),
            )
        }
        Some(cost) => (cost.display(), cost.breakdown()),
    };
    view! {
        <div class="cost" data-testid="cost" aria-live="polite">
            <span class="cost-label">"Estimated cost"</span>
            <span class="cost-figure" data-testid="cost-figure">{move || text().0}</span>
            <span class="cost-breakdown" data-testid="cost-breakdown">{move || text().1}</span>
        </div>
    }
}

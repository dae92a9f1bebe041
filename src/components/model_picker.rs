//! Which model renders: one card per model, unavailable ones disabled with
//! the reason, so nobody composes for a model that cannot run.

use chorus_core::ModelSpec;
use chorus_core::cost::format_usd;
use leptos::prelude::*;

use crate::components::problems::FieldProblems;
use crate::compose_state::use_compose;
use crate::fields::Field;

fn price_note(model: &ModelSpec) -> String {
    let cheapest = model
        .price
        .iter()
        .map(|p| p.usd_micros_per_second)
        .min()
        .unwrap_or(0);
    if cheapest == 0 {
        "Free".into()
    } else {
        format!("from {}/s", format_usd(cheapest))
    }
}

#[component]
pub fn ModelPicker() -> impl IntoView {
    let state = use_compose();
    let chosen = Memo::new(move |_| state.comp.with(|c| c.model.clone()));
    view! {
        <fieldset class="panel model-picker" id=Field::Model.control_id()>
            <legend class="panel-title">"Model"</legend>
            <div class="model-list">
                <For
                    each=move || state.models.get()
                    key=|m| (m.id.clone(), m.available, m.unavailable_reason.clone())
                    children=move |model| {
                        let id = model.id.clone();
                        let id_for_check = id.clone();
                        let selected = move || chosen.with(|c| *c == id_for_check);
                        let selected_class = selected.clone();
                        view! {
                            <label
                                class="model-option"
                                class:selected=selected_class
                                class:unavailable=!model.available
                            >
                                <input
                                    type="radio"
                                    name="model"
                                    class="sr-only"
                                    data-testid=format!("model-{}", model.id)
                                    disabled=!model.available
                                    prop:checked=selected
                                    on:change=move |_| {
                                        let id = id.clone();
                                        state.update(|c| c.model = id);
                                    }
                                />
                                <span class="model-top">
                                    <span class="model-name">{model.name.clone()}</span>
                                    <span class="model-price">{price_note(&model)}</span>
                                </span>
                                <span class="model-provider">{model.provider_label.clone()}</span>
                                {match (model.available, model.unavailable_reason.clone()) {
                                    (true, _) => view! { <span class="model-summary">{model.summary.clone()}</span> }.into_any(),
                                    (false, reason) => view! {
                                        <span class="model-unavailable">
                                            {format!("Unavailable: {}", reason.unwrap_or_else(|| "not set up on this server".into()))}
                                        </span>
                                    }.into_any(),
                                }}
                            </label>
                        }
                    }
                />
            </div>
            <FieldProblems field=Field::Model />
        </fieldset>
    }
}

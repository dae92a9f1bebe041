//! Length, resolution, frame shape, sound and seed: the clip's technical
//! settings, each limited to what the chosen model offers.

use chorus_core::model::AudioSupport;
use chorus_core::{AspectRatio, Resolution};
use leptos::prelude::*;

use crate::components::aspect_preview::{AspectPreview, fitted};
use crate::components::problems::{FieldProblems, problems_id};
use crate::compose_state::use_compose;
use crate::dom;
use crate::fields::Field;

#[component]
pub fn FormatControls() -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="format-heading">
            <h2 id="format-heading" class="panel-title">"Format"</h2>
            <Duration />
            <ResolutionPicker />
            <AspectPicker />
            <AudioToggle />
            <Seed />
        </section>
    }
}

#[component]
fn Duration() -> impl IntoView {
    let state = use_compose();
    let value = Memo::new(move |_| state.comp.with(|c| c.duration_s));
    let range = Memo::new(move |_| {
        state.model.with(|m| {
            m.as_ref()
                .map_or((1, 60), |m| (m.min_duration_s, m.max_duration_s))
        })
    });
    let step = move |delta: i64| {
        let (min, max) = range.get_untracked();
        state.update(|c| {
            let next = (i64::from(c.duration_s) + delta).clamp(i64::from(min), i64::from(max));
            c.duration_s = next as u32;
        });
    };
    view! {
        <div class="field">
            <div class="field-head">
                <label class="field-label" for=Field::Duration.control_id()>"Duration"</label>
                <span class="hint-inline">{move || { let (a, b) = range.get(); format!("{a}–{b} s") }}</span>
            </div>
            <div class="stepper" class:invalid=move || state.has_error_at(Field::Duration)>
                <button type="button" class="icon-button" aria-label="Shorter" on:click=move |_| step(-1)>"−"</button>
                <input
                    id=Field::Duration.control_id()
                    type="number"
                    inputmode="numeric"
                    data-testid="duration"
                    min=move || range.get().0
                    max=move || range.get().1
                    prop:value=move || value.get().to_string()
                    aria-invalid=move || state.has_error_at(Field::Duration).to_string()
                    aria-describedby=problems_id(Field::Duration)
                    on:input=move |ev| {
                        // An empty or partial entry reads as 0 so the checker
                        // explains the range instead of the field snapping back.
                        let typed = event_target_value(&ev).trim().parse::<u32>().unwrap_or(0);
                        state.update(|c| c.duration_s = typed);
                    }
                />
                <span class="unit">"s"</span>
                <button type="button" class="icon-button" aria-label="Longer" on:click=move |_| step(1)>"+"</button>
            </div>
            <FieldProblems field=Field::Duration />
        </div>
    }
}

#[component]
fn ResolutionPicker() -> impl IntoView {
    let state = use_compose();
    let current = Memo::new(move |_| state.comp.with(|c| c.resolution));
    let offered = Memo::new(move |_| {
        state.model.with(|m| {
            m.as_ref()
                .map_or_else(|| Resolution::ALL.to_vec(), |m| m.resolutions.clone())
        })
    });
    view! {
        <fieldset class="field" id=Field::Resolution.control_id()>
            <legend class="field-label">"Resolution"</legend>
            <div class="segmented">
                {Resolution::ALL.into_iter().map(|res| view! {
                    <label class="segment" class:selected=move || current.get() == res>
                        <input
                            type="radio"
                            name="resolution"
                            data-testid=format!("resolution-{}", res.label())
                            prop:checked=move || current.get() == res
                            disabled=move || !offered.with(|o| o.contains(&res))
                            on:change=move |_| state.update(|c| c.resolution = res)
                        />
                        <span>{res.label()}</span>
                    </label>
                }).collect_view()}
            </div>
            <FieldProblems field=Field::Resolution />
        </fieldset>
    }
}

#[component]
fn AspectPicker() -> impl IntoView {
    let state = use_compose();
    let current = Memo::new(move |_| state.comp.with(|c| c.aspect_ratio));
    let resolution = Memo::new(move |_| state.comp.with(|c| c.resolution));
    let offered = Memo::new(move |_| {
        state.model.with(|m| {
            m.as_ref()
                .map_or_else(|| AspectRatio::ALL.to_vec(), |m| m.aspect_ratios.clone())
        })
    });
    view! {
        <fieldset class="field" id=Field::AspectRatio.control_id()>
            <legend class="field-label">"Aspect ratio"</legend>
            <div class="aspect-row">
                <div class="aspect-grid">
                    {AspectRatio::ALL.into_iter().map(|ratio| {
                        let (w, h) = fitted(ratio, 18.0);
                        view! {
                            <label class="aspect-option" class:selected=move || current.get() == ratio title=ratio.label()>
                                <input
                                    type="radio"
                                    name="aspect"
                                    class="sr-only"
                                    data-testid=format!("aspect-{}", ratio.label().replace(':', "x"))
                                    prop:checked=move || current.get() == ratio
                                    disabled=move || !offered.with(|o| o.contains(&ratio))
                                    on:change=move |_| state.update(|c| c.aspect_ratio = ratio)
                                />
                                <span class="shape" aria-hidden="true" style=format!("width:{w:.0}px;height:{h:.0}px")></span>
                                <span class="aspect-label">{ratio.label()}</span>
                            </label>
                        }
                    }).collect_view()}
                </div>
                <div class="aspect-side">
                    <AspectPreview ratio=current resolution />
                </div>
            </div>
            <FieldProblems field=Field::AspectRatio />
        </fieldset>
    }
}

#[component]
fn AudioToggle() -> impl IntoView {
    let state = use_compose();
    let on = Memo::new(move |_| state.comp.with(|c| c.audio));
    let support = Memo::new(move |_| state.model.with(|m| m.as_ref().map(|m| m.audio)));
    let note = move || match support.get() {
        Some(AudioSupport::Always) => "This model always makes sound.",
        Some(AudioSupport::Never) => "This model makes silent video.",
        _ => "Voices, lip-sync and ambience.",
    };
    view! {
        <div class="field">
            <div class="toggle-row">
                <label class="field-label" for=Field::Audio.control_id()>"Audio"</label>
                <button
                    id=Field::Audio.control_id()
                    type="button"
                    role="switch"
                    class="switch"
                    data-testid="audio"
                    aria-checked=move || on.get().to_string()
                    aria-describedby=problems_id(Field::Audio)
                    on:click=move |_| state.update(|c| c.audio = !c.audio)
                >
                    <span class="switch-knob" aria-hidden="true"></span>
                    <span class="sr-only">{move || if on.get() { "On" } else { "Off" }}</span>
                </button>
            </div>
            <p class="hint">{note}</p>
            <FieldProblems field=Field::Audio />
        </div>
    }
}

#[component]
fn Seed() -> impl IntoView {
    let state = use_compose();
    let seed = Memo::new(move |_| state.comp.with(|c| c.seed.clone()));
    view! {
        <div class="field">
            <div class="field-head">
                <label class="field-label" for=Field::Seed.control_id()>"Seed"</label>
                <span class="hint-inline">"Same seed, same take."</span>
            </div>
            <div class="seed-row">
                <input
                    id=Field::Seed.control_id()
                    type="text"
                    inputmode="numeric"
                    data-testid="seed"
                    placeholder="Random"
                    prop:value=move || seed.get()
                    aria-invalid=move || state.has_error_at(Field::Seed).to_string()
                    aria-describedby=problems_id(Field::Seed)
                    on:input=move |ev| {
                        let typed = event_target_value(&ev);
                        state.update(|c| c.seed = typed);
                    }
                />
                <button
                    type="button"
                    class="icon-button"
                    aria-label="Roll a random seed"
                    title="Roll a random seed"
                    data-testid="seed-dice"
                    on:click=move |_| {
                        let rolled = dom::random_seed().to_string();
                        state.update(|c| c.seed = rolled);
                    }
                >
                    "⚄"
                </button>
            </div>
            <FieldProblems field=Field::Seed />
        </div>
    }
}

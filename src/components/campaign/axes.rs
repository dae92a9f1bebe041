//! What each row is made in (languages × aspect ratios), the most the
//! campaign may cost, and how its files are named, with a live example.

use chorus_core::{AspectRatio, Language};
use leptos::prelude::*;

use super::form::use_campaign_form;
use crate::campaign_draft::{example_file_name, parse_cap};

/// The formats offered first; the rest are behind "More formats".
const COMMON_RATIOS: [AspectRatio; 3] = [
    AspectRatio::Portrait9x16,
    AspectRatio::Square,
    AspectRatio::Landscape16x9,
];

#[component]
pub fn Axes() -> impl IntoView {
    let form = use_campaign_form();
    let draft = form.draft;
    let more = RwSignal::new(
        draft.with_untracked(|d| d.ratios.iter().any(|r| !COMMON_RATIOS.contains(r))),
    );
    let ratio_box = move |ratio: AspectRatio| {
        let (w, h) = ratio.ratio();
        view! {
            <label class="ratio-option" class:selected=move || draft.with(|d| d.ratios.contains(&ratio))>
                <input type="checkbox" data-testid=format!("campaign-ratio-{w}x{h}")
                    prop:checked=move || draft.with(|d| d.ratios.contains(&ratio))
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        form.update(|d| {
                            d.ratios.retain(|r| *r != ratio);
                            if on {
                                d.ratios.push(ratio);
                            }
                        });
                    } />
                <span class="ratio-shape" aria-hidden="true"
                    style=format!("aspect-ratio:{w}/{h};{}", if w >= h { "width:22px" } else { "height:22px" })></span>
                {ratio.label()}
            </label>
        }
    };
    let cap_problem = move || draft.with(|d| parse_cap(&d.cap).err());
    let example = move || form.spec.with(example_file_name);
    view! {
        <section class="panel campaign-axes" aria-labelledby="axes-title">
            <h2 class="panel-title" id="axes-title">"Languages and formats"</h2>
            <fieldset class="field">
                <legend class="field-label">"Languages"</legend>
                <div class="chip-row">
                    {Language::ALL.into_iter().map(|language| {
                        let on = move || draft.with(|d| d.languages.contains(&language));
                        view! {
                            <label class="toggle-chip" class:selected=on data-testid=format!("campaign-language-{}", language.code())>
                                <input type="checkbox" class="sr-only"
                                    prop:checked=on
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        form.update(|d| {
                                            d.languages.retain(|l| *l != language);
                                            if on {
                                                d.languages.push(language);
                                            }
                                        });
                                    } />
                                {language.display_name()}
                            </label>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <fieldset class="field">
                <legend class="field-label">"Aspect ratios"</legend>
                <div class="chip-row">
                    {COMMON_RATIOS.into_iter().map(ratio_box).collect_view()}
                    {move || more.get().then(|| AspectRatio::ALL.into_iter()
                        .filter(|r| !COMMON_RATIOS.contains(r))
                        .map(ratio_box)
                        .collect_view())}
                    <Show when=move || !more.get()>
                        <button type="button" class="link-button" on:click=move |_| more.set(true)>"More formats"</button>
                    </Show>
                </div>
            </fieldset>
            <div class="campaign-grid2">
                <label class="field">
                    <span class="field-label">"Budget cap " <span class="hint-inline">"(dollars, optional)"</span></span>
                    <input type="text" inputmode="decimal" placeholder="No cap" data-testid="campaign-cap"
                        aria-invalid=move || cap_problem().is_some().to_string()
                        prop:value=move || draft.with(|d| d.cap.clone())
                        on:input=move |ev| {
                            let text = event_target_value(&ev);
                            form.update(|d| d.cap = text);
                        } />
                    {move || cap_problem().map(|p| view! { <span class="problem error" role="alert">{p}</span> })}
                </label>
                <label class="field">
                    <span class="field-label">"File names"</span>
                    <input type="text" spellcheck="false" class="mono" data-testid="campaign-pattern"
                        prop:value=move || draft.with(|d| d.name_pattern.clone())
                        on:input=move |ev| {
                            let text = event_target_value(&ev);
                            form.update(|d| d.name_pattern = text);
                        } />
                    <span class="hint">"e.g. " <code data-testid="pattern-example">{example}</code></span>
                </label>
            </div>
        </section>
    }
}

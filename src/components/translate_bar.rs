//! Translate: the line written once, proposed in every other chosen
//! language by the server's translation engines, each fitted to the clip.
//! Lines a person wrote or edited are kept as they are. With no engine set
//! up the button says why, and lines are written by hand as before.

use chorus_core::localize::{Engines, TranslateRequest, cost_text, language_list};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::compose_state::{ComposeState, TranslateNote, use_compose};
use crate::localize_api;

#[component]
pub fn TranslateBar() -> impl IntoView {
    let state = use_compose();
    let engines = LocalResource::new(localize_api::engines);
    let why_not = move || match engines.get() {
        None => Some("Asking the server for its translation engines…".to_string()),
        Some(Err(e)) => Some(format!("Translation engines unknown: {}", e.message())),
        Some(Ok(list)) => Engines::why_not(&list),
    };
    let plan = Memo::new(move |_| {
        state.comp.with(|c| {
            c.translate_source().map(|source| {
                let targets = c.translate_targets(source.language);
                let kept = c.kept_by_hand(source.language);
                (source, targets, kept)
            })
        })
    });
    let what = move || match plan.get() {
        None => "Write one line by hand, then Translate proposes the others.".to_string(),
        Some((_, targets, _)) if targets.is_empty() => {
            "Every other line is written or edited by hand; clear one to translate it.".to_string()
        }
        Some((source, targets, _)) => format!(
            "From {} into {}",
            source.language.display_name(),
            language_list(&targets)
        ),
    };
    let kept = move || {
        plan.get().and_then(|(_, _, kept)| {
            (!kept.is_empty()).then(|| format!("Kept as written: {}", language_list(&kept)))
        })
    };
    let disabled = move || {
        state.translating.get()
            || why_not().is_some()
            || plan.with(|p| p.as_ref().is_none_or(|(_, t, _)| t.is_empty()))
    };
    let go = move |_| {
        if let Some((source, targets, _)) = plan.get_untracked()
            && !targets.is_empty()
        {
            translate(state, source, targets);
        }
    };

    view! {
        <Show when=move || state.comp.with(|c| c.languages.len() > 1)>
            <div class="translate-bar" data-testid="translate-bar">
                <button
                    type="button"
                    class="button"
                    data-testid="translate"
                    aria-disabled=move || disabled().to_string()
                    disabled=disabled
                    title=move || why_not().unwrap_or_default()
                    on:click=go
                >
                    {move || if state.translating.get() { "Translating…" } else { "Translate" }}
                </button>
                <div class="translate-plan">
                    <span class="hint">{what}</span>
                    {move || kept().map(|k| view! { <span class="hint">{k}</span> })}
                    {move || why_not().filter(|_| engines.get().is_some()).map(|why| view! {
                        <span class="hint warn-text" data-testid="translate-unavailable">{why}</span>
                    })}
                    {move || state.translate_note.get().map(|note| match note {
                        TranslateNote::Done(text) => view! {
                            <span class="hint" role="status" data-testid="translate-note">{text}</span>
                        }.into_any(),
                        TranslateNote::Failed(text) => view! {
                            <span class="hint error-text" role="alert" data-testid="translate-note">{text}</span>
                        }.into_any(),
                    })}
                </div>
            </div>
        </Show>
    }
}

fn translate(state: ComposeState, source: chorus_core::DialogueLine, targets: Vec<chorus_core::Language>) {
    state.translating.set(true);
    state.translate_note.set(None);
    let request = TranslateRequest {
        source: source.clone(),
        targets,
        duration_s: state.comp.with_untracked(|c| c.duration_s),
    };
    spawn_local(async move {
        let outcome = localize_api::translate(&request).await;
        state.translating.set(false);
        match outcome {
            Ok(answer) => {
                state.comp.update(|c| c.apply_proposals(&source, &answer.lines));
                let failed: Vec<String> = answer
                    .lines
                    .iter()
                    .filter_map(|l| l.error.as_ref().map(|e| format!("{}: {e}", l.language.display_name())))
                    .collect();
                let done = answer.lines.iter().filter(|l| l.error.is_none()).count();
                let note = if failed.is_empty() {
                    TranslateNote::Done(format!(
                        "{done} line{} proposed for {}: read each and approve it",
                        if done == 1 { "" } else { "s" },
                        cost_text(answer.cost_usd_micros)
                    ))
                } else {
                    TranslateNote::Failed(failed.join("; "))
                };
                state.translate_note.set(Some(note));
            }
            Err(e) => state.translate_note.set(Some(TranslateNote::Failed(e.message()))),
        }
    });
}

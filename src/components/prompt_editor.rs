//! The prompt: what happens in the scene. Counts characters against the
//! chosen model's limit as the person types.

use leptos::prelude::*;

use crate::components::problems::{FieldProblems, problems_id};
use crate::compose_state::{ComposeState, use_compose};
use crate::composition::insert_token;
use crate::dom;
use crate::fields::Field;

#[component]
pub fn PromptEditor() -> impl IntoView {
    let state = use_compose();
    let prompt = Memo::new(move |_| state.comp.with(|c| c.prompt.clone()));
    let count = Memo::new(move |_| prompt.with(|p| p.chars().count()));
    let limit = Memo::new(move |_| {
        state
            .model
            .with(|m| m.as_ref().map_or(0, |m| m.max_prompt_chars as usize))
    });
    let over = move || limit.get() > 0 && count.get() > limit.get();

    view! {
        <section class="panel" aria-labelledby="prompt-heading">
            <div class="field-head">
                <label id="prompt-heading" class="field-label" for=Field::Prompt.control_id()>
                    "Prompt"
                </label>
                <span
                    class="char-count"
                    class:over=over
                    data-testid="prompt-count"
                    aria-live="polite"
                >
                    {move || format!("{} / {}", thousands(count.get()), thousands(limit.get()))}
                </span>
            </div>
            <textarea
                id=Field::Prompt.control_id()
                class="prompt-input"
                data-testid="prompt"
                rows="6"
                placeholder="Describe the scene: who is in it, what they do, where, the light and the camera…"
                node_ref=state.prompt_ref
                prop:value=move || prompt.get()
                aria-invalid=move || state.has_error_at(Field::Prompt).to_string()
                aria-describedby=problems_id(Field::Prompt)
                aria-keyshortcuts="Control+Enter Meta+Enter"
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    state.update(|c| c.prompt = text);
                }
                on:blur=move |_| state.touch(Field::Prompt)
            ></textarea>
            <FieldProblems field=Field::Prompt />
            <p class="hint">
                <kbd>{dom::mod_key_label()}</kbd>
                " + "
                <kbd>"Enter"</kbd>
                " generates from anywhere on this page."
            </p>
        </section>
    }
}

/// Puts `token` into the prompt where the cursor was (or over the selection)
/// and gives focus back to the prompt just after it.
pub fn insert_into_prompt(state: ComposeState, token: &str) {
    let Some(area) = state.prompt_ref.get_untracked() else {
        return;
    };
    let text = area.value();
    // A textarea remembers its selection after losing focus to the chip.
    let start = area
        .selection_start()
        .ok()
        .flatten()
        .unwrap_or_else(|| crate::composition::utf16_len(&text));
    let end = area.selection_end().ok().flatten().unwrap_or(start);
    let (next, cursor) = insert_token(&text, start, end, token);
    area.set_value(&next);
    state.update(|c| c.prompt = next);
    let _ = area.focus();
    let _ = area.set_selection_range(cursor, cursor);
}

/// 2500 → "2,500".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

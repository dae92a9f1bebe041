//! Reference images: dropped or picked, uploaded at once, shown as numbered
//! thumbnails that can be reordered (buttons, Alt+arrows, or dragging) and
//! removed. In reference mode each card's chip types its `characterN` token
//! into the prompt.

use chorus_core::Mode;
use chorus_core::api::{UploadedAsset, asset_url};
use chorus_core::request::character_token;
use leptos::ev::{DragEvent, KeyboardEvent};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::problems::{FieldProblems, problems_id};
use crate::components::prompt_editor::insert_into_prompt;
use crate::compose_state::{ComposeState, PendingUpload, use_compose};
use crate::dom::focus_id;
use crate::fields::Field;

/// Drag payload type for reordering, so a card dragged onto the zone is not
/// mistaken for files.
const CARD_DRAG_TYPE: &str = "application/x-chorus-reference";

#[component]
pub fn References() -> impl IntoView {
    let state = use_compose();
    let mode = Memo::new(move |_| state.comp.with(|c| c.mode));
    let hovering = RwSignal::new(false);
    let dragging = RwSignal::new(None::<usize>);

    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        hovering.set(false);
        if dragging.get_untracked().is_some() {
            dragging.set(None);
            return;
        }
        if let Some(files) = ev.data_transfer().and_then(|dt| dt.files()) {
            upload_all(state, &files);
        }
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(files) = input.files() {
            upload_all(state, &files);
        }
        // Lets the same file be picked again after removing it.
        input.set_value("");
    };

    let heading = move || match mode.get() {
        Mode::ImageToVideo => "Start image",
        _ => "Reference images",
    };

    view! {
        <section class="panel" aria-labelledby="references-heading">
            <div class="field-head">
                <h2 id="references-heading" class="field-label">{heading}</h2>
                <span class="hint-inline">
                    {move || match mode.get() {
                        Mode::ImageToVideo => "The clip starts from this picture.",
                        _ => "Order sets the names: the first is character1.",
                    }}
                </span>
            </div>
            <div
                class="drop-zone"
                class:over=move || hovering.get()
                class:invalid=move || state.has_error_at(Field::References)
                data-testid="drop-zone"
                on:dragover=move |ev: DragEvent| {
                    ev.prevent_default();
                    hovering.set(dragging.get_untracked().is_none());
                }
                on:dragleave=move |_| hovering.set(false)
                on:drop=on_drop
            >
                <ReferenceList dragging />
                <PendingList />
                <div class="drop-prompt">
                    <span class="drop-icon" aria-hidden="true">"⇪"</span>
                    <span>"Drop images here, or "</span>
                    <label class="link-button" for=Field::References.control_id()>
                        "choose files"
                    </label>
                    <input
                        id=Field::References.control_id()
                        class="sr-only"
                        type="file"
                        accept="image/png,image/jpeg,image/webp"
                        multiple=true
                        data-testid="file-input"
                        aria-describedby=problems_id(Field::References)
                        on:change=on_pick
                    />
                    <span class="hint-inline">"PNG, JPEG or WebP, at least 300 px a side."</span>
                </div>
            </div>
            <FieldProblems field=Field::References />
        </section>
    }
}

#[component]
fn ReferenceList(dragging: RwSignal<Option<usize>>) -> impl IntoView {
    let state = use_compose();
    let items = move || {
        state
            .comp
            .with(|c| c.references.iter().cloned().enumerate().collect::<Vec<_>>())
    };
    view! {
        <Show when=move || state.comp.with(|c| !c.references.is_empty())>
            <p class="hint">"Alt + ← / → moves the focused image, Delete removes it."</p>
            <ol class="reference-list" data-testid="reference-list">
                <For
                    each=items
                    key=|(i, asset)| (*i, asset.id.clone())
                    children=move |(index, asset)| view! { <ReferenceCard index asset dragging /> }
                />
            </ol>
        </Show>
    }
}

#[component]
fn ReferenceCard(
    index: usize,
    asset: UploadedAsset,
    dragging: RwSignal<Option<usize>>,
) -> impl IntoView {
    let state = use_compose();
    let count = Memo::new(move |_| state.comp.with(|c| c.references.len()));
    let is_reference_mode =
        Memo::new(move |_| state.comp.with(|c| c.mode == Mode::ReferenceToVideo));
    let token = character_token(index);
    let src = if asset.url.is_empty() {
        asset_url(&asset.id)
    } else {
        asset.url.clone()
    };

    let move_by = move |delta: isize| {
        let mut to = index;
        state.update(|c| to = c.move_reference(index, delta));
        refocus(format!("ref-card-{to}"));
    };
    let remove = move || {
        state.update(|c| {
            if index < c.references.len() {
                c.references.remove(index);
            }
        });
        refocus(format!("ref-card-{}", index.saturating_sub(1)));
    };
    let on_key = move |ev: KeyboardEvent| {
        let key = ev.key();
        match (ev.alt_key(), key.as_str()) {
            (true, "ArrowLeft" | "ArrowUp") => move_by(-1),
            (true, "ArrowRight" | "ArrowDown") => move_by(1),
            (false, "Delete" | "Backspace") => remove(),
            _ => return,
        }
        ev.prevent_default();
    };
    let label = format!("{token}: {} × {} image", asset.width, asset.height);
    let token_for_chip = token.clone();

    view! {
        <li
            class="reference-card"
            id=format!("ref-card-{index}")
            tabindex="0"
            draggable="true"
            aria-label=label
            data-testid="reference-card"
            on:keydown=on_key
            on:dragstart=move |ev: DragEvent| {
                dragging.set(Some(index));
                if let Some(dt) = ev.data_transfer() {
                    let _ = dt.set_data(CARD_DRAG_TYPE, &index.to_string());
                }
            }
            on:dragend=move |_| dragging.set(None)
            on:drop=move |ev: DragEvent| {
                if let Some(from) = dragging.get_untracked() {
                    ev.prevent_default();
                    ev.stop_propagation();
                    dragging.set(None);
                    state.update(|c| c.place_reference(from, index));
                }
            }
        >
            <div class="thumb">
                <img src=src alt="" loading="lazy" />
                <span class="thumb-index" aria-hidden="true">{index + 1}</span>
            </div>
            <div class="card-actions">
                <Show
                    when=move || is_reference_mode.get()
                    fallback=|| view! { <span class="chip muted">"start image"</span> }
                >
                    {
                        let token = token_for_chip.clone();
                        view! {
                            <button
                                type="button"
                                class="chip"
                                data-testid="character-chip"
                                title="Insert this name into the prompt at the cursor"
                                on:click=move |_| insert_into_prompt(state, &token)
                            >
                                {token.clone()}
                            </button>
                        }
                    }
                </Show>
                <div class="icon-buttons">
                    <button
                        type="button"
                        class="icon-button"
                        aria-label=format!("Move {token} earlier")
                        disabled=move || index == 0
                        on:click=move |_| move_by(-1)
                    >
                        "←"
                    </button>
                    <button
                        type="button"
                        class="icon-button"
                        aria-label=format!("Move {token} later")
                        disabled=move || count.get() <= index + 1
                        on:click=move |_| move_by(1)
                    >
                        "→"
                    </button>
                    <button
                        type="button"
                        class="icon-button danger"
                        aria-label=format!("Remove {token}")
                        data-testid="remove-reference"
                        on:click=move |_| remove()
                    >
                        "×"
                    </button>
                </div>
            </div>
        </li>
    }
}

/// Uploads still in flight, and the ones the server refused (with why).
#[component]
fn PendingList() -> impl IntoView {
    let state = use_compose();
    view! {
        <ul class="pending-list" aria-live="polite">
            <For
                each=move || state.uploads.get()
                key=|u| (u.key, u.error.clone())
                children=move |upload| {
                    let key = upload.key;
                    let failed = upload.error.is_some();
                    view! {
                        <li class="pending" class:failed=failed data-testid="upload-status">
                            {match upload.error {
                                None => view! {
                                    <span class="spinner" aria-hidden="true"></span>
                                    <span>{format!("Uploading {}…", upload.name)}</span>
                                }.into_any(),
                                Some(why) => view! {
                                    <span class="problem-icon" aria-hidden="true">"!"</span>
                                    <span>{format!("{}: {why}", upload.name)}</span>
                                    <button
                                        type="button"
                                        class="icon-button"
                                        aria-label="Dismiss"
                                        on:click=move |_| state.uploads.update(|u| u.retain(|p| p.key != key))
                                    >
                                        "×"
                                    </button>
                                }.into_any(),
                            }}
                        </li>
                    }
                }
            />
        </ul>
    }
}

/// Starts one upload per file; each lands in the list as soon as it is stored.
fn upload_all(state: ComposeState, files: &web_sys::FileList) {
    for i in 0..files.length() {
        let Some(file) = files.get(i) else { continue };
        let key = next_key();
        let name = file.name();
        if !file.type_().starts_with("image/") {
            state.uploads.update(|u| {
                u.push(PendingUpload {
                    key,
                    name,
                    error: Some("not an image; use PNG, JPEG or WebP".into()),
                });
            });
            continue;
        }
        state.uploads.update(|u| {
            u.push(PendingUpload {
                key,
                name,
                error: None,
            });
        });
        spawn_local(async move {
            match api::upload(&file).await {
                Ok(asset) => {
                    state.uploads.update(|u| u.retain(|p| p.key != key));
                    state.update(|c| c.references.push(asset));
                }
                Err(err) => state.uploads.update(|u| {
                    if let Some(p) = u.iter_mut().find(|p| p.key == key) {
                        p.error = Some(err.message());
                    }
                }),
            }
        });
    }
}

fn next_key() -> u32 {
    thread_local! {
        static NEXT: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    }
    NEXT.with(|n| {
        n.set(n.get() + 1);
        n.get()
    })
}

/// Focuses a card once the list has re-rendered around the change.
fn refocus(id: String) {
    set_timeout(move || focus_id(&id), std::time::Duration::ZERO);
}

//! The campaign's sheet (pasted, or a .csv/.tsv read in the browser, or an
//! .xlsx read by the server into a grid) and the images its `image` /
//! `referenceN` cells name by file name.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use super::form::use_campaign_form;
use crate::api;
use crate::campaign_api;
use crate::campaign_draft::{NamedImage, grid_to_tsv};

/// Reads a file's text in the browser.
async fn file_text(file: &web_sys::File) -> Result<String, String> {
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|_| format!("{} could not be read", file.name()))?;
    text.as_string()
        .ok_or_else(|| format!("{} is not text", file.name()))
}

fn picked_files(ev: &leptos::ev::Event) -> Vec<web_sys::File> {
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return Vec::new();
    };
    let files = input
        .files()
        .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
        .unwrap_or_default();
    // The same file can be picked again after an edit.
    input.set_value("");
    files
}

#[component]
pub fn SheetInput() -> impl IntoView {
    let form = use_campaign_form();
    let reading = RwSignal::new(None::<String>);
    let file_error = RwSignal::new(None::<String>);
    let on_file = move |ev: leptos::ev::Event| {
        let Some(file) = picked_files(&ev).into_iter().next() else {
            return;
        };
        let name = file.name();
        reading.set(Some(name.clone()));
        file_error.set(None);
        spawn_local(async move {
            let text = if name.to_ascii_lowercase().ends_with(".xlsx") {
                campaign_api::read_xlsx(&file)
                    .await
                    .map(|grid| grid_to_tsv(&grid.columns, &grid.rows))
                    .map_err(|e| format!("{name}: {}", e.message()))
            } else {
                file_text(&file).await
            };
            let _ = reading.try_set(None);
            match text {
                Ok(text) => {
                    let _ = form.sheet_text.try_set(text);
                }
                Err(why) => {
                    let _ = file_error.try_set(Some(why));
                }
            }
        });
    };
    let summary = move || {
        form.spec.with(|s| {
            let rows = s.sheet.rows.len();
            (!s.sheet.columns.is_empty()).then(|| {
                format!(
                    "{rows} {} · {} columns",
                    if rows == 1 { "row" } else { "rows" },
                    s.sheet.columns.len()
                )
            })
        })
    };
    view! {
        <section class="panel campaign-sheet" aria-labelledby="sheet-title">
            <div class="panel-head">
                <h2 class="panel-title" id="sheet-title">"Sheet"</h2>
                <span class="hint" data-testid="sheet-summary">{summary}</span>
            </div>
            <label class="field">
                <span class="field-label">"Paste rows from a spreadsheet " <span class="hint-inline">"(CSV or TSV, header row first)"</span></span>
                <textarea rows="8" class="mono sheet-text" spellcheck="false" data-testid="campaign-sheet"
                    placeholder="product\tline:de\nTrail runner\tDer neue Trail Runner."
                    prop:value=move || form.sheet_text.get()
                    on:input=move |ev| form.sheet_text.set(event_target_value(&ev))></textarea>
            </label>
            <div class="sheet-actions">
                <label class="button small file-button">
                    "Open a file…"
                    <input type="file" class="sr-only" accept=".csv,.tsv,.txt,.xlsx,text/csv,text/tab-separated-values"
                        data-testid="campaign-sheet-file" on:change=on_file />
                </label>
                <span class="hint">".csv, .tsv or .xlsx"</span>
                {move || reading.get().map(|name| view! {
                    <span class="hint" role="status"><span class="spinner" aria-hidden="true"></span>{format!(" Reading {name}…")}</span>
                })}
            </div>
            {move || file_error.get().map(|why| view! { <p class="problem error" role="alert">{why}</p> })}
            <ul class="field-problems" aria-live="polite" data-testid="sheet-errors">
                {move || form.sheet_errors.get().into_iter().map(|p| view! {
                    <li class="problem" class:error=p.is_error() class:warning=!p.is_error()>
                        <span class="problem-icon" aria-hidden="true">"!"</span>
                        <span class="problem-text">{p.to_string()}</span>
                    </li>
                }).collect_view()}
            </ul>
            <Images />
        </section>
    }
}

/// Images for the `image` and `reference1`… columns, named by file name.
#[component]
fn Images() -> impl IntoView {
    let form = use_campaign_form();
    let uploading = RwSignal::new(Vec::<String>::new());
    let errors = RwSignal::new(Vec::<String>::new());
    let on_pick = move |ev: leptos::ev::Event| {
        errors.set(Vec::new());
        for file in picked_files(&ev) {
            let name = file.name();
            uploading.update(|u| u.push(name.clone()));
            spawn_local(async move {
                let answer = api::upload(&file).await;
                let _ = uploading.try_update(|u| u.retain(|n| *n != name));
                match answer {
                    Ok(asset) => form.update(|d| {
                        d.images.retain(|i| i.name != name);
                        d.images.push(NamedImage {
                            name,
                            id: asset.id,
                            url: asset.url,
                        });
                    }),
                    Err(e) => {
                        let _ = errors.try_update(|list| list.push(format!("{name}: {}", e.message())));
                    }
                }
            });
        }
    };
    view! {
        <div class="field campaign-images">
            <div class="field-head">
                <span class="field-label">"Images"</span>
                <span class="hint-inline">"named in the sheet's image or reference1… columns by file name"</span>
            </div>
            <ul class="image-list" data-testid="campaign-images">
                {move || form.draft.with(|d| d.images.clone()).into_iter().map(|image| {
                    let name = image.name.clone();
                    view! {
                        <li class="image-item">
                            <img src=image.url.clone() alt="" loading="lazy" />
                            <span class="image-name mono">{image.name.clone()}</span>
                            <button type="button" class="icon-button danger" aria-label=format!("Remove {}", image.name)
                                on:click=move |_| {
                                    let name = name.clone();
                                    form.update(|d| d.images.retain(|i| i.name != name));
                                }>"×"</button>
                        </li>
                    }
                }).collect_view()}
                {move || uploading.get().into_iter().map(|name| view! {
                    <li class="image-item pending"><span class="spinner" aria-hidden="true"></span><span class="image-name mono">{name}</span></li>
                }).collect_view()}
            </ul>
            <label class="button small file-button">
                "Add images…"
                <input type="file" class="sr-only" accept="image/*" multiple=true data-testid="campaign-image-file" on:change=on_pick />
            </label>
            {move || errors.get().into_iter().map(|e| view! { <p class="problem error" role="alert">{e}</p> }).collect_view()}
        </div>
    }
}

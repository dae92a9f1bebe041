//! Library → Import: clips made elsewhere, picked or dropped, each given the
//! language spoken in it, sent with a progress bar, checked by the server
//! and turned into a job whose takes play, compare and correct like
//! generated ones. A refused import keeps the list, so the one bad file can
//! be removed and the rest sent again.

use std::collections::HashMap;

use chorus_core::api::IMPORT_FORMATS;
use chorus_core::{Job, Language};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::import_picks::{Pick, blocker, check_file, default_language, describe_size};

/// The id of the hidden file input the Library's Import button opens.
pub const IMPORT_INPUT_ID: &str = "import-input";

#[derive(Debug, Clone, PartialEq)]
enum Upload {
    Idle,
    /// Bytes sent of the total.
    Sending(f64, f64),
    /// Everything sent; the server is checking the clips.
    Checking,
}

/// The import in progress, shared by the Library's button, its drop target
/// and the panel.
#[derive(Clone, Copy)]
pub struct ImportState {
    picks: RwSignal<Vec<Pick>>,
    files: StoredValue<HashMap<u32, web_sys::File>, LocalStorage>,
    next_key: StoredValue<u32>,
    sending: RwSignal<Upload>,
    canceller: StoredValue<Option<api::ImportCanceller>, LocalStorage>,
    /// Why the last import was not made, in one sentence (the clips it
    /// names are marked on their rows).
    refused: RwSignal<Option<String>>,
    /// The job the last import became.
    done: RwSignal<Option<Job>>,
    /// Set when the person stopped the upload, so its end is not an error.
    stopped: StoredValue<bool>,
}

impl ImportState {
    pub fn new() -> ImportState {
        ImportState {
            picks: RwSignal::new(Vec::new()),
            files: StoredValue::new_local(HashMap::new()),
            next_key: StoredValue::new(0),
            sending: RwSignal::new(Upload::Idle),
            canceller: StoredValue::new_local(None),
            refused: RwSignal::new(None),
            done: RwSignal::new(None),
            stopped: StoredValue::new(false),
        }
    }

    /// Whether the panel is showing (clips are chosen or an answer is up).
    pub fn is_open(self) -> bool {
        self.picks.with(|p| !p.is_empty()) || self.done.with(Option::is_some)
    }

    /// Adds the files a picker or a drop brought.
    pub fn add_files(self, files: &web_sys::FileList) {
        self.done.set(None);
        self.refused.set(None);
        for i in 0..files.length() {
            let Some(file) = files.item(i) else { continue };
            let key = self.next_key.get_value();
            self.next_key.set_value(key + 1);
            let bytes = file.size() as u64;
            let name = file.name();
            let problem = check_file(&name, &file.type_(), bytes);
            self.files.update_value(|all| {
                all.insert(key, file);
            });
            self.picks.update(|picks| {
                let language = default_language(picks);
                picks.push(Pick {
                    key,
                    name,
                    bytes,
                    language,
                    problem,
                });
            });
        }
    }

    /// Puts each of the server's per-clip problems (`clips[i]`) on its row,
    /// so the file to remove is marked where it is listed.
    fn mark_refused(self, err: &ApiError) {
        let ApiError::Rejected { body, .. } = err else {
            return;
        };
        self.picks.update(|picks| {
            for problem in &body.error.problems {
                let index = problem
                    .field
                    .strip_prefix("clips[")
                    .and_then(|rest| rest.strip_suffix(']'))
                    .and_then(|i| i.parse::<usize>().ok());
                if let Some(pick) = index.and_then(|i| picks.get_mut(i)) {
                    let message = &problem.message;
                    let said = message
                        .strip_prefix(&format!("{}: ", pick.name))
                        .unwrap_or(message);
                    pick.problem = Some(said.to_string());
                }
            }
        });
    }

    fn remove(self, key: u32) {
        self.picks.update(|p| p.retain(|pick| pick.key != key));
        self.files.update_value(|all| {
            all.remove(&key);
        });
        self.refused.set(None);
    }

    fn set_language(self, key: u32, language: Option<Language>) {
        self.picks.update(|picks| {
            if let Some(pick) = picks.iter_mut().find(|p| p.key == key) {
                pick.language = language;
            }
        });
    }

    /// Stops the upload under way and keeps the list.
    fn stop(self) {
        if let Some(canceller) = self.canceller.try_update_value(Option::take).flatten() {
            self.stopped.set_value(true);
            canceller.cancel();
        }
    }

    fn clear(self) {
        if let Some(canceller) = self.canceller.try_update_value(Option::take).flatten() {
            canceller.cancel();
        }
        self.picks.set(Vec::new());
        self.files.set_value(HashMap::new());
        self.sending.set(Upload::Idle);
        self.refused.set(None);
        self.done.set(None);
    }

    fn send(self, on_imported: impl Fn(Job) + 'static) {
        let picks = self.picks.get_untracked();
        if blocker(&picks).is_some() || self.sending.get_untracked() != Upload::Idle {
            return;
        }
        let clips: Vec<(web_sys::File, Option<Language>)> = self.files.with_value(|files| {
            picks
                .iter()
                .filter_map(|p| files.get(&p.key).map(|f| (f.clone(), p.language)))
                .collect()
        });
        self.refused.set(None);
        self.stopped.set_value(false);
        let sending = self.sending;
        let upload = api::import_clips(&clips, move |sent, total| {
            if sent >= total {
                sending.set(Upload::Checking);
            } else {
                sending.set(Upload::Sending(sent, total));
            }
        });
        let upload = match upload {
            Ok(upload) => upload,
            Err(err) => {
                self.refused.set(Some(err.message()));
                return;
            }
        };
        sending.set(Upload::Sending(0.0, 1.0));
        self.canceller.set_value(Some(upload.canceller()));
        spawn_local(async move {
            let answer = upload.finished().await;
            self.canceller.set_value(None);
            self.sending.set(Upload::Idle);
            match answer {
                Ok(job) => {
                    self.picks.set(Vec::new());
                    self.files.set_value(HashMap::new());
                    self.done.set(Some(job.clone()));
                    on_imported(job);
                }
                Err(_) if self.stopped.get_value() => self.refused.set(Some(
                    "Stopped. Nothing was imported; the clips are still listed.".into(),
                )),
                Err(err) => {
                    self.mark_refused(&err);
                    self.refused.set(Some(refusal(&err)));
                }
            }
        });
    }
}

/// The server's refusal in words: when it named clips (marked on their
/// rows by `mark_refused`), which ones; else its own sentence.
fn refusal(err: &ApiError) -> String {
    let ApiError::Rejected { body, .. } = err else {
        return err.message();
    };
    let named: Vec<&str> = body
        .error
        .problems
        .iter()
        .filter(|p| p.field.starts_with("clips["))
        .filter_map(|p| p.message.split_once(": ").map(|(name, _)| name))
        .collect();
    match named.as_slice() {
        [] => body.error.message.clone(),
        [one] => format!(
            "Nothing was imported: {one} cannot be imported (marked above). Remove it and import the rest."
        ),
        many => format!(
            "Nothing was imported: {} clips cannot be imported (marked above). Remove them and import the rest.",
            many.len()
        ),
    }
}

fn language_value(language: Option<Language>) -> &'static str {
    language.map_or("none", Language::code)
}

#[component]
pub fn ImportPanel(
    state: ImportState,
    on_imported: impl Fn(Job) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let count = move || state.picks.with(Vec::len);
    let blocked = move || state.picks.with(|p| blocker(p));
    let busy = move || state.sending.get() != Upload::Idle;
    let send_label = move || match count() {
        1 => "Import 1 clip".to_string(),
        n => format!("Import {n} clips"),
    };

    view! {
        <section class="panel import-panel" aria-labelledby="import-heading" data-testid="import-panel"
            aria-busy=move || busy().to_string()>
            <div class="field-head">
                <h2 id="import-heading" class="field-label">"Import clips"</h2>
                <span class="hint-inline">{format!("{IMPORT_FORMATS}, up to 2 GB each.")}</span>
            </div>
            {move || state.done.get().map(|job| {
                let n = job.outputs.len();
                let compare = (n > 0).then(|| format!("/compare/{}", job.id));
                view! {
                    <div class="banner success import-done" role="status" data-testid="import-done">
                        <span>{if n == 1 { "Imported 1 clip. It is at the top of the Library.".to_string() }
                            else { format!("Imported {n} clips. They are at the top of the Library.") }}</span>
                        {compare.map(|href| view! {
                            <a class="button small" href=href data-testid="import-compare">
                                {if n == 1 { "Check its lip-sync" } else { "Compare and check lip-sync" }}
                            </a>
                        })}
                        <button type="button" class="link-button" on:click=move |_| state.clear()>"Close"</button>
                    </div>
                }
            })}
            <ul class="import-list" data-testid="import-list">
                <For
                    each=move || state.picks.get()
                    key=|pick| (pick.key, pick.problem.clone())
                    children=move |pick| {
                        let key = pick.key;
                        let select_id = format!("import-language-{key}");
                        let chosen = language_value(pick.language);
                        view! {
                            <li class="import-row" class:invalid=pick.problem.is_some() data-testid="import-row">
                                <span class="import-name" title=pick.name.clone()>{pick.name.clone()}</span>
                                <span class="hint-inline import-size">{describe_size(pick.bytes)}</span>
                                <label class="sr-only" for=select_id.clone()>{format!("Language spoken in {}", pick.name)}</label>
                                <select
                                    id=select_id
                                    class="import-language"
                                    data-testid="import-language"
                                    disabled=busy
                                    on:change=move |ev| {
                                        let code = event_target_value(&ev);
                                        state.set_language(key, Language::from_code(&code));
                                    }
                                >
                                    {Language::ALL.iter().map(|l| view! {
                                        <option value=l.code() selected=chosen == l.code()>{l.display_name()}</option>
                                    }).collect_view()}
                                    <option value="none" selected=chosen == "none">"No speech"</option>
                                </select>
                                <button
                                    type="button"
                                    class="icon-button"
                                    aria-label=format!("Remove {}", pick.name)
                                    title="Remove"
                                    disabled=busy
                                    on:click=move |_| state.remove(key)
                                >"×"</button>
                                {pick.problem.clone().map(|why| view! {
                                    <p class="problem error import-problem" data-testid="import-problem">{why}</p>
                                })}
                            </li>
                        }
                    }
                />
            </ul>
            {move || state.refused.get().map(|message| view! {
                <div class="banner error" role="alert" data-testid="import-refused">
                    <p>{message}</p>
                </div>
            })}
            {move || match state.sending.get() {
                Upload::Idle => ().into_any(),
                Upload::Sending(sent, total) => {
                    let percent = if total > 0.0 { (sent / total * 100.0).clamp(0.0, 100.0) } else { 0.0 };
                    view! {
                        <div class="progress-row">
                            <div class="progress" role="progressbar" aria-label="Sending the clips"
                                aria-valuemin="0" aria-valuemax="100" aria-valuenow=percent.round() as u32
                                data-testid="import-progress">
                                <div class="progress-fill" style=format!("width:{percent:.1}%")></div>
                            </div>
                            <span class="progress-text">{format!("{} of {}", describe_size(sent as u64), describe_size(total as u64))}</span>
                        </div>
                    }.into_any()
                }
                Upload::Checking => view! {
                    <p class="hint import-checking" data-testid="import-checking">
                        <span class="spinner" aria-hidden="true"></span>
                        "Sent. Checking each clip's picture and sound…"
                    </p>
                }.into_any(),
            }}
            {move || (count() > 0).then(|| view! {
                <div class="job-actions">
                    <button
                        type="button"
                        class="button primary"
                        data-testid="import-send"
                        disabled=move || blocked().is_some() || busy()
                        title=move || blocked().unwrap_or_default()
                        on:click=move |_| state.send(on_imported)
                    >
                        {send_label}
                    </button>
                    <label class="button" for=IMPORT_INPUT_ID class:disabled=busy>"Add clips"</label>
                    <button type="button" class="button" data-testid="import-cancel"
                        on:click=move |_| if busy() { state.stop() } else { state.clear() }>
                        {move || if busy() { "Stop" } else { "Cancel" }}
                    </button>
                    {move || blocked().filter(|_| !busy()).map(|why| view! { <span class="hint-inline">{why}</span> })}
                </div>
            })}
        </section>
    }
}

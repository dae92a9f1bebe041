//! Library: every job, newest first, a page at a time as the list scrolls,
//! found by text, status, language, model and date (kept in the URL), kept
//! current by the server's event stream. Reconnecting reloads the first
//! page, so nothing missed while offline stays stale. Deleting hides a job
//! at once and offers an undo until the server removes it for good.

use chorus_core::api::{DeletedJob, JobEvent, LibraryUsage};
use chorus_core::{IMPORT_MODEL, Job, JobStatus, Language, registry};
use gloo_timers::future::TimeoutFuture;
use leptos::ev::DragEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{IntersectionObserver, IntersectionObserverEntry};

use crate::access::use_access;
use crate::api;
use crate::components::card_window::{CardSlot, CardWindow};
use crate::components::import_panel::{IMPORT_INPUT_ID, ImportPanel, ImportState};
use crate::components::job_card::JobCard;
use crate::components::take_tile::{LibrarySelection, OpenTake};
use crate::library_selection::{Selection, TakeRef};
use crate::import_picks::describe_size;
use crate::job_list::{merge, upsert, upsert_known};
use crate::library_query::LibraryQuery;
use crate::live_feed::{LiveFeed, json_handler};
use crate::review::feedback::FeedbackStore;
use chorus_core::review::ReviewEvent;

/// Jobs per page: a screenful and more.
const PAGE: u32 = 30;
/// Typing pauses this long before the search runs.
const SEARCH_PAUSE_MS: u32 = 180;

#[derive(Debug, Clone, PartialEq)]
enum Loading {
    Pending,
    Done,
    Failed(String),
}

/// Writes the view into the address bar without a new history entry.
fn show_in_url(query: &LibraryQuery) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let search = query.to_search();
    let path = if search.is_empty() {
        "/library".to_string()
    } else {
        format!("/library?{search}")
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
    }
}

#[component]
pub fn LibraryPage() -> impl IntoView {
    // Viewers watch, compare and comment: no import, no delete.
    let access = use_access();
    let jobs = RwSignal::new(Vec::<Job>::new());
    // One player for the whole Library: the take opened last.
    provide_context(OpenTake::new());
    // Only the cards near the screen are in the page.
    let window = CardWindow::new();
    provide_context(window);
    on_cleanup(move || window.close());
    // Takes picked to act on together, in the order the Library shows them.
    let selection = LibrarySelection {
        picked: RwSignal::new(Selection::default()),
        order: Memo::new(move |_| {
            jobs.with(|list| {
                list.iter()
                    .flat_map(|j| (0..j.outputs.len()).map(|i| (j.id.to_string(), i)))
                    .collect::<Vec<TakeRef>>()
            })
        }),
    };
    provide_context(selection);
    Effect::new(move |_| {
        let order = selection.order.get();
        selection.picked.update(|s| s.keep_only(&order));
    });
    let loading = RwSignal::new(Loading::Pending);
    let live = RwSignal::new(false);
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let query = RwSignal::new(LibraryQuery::from_search(&search));
    let next = RwSignal::new(None::<String>);
    let more = RwSignal::new(false);
    let usage = RwSignal::new(None::<LibraryUsage>);
    let deleted = RwSignal::new(Vec::<DeletedJob>::new());
    // Answers to an older view are dropped when they arrive late.
    let view_id = StoredValue::new(0_u32);

    let load_usage = move || {
        spawn_local(async move {
            if let Ok(u) = api::library_usage().await {
                usage.set(Some(u));
            }
        });
    };
    // The first page of the current view: replaces the list on a new view,
    // merges into it on a refresh (so older pages already shown stay).
    let load_first = move |replace: bool| {
        let asked = query.get_untracked();
        let id = view_id.get_value() + u32::from(replace);
        view_id.set_value(id);
        spawn_local(async move {
            match api::jobs(&asked.api_path(None, PAGE)).await {
                Ok(list) if view_id.get_value() == id => {
                    if replace {
                        jobs.set(Vec::new());
                        next.set(list.next);
                    } else if next.get_untracked().is_none() {
                        next.set(list.next);
                    }
                    jobs.update(|shown| merge(shown, list.jobs));
                    loading.set(Loading::Done);
                }
                Ok(_) => {}
                Err(err) => loading.set(Loading::Failed(err.message())),
            }
        });
        load_usage();
    };
    let load_more = move || {
        let Some(cursor) = next.get_untracked() else {
            return;
        };
        if more.get_untracked() {
            return;
        }
        more.set(true);
        let asked = query.get_untracked();
        let id = view_id.get_value();
        spawn_local(async move {
            let answer = api::jobs(&asked.api_path(Some(&cursor), PAGE)).await;
            if view_id.get_value() == id {
                match answer {
                    Ok(list) => {
                        next.set(list.next);
                        jobs.update(|shown| merge(shown, list.jobs));
                    }
                    Err(err) => loading.set(Loading::Failed(err.message())),
                }
            }
            more.set(false);
        });
    };
    load_first(true);
    // A new view: into the URL, and its first page.
    Effect::new(move |previous: Option<LibraryQuery>| {
        let now = query.get();
        if previous.as_ref().is_some_and(|p| *p != now) {
            show_in_url(&now);
            load_first(true);
        }
        now
    });

    let feed = StoredValue::new_local(open_feed(
        jobs,
        live,
        query,
        move || load_first(false),
        load_usage,
    ));
    on_cleanup(move || feed.set_value(None));

    // More as the end of the list comes near.
    let sentinel = NodeRef::<html::Li>::new();
    let observer = StoredValue::new_local(None::<(IntersectionObserver, Closure<dyn FnMut(js_sys::Array)>)>);
    Effect::new(move |_| {
        let Some(end) = sentinel.get() else {
            return;
        };
        let on_seen = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            let seen = entries.iter().any(|e| {
                e.dyn_into::<IntersectionObserverEntry>()
                    .is_ok_and(|e| e.is_intersecting())
            });
            if seen {
                load_more();
            }
        });
        let options = web_sys::IntersectionObserverInit::new();
        options.set_root_margin("800px 0px");
        if let Ok(watch) = IntersectionObserver::new_with_options(on_seen.as_ref().unchecked_ref(), &options) {
            watch.observe(&end);
            observer.set_value(Some((watch, on_seen)));
        }
    });
    on_cleanup(move || {
        observer.update_value(|o| {
            if let Some((watch, _)) = o.take() {
                watch.disconnect();
            }
        });
    });

    let on_deleted = move |gone: DeletedJob| {
        jobs.update(|list| list.retain(|j| j.id != gone.job.id));
        deleted.update(|d| d.push(gone));
        load_usage();
    };
    let undo = move |id: chorus_core::JobId| {
        spawn_local(async move {
            if let Ok(job) = api::restore_job(&id).await {
                jobs.update(|list| upsert(list, job));
                load_usage();
            }
            deleted.update(|d| d.retain(|g| g.job.id != id));
        });
    };

    let import = ImportState::new();
    let import_open = Memo::new(move |_| import.is_open());
    let dropping = RwSignal::new(false);
    let on_imported = move |job: Job| jobs.update(|list| upsert(list, job));
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(files) = input.files() {
            import.add_files(&files);
        }
        // Lets the same file be picked again after removing it.
        input.set_value("");
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        dropping.set(false);
        if !access.can_edit() {
            return;
        }
        if let Some(files) = ev.data_transfer().and_then(|dt| dt.files()) {
            import.add_files(&files);
        }
    };
    let usage_text = move || {
        usage.get().map(|u| {
            let jobs = if u.jobs == 1 { "1 job".to_string() } else { format!("{} jobs", u.jobs) };
            format!("{jobs} · {}", describe_size(u.bytes))
        })
    };

    view! {
        <div
            class="library"
            class:dropping=move || dropping.get()
            data-testid="library-page"
            on:dragover=move |ev: DragEvent| {
                ev.prevent_default();
                dropping.set(access.can_edit());
            }
            on:dragleave=move |ev: DragEvent| {
                // Leaving for a child of the page is not leaving the page.
                if ev.related_target().is_none() {
                    dropping.set(false);
                }
            }
            on:drop=on_drop
        >
            <header class="page-head row">
                <div>
                    <h1>"Library"</h1>
                    <p class="page-sub">
                        "Every take you have generated or imported, newest first."
                        {move || usage_text().map(|t| view! { <span class="library-usage" data-testid="library-usage">{t}</span> })}
                    </p>
                </div>
                <div class="library-tools">
                    <span class="live" class:on=move || live.get() data-testid="live-status">
                        <span class="live-dot" aria-hidden="true"></span>
                        {move || if live.get() { "Live" } else { "Connecting…" }}
                    </span>
                    <Show when=move || access.can_edit()>
                        <label class="button" for=IMPORT_INPUT_ID data-testid="import-button"
                            title="Bring in MP4 or MOV clips made elsewhere, or drop them on the Library">
                            "Import clips"
                        </label>
                        <input
                            id=IMPORT_INPUT_ID
                            class="sr-only"
                            type="file"
                            accept=".mp4,.mov,.m4v,video/mp4,video/quicktime"
                            multiple=true
                            data-testid="import-input"
                            on:change=on_pick
                        />
                    </Show>
                </div>
            </header>
            <FilterBar query />
            <div class="drop-veil" aria-hidden="true">"Drop clips to import them"</div>
            {move || import_open.get().then(|| view! { <ImportPanel state=import on_imported /> })}
            {move || match loading.get() {
                Loading::Failed(why) => view! {
                    <p class="banner error" role="alert">{format!("Could not load the library: {why}")}</p>
                }.into_any(),
                Loading::Pending => view! { <p class="hint">"Loading…"</p> }.into_any(),
                Loading::Done if jobs.with(Vec::is_empty) && query.with(LibraryQuery::is_filtered) => view! {
                    <section class="empty-state" data-testid="library-none-found">
                        <h2>"Nothing matches"</h2>
                        <p>"No job matches this search and these filters."</p>
                        <div class="row-actions">
                            <button type="button" class="button" on:click=move |_| query.set(LibraryQuery::default())>"Clear the search"</button>
                        </div>
                    </section>
                }.into_any(),
                Loading::Done if jobs.with(Vec::is_empty) && !access.can_edit() => view! {
                    <section class="empty-state">
                        <h2>"No takes yet"</h2>
                        <p>"Takes appear here as the studio's editors make or import them."</p>
                    </section>
                }.into_any(),
                Loading::Done if jobs.with(Vec::is_empty) => view! {
                    <section class="empty-state">
                        <h2>"No takes yet"</h2>
                        <p>"Compose a scene and press Generate; it shows up here while it renders. Or import clips made elsewhere to check their lip-sync."</p>
                        <div class="row-actions">
                            <a class="button primary" href="/">"Compose"</a>
                            <label class="button" for=IMPORT_INPUT_ID>"Import clips"</label>
                        </div>
                    </section>
                }.into_any(),
                Loading::Done => ().into_any(),
            }}
            <ol class="job-list" data-testid="job-list">
                <For
                    each=move || jobs.get()
                    key=|job| (job.id.clone(), job.updated_at, job.status)
                    children=move |job| {
                        let on_change = move |updated: Job| jobs.update(|list| upsert(list, updated));
                        let job_id = job.id.to_string();
                        let card = ViewFn::from(move || view! { <JobCard job=job.clone() on_change on_deleted /> });
                        view! { <CardSlot job_id card /> }
                    }
                />
                <li class="load-more" node_ref=sentinel aria-hidden=move || next.with(Option::is_none).to_string()>
                    {move || next.with(Option::is_some).then(|| view! {
                        <button type="button" class="button small" data-testid="load-more"
                            disabled=move || more.get() on:click=move |_| load_more()>
                            {move || if more.get() { "Loading older jobs…" } else { "Load older jobs" }}
                        </button>
                    })}
                </li>
            </ol>
            <SelectionBar selection jobs on_deleted />
            <div class="undo-stack" aria-live="polite">
                <For
                    each=move || deleted.get()
                    key=|gone| gone.job.id.clone()
                    children=move |gone| view! { <UndoToast gone deleted undo /> }
                />
            </div>
        </div>
    }
}

/// What can be done with the picked takes: compare them (two to four of
/// one job), download them, delete their jobs, or let them go (Esc).
#[component]
fn SelectionBar(
    selection: LibrarySelection,
    jobs: RwSignal<Vec<Job>>,
    on_deleted: impl Fn(DeletedJob) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let access = use_access();
    let confirming = RwSignal::new(false);
    let failed = RwSignal::new(None::<String>);
    let count = move || selection.picked.with(Selection::len);
    let compare = move || selection.picked.with(Selection::compare_link);
    let download = move |_| {
        let picked = selection.picked.get_untracked();
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        jobs.with_untracked(|list| {
            for (job, index) in picked.takes() {
                let Some(output) = list.iter().find(|j| j.id.0 == *job).and_then(|j| j.outputs.get(*index)) else {
                    continue;
                };
                let name = output.name.clone().unwrap_or_else(|| {
                    let language = output.language.map_or("take", |l| l.code());
                    format!("{job}-{index}-{language}.mp4")
                });
                if let Ok(link) = document.create_element("a") {
                    let _ = link.set_attribute("href", &chorus_core::api::asset_url(&output.video));
                    let _ = link.set_attribute("download", &name);
                    if let Some(link) = link.dyn_ref::<web_sys::HtmlElement>() {
                        link.click();
                    }
                }
            }
        });
    };
    let delete = move |_| {
        let ids = selection.picked.with_untracked(Selection::jobs);
        confirming.set(false);
        selection.picked.update(Selection::clear);
        spawn_local(async move {
            for id in ids {
                match api::delete_job(&chorus_core::JobId(id)).await {
                    Ok(gone) => on_deleted(gone),
                    Err(err) => failed.set(Some(err.message())),
                }
            }
        });
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Escape" {
            selection.picked.update(Selection::clear);
        }
    };
    view! {
        {move || (!selection.picked.with(Selection::is_empty)).then(|| {
            let jobs_word = match selection.picked.with(|s| s.jobs().len()) {
                1 => "its job".to_string(),
                n => format!("their {n} jobs"),
            };
            view! {
                <div class="selection-bar" role="toolbar" aria-label="Selected takes" data-testid="selection-bar" on:keydown=on_key>
                    <span class="selection-count" data-testid="selection-count">
                        {move || match count() { 1 => "1 take selected".to_string(), n => format!("{n} takes selected") }}
                    </span>
                    {move || match compare() {
                        Ok(href) => view! { <a class="button small" href=href data-testid="selection-compare">"Compare"</a> }.into_any(),
                        Err(why) => view! { <button type="button" class="button small" disabled=true title=why data-testid="selection-compare">"Compare"</button> }.into_any(),
                    }}
                    <button type="button" class="button small" data-testid="selection-download" on:click=download>"Download"</button>
                    {move || if !access.can_edit() {
                        ().into_any()
                    } else if confirming.get() {
                        view! {
                            <span class="selection-confirm">
                                {format!("Delete {jobs_word}?")}
                                <button type="button" class="button small danger" data-testid="selection-delete-yes" on:click=delete>"Delete"</button>
                                <button type="button" class="button small" on:click=move |_| confirming.set(false)>"Keep"</button>
                            </span>
                        }.into_any()
                    } else {
                        view! {
                            <button type="button" class="button small" data-testid="selection-delete"
                                on:click=move |_| confirming.set(true)>"Delete…"</button>
                        }.into_any()
                    }}
                    <button type="button" class="button small" data-testid="selection-clear" title="Let go of the selection (Esc)"
                        on:click=move |_| selection.picked.update(Selection::clear)>"Clear"</button>
                    {move || failed.get().map(|why| view! { <span class="problem error" role="alert">{why}</span> })}
                </div>
            }
        })}
    }
}

/// "Deleted … · Undo" while the server still keeps the job; it leaves by
/// itself when the undo window closes.
#[component]
fn UndoToast(
    gone: DeletedJob,
    deleted: RwSignal<Vec<DeletedJob>>,
    undo: impl Fn(chorus_core::JobId) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = gone.job.id.clone();
    let left = RwSignal::new(((gone.restore_until as f64 - js_sys::Date::now()) / 1000.0).ceil().max(0.0) as u32);
    {
        let id = id.clone();
        spawn_local(async move {
            while left.get_untracked() > 0 {
                TimeoutFuture::new(1000).await;
                left.update(|l| *l = l.saturating_sub(1));
            }
            deleted.update(|d| d.retain(|g| g.job.id != id));
        });
    }
    let prompt = gone.job.request.prompt.clone();
    let short = if prompt.chars().count() > 48 {
        format!("{}…", prompt.chars().take(47).collect::<String>())
    } else {
        prompt
    };
    view! {
        <div class="undo-toast" role="status" data-testid="undo-toast">
            <span>{format!("Deleted “{short}”")}</span>
            <button type="button" class="button small" data-testid="undo-delete"
                on:click=move |_| undo(id.clone())>
                {move || format!("Undo ({} s)", left.get())}
            </button>
        </div>
    }
}

/// The search box and the filters; every change is a new view (the page
/// puts it in the URL and loads its first page).
#[component]
fn FilterBar(query: RwSignal<LibraryQuery>) -> impl IntoView {
    let typed = StoredValue::new(0_u32);
    let on_search = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        let mine = typed.get_value() + 1;
        typed.set_value(mine);
        spawn_local(async move {
            TimeoutFuture::new(SEARCH_PAUSE_MS).await;
            if typed.get_value() == mine {
                query.update(|q| q.text = text);
            }
        });
    };
    let set = move |field: fn(&mut LibraryQuery) -> &mut String| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            query.update(|q| *field(q) = value);
        }
    };
    let statuses: Vec<(&'static str, &'static str)> = JobStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect();
    let languages: Vec<(&'static str, &'static str)> = Language::ALL.iter().map(|l| (l.code(), l.display_name())).collect();
    let mut models: Vec<(String, String)> = registry().into_iter().map(|m| (m.id.clone(), m.name.clone())).collect();
    models.push((IMPORT_MODEL.to_string(), "Imported clips".to_string()));
    let select = move |label: &'static str, id: &'static str, options: Vec<(String, String)>, field: fn(&mut LibraryQuery) -> &mut String, read: fn(&LibraryQuery) -> &String| {
        view! {
            <label class="filter">
                <span class="sr-only">{label}</span>
                <select data-testid=id on:change=set(field) aria-label=label>
                    <option value="" selected=move || query.with(|q| read(q).is_empty())>{format!("Any {}", label.to_lowercase())}</option>
                    {options.into_iter().map(|(value, name)| {
                        let chosen = value.clone();
                        view! { <option value=value selected=move || query.with(|q| *read(q) == chosen)>{name}</option> }
                    }).collect_view()}
                </select>
            </label>
        }
    };
    let owned = |list: Vec<(&'static str, &'static str)>| list.into_iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    view! {
        <div class="filter-bar" role="search" data-testid="library-filters">
            <input
                type="search"
                class="filter-search"
                placeholder="Search prompts and spoken lines"
                aria-label="Search prompts and spoken lines"
                data-testid="library-search"
                prop:value=move || query.with(|q| q.text.clone())
                on:input=on_search
            />
            {select("Status", "filter-status", owned(statuses), |q| &mut q.status, |q| &q.status)}
            {select("Language", "filter-language", owned(languages), |q| &mut q.language, |q| &q.language)}
            {select("Model", "filter-model", models, |q| &mut q.model, |q| &q.model)}
            <label class="filter">
                <span>"From"</span>
                <input type="date" data-testid="filter-from" prop:value=move || query.with(|q| q.from.clone()) on:change=set(|q| &mut q.from) />
            </label>
            <label class="filter">
                <span>"To"</span>
                <input type="date" data-testid="filter-to" prop:value=move || query.with(|q| q.to.clone()) on:change=set(|q| &mut q.to) />
            </label>
            {move || query.with(LibraryQuery::is_filtered).then(|| view! {
                <button type="button" class="button small" data-testid="filter-clear"
                    on:click=move |_| query.set(LibraryQuery::default())>"Clear"</button>
            })}
        </div>
    }
}

/// Follows job changes while the page is in view. `None` when the
/// browser refuses (the list still loads once; the badge keeps saying it
/// is not live).
fn open_feed(
    jobs: RwSignal<Vec<Job>>,
    live: RwSignal<bool>,
    query: RwSignal<LibraryQuery>,
    refresh: impl Fn() + 'static,
    // A job that finishes or is deleted changes what the Library takes.
    recount: impl Fn() + 'static,
) -> Option<LiveFeed> {
    let feedback = use_context::<FeedbackStore>();
    let on_job = move |event: JobEvent| {
        if event.job.status.is_terminal() || event.job.deleted_at.is_some() {
            recount();
        }
        // A filtered view only follows the jobs it shows; a new job may
        // not match it.
        if query.with_untracked(LibraryQuery::is_filtered) {
            jobs.update(|list| upsert_known(list, event.job));
        } else {
            jobs.update(|list| upsert(list, event.job));
        }
    };
    // What reviewers say reaches the cards and players at once.
    let on_review = move |event: ReviewEvent| {
        if let Some(store) = feedback {
            store.apply(event);
        }
    };
    LiveFeed::listen(
        "/api/events",
        vec![("job", json_handler(on_job)), ("review", json_handler(on_review))],
        move || {
            live.set(true);
            // Catch up on whatever changed while the stream was down.
            refresh();
            if let Some(store) = feedback {
                store.reload();
            }
        },
        move || live.set(false),
    )
}

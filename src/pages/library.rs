//! Library: every job, newest first, kept current by the server's event
//! stream. Reconnecting reloads the list, so nothing missed while offline
//! stays stale.

use chorus_core::Job;
use chorus_core::api::JobEvent;
use leptos::ev::DragEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, MessageEvent};

use crate::api;
use crate::components::import_panel::{IMPORT_INPUT_ID, ImportPanel, ImportState};
use crate::components::job_card::JobCard;
use crate::components::take_tile::OpenTake;
use crate::job_list::{merge, upsert};

#[derive(Debug, Clone, PartialEq)]
enum Loading {
    Pending,
    Done,
    Failed(String),
}

/// The event stream and the callbacks it holds; dropping them closes it.
struct LiveFeed {
    source: EventSource,
    _callbacks: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

impl Drop for LiveFeed {
    fn drop(&mut self) {
        self.source.close();
    }
}

#[component]
pub fn LibraryPage() -> impl IntoView {
    let jobs = RwSignal::new(Vec::<Job>::new());
    // One player for the whole Library: the take opened last.
    provide_context(OpenTake::new());
    let loading = RwSignal::new(Loading::Pending);
    let live = RwSignal::new(false);

    let refresh = move || {
        spawn_local(async move {
            match api::jobs().await {
                Ok(list) => {
                    jobs.update(|shown| merge(shown, list.jobs));
                    loading.set(Loading::Done);
                }
                Err(err) => loading.set(Loading::Failed(err.message())),
            }
        });
    };
    refresh();

    let feed = StoredValue::new_local(open_feed(jobs, live, refresh));
    on_cleanup(move || feed.set_value(None));

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
        if let Some(files) = ev.data_transfer().and_then(|dt| dt.files()) {
            import.add_files(&files);
        }
    };

    view! {
        <div
            class="library"
            class:dropping=move || dropping.get()
            data-testid="library-page"
            on:dragover=move |ev: DragEvent| {
                ev.prevent_default();
                dropping.set(true);
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
                    <p class="page-sub">"Every take you have generated or imported, newest first."</p>
                </div>
                <div class="library-tools">
                    <span class="live" class:on=move || live.get() data-testid="live-status">
                        <span class="live-dot" aria-hidden="true"></span>
                        {move || if live.get() { "Live" } else { "Connecting…" }}
                    </span>
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
                </div>
            </header>
            <div class="drop-veil" aria-hidden="true">"Drop clips to import them"</div>
            {move || import_open.get().then(|| view! { <ImportPanel state=import on_imported /> })}
            {move || match loading.get() {
                Loading::Failed(why) => view! {
                    <p class="banner error" role="alert">{format!("Could not load the library: {why}")}</p>
                }.into_any(),
                Loading::Pending => view! { <p class="hint">"Loading…"</p> }.into_any(),
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
                        view! { <JobCard job on_change /> }
                    }
                />
            </ol>
        </div>
    }
}

/// Subscribes to `/api/events`. `None` when the browser refuses (the list
/// still loads once; the badge keeps saying it is not live).
fn open_feed(
    jobs: RwSignal<Vec<Job>>,
    live: RwSignal<bool>,
    refresh: impl Fn() + 'static,
) -> Option<LiveFeed> {
    let source = EventSource::new("/api/events").ok()?;
    let on_job = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
        let data = ev
            .dyn_ref::<MessageEvent>()
            .and_then(|m| m.data().as_string());
        if let Some(event) = data.and_then(|d| serde_json::from_str::<JobEvent>(&d).ok()) {
            jobs.update(|list| upsert(list, event.job));
        }
    });
    let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        live.set(true);
        // Catch up on whatever changed while the stream was down.
        refresh();
    });
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| live.set(false));
    source
        .add_event_listener_with_callback("job", on_job.as_ref().unchecked_ref())
        .ok()?;
    source
        .add_event_listener_with_callback("open", on_open.as_ref().unchecked_ref())
        .ok()?;
    source
        .add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref())
        .ok()?;
    Some(LiveFeed {
        source,
        _callbacks: vec![on_job, on_open, on_error],
    })
}

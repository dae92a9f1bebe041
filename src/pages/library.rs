//! Library: every job, newest first, kept current by the server's event
//! stream. Reconnecting reloads the list, so nothing missed while offline
//! stays stale.

use chorus_core::Job;
use chorus_core::api::JobEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, MessageEvent};

use crate::api;
use crate::components::job_card::JobCard;
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

    view! {
        <div class="library" data-testid="library-page">
            <header class="page-head row">
                <div>
                    <h1>"Library"</h1>
                    <p class="page-sub">"Every take you have generated, newest first."</p>
                </div>
                <span class="live" class:on=move || live.get() data-testid="live-status">
                    <span class="live-dot" aria-hidden="true"></span>
                    {move || if live.get() { "Live" } else { "Connecting…" }}
                </span>
            </header>
            {move || match loading.get() {
                Loading::Failed(why) => view! {
                    <p class="banner error" role="alert">{format!("Could not load the library: {why}")}</p>
                }.into_any(),
                Loading::Pending => view! { <p class="hint">"Loading…"</p> }.into_any(),
                Loading::Done if jobs.with(Vec::is_empty) => view! {
                    <section class="empty-state">
                        <h2>"No takes yet"</h2>
                        <p>"Compose a scene and press Generate; it shows up here while it renders."</p>
                        <a class="button primary" href="/">"Compose"</a>
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

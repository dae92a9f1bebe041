//! The compare page, `/compare/{job}?takes=0,1`: loads the job and hands its
//! takes to the compare view, or says plainly why it cannot.

use chorus_core::{Job, JobStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api;
use crate::compare::CompareView;
use crate::compare::variants::parse_takes;
use crate::review::share::ReviewPanel;

#[derive(Clone)]
enum Loaded {
    Pending,
    Ready(RwSignal<Job>, Vec<usize>),
    Failed(String),
}

#[component]
pub fn ComparePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let loaded = RwSignal::new(Loaded::Pending);
    Effect::new(move |_| {
        let id = params.with(|p| p.get("id")).unwrap_or_default();
        let takes = query.with(|q| q.get("takes"));
        spawn_local(async move {
            let next = match api::job(&id).await {
                Err(err) => Loaded::Failed(err.message()),
                Ok(job) if job.status != JobStatus::Succeeded => Loaded::Failed(format!(
                    "This job is {}; takes can be compared once it has finished",
                    job.status.label().to_lowercase()
                )),
                Ok(job) => match parse_takes(takes.as_deref(), &job.outputs) {
                    Err(why) => Loaded::Failed(why),
                    Ok(takes) if takes.is_empty() => {
                        Loaded::Failed("This job has no takes to compare".into())
                    }
                    Ok(takes) => Loaded::Ready(RwSignal::new(job), takes),
                },
            };
            loaded.set(next);
        });
    });
    view! {
        <div class="compare-page" data-testid="compare-page">
            <header class="page-head row">
                <div>
                    <a class="back-link" href="/library">"← Library"</a>
                    <h1>"Compare"</h1>
                    <p class="page-sub">{move || match loaded.get() {
                        Loaded::Ready(job, _) => job.with(|j| j.request.prompt.clone()),
                        _ => "Language variants side by side, in lockstep.".to_string(),
                    }}</p>
                </div>
            </header>
            {move || match loaded.get() {
                Loaded::Pending => view! { <p class="hint">"Loading the job…"</p> }.into_any(),
                Loaded::Failed(why) => view! {
                    <section class="empty-state">
                        <h2>"Nothing to compare"</h2>
                        <p role="alert" data-testid="compare-error">{why}</p>
                        <a class="button primary" href="/library">"Back to the Library"</a>
                    </section>
                }.into_any(),
                Loaded::Ready(job, takes) => view! {
                    <CompareView job takes />
                    <ReviewPanel job=job.get_untracked() />
                }.into_any(),
            }}
        </div>
    }
}

//! One job in the Library: where it stands, what it costs, and once ready
//! one take per spoken language, each a poster until it is opened.

use chorus_core::cost::format_usd;
use chorus_core::model::find;
use chorus_core::{IMPORT_MODEL, Job, JobStatus, registry};
use leptos::prelude::*;

use crate::review::share::ReviewPanel;
use leptos::task::spawn_local;

use chorus_core::api::DeletedJob;

use crate::access::use_access;
use crate::api;
use crate::import_picks::describe_size;
use crate::compare::variants::version_label;
use crate::dom::clock_time;
use crate::components::take_tile::TakeTile;

fn model_name(id: &str) -> String {
    if id == IMPORT_MODEL {
        return "Imported".into();
    }
    find(&registry(), id).map_or_else(|| id.to_string(), |m| m.name.clone())
}

/// The line under the model: the format asked for, or for an import how
/// many clips it brought.
fn meta_text(job: &Job) -> String {
    if job.request.is_import() {
        return match job.outputs.iter().filter(|o| o.revision.is_none()).count() {
            1 => "1 clip".into(),
            n => format!("{n} clips"),
        };
    }
    let r = &job.request;
    format!("{} s · {} · {}", r.duration_s, r.resolution, r.aspect_ratio)
}

/// What the provider charged when it says so, else our estimate.
fn cost_text(job: &Job) -> String {
    if job.request.is_import() {
        return String::new();
    }
    match (job.actual_cost_usd_micros, job.estimate) {
        (Some(0), _) => "Free".into(),
        (Some(charged), _) => format!("{} charged", format_usd(charged)),
        (None, Some(cost)) if cost.is_free() => "Free".into(),
        (None, Some(cost)) => format!("{} est.", cost.display()),
        (None, None) => "—".into(),
    }
}

#[component]
pub fn JobCard(
    job: Job,
    on_change: impl Fn(Job) + Copy + Send + Sync + 'static,
    on_deleted: impl Fn(DeletedJob) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let status = job.status;
    // Viewers watch and comment; deleting and cancelling are for editors.
    let editor = use_access().can_edit_now();
    let confirming = RwSignal::new(false);
    let deleting = RwSignal::new(false);
    let delete_error = RwSignal::new(None::<String>);
    let delete = {
        let id = job.id.clone();
        move |_| {
            let id = id.clone();
            deleting.set(true);
            spawn_local(async move {
                match api::delete_job(&id).await {
                    Ok(gone) => on_deleted(gone),
                    Err(err) => {
                        delete_error.set(Some(err.message()));
                        deleting.set(false);
                        confirming.set(false);
                    }
                }
            });
        }
    };
    let takes_word = match job.outputs.len() {
        0 => String::new(),
        1 => " and its take".to_string(),
        n => format!(" and its {n} takes"),
    };
    let running = !status.is_terminal();
    let cancel_error = RwSignal::new(None::<String>);
    let canceling = RwSignal::new(false);
    let id = job.id.clone();
    let cancel = move |_| {
        let id = id.clone();
        canceling.set(true);
        spawn_local(async move {
            match api::cancel_job(&id).await {
                Ok(updated) => on_change(updated),
                Err(err) => cancel_error.set(Some(err.message())),
            }
            canceling.set(false);
        });
    };
    let percent = (job.progress.clamp(0.0, 1.0) * 100.0).round() as u32;
    let languages: Vec<_> = job.request.languages().collect();
    let outputs = job.outputs.clone();
    let compare_href = format!("/compare/{}", job.id);
    let job_id = job.id.clone();
    let takes = outputs.iter().filter(|o| o.revision.is_none()).count();
    // Two or more takes side by side; one alone still gets its sync meter.
    let compare_label = match (takes, job.request.is_import()) {
        (0, _) => None,
        (1, _) => outputs
            .iter()
            .any(|o| o.has_audio)
            .then_some("Check lip-sync"),
        (_, true) => Some("Compare clips"),
        (_, false) => Some("Compare languages"),
    };

    view! {
        <article class="job-card" data-testid="job-card" data-job-id=job.id.to_string() data-status=status.as_str()>
            <div class="job-head">
                <span class=format!("badge status-{}", status.as_str()) data-testid="job-status">
                    {status.label()}
                </span>
                <span class="job-model">{model_name(&job.request.model)}</span>
                <span class="job-meta">
                    {meta_text(&job)}
                </span>
                <span class="job-time">{clock_time(job.created_at)}</span>
                {(job.bytes > 0).then(|| view! {
                    <span class="job-bytes" data-testid="job-bytes" title="What this job takes in storage">{describe_size(job.bytes)}</span>
                })}
                <span class="job-end">
                    <span class="job-cost" data-testid="job-cost">{cost_text(&job)}</span>
                    {editor.then(|| view! {
                        <button type="button" class="icon-button danger job-delete" data-testid="job-delete"
                            title="Delete this job" aria-label="Delete this job"
                            on:click=move |_| confirming.set(true)>
                            <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M6 2h4l.5 1H13v1.5H3V3h2.5zM4 6h8l-.7 8H4.7z"></path></svg>
                        </button>
                    })}
                </span>
            </div>
            {move || confirming.get().then(|| view! {
                <div class="confirm-row" role="alertdialog" aria-label="Delete this job?" data-testid="delete-confirm">
                    <span>{format!("Delete this job{takes_word}?{}", if running { " It stops rendering first." } else { "" })}</span>
                    <button type="button" class="button small danger" data-testid="delete-yes"
                        disabled=move || deleting.get() on:click=delete.clone()>
                        {move || if deleting.get() { "Deleting…" } else { "Delete" }}
                    </button>
                    <button type="button" class="button small" data-testid="delete-no"
                        on:click=move |_| confirming.set(false)>"Keep"</button>
                </div>
            })}
            {move || delete_error.get().map(|e| view! { <p class="problem error" role="alert">{e}</p> })}
            <p class="job-prompt" data-testid="job-prompt">{job.request.prompt.clone()}</p>
            {(!languages.is_empty()).then(|| view! {
                <ul class="job-languages" aria-label="Languages" data-testid="job-languages">
                    {languages.iter().map(|l| view! { <li class="chip muted" lang="en">{l.display_name()}</li> }).collect_view()}
                </ul>
            })}
            {(status == JobStatus::Running).then(|| view! {
                <div class="progress-row">
                    <div
                        class="progress"
                        role="progressbar"
                        aria-label="Rendering progress"
                        aria-valuemin="0"
                        aria-valuemax="100"
                        aria-valuenow=percent
                        data-testid="job-progress"
                    >
                        <div class="progress-fill" style=format!("width:{percent}%")></div>
                    </div>
                    <span class="progress-text" aria-hidden="true">{format!("{percent}%")}</span>
                </div>
            })}
            {job.error.clone().filter(|_| status == JobStatus::Failed).map(|why| view! {
                <p class="banner error" data-testid="job-error">{why}</p>
            })}
            {(editor && !status.is_terminal()).then(|| view! {
                <div class="job-actions">
                    <button
                        type="button"
                        class="button"
                        data-testid="job-cancel"
                        disabled=move || canceling.get()
                        on:click=cancel
                    >
                        {move || if canceling.get() { "Canceling…" } else { "Cancel" }}
                    </button>
                    {move || cancel_error.get().map(|e| view! { <span class="problem error">{e}</span> })}
                </div>
            })}
            {compare_label.filter(|_| status == JobStatus::Succeeded).map(|label| view! {
                <div class="job-actions">
                    <a class="button small" href=compare_href data-testid="job-compare"
                        title="Watch the takes side by side, measure and fix their lip-sync">
                        {label}
                    </a>
                </div>
            })}
            {(status == JobStatus::Succeeded && !job.outputs.is_empty()).then(|| view! { <ReviewPanel job=job.clone() /> })}
            {(status == JobStatus::Succeeded && !outputs.is_empty()).then(|| view! {
                <div class="outputs">
                    {outputs.into_iter().enumerate().map(|(index, out)| {
                        let label = out.language.map_or("No speech", |l| l.display_name());
                        view! {
                            <figure class="output" data-testid="job-output">
                                <TakeTile job=job_id.clone() index output=out.clone() label=label.to_string() />
                                <figcaption>
                                    <span class="chip">{label}</span>
                                    {out.name.clone().map(|name| {
                                        let title = name.clone();
                                        view! { <span class="output-name" title=title data-testid="output-name">{name}</span> }
                                    })}
                                    {out.revision.is_some().then(|| view! {
                                        <span class="chip muted" data-testid="output-version">{version_label(&out)}</span>
                                    })}
                                    <span class="hint-inline">{format!("{} × {} · {:.1} s", out.width, out.height, out.duration_ms as f64 / 1000.0)}</span>
                                </figcaption>
                            </figure>
                        }
                    }).collect_view()}
                </div>
            })}
        </article>
    }
}

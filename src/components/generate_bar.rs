//! The end of the Compose page: what still blocks generation, the price, and
//! the Generate button. Submitting checks once more, posts the job and opens
//! the Library; a refusal from the server lands at the fields it names.

use chorus_core::localize::unapproved_sentence;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::api::{self, ApiError};
use crate::components::budget_left::BudgetLeftNote;
use crate::components::cost_summary::CostSummary;
use crate::components::problems::FieldProblems;
use crate::compose_state::{ComposeState, use_compose};
use crate::dom::{self, focus_id};
use crate::fields::{Field, PlacedProblem};

#[component]
pub fn GenerateBar() -> impl IntoView {
    let state = use_compose();
    let navigate = use_navigate();
    let errors = Memo::new(move |_| {
        state.blocking.with(|all| {
            all.iter()
                .filter(|p| p.problem.is_error())
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let uploading = move || state.uploads.with(|u| u.iter().any(|p| p.error.is_none()));
    let blocked = move || !state.skip_check && !errors.with(Vec::is_empty);
    let label = move || {
        if state.submitting.get() {
            "Sending…".to_string()
        } else if uploading() {
            "Waiting for uploads…".to_string()
        } else {
            let takes = state
                .request
                .with(chorus_core::GenerationRequest::take_count);
            if takes > 1 {
                format!("Generate {takes} takes")
            } else {
                "Generate".to_string()
            }
        }
    };
    let again = navigate.clone();
    let go = move |_| submit(state, navigate.clone());
    let anyway = move |_| submit_confirmed(state, again.clone());

    view! {
        <section class="panel generate-bar" aria-label="Generate">
            <CostSummary />
            <BudgetLeftNote />
            <Show when=move || state.server_message.with(Option::is_some)>
                <p class="banner error" role="alert" data-testid="server-message">
                    {move || state.server_message.get().unwrap_or_default()}
                </p>
            </Show>
            <FieldProblems field=Field::General />
            <Show when=blocked>
                <div class="blockers" data-testid="blockers">
                    <p class="blockers-title">
                        {move || match errors.with(Vec::len) {
                            1 => "1 thing to fix before generating".to_string(),
                            n => format!("{n} things to fix before generating"),
                        }}
                    </p>
                    <ul>
                        {move || errors.get().into_iter().take(5).map(|p| {
                            let id = p.field.control_id();
                            view! {
                                <li>
                                    <button type="button" class="link-button" on:click=move |_| focus_id(&id)>
                                        {p.problem.message}
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </div>
            </Show>
            <Show when=move || state.confirming.with(|c| !c.is_empty())>
                <div class="confirm-unapproved" role="alertdialog" aria-labelledby="unapproved-title" data-testid="confirm-unapproved">
                    <p id="unapproved-title" class="blockers-title">
                        {move || format!("{}.", unapproved_sentence(&state.confirming.get()))}
                    </p>
                    <p class="hint">"Approve each after reading its back-translation, or generate with them as proposed; the job records which lines nobody approved."</p>
                    <div class="button-row">
                        <button type="button" class="button" data-testid="review-lines" on:click=move |_| {
                            let first = state.confirming.get_untracked().first().copied();
                            state.confirming.set(Vec::new());
                            if let Some(language) = first {
                                focus_id(&Field::Line(language).control_id());
                            }
                        }>"Review the lines"</button>
                        <button type="button" class="button warn" data-testid="generate-anyway" on:click=anyway.clone()>"Generate anyway"</button>
                    </div>
                </div>
            </Show>
            <button
                type="button"
                class="button primary generate"
                data-testid="generate"
                aria-keyshortcuts="Control+Enter Meta+Enter"
                aria-disabled=move || (blocked() || uploading()).to_string()
                on:click=go
            >
                <span>{label}</span>
                <kbd class="button-kbd" aria-hidden="true">{dom::mod_key_label()}" ↵"</kbd>
            </button>
            <Show when=move || state.skip_check>
                <p class="hint warn-text" data-testid="skipcheck-note">
                    "Browser check is off (?skipcheck=1): the server's check decides."
                </p>
            </Show>
        </section>
    }
}

/// Posts the composition as a job. Blocked requests go nowhere: focus moves to
/// the first problem instead, so the keyboard shortcut explains itself too.
/// Translated lines nobody approved are asked about first.
pub fn submit(state: ComposeState, navigate: impl Fn(&str, NavigateOptions) + 'static) {
    send(state, navigate, false);
}

/// Posts the job with its unapproved lines, as the person chose.
fn submit_confirmed(state: ComposeState, navigate: impl Fn(&str, NavigateOptions) + 'static) {
    send(state, navigate, true);
}

fn send(state: ComposeState, navigate: impl Fn(&str, NavigateOptions) + 'static, confirmed: bool) {
    if state.submitting.get_untracked() {
        return;
    }
    if state
        .uploads
        .with_untracked(|u| u.iter().any(|p| p.error.is_none()))
    {
        return;
    }
    state.attempted.set(true);
    if !state.skip_check
        && let Some(first) = first_error(&state.blocking.get_untracked())
    {
        focus_id(&first.control_id());
        return;
    }
    let unapproved = state.comp.with_untracked(crate::composition::Composition::unapproved);
    if !unapproved.is_empty() && !confirmed {
        state.confirming.set(unapproved);
        return;
    }
    state.confirming.set(Vec::new());
    state.submitting.set(true);
    state.server_message.set(None);
    let request = state.request.get_untracked();
    spawn_local(async move {
        let outcome = if confirmed {
            api::create_job_unapproved(&request).await
        } else {
            api::create_job(&request).await
        };
        state.submitting.set(false);
        match outcome {
            Ok(_) => navigate("/library", NavigateOptions::default()),
            // Over a spend limit: the server's sentence says what the job
            // needs and what is left, nothing to add.
            Err(ApiError::Rejected { status: 402, body }) => {
                state.server_message.set(Some(body.error.message));
                state.budget_checks.update(|n| *n += 1);
            }
            Err(ApiError::Rejected { body, .. }) => {
                let problems = body.error.problems;
                state.server_message.set(Some(format!(
                    "The server refused this job: {}",
                    body.error.message
                )));
                state.server_problems.set(problems);
                if let Some(first) = first_error(&state.problems.get_untracked()) {
                    focus_id(&first.control_id());
                }
            }
            Err(other) => state.server_message.set(Some(other.message())),
        }
    });
}

fn first_error(problems: &[PlacedProblem]) -> Option<Field> {
    problems
        .iter()
        .find(|p| p.problem.is_error())
        .map(|p| p.field)
}

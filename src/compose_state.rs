//! The Compose page's shared state: one signal holds the composition, memos
//! derive the request, its problems and its price, and effects keep it saved
//! and ask the server how long each line takes to say. Components read it
//! from context so each stays small.

use chorus_core::api::{SpeechFitLine, SpeechFitRequest};
use chorus_core::model::find;
use chorus_core::{Cost, GenerationRequest, Language, ModelSpec, estimate_cost, registry};
use gloo_timers::future::TimeoutFuture;
use leptos::html::Textarea;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::composition::Composition;
use crate::fields::{Field, PlacedProblem, place, waits_for_first_touch};
use crate::{api, dom, storage};

/// An image on its way to the server.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingUpload {
    pub key: u32,
    pub name: String,
    /// Why it was refused, once the server has said so.
    pub error: Option<String>,
}

/// The outcome of the last Translate, shown beside its button.
#[derive(Clone, Debug, PartialEq)]
pub enum TranslateNote {
    Done(String),
    Failed(String),
}

#[derive(Clone, Copy)]
pub struct ComposeState {
    pub comp: RwSignal<Composition>,
    pub models: RwSignal<Vec<ModelSpec>>,
    pub request: Memo<GenerationRequest>,
    pub model: Memo<Option<ModelSpec>>,
    /// Browser and server problems together, each at its field, less those
    /// waiting for the person to reach an empty field (`waits_for_first_touch`).
    pub problems: Memo<Vec<PlacedProblem>>,
    /// Every browser problem, shown or not: these block Generate.
    pub blocking: Memo<Vec<PlacedProblem>>,
    /// Fields the person has been in and left.
    pub touched: RwSignal<Vec<Field>>,
    /// Generate was tried: from now on every problem shows.
    pub attempted: RwSignal<bool>,
    /// What the server refused the last submission for; cleared on any edit.
    pub server_problems: RwSignal<Vec<chorus_core::Problem>>,
    pub server_message: RwSignal<Option<String>>,
    pub cost: Memo<Option<Cost>>,
    pub uploads: RwSignal<Vec<PendingUpload>>,
    pub speech_fit: RwSignal<Vec<SpeechFitLine>>,
    pub submitting: RwSignal<bool>,
    /// Bumped when what is left of the budget should be asked again (a job
    /// was refused for it).
    pub budget_checks: RwSignal<u32>,
    /// Translate is asking the engines.
    pub translating: RwSignal<bool>,
    /// What the last Translate said: what it cost, or why it failed.
    pub translate_note: RwSignal<Option<TranslateNote>>,
    /// Generate was pressed with these lines still unapproved: asking.
    pub confirming: RwSignal<Vec<Language>>,
    /// `?skipcheck=1`: submit without the browser's check (see `dom::query_flag`).
    pub skip_check: bool,
    pub prompt_ref: NodeRef<Textarea>,
}

impl ComposeState {
    /// Builds the state, restoring any saved composition, and starts its effects.
    pub fn new() -> Self {
        let comp = RwSignal::new(storage::load().unwrap_or_default());
        let models = RwSignal::new(registry());
        let skip_check = dom::query_flag("skipcheck");
        let server_problems = RwSignal::new(Vec::new());
        let server_message = RwSignal::new(None);

        let request = Memo::new(move |_| comp.with(Composition::to_request));
        let model = Memo::new(move |_| {
            let id = comp.with(|c| c.model.clone());
            models.with(|all| find(all, &id).cloned())
        });
        let blocking = Memo::new(move |_| {
            if skip_check {
                return Vec::new();
            }
            let req = request.get();
            let local = models.with(|all| comp.with(|c| c.problems(all)));
            place(&local, &req, false)
        });
        let touched = RwSignal::new(Vec::new());
        let attempted = RwSignal::new(false);
        let problems = Memo::new(move |_| {
            let show_all = attempted.get();
            let mut shown: Vec<PlacedProblem> = blocking.with(|all| {
                comp.with(|c| {
                    touched.with(|t| {
                        all.iter()
                            .filter(|p| {
                                show_all
                                    || t.contains(&p.field)
                                    || !waits_for_first_touch(p.field, c)
                            })
                            .cloned()
                            .collect()
                    })
                })
            });
            let req = request.get();
            shown.extend(server_problems.with(|p| place(p, &req, true)));
            shown
        });
        let cost = Memo::new(move |_| {
            model.with(|m| m.as_ref().and_then(|m| estimate_cost(&request.get(), m)))
        });

        let state = ComposeState {
            comp,
            models,
            request,
            model,
            problems,
            blocking,
            touched,
            attempted,
            server_problems,
            server_message,
            cost,
            uploads: RwSignal::new(Vec::new()),
            speech_fit: RwSignal::new(Vec::new()),
            submitting: RwSignal::new(false),
            budget_checks: RwSignal::new(0),
            translating: RwSignal::new(false),
            translate_note: RwSignal::new(None),
            confirming: RwSignal::new(Vec::new()),
            skip_check,
            prompt_ref: NodeRef::new(),
        };
        state.start_effects();
        state
    }

    fn start_effects(self) {
        let ComposeState {
            comp,
            request,
            server_problems,
            server_message,
            ..
        } = self;

        Effect::new(move |_| comp.with(storage::save));

        // The server's verdict was about the request it saw; once the person
        // edits, it no longer applies.
        Effect::new(move |previous: Option<GenerationRequest>| {
            let now = request.get();
            if previous.is_some_and(|p| p != now) {
                server_problems.set(Vec::new());
                server_message.set(None);
            }
            now
        });

        spawn_local(async move {
            // Without an answer the built-in registry stays; the server
            // checks again on submit either way.
            if let Ok(list) = api::models().await
                && !list.is_empty()
            {
                self.models.set(list);
            }
        });

        self.start_speech_fit();
    }

    /// Asks `/api/speech-fit` about the lines a moment after typing stops.
    /// The endpoint may not exist yet; then the page stops asking.
    fn start_speech_fit(self) {
        let fit_request = Memo::new(move |_| {
            let req = self.request.get();
            let dialogue: Vec<_> = req
                .dialogue
                .into_iter()
                .filter(|l| !l.text.trim().is_empty())
                .collect();
            (!dialogue.is_empty() && req.audio).then_some(SpeechFitRequest {
                dialogue,
                duration_s: req.duration_s,
            })
        });
        let generation = StoredValue::new(0_u32);
        let available = StoredValue::new(true);
        Effect::new(move |_| {
            let Some(body) = fit_request.get() else {
                self.speech_fit.set(Vec::new());
                return;
            };
            if !available.get_value() {
                return;
            }
            generation.update_value(|g| *g += 1);
            let mine = generation.get_value();
            spawn_local(async move {
                TimeoutFuture::new(350).await;
                if generation.get_value() != mine {
                    return;
                }
                match api::speech_fit(&body).await {
                    Ok(answer) if generation.get_value() == mine => {
                        self.speech_fit.set(answer.lines);
                    }
                    // Not deployed here, or something else answers that path:
                    // stop asking rather than fail on every keystroke.
                    Err(api::ApiError::Http { .. }) => available.set_value(false),
                    Err(err) if matches!(err.status(), Some(404 | 405 | 501)) => {
                        available.set_value(false);
                    }
                    // A stale answer, or a passing failure: the next edit asks again.
                    _ => {}
                }
            });
        });
    }

    /// Problems at `field`, errors first.
    pub fn problems_at(self, field: Field) -> Vec<PlacedProblem> {
        let mut here: Vec<_> = self
            .problems
            .with(|all| all.iter().filter(|p| p.field == field).cloned().collect());
        here.sort_by_key(|p| !p.problem.is_error());
        here
    }

    pub fn has_error_at(self, field: Field) -> bool {
        self.problems
            .with(|all| all.iter().any(|p| p.field == field && p.problem.is_error()))
    }

    /// The speech-fit answer for `language`, if the server gave one.
    pub fn fit_of(self, language: Language) -> Option<SpeechFitLine> {
        self.speech_fit
            .with(|lines| lines.iter().find(|l| l.language == language).cloned())
    }

    /// Records that the person has left `field`, so its problems show.
    pub fn touch(self, field: Field) {
        if !self.touched.with_untracked(|t| t.contains(&field)) {
            self.touched.update(|t| t.push(field));
        }
    }

    pub fn update(self, change: impl FnOnce(&mut Composition)) {
        self.comp.update(change);
    }
}

pub fn use_compose() -> ComposeState {
    expect_context::<ComposeState>()
}

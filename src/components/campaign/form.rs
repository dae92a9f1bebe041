//! The New campaign page's state: the form as typed (kept in localStorage),
//! the sheet parsed in the browser on every keystroke and kept inside the
//! campaign spec it belongs to (so nothing copies its rows as the person
//! types), the expansion recomputed from it, and each distinct line's
//! speech measured once by the server after typing stops.

use std::collections::{BTreeMap, BTreeSet};

use chorus_core::api::SpeechFitRequest;
use chorus_core::campaign::{
    CampaignSpec, Expansion, MeasuredFit, Sheet, SheetProblem, expand,
};
use chorus_core::{DialogueLine, Language, ModelSpec, registry};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::campaign_draft::SavedDraft;

/// Versioned so a future incompatible shape starts fresh instead of failing.
const STORAGE_KEY: &str = "chorus.campaign-draft.v1";
/// Typing pauses this long before lines are sent to be measured.
const FIT_PAUSE_MS: u64 = 400;
/// The draft is saved this long after the last change.
const SAVE_PAUSE_MS: u64 = 300;
/// The server measures at most this many lines per request.
const FIT_BATCH: usize = 16;

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn load() -> Option<SavedDraft> {
    let raw = local_storage()?.get_item(STORAGE_KEY).ok().flatten()?;
    serde_json::from_str(&raw).ok()
}

/// Storage failures (private mode, quota) are not worth interrupting
/// anyone for: the form works without them.
fn save(draft: &SavedDraft) {
    if let (Some(storage), Ok(json)) = (local_storage(), serde_json::to_string(draft)) {
        let _ = storage.set_item(STORAGE_KEY, &json);
    }
}

fn forget() {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(STORAGE_KEY);
    }
}

/// A fresh random key (`crypto.randomUUID()`), or one made from the clock
/// and `Math.random` where the browser has no such function.
pub fn new_key() -> String {
    let uuid = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"crypto".into()).ok())
        .and_then(|crypto| {
            let f = js_sys::Reflect::get(&crypto, &"randomUUID".into()).ok()?;
            let f: js_sys::Function = wasm_bindgen::JsCast::dyn_into(f).ok()?;
            f.call0(&crypto).ok()?.as_string()
        });
    uuid.unwrap_or_else(|| {
        // Integer-valued doubles far below 2^53; the casts drop nothing.
        let (now, noise) = (
            js_sys::Date::now() as u64,
            (js_sys::Math::random() * 1e15) as u64,
        );
        format!("campaign-{now:x}-{noise:x}")
    })
}

/// Everything the page's pieces share, in context.
#[derive(Clone, Copy)]
pub struct CampaignForm {
    /// The form's fields (everything but the sheet's text).
    pub draft: RwSignal<SavedDraft>,
    /// The sheet as pasted or read from a file.
    pub sheet_text: RwSignal<String>,
    /// Why the sheet's text could not be read as a sheet at all.
    pub sheet_errors: RwSignal<Vec<SheetProblem>>,
    /// The campaign as the form stands, the parsed sheet inside it.
    pub spec: RwSignal<CampaignSpec>,
    pub models: RwSignal<Vec<ModelSpec>>,
    /// Seconds each (language, line) takes to say, kept across keystrokes.
    pub measured: RwSignal<MeasuredFit>,
    /// Lines sent to be measured and not answered yet.
    pub measuring: RwSignal<usize>,
    pub fit_error: RwSignal<Option<String>>,
    pub images: Memo<BTreeMap<String, String>>,
    pub expansion: Memo<Expansion>,
}

impl CampaignForm {
    pub fn new() -> Self {
        let mut saved = load().unwrap_or_default();
        let sheet_text = RwSignal::new(std::mem::take(&mut saved.sheet_text));
        let sheet_errors = RwSignal::new(Vec::new());
        let spec = RwSignal::new(saved.to_spec(Sheet::default()));
        let draft = RwSignal::new(saved);
        let models = RwSignal::new(registry());
        let measured = RwSignal::new(MeasuredFit::new());
        let measuring = RwSignal::new(0_usize);
        let fit_error = RwSignal::new(None);
        spawn_local(async move {
            if let Ok(list) = api::models().await {
                models.set(list);
            }
        });

        // The settings into the spec; its sheet stays where it is.
        Effect::new(move |_| {
            draft.with(|d| {
                spec.update(|s| {
                    let sheet = std::mem::take(&mut s.sheet);
                    *s = d.to_spec(sheet);
                });
            });
        });
        // The sheet's text parsed on every change (and only then).
        Effect::new(move |_| {
            let parsed = sheet_text.with(|text| {
                if text.trim().is_empty() {
                    Ok(Sheet::default())
                } else {
                    Sheet::parse(text.as_bytes())
                }
            });
            let (sheet, errors) = match parsed {
                Ok(sheet) => (sheet, Vec::new()),
                Err(errors) => (Sheet::default(), errors),
            };
            sheet_errors.set(errors);
            spec.update(|s| s.sheet = sheet);
        });

        let images = Memo::new(move |_| {
            draft.with(|d| {
                d.images
                    .iter()
                    .map(|i| (i.name.clone(), i.id.clone()))
                    .collect::<BTreeMap<_, _>>()
            })
        });
        // Always "changed": comparing a thousand variants to the last
        // expansion costs as much as drawing the few on screen.
        let expansion = Memo::new_with_compare(
            move |_| {
                let models = models.read();
                let fit = measured.read();
                let images = images.read();
                spec.with(|s| expand(s, &models, &images, &*fit))
            },
            |_, _| true,
        );

        let form = CampaignForm {
            draft,
            sheet_text,
            sheet_errors,
            spec,
            models,
            measured,
            measuring,
            fit_error,
            images,
            expansion,
        };
        form.save_after_pause();
        form.measure_after_pause();
        form
    }

    fn save_after_pause(self) {
        let pending = StoredValue::new_local(None::<TimeoutHandle>);
        Effect::new(move |_| {
            self.draft.track();
            self.sheet_text.track();
            if let Some(h) = pending.get_value() {
                h.clear();
            }
            let handle = set_timeout_with_handle(
                move || {
                    let Some(mut d) = self.draft.try_get_untracked() else {
                        return;
                    };
                    d.sheet_text = self.sheet_text.get_untracked();
                    save(&d);
                },
                std::time::Duration::from_millis(SAVE_PAUSE_MS),
            );
            pending.set_value(handle.ok());
        });
    }

    /// After typing stops, the lines not measured yet go to the server,
    /// each (language, text) once however many variants say it.
    fn measure_after_pause(self) {
        let pending = StoredValue::new_local(None::<TimeoutHandle>);
        let asked = StoredValue::new_local(BTreeSet::<(Language, String)>::new());
        Effect::new(move |_| {
            self.expansion.track();
            if let Some(h) = pending.get_value() {
                h.clear();
            }
            let handle = set_timeout_with_handle(
                move || {
                    let Some(lines) = self.expansion.try_with_untracked(Expansion::lines_to_measure)
                    else {
                        return;
                    };
                    let duration_s = self.spec.with_untracked(|s| s.template.duration_s);
                    let fresh: Vec<(Language, String)> = asked
                        .try_update_value(|asked| {
                            lines
                                .into_iter()
                                .filter(|l| !l.1.trim().is_empty() && asked.insert(l.clone()))
                                .collect()
                        })
                        .unwrap_or_default();
                    for batch in fresh.chunks(FIT_BATCH) {
                        self.measure(batch.to_vec(), duration_s, asked);
                    }
                },
                std::time::Duration::from_millis(FIT_PAUSE_MS),
            );
            pending.set_value(handle.ok());
        });
    }

    fn measure(
        self,
        batch: Vec<(Language, String)>,
        duration_s: u32,
        asked: StoredValue<BTreeSet<(Language, String)>, LocalStorage>,
    ) {
        self.measuring.update(|n| *n += batch.len());
        spawn_local(async move {
            let request = SpeechFitRequest {
                dialogue: batch
                    .iter()
                    .map(|(language, text)| DialogueLine::new(*language, text.clone()))
                    .collect(),
                duration_s: duration_s.max(1),
            };
            let answer = api::speech_fit(&request).await;
            let _ = self.measuring.try_update(|n| *n = n.saturating_sub(batch.len()));
            match answer {
                // Blank lines are skipped by the server and never sent, so
                // the answers are the lines sent, in order.
                Ok(fit) if fit.lines.len() == batch.len() => {
                    let _ = self.fit_error.try_set(None);
                    let _ = self.measured.try_update(|m| {
                        for ((language, text), line) in batch.into_iter().zip(fit.lines) {
                            m.insert(language, text, line.seconds);
                        }
                    });
                }
                other => {
                    let why = match other {
                        Err(e) => e.message(),
                        Ok(_) => "the server measured a different number of lines".into(),
                    };
                    let _ = self.fit_error.try_set(Some(format!(
                        "Speech fit could not be measured here ({why}); the server measures every line again when the campaign is sent"
                    )));
                    // Asked again after the next change.
                    asked.try_update_value(|asked| {
                        for line in &batch {
                            asked.remove(line);
                        }
                    });
                }
            }
        });
    }

    /// Changes the form's fields.
    pub fn update(self, change: impl FnOnce(&mut SavedDraft)) {
        self.draft.update(change);
    }

    /// The submit key, made now if the form has none yet.
    pub fn key(self) -> String {
        let existing = self.draft.with_untracked(|d| d.key.clone());
        if !existing.is_empty() {
            return existing;
        }
        let key = new_key();
        self.draft.update(|d| d.key.clone_from(&key));
        // Saved at once: a reload right after clicking must keep it.
        let mut d = self.draft.get_untracked();
        d.sheet_text = self.sheet_text.get_untracked();
        save(&d);
        key
    }

    /// The campaign was sent: the next one starts from an empty form.
    pub fn sent() {
        forget();
    }
}

pub fn use_campaign_form() -> CampaignForm {
    expect_context::<CampaignForm>()
}

//! Checking a request against what a model accepts. One function finds every
//! problem at once, each tied to the field it concerns, worded for the person
//! composing rather than for a developer. The browser runs it on every
//! keystroke and the server runs it again before a job is created.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::model::{self, AudioSupport};
use crate::request::{MAX_SEED, character_token};
use crate::{GenerationRequest, Mode, ModelSpec};

/// How serious a problem is: errors block generation, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One thing wrong with a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// Path of the field in the request, e.g. `duration_s`, `dialogue[1].text`.
    pub field: String,
    pub message: String,
    pub severity: Severity,
}

impl Problem {
    pub fn error(field: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            field: field.into(),
            message: message.into(),
            severity: Severity::Error,
        }
    }

    pub fn warning(field: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            field: field.into(),
            message: message.into(),
            severity: Severity::Warning,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// True when none of `problems` blocks generation.
pub fn is_acceptable(problems: &[Problem]) -> bool {
    !problems.iter().any(Problem::is_error)
}

/// Checks `request` against the model it names in `models`.
pub fn check_with_registry(request: &GenerationRequest, models: &[ModelSpec]) -> Vec<Problem> {
    match model::find(models, &request.model) {
        Some(spec) => check_request(request, spec),
        None => vec![Problem::error(
            "model",
            format!(
                "There is no model called \"{}\"; pick one from the list",
                request.model
            ),
        )],
    }
}

/// Every problem with `request` on `model`, errors and warnings, in the order
/// the fields appear on the Compose page.
pub fn check_request(request: &GenerationRequest, model: &ModelSpec) -> Vec<Problem> {
    let mut out = Vec::new();
    let name = &model.name;

    if !model.available {
        let why = model
            .unavailable_reason
            .clone()
            .unwrap_or_else(|| "it is not set up on this server".into());
        out.push(Problem::error(
            "model",
            format!("{} can't be used right now: {why}", model.full_name()),
        ));
    }

    if !model.modes.contains(&request.mode) {
        out.push(Problem::error(
            "mode",
            format!("{name} can't do {}", request.mode.label().to_lowercase()),
        ));
    }

    check_prompt(request, model, &mut out);
    check_references(request, model, &mut out);
    check_dialogue(request, model, &mut out);

    let (min, max) = (model.min_duration_s, model.max_duration_s);
    if request.duration_s > max {
        out.push(Problem::error(
            "duration_s",
            format!(
                "Duration {} s is longer than {name} allows ({min}–{max} s)",
                request.duration_s
            ),
        ));
    } else if request.duration_s < min {
        out.push(Problem::error(
            "duration_s",
            format!(
                "Duration {} s is shorter than {name} allows ({min}–{max} s)",
                request.duration_s
            ),
        ));
    }

    if !model.resolutions.contains(&request.resolution) {
        out.push(Problem::error(
            "resolution",
            format!(
                "{name} doesn't render {}; choose {}",
                request.resolution,
                list(&model.resolutions)
            ),
        ));
    }
    if !model.aspect_ratios.contains(&request.aspect_ratio) {
        out.push(Problem::error(
            "aspect_ratio",
            format!(
                "{name} doesn't offer {}; choose {}",
                request.aspect_ratio,
                list(&model.aspect_ratios)
            ),
        ));
    }

    match (model.audio, request.audio) {
        (AudioSupport::Always, false) => out.push(Problem::error(
            "audio",
            format!(
                "{name} always generates sound and has no switch to turn it off; turn Audio on"
            ),
        )),
        (AudioSupport::Never, true) => out.push(Problem::error(
            "audio",
            format!("{name} makes silent video; turn Audio off"),
        )),
        _ => {}
    }

    if let Some(seed) = request.seed
        && !(0..=MAX_SEED).contains(&seed)
    {
        out.push(Problem::error(
            "seed",
            format!("Seed {seed} is out of range; use a whole number from 0 to {MAX_SEED}"),
        ));
    }

    if let Some(fps) = request.fps
        && !model.frame_rates.contains(&fps)
    {
        out.push(Problem::error(
            "fps",
            format!(
                "{name} doesn't render at {fps} fps; choose {}",
                join_numbers(&model.frame_rates, " fps")
            ),
        ));
    }

    out
}

fn check_prompt(request: &GenerationRequest, model: &ModelSpec, out: &mut Vec<Problem>) {
    let max = model.max_prompt_chars as usize;
    let chars = request.prompt.chars().count();
    if request.prompt.trim().is_empty() {
        out.push(Problem::error("prompt", "Describe the scene in the prompt"));
    } else if chars > max {
        out.push(Problem::error(
            "prompt",
            format!(
                "Prompt is {} characters; {} takes at most {} (remove {})",
                thousands(chars),
                model.name,
                thousands(max),
                thousands(chars - max)
            ),
        ));
    }

    let negative = request.negative_prompt.chars().count();
    if negative > 0 && !model.negative_prompt {
        out.push(Problem::warning(
            "negative_prompt",
            format!("{} ignores the negative prompt", model.name),
        ));
    } else if negative > max {
        out.push(Problem::error(
            "negative_prompt",
            format!(
                "Negative prompt is {} characters; the limit is {}",
                thousands(negative),
                thousands(max)
            ),
        ));
    }

    if request.mode == Mode::ReferenceToVideo {
        let attached = request.references.len();
        for n in mentioned_characters(&request.prompt) {
            if n > attached {
                out.push(Problem::warning(
                    "prompt",
                    format!(
                        "The prompt mentions character{n}, but only {attached} reference{} attached",
                        if attached == 1 { " is" } else { "s are" }
                    ),
                ));
            }
        }
    }
}

fn check_references(request: &GenerationRequest, model: &ModelSpec, out: &mut Vec<Problem>) {
    let count = request.references.len();
    match request.mode {
        Mode::TextToVideo if count > 0 => out.push(Problem::error(
            "references",
            "Text to video uses no images: remove them, or switch to image or reference to video",
        )),
        Mode::ImageToVideo if count != 1 => out.push(Problem::error(
            "references",
            format!("Image to video needs exactly one start image (you have {count})"),
        )),
        Mode::ReferenceToVideo if count == 0 || count > model.max_references as usize => {
            out.push(Problem::error(
                "references",
                format!(
                    "Reference to video takes 1–{} reference images (you have {count})",
                    model.max_references
                ),
            ));
        }
        _ => {}
    }
    let mut seen = HashSet::new();
    for (i, id) in request.references.iter().enumerate() {
        if id.trim().is_empty() {
            out.push(Problem::error(
                format!("references[{i}]"),
                "This reference has no image",
            ));
        } else if !seen.insert(id) {
            out.push(Problem::warning(
                format!("references[{i}]"),
                format!(
                    "{} is the same image as an earlier reference",
                    character_token(i)
                ),
            ));
        }
    }
}

fn check_dialogue(request: &GenerationRequest, model: &ModelSpec, out: &mut Vec<Problem>) {
    if !request.audio && !request.dialogue.is_empty() {
        out.push(Problem::error(
            "dialogue",
            "Audio is off, so nobody can speak these lines: turn Audio on or remove the languages",
        ));
    }
    let mut seen = HashSet::new();
    for (i, line) in request.dialogue.iter().enumerate() {
        let lang = line.language;
        if !seen.insert(lang) {
            out.push(Problem::error(
                format!("dialogue[{i}].language"),
                format!("{lang} is chosen twice; keep one line per language"),
            ));
        }
        if !model.languages.contains(&lang) {
            out.push(Problem::error(
                format!("dialogue[{i}].language"),
                format!("{} doesn't speak {lang}", model.name),
            ));
        }
        if line.text.trim().is_empty() {
            out.push(Problem::error(
                format!("dialogue[{i}].text"),
                format!("Write the {lang} line, or remove {lang}"),
            ));
        }
    }
}

/// Numbers N of `characterN` tokens in `prompt`, ascending, without repeats.
pub fn mentioned_characters(prompt: &str) -> Vec<usize> {
    let mut found: Vec<usize> = Vec::new();
    let mut rest = prompt;
    while let Some(pos) = rest.find("character") {
        let after = &rest[pos + "character".len()..];
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse::<usize>()
            && n > 0
            && !found.contains(&n)
        {
            found.push(n);
        }
        rest = after;
    }
    found.sort_unstable();
    found
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    let words: Vec<String> = items.iter().map(ToString::to_string).collect();
    match words.as_slice() {
        [] => "nothing".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn join_numbers(items: &[u32], unit: &str) -> String {
    let words: Vec<String> = items.iter().map(|n| format!("{n}{unit}")).collect();
    list(&words)
}

/// 2613 → "2,613".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests;

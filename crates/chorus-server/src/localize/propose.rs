//! Proposing a line in other languages: each asked of its engine with the
//! glossary's terms, measured with the draft voice, asked again shorter
//! (with the time it must fit in) up to `MAX_FIT_TRIES` times, then put
//! back into the source language so a person can check its meaning.

use chorus_core::api::SpeechFitLine;
use chorus_core::localize::{
    Glossary, MAX_FIT_TRIES, ProposedLine, TranslateRequest, TranslateResponse,
};
use chorus_core::{DialogueLine, Language};
use chorus_providers::translate::{self as engine, FitHint, Translator};

use super::Translation;

/// Every target of `request`, asked at once.
pub async fn propose_all(
    translation: &Translation,
    glossary: &Glossary,
    request: &TranslateRequest,
) -> TranslateResponse {
    let asks = request.targets.iter().map(|&target| async move {
        match translation.pick(request.source.language, target) {
            Some(engine) => {
                propose(
                    engine.as_ref(),
                    glossary,
                    &request.source,
                    target,
                    request.duration_s,
                )
                .await
            }
            None => failed(
                target,
                None,
                format!(
                    "No translation engine set up here translates {} into {}",
                    request.source.language.display_name(),
                    target.display_name()
                ),
            ),
        }
    });
    let lines: Vec<ProposedLine> = futures_util::future::join_all(asks).await;
    let cost_usd_micros = lines.iter().map(|l| l.cost_usd_micros).sum();
    TranslateResponse {
        lines,
        cost_usd_micros,
    }
}

/// One language: the first proposal that fits, else the shortest tried.
async fn propose(
    engine: &dyn Translator,
    glossary: &Glossary,
    source: &DialogueLine,
    target: Language,
    duration_s: u32,
) -> ProposedLine {
    let terms = glossary.pairs_for(source.language, &source.text, target);
    let mut cost = 0;
    let mut tries = 0;
    let mut best: Option<(String, SpeechFitLine)> = None;
    let mut fit = None;
    let mut last_error = None;
    while tries < MAX_FIT_TRIES {
        tries += 1;
        let ask = engine::TranslateRequest {
            text: source.text.clone(),
            source: source.language,
            target,
            terms: terms.clone(),
            fit: fit.take(),
        };
        let answer = match engine.translate(&ask).await {
            Ok(answer) => answer,
            Err(e) => {
                last_error = Some(e.message);
                break;
            }
        };
        cost += u64::try_from(answer.cost_usd_micros).unwrap_or(0);
        let measured = match measure(target, &answer.text, duration_s).await {
            Ok(measured) => measured,
            Err(why) => {
                last_error = Some(why);
                break;
            }
        };
        let fits = measured.fits;
        let needed = f64::from(measured.seconds);
        let shorter = best
            .as_ref()
            .is_none_or(|(_, b)| measured.seconds < b.seconds);
        if fits || shorter {
            best = Some((answer.text, measured));
        }
        if fits {
            break;
        }
        fit = Some(FitHint {
            seconds: f64::from(duration_s),
            needed_seconds: needed,
        });
    }
    let Some((text, measured)) = best else {
        let why = last_error.unwrap_or_else(|| "the engine gave no translation".into());
        let mut line = failed(target, Some(engine), why);
        line.cost_usd_micros = cost;
        line.tries = tries;
        return line;
    };
    let back = engine::TranslateRequest {
        text: text.clone(),
        source: target,
        target: source.language,
        terms: Vec::new(),
        fit: None,
    };
    let (back_translation, back_error) = match engine.translate(&back).await {
        Ok(answer) => {
            cost += u64::try_from(answer.cost_usd_micros).unwrap_or(0);
            (Some(answer.text), None)
        }
        Err(e) => (None, Some(format!("No back-translation: {}", e.message))),
    };
    let dropped_terms = glossary.dropped(source.language, &source.text, target, &text);
    let note = [
        measured
            .message
            .filter(|_| !measured.unpronounceable.is_empty()),
        back_error,
        last_error.map(|e| format!("A shorter version was not given: {e}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>();
    ProposedLine {
        language: target,
        text,
        engine: engine.id().to_string(),
        engine_name: engine.name().to_string(),
        back_translation,
        seconds: measured.seconds,
        fits: measured.fits,
        tries,
        dropped_terms,
        cost_usd_micros: cost,
        error: None,
        note: (!note.is_empty()).then(|| note.join("; ")),
    }
}

fn failed(target: Language, engine: Option<&dyn Translator>, why: String) -> ProposedLine {
    ProposedLine {
        language: target,
        text: String::new(),
        engine: engine.map_or_else(String::new, |e| e.id().to_string()),
        engine_name: engine.map_or_else(String::new, |e| e.name().to_string()),
        back_translation: None,
        seconds: 0.0,
        fits: false,
        tries: 0,
        dropped_terms: Vec::new(),
        cost_usd_micros: 0,
        error: Some(why),
        note: None,
    }
}

/// How long the draft voice takes to say `text`.
async fn measure(language: Language, text: &str, duration_s: u32) -> Result<SpeechFitLine, String> {
    crate::speech_fit::measure(vec![DialogueLine::new(language, text)], duration_s)
        .await
        .map_err(|e| format!("the speech check failed: {e:#}"))?
        .pop()
        .ok_or_else(|| "the engine answered an empty line".to_string())
}

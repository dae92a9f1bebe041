//! DeepL's text API: `POST /v2/translate` with `DeepL-Auth-Key <key>` and a
//! JSON body (`text` as a list, `source_lang`, `target_lang`, optional
//! `glossary_id` and `context`); the answer is
//! `{"translations":[{"detected_source_language","text"}]}`. 403 is a bad
//! key, 429 too many requests (retried, `Retry-After` honoured), 456 the
//! account's quota (Free plan) or cost-control limit (Pro) used up, 5xx
//! retried. Keys ending in `:fx` belong to the Free plan, served from
//! `api-free.deepl.com`; others from `api.deepl.com`.
//!
//! Terms: DeepL's own mechanism is a glossary, created ahead with
//! `POST /v2/glossaries` (`name`, `source_lang`, `target_lang`, `entries`
//! as TSV, `entries_format: "tsv"`) and named by `glossary_id` in the
//! translate call, which then must carry `source_lang`. DeepL flexes
//! glossary entries for case and gender, which wrapping terms in ignored
//! tags would not. Glossaries cannot be edited, so one is created per
//! (source, target, term set) the first time it is needed and its id kept
//! in memory; none is ever deleted (an account holds up to 1000). If DeepL
//! no longer knows a kept id (404), it is created again once.
//!
//! Length: DeepL cannot be told a length. Its `context` parameter only
//! gives surrounding text that influences the translation without being
//! translated (and is not billed); DeepL says it is not for instructions.
//! With a fit hint, the context says the line is short voice-over and how
//! many seconds it has; checking the spoken length stays with the caller.
//!
//! Docs read 2026-12-07: <https://developers.deepl.com/api-reference>
//! (translate), <https://developers.deepl.com/docs/best-practices/working-with-context>,
//! <https://developers.deepl.com/docs/v/ru/api-reference/glossaries> and
//! <https://developers.deepl.com/api-reference/glossaries/create-a-glossary.md>,
//! <https://developers.deepl.com/docs/best-practices/error-handling>.

use std::collections::HashMap;
use std::sync::Mutex;

use chorus_core::Language;
use serde_json::{Value, json};

use super::{
    TermPair, TranslateError, TranslateErrorKind, TranslateRequest, Translation, Translator, Wire,
    clean_terms, default_retry, micros,
};
use crate::http::{Answer, Api, AuthScheme, CallKind, ClientConfig, provider_message};
use crate::provider::BoxFuture;
use crate::secret::Secret;

pub const ID: &str = "deepl";
pub const NAME: &str = "DeepL";
pub const TRANSLATE_PATH: &str = "/v2/translate";
pub const GLOSSARIES_PATH: &str = "/v2/glossaries";
/// Where Free-plan keys (ending in `:fx`) are served.
pub const FREE_BASE_URL: &str = "https://api-free.deepl.com";

/// DeepL API Pro, keyed by `DEEPL_API_KEY`.
pub const API: Api = Api {
    provider: ID,
    base_url: "https://api.deepl.com",
    key_var: "DEEPL_API_KEY",
    scheme: AuthScheme::DeepL,
};

/// DeepL API Pro's usage price in millionths of a US dollar per billed
/// character: US$25 per million characters, read 2026-12-07 (DeepL's help
/// centre, <https://support.deepl.com/hc/en-us/articles/360020685720>,
/// bills "the exact number of characters" of the source text and gives
/// €0.00002 a character in euros; the US$25 list price as reported at
/// <https://chatscontrol.com/blog/deepl-api-pricing-plans-limits-2026>).
/// The monthly base fee is not counted per call. The Free plan translates
/// 500,000 characters a month at no charge (then answers 456), so a
/// Free-plan call is estimated at 0.
pub const PRO_PRICE_PER_CHAR: f64 = 25.0;

/// Whether `key` is a Free-plan key.
pub fn is_free_key(key: &str) -> bool {
    key.trim().ends_with(":fx")
}

/// `key` at the address its plan is served from, with translation retries.
pub fn config_for(key: Secret) -> ClientConfig {
    let free = is_free_key(key.expose());
    let mut config = ClientConfig::new(&API, key);
    if free {
        config.base_url = FREE_BASE_URL.into();
    }
    config.retry = default_retry();
    config
}

/// DeepL's `source_lang`; none for Cantonese, which DeepL does not offer.
pub fn source_code(language: Language) -> Option<&'static str> {
    Some(match language {
        Language::English => "EN",
        Language::Mandarin => "ZH",
        Language::Japanese => "JA",
        Language::Korean => "KO",
        Language::German => "DE",
        Language::French => "FR",
        Language::Cantonese => return None,
    })
}

/// DeepL's `target_lang` (English and Chinese need a variant).
pub fn target_code(language: Language) -> Option<&'static str> {
    match language {
        Language::English => Some("EN-US"),
        Language::Mandarin => Some("ZH-HANS"),
        other => source_code(other),
    }
}

/// A glossary's language: the base code in lower case (`zh` serves
/// `ZH-HANS`, `en` serves `EN-US`).
pub fn glossary_code(language: Language) -> Option<String> {
    source_code(language).map(str::to_lowercase)
}

/// The context sent with every line; with a fit hint, the seconds it has.
pub fn context_for(request: &TranslateRequest) -> String {
    match request.fit {
        None => "A line of advertising voice-over for a short video.".into(),
        Some(fit) => format!(
            "A short line of advertising voice-over for a short video, spoken within {:.1} seconds.",
            fit.seconds
        ),
    }
}

/// The glossary entries as TSV, one `source<TAB>target` a line.
pub fn entries_tsv(terms: &[TermPair]) -> String {
    terms
        .iter()
        .map(|t| format!("{}\t{}", t.source, t.target))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The translate body for `request`, naming `glossary_id` when given.
pub fn body_for(request: &TranslateRequest, glossary_id: Option<&str>) -> Value {
    let mut body = json!({
        "text": [request.text],
        "source_lang": source_code(request.source),
        "target_lang": target_code(request.target),
        "context": context_for(request),
        "show_billed_characters": true,
    });
    if let Some(id) = glossary_id {
        body["glossary_id"] = json!(id);
    }
    body
}

/// The DeepL engine.
#[derive(Debug)]
pub struct DeepL {
    wire: Wire,
    free_plan: bool,
    /// Glossary ids by language pair and entries.
    glossaries: Mutex<HashMap<String, String>>,
}

impl DeepL {
    /// The engine as `config` says (see `config_for` for the plan's
    /// address).
    pub fn new(config: ClientConfig) -> Result<Self, TranslateError> {
        let free_plan = is_free_key(config.key.expose());
        Ok(DeepL {
            wire: Wire::new(&API, NAME, config)?,
            free_plan,
            glossaries: Mutex::new(HashMap::new()),
        })
    }

    fn cached(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.glossaries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The id of a glossary holding `terms` for the request's pair,
    /// created at DeepL the first time.
    async fn glossary(
        &self,
        request: &TranslateRequest,
        terms: &[TermPair],
    ) -> Result<(String, String), TranslateError> {
        let (Some(source), Some(target)) =
            (glossary_code(request.source), glossary_code(request.target))
        else {
            return Err(self.wire.voice.unsupported(request.source, request.target));
        };
        let entries = entries_tsv(terms);
        let key = format!("{source}>{target}\n{entries}");
        if let Some(id) = self.cached().get(&key) {
            return Ok((key, id.clone()));
        }
        let body = json!({
            "name": format!("Chorus terms {source}>{target}"),
            "source_lang": source,
            "target_lang": target,
            "entries": entries,
            "entries_format": "tsv",
        });
        // Not repeated after a timeout: that could leave a second glossary.
        let answer = self
            .wire
            .post(CallKind::Submit, GLOSSARIES_PATH, &body)
            .await?;
        if !(200..300).contains(&answer.status) {
            return Err(self.not_ok(&answer, "the glossary for this line's terms"));
        }
        let json = self.wire.json(&answer, "glossary")?;
        let id = json
            .get("glossary_id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                self.wire
                    .voice
                    .bad_answer("a new glossary without glossary_id")
            })?
            .to_string();
        self.cached().insert(key.clone(), id.clone());
        Ok((key, id))
    }

    /// A final answer other than 2xx.
    fn not_ok(&self, answer: &Answer, what: &str) -> TranslateError {
        match answer.status {
            456 => self.wire.voice.quota("456: quota exceeded"),
            401 | 403 => self.wire.voice.auth(answer.status),
            400 | 404 | 413 | 422 => TranslateError::new(
                TranslateErrorKind::Unsupported,
                format!(
                    "{NAME} refused {what} (HTTP {}: {}); edit the line or its terms, or pick another engine",
                    answer.status,
                    provider_message(&answer.body)
                ),
            ),
            _ => self.wire.voice.refused(answer),
        }
    }

    async fn send_translate(
        &self,
        request: &TranslateRequest,
        glossary_id: Option<&str>,
    ) -> Result<Answer, TranslateError> {
        let body = body_for(request, glossary_id);
        self.wire.post(CallKind::Safe, TRANSLATE_PATH, &body).await
    }

    fn read(
        &self,
        answer: &Answer,
        request: &TranslateRequest,
    ) -> Result<Translation, TranslateError> {
        let json = self.wire.json(answer, "translation")?;
        let first = json.pointer("/translations/0");
        let text = first
            .and_then(|t| t.get("text"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.wire.voice.bad_answer("no translations[0].text"))?;
        let billed = first
            .and_then(|t| t.get("billed_characters"))
            .and_then(Value::as_i64)
            .unwrap_or_else(|| request.text.chars().count() as i64);
        let cost = if self.free_plan {
            0
        } else {
            micros(billed as f64 * PRO_PRICE_PER_CHAR)
        };
        Ok(Translation {
            text: text.to_string(),
            engine: ID,
            cost_usd_micros: cost,
        })
    }

    async fn run(&self, request: &TranslateRequest) -> Result<Translation, TranslateError> {
        if !self.supports(request.source, request.target) {
            return Err(self.wire.voice.unsupported(request.source, request.target));
        }
        let terms = clean_terms(&request.terms);
        let glossary = if terms.is_empty() {
            None
        } else {
            Some(self.glossary(request, &terms).await?)
        };
        let mut answer = self
            .send_translate(request, glossary.as_ref().map(|(_, id)| id.as_str()))
            .await?;
        if let (404, Some((key, _))) = (answer.status, &glossary) {
            // The kept glossary is gone at DeepL: make it again, once.
            self.cached().remove(key);
            let (_, id) = self.glossary(request, &terms).await?;
            answer = self.send_translate(request, Some(&id)).await?;
        }
        if !(200..300).contains(&answer.status) {
            return Err(self.not_ok(&answer, "this line"));
        }
        self.read(&answer, request)
    }
}

impl Translator for DeepL {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        NAME
    }

    /// Chorus's languages except Cantonese, which DeepL offers neither as
    /// source nor as target.
    fn supports(&self, source: Language, target: Language) -> bool {
        source != target && source_code(source).is_some() && target_code(target).is_some()
    }

    fn translate<'a>(
        &'a self,
        request: &'a TranslateRequest,
    ) -> BoxFuture<'a, Result<Translation, TranslateError>> {
        Box::pin(self.run(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::FitHint;

    #[test]
    fn free_keys_go_to_the_free_address() {
        assert_eq!(
            config_for(Secret::new("abc:fx")).base_url,
            "https://api-free.deepl.com"
        );
        assert_eq!(
            config_for(Secret::new("abc")).base_url,
            "https://api.deepl.com"
        );
    }

    #[test]
    fn codes_and_context() {
        assert_eq!(target_code(Language::Mandarin), Some("ZH-HANS"));
        assert_eq!(target_code(Language::English), Some("EN-US"));
        assert_eq!(source_code(Language::Cantonese), None);
        assert_eq!(glossary_code(Language::Mandarin).as_deref(), Some("zh"));
        let request = TranslateRequest {
            text: "Hi".into(),
            source: Language::English,
            target: Language::German,
            terms: Vec::new(),
            fit: Some(FitHint {
                seconds: 2.0,
                needed_seconds: 3.0,
            }),
        };
        let body = body_for(&request, Some("g-1"));
        assert_eq!(body["text"], json!(["Hi"]));
        assert_eq!(body["glossary_id"], "g-1");
        assert!(
            body["context"]
                .as_str()
                .is_some_and(|c| c.contains("2.0 seconds"))
        );
    }
}

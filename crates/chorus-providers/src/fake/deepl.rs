//! A fake of DeepL's text API: `POST /v2/translate` and
//! `POST /v2/glossaries` (JSON bodies), checked as DeepL does:
//! `Authorization: DeepL-Auth-Key <KEY or FREE_KEY>` (else 403), `text` a
//! non-empty list, known `target_lang` (`EN` alone refused for a variant)
//! and `source_lang` codes, a `glossary_id` only with `source_lang` and of
//! the same language pair (an unknown one: 404). Errors come as
//! `{"message": …}`. A `context` that mentions "seconds" gets the short
//! translation. Glossary entries (TSV) are applied as terms. With
//! `show_billed_characters`, each translation reports the characters of
//! its source text.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chorus_core::Language;
use serde_json::{Value, json};

use super::translation::{self as shared, Book, Scripted, Shared};

/// A Pro-plan key.
pub const KEY: &str = "deepl-test-key";
/// A Free-plan key (ends in `:fx`).
pub const FREE_KEY: &str = "deepl-test-key:fx";
pub const TRANSLATE: &str = "/v2/translate";
pub const GLOSSARIES: &str = "/v2/glossaries";

/// A created glossary: its language pair and entries.
#[derive(Debug, Clone)]
struct Glossary {
    source: String,
    target: String,
    entries: Vec<(String, String)>,
}

/// The glossaries DeepL holds, and how many were ever made.
#[derive(Debug, Default)]
struct Glossaries {
    made: u32,
    by_id: HashMap<String, Glossary>,
}

#[derive(Clone)]
struct Fake {
    shared: Shared,
    glossaries: Arc<Mutex<Glossaries>>,
}

/// The running fake; scripted through `Scripted` (`phrase`, `drop_term`,
/// `timeout`, `status`, `malformed`, `retry_after`).
#[derive(Debug, Clone)]
pub struct FakeDeepL {
    scripted: Scripted,
    glossaries: Arc<Mutex<Glossaries>>,
}

impl std::ops::Deref for FakeDeepL {
    type Target = Scripted;
    fn deref(&self) -> &Scripted {
        &self.scripted
    }
}

impl FakeDeepL {
    /// Starts the fake on a random loopback port.
    pub async fn start() -> FakeDeepL {
        let shared: Shared = Arc::new(Mutex::new(Book::default()));
        let glossaries = Arc::new(Mutex::new(Glossaries::default()));
        let app = Router::new()
            .route(TRANSLATE, post(translate))
            .route(GLOSSARIES, post(create_glossary))
            .with_state(Fake {
                shared: shared.clone(),
                glossaries: glossaries.clone(),
            });
        let base = super::listen(app).await;
        FakeDeepL {
            scripted: Scripted {
                base,
                state: shared,
            },
            glossaries,
        }
    }

    /// Every translate body received, in order.
    pub fn requests(&self) -> Vec<Value> {
        self.requests_to(TRANSLATE)
    }

    /// Every glossary-creation body received, in order.
    pub fn glossary_requests(&self) -> Vec<Value> {
        self.requests_to(GLOSSARIES)
    }

    /// Deletes every glossary, as someone could in the DeepL account.
    pub fn forget_glossaries(&self) {
        self.glossaries.lock().expect("glossaries").by_id.clear();
    }
}

fn error(status: u16, message: &str) -> Response {
    super::answer(status, &json!({"message": message}))
}

fn scripted_error(status: u16) -> Value {
    let message = match status {
        403 => "Authorization failed. Please supply a valid auth_key parameter.",
        429 => "Too many requests. Please wait and resend your request.",
        456 => "Quota exceeded. The character limit has been reached.",
        s if s >= 500 => "Internal server error",
        _ => "Bad request",
    };
    json!({ "message": message })
}

fn authorized(headers: &HeaderMap) -> bool {
    let given = headers.get("authorization").and_then(|v| v.to_str().ok());
    [KEY, FREE_KEY]
        .iter()
        .any(|k| given == Some(&format!("DeepL-Auth-Key {k}")))
}

/// DeepL's source codes (those Chorus uses).
fn source_language(code: &str) -> Option<Language> {
    Some(match code.to_uppercase().as_str() {
        "EN" => Language::English,
        "ZH" => Language::Mandarin,
        "JA" => Language::Japanese,
        "KO" => Language::Korean,
        "DE" => Language::German,
        "FR" => Language::French,
        _ => return None,
    })
}

/// DeepL's target codes (those Chorus uses).
fn target_language(code: &str) -> Option<Language> {
    match code.to_uppercase().as_str() {
        "EN-US" | "EN-GB" => Some(Language::English),
        "ZH-HANS" | "ZH" => Some(Language::Mandarin),
        "EN" | "ZH-HANT" => None,
        other => source_language(other),
    }
}

/// Checks auth, parses, records and applies a scripted fault: the body to
/// act on, or the response to give.
async fn arrive(
    fake: &Fake,
    headers: &HeaderMap,
    path: &str,
    body: &Bytes,
) -> Result<Value, Response> {
    if !authorized(headers) {
        return Err(error(
            403,
            "Authorization failed. Please supply a valid auth_key parameter.",
        ));
    }
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return Err(error(400, "Invalid request: expected a JSON body"));
    };
    if let Some(fault) = shared::arrive(&fake.shared, path, &body)
        && let Some(response) = shared::fault_answer(&fake.shared, fault, scripted_error).await
    {
        return Err(response);
    }
    Ok(body)
}

async fn create_glossary(State(fake): State<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    let body = match arrive(&fake, &headers, GLOSSARIES, &body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let field = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default();
    let (source, target) = (
        field("source_lang").to_lowercase(),
        field("target_lang").to_lowercase(),
    );
    if field("name").is_empty() {
        return error(400, "Missing or invalid argument: name");
    }
    if source_language(&source).is_none() || source_language(&target).is_none() || source == target
    {
        return error(400, "Unsupported glossary source and target language pair");
    }
    if !matches!(field("entries_format"), "" | "tsv") {
        return error(400, "Expected entries_format tsv");
    }
    let mut entries = Vec::new();
    for line in field("entries").lines().filter(|l| !l.trim().is_empty()) {
        let Some((s, t)) = line.split_once('\t') else {
            return error(400, "Invalid glossary entries: each line needs a tab");
        };
        if s.trim().is_empty() || t.trim().is_empty() || entries.iter().any(|(k, _)| k == s) {
            return error(400, "Invalid glossary entries: empty or duplicate source");
        }
        entries.push((s.to_string(), t.to_string()));
    }
    if entries.is_empty() {
        return error(400, "Invalid glossary entries: none given");
    }
    let count = entries.len();
    let id = {
        let mut glossaries = fake.glossaries.lock().expect("glossaries");
        glossaries.made += 1;
        let id = format!("fake-glossary-{}", glossaries.made);
        glossaries.by_id.insert(
            id.clone(),
            Glossary {
                source: source.clone(),
                target: target.clone(),
                entries,
            },
        );
        id
    };
    (
        axum::http::StatusCode::CREATED,
        axum::Json(json!({
            "glossary_id": id,
            "name": field("name"),
            "ready": true,
            "source_lang": source,
            "target_lang": target,
            "creation_time": "2026-12-07T08:00:00.000Z",
            "entry_count": count,
        })),
    )
        .into_response()
}

async fn translate(State(fake): State<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    let body = match arrive(&fake, &headers, TRANSLATE, &body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let texts: Option<Vec<&str>> = body
        .get("text")
        .and_then(Value::as_array)
        .filter(|list| !list.is_empty())
        .map(|list| list.iter().filter_map(Value::as_str).collect());
    let Some(texts) = texts else {
        return error(400, "Parameter 'text' not specified.");
    };
    let target_code = body
        .get("target_lang")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(target) = target_language(target_code) else {
        return error(
            400,
            &format!("Value for 'target_lang' not supported: {target_code:?}"),
        );
    };
    let source_code = body.get("source_lang").and_then(Value::as_str);
    if source_code.is_some_and(|s| source_language(s).is_none()) {
        return error(400, "Value for 'source_lang' not supported.");
    }
    let mut terms = Vec::new();
    if let Some(id) = body.get("glossary_id").and_then(Value::as_str) {
        let Some(source_code) = source_code else {
            return error(
                400,
                "Use of a glossary requires the source_lang parameter to be specified",
            );
        };
        let Some(glossary) = fake
            .glossaries
            .lock()
            .expect("glossaries")
            .by_id
            .get(id)
            .cloned()
        else {
            return error(404, "Glossary not found");
        };
        let base = |code: &str| code.split('-').next().unwrap_or_default().to_lowercase();
        if glossary.source != base(source_code) || glossary.target != base(target_code) {
            return error(
                400,
                "Language pair of the glossary doesn't match the request",
            );
        }
        terms = glossary.entries;
    }
    let hinted = shared::mentions_seconds(body.get("context").and_then(Value::as_str));
    let billed = body.get("show_billed_characters").and_then(Value::as_bool) == Some(true);
    let translations: Vec<Value> = texts
        .iter()
        .map(|text| {
            let mut one = json!({
                "detected_source_language": source_code.unwrap_or("EN").to_uppercase(),
                "text": shared::answer_for(&fake.shared, text, target, hinted, &terms),
            });
            if billed {
                one["billed_characters"] = json!(text.chars().count());
            }
            one
        })
        .collect();
    axum::Json(json!({ "translations": translations })).into_response()
}

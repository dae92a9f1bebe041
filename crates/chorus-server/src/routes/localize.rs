//! Localized lines: the translation engines (and why one is missing),
//! proposals for a line in other languages fitted to the clip, and the
//! studio's glossary. Who may call which is the access guard's.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_core::access::AuditAction;
use chorus_core::api::ErrorBody;
use chorus_core::localize::{Engines, Glossary, TranslateRequest, TranslateResponse, cost_text};

use super::ApiJson;
use crate::audit;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::localize::{self, glossary};
use crate::state::AppState;

/// Clip lengths a line may be fitted to, in seconds (the models' range).
const DURATIONS: std::ops::RangeInclusive<u32> = 1..=60;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/translate", post(translate))
        .route("/translate/engines", get(engines))
        .route("/glossary", get(read_glossary).put(save_glossary))
}

/// List the translation engines
///
/// Each with whether it is set up here, why not, and the languages it lacks.
#[utoipa::path(get, path = "/api/translate/engines", tag = "localize",
    responses((status = 200, description = "The engines", body = Engines)))]
async fn engines(State(state): State<AppState>) -> Json<Engines> {
    Json(state.translation.views())
}

/// Translate a line
///
/// One proposal per target language, each fitted to the clip and checked
/// against the glossary. A language the engine failed on carries its
/// error; the others are still proposed.
#[utoipa::path(post, path = "/api/translate", tag = "localize", request_body = TranslateRequest,
    responses((status = 200, description = "A proposal (or its error) per language, and the cost", body = TranslateResponse),
        (status = 422, description = "A request that breaks the rules; `problems` say where", body = ErrorBody),
        (status = 503, description = "No translation engine is set up; the message says which key to set", body = ErrorBody)))]
async fn translate(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(request): ApiJson<TranslateRequest>,
) -> ApiResult<Json<TranslateResponse>> {
    let mut problems = request.problems();
    if !DURATIONS.contains(&request.duration_s) {
        problems.push(chorus_core::Problem::error(
            "duration_s",
            format!(
                "A clip is {} to {} s long, not {} s",
                DURATIONS.start(),
                DURATIONS.end(),
                request.duration_s
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    if let Some(why) = state.translation.views().why_not() {
        return Err(ApiError::Unavailable(why));
    }
    let glossary = glossary::load(&state.db).await?;
    let answer = localize::propose_all(&state.translation, &glossary, &request).await;
    let languages = answer
        .lines
        .iter()
        .filter(|l| l.error.is_none())
        .map(|l| l.language.code())
        .collect::<Vec<_>>()
        .join(", ");
    let detail = format!(
        "{} → {languages}, {}",
        request.source.language.code(),
        cost_text(answer.cost_usd_micros)
    );
    audit::record(
        &state.db,
        &actor,
        AuditAction::LinesTranslated,
        &request.source.text,
        &detail,
    )
    .await;
    Ok(Json(answer))
}

/// Read the glossary
#[utoipa::path(get, path = "/api/glossary", tag = "localize",
    responses((status = 200, description = "The studio's glossary", body = Glossary)))]
async fn read_glossary(State(state): State<AppState>) -> ApiResult<Json<Glossary>> {
    Ok(Json(glossary::load(&state.db).await?))
}

/// Replace the glossary
///
/// Replaces it whole; nothing is saved while any term has a problem.
#[utoipa::path(put, path = "/api/glossary", tag = "localize", request_body = Glossary,
    responses((status = 200, description = "The glossary as saved (trimmed)", body = Glossary),
        (status = 422, description = "Terms with problems; `problems` say which", body = ErrorBody)))]
async fn save_glossary(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(mut new): ApiJson<Glossary>,
) -> ApiResult<Json<Glossary>> {
    for term in &mut new.terms {
        term.term = term.term.trim().to_string();
        for translation in term.translations.values_mut() {
            *translation = translation.trim().to_string();
        }
    }
    let problems = new.problems();
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    glossary::save(&state.db, &new, &actor.label()).await?;
    let detail = format!("{} terms", new.terms.len());
    audit::record(
        &state.db,
        &actor,
        AuditAction::GlossaryChanged,
        "glossary",
        &detail,
    )
    .await;
    Ok(Json(new))
}

//! `POST /api/speech-fit`: how long each line takes to say with the draft
//! voice, and whether it fits the clip, before anything is rendered or paid.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use chorus_core::api::{ErrorBody, SpeechFitLine, SpeechFitRequest, SpeechFitResponse};
use chorus_core::{DialogueLine, Problem};

use super::ApiJson;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/speech-fit", post(fit))
}

/// Check whether lines fit the clip
///
/// How long each line takes to say with the draft voice, before anything
/// is rendered or paid for. At most 16 lines.
#[utoipa::path(post, path = "/api/speech-fit", tag = "compose", request_body = SpeechFitRequest,
    responses((status = 200, description = "Each line's length and fit", body = SpeechFitResponse),
        (status = 400, description = "More than 16 lines, or a body that cannot be read", body = ErrorBody)))]
async fn fit(
    State(_): State<AppState>,
    ApiJson(request): ApiJson<SpeechFitRequest>,
) -> ApiResult<Json<SpeechFitResponse>> {
    if request.dialogue.len() > 16 {
        return Err(ApiError::BadRequest("Send at most 16 lines at once".into()));
    }
    let lines = measure(request.dialogue, request.duration_s).await?;
    Ok(Json(SpeechFitResponse { lines }))
}

/// Measures every line with words.
pub async fn measure(
    dialogue: Vec<DialogueLine>,
    duration_s: u32,
) -> ApiResult<Vec<SpeechFitLine>> {
    Ok(crate::speech_fit::measure(dialogue, duration_s).await?)
}

/// Field problems for lines that do not fit, for job creation.
pub async fn problems(dialogue: &[DialogueLine], duration_s: u32) -> ApiResult<Vec<Problem>> {
    let measured = measure(dialogue.to_vec(), duration_s).await?;
    Ok(measured
        .into_iter()
        .filter(|fit| !fit.fits)
        .filter_map(|fit| {
            let index = dialogue.iter().position(|d| d.language == fit.language)?;
            let message = fit
                .message
                .unwrap_or_else(|| format!("The {} line does not fit the clip", fit.language));
            Some(Problem::error(format!("dialogue[{index}].text"), message))
        })
        .collect())
}

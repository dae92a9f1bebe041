//! Calls for localized lines: which translation engines the server has,
//! proposals for a line in other languages, and the studio's glossary.

use chorus_core::localize::{Engines, Glossary, TranslateRequest, TranslateResponse};
use gloo_net::http::Request;

use crate::api::{ApiError, network, read};

pub async fn engines() -> Result<Engines, ApiError> {
    let response = Request::get("/api/translate/engines")
        .send()
        .await
        .map_err(|e| network(&e))?;
    read(response).await
}

/// One proposal per target, fitted to the clip (this may take a while:
/// every language can be asked up to three times).
pub async fn translate(request: &TranslateRequest) -> Result<TranslateResponse, ApiError> {
    let response = Request::post("/api/translate")
        .json(request)
        .map_err(|e| network(&e))?
        .send()
        .await
        .map_err(|e| network(&e))?;
    read(response).await
}

pub async fn glossary() -> Result<Glossary, ApiError> {
    let response = Request::get("/api/glossary")
        .send()
        .await
        .map_err(|e| network(&e))?;
    read(response).await
}

/// Saves the glossary whole; the server answers what it kept (trimmed).
pub async fn save_glossary(glossary: &Glossary) -> Result<Glossary, ApiError> {
    let response = Request::put("/api/glossary")
        .json(glossary)
        .map_err(|e| network(&e))?
        .send()
        .await
        .map_err(|e| network(&e))?;
    read(response).await
}

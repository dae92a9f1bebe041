//! Calls for localized lines: which translation engines the server has,
//! proposals for a line in other languages, and the studio's glossary.

use chorus_core::localize::{Engines, Glossary, TranslateRequest, TranslateResponse};
use gloo_net::http::Request;

use crate::api::{ApiError, get, read, send};

pub async fn engines() -> Result<Engines, ApiError> {
    get("/api/translate/engines").await
}

/// One proposal per target, fitted to the clip (this may take a while:
/// every language can be asked up to three times).
pub async fn translate(request: &TranslateRequest) -> Result<TranslateResponse, ApiError> {
    read(send(Request::post("/api/translate"), request).await?).await
}

pub async fn glossary() -> Result<Glossary, ApiError> {
    get("/api/glossary").await
}

/// Saves the glossary whole; the server answers what it kept (trimmed).
pub async fn save_glossary(glossary: &Glossary) -> Result<Glossary, ApiError> {
    read(send(Request::put("/api/glossary"), glossary).await?).await
}

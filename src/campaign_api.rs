//! Calls for campaigns: submit one under its key, list them, read a board,
//! retry the failed variants, cancel the rest, share the campaign with a
//! client, and read an .xlsx sheet into a grid.

use chorus_core::board::{Campaign, CampaignSubmit, CampaignSummary};
use gloo_net::http::Request;
use serde::Deserialize;

use crate::api::{ApiError, get, network, read, send, send_empty};

/// Sends the campaign; the same key again answers the campaign it made
/// (200) rather than making another (201).
pub async fn submit(submit: &CampaignSubmit) -> Result<Campaign, ApiError> {
    read(send(Request::post("/api/campaigns"), submit).await?).await
}

pub async fn list() -> Result<Vec<CampaignSummary>, ApiError> {
    get("/api/campaigns").await
}

pub async fn board(id: &str) -> Result<Campaign, ApiError> {
    get(&format!("/api/campaigns/{id}")).await
}

pub async fn retry(id: &str) -> Result<Campaign, ApiError> {
    read(send_empty(Request::post(&format!("/api/campaigns/{id}/retry"))).await?).await
}

pub async fn cancel(id: &str) -> Result<Campaign, ApiError> {
    read(send_empty(Request::post(&format!("/api/campaigns/{id}/cancel"))).await?).await
}

#[derive(Deserialize)]
struct Shared {
    url: String,
}

/// A client review link for the whole campaign (`/c/<token>`).
pub async fn share(id: &str) -> Result<String, ApiError> {
    let response = send(
        Request::post(&format!("/api/campaigns/{id}/share")),
        &serde_json::json!({}),
    )
    .await?;
    read::<Shared>(response).await.map(|s| s.url)
}

/// What the server read out of an .xlsx: its first sheet's cells.
#[derive(Deserialize)]
pub struct Grid {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Sends an .xlsx file's bytes as they are; the server reads its cells.
pub async fn read_xlsx(file: &web_sys::File) -> Result<Grid, ApiError> {
    let response = Request::post("/api/campaigns/sheet")
        .header(
            "Content-Type",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .body(wasm_bindgen::JsValue::from(file.clone()))
        .map_err(|e| network(&e))?
        .send()
        .await
        .map_err(|e| network(&e))?;
    read(response).await
}

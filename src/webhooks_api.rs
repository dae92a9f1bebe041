//! Outgoing webhooks (owners): endpoints and the delivery log, over
//! `/api/outgoing-webhooks/…`.

use chorus_core::webhook::{
    DeliveryPage, NewWebhookEndpoint, WebhookDelivery, WebhookEndpoints, WebhookSecret,
};
use gloo_net::http::Request;

use crate::access_rules::percent_encode;
use crate::api::{ApiError, get, read, read_empty, send, send_empty};

const BASE: &str = "/api/outgoing-webhooks";

pub async fn endpoints() -> Result<WebhookEndpoints, ApiError> {
    get(&format!("{BASE}/endpoints")).await
}

/// Adds an endpoint; the answer holds its secret, shown once.
pub async fn add(endpoint: &NewWebhookEndpoint) -> Result<WebhookSecret, ApiError> {
    read(send(Request::post(&format!("{BASE}/endpoints")), endpoint).await?).await
}

pub async fn delete(id: &str) -> Result<(), ApiError> {
    let path = format!("{BASE}/endpoints/{}", percent_encode(id));
    read_empty(send_empty(Request::delete(&path)).await?).await
}

/// Queues a test event for the endpoint; the answer is its delivery.
pub async fn test(id: &str) -> Result<WebhookDelivery, ApiError> {
    let path = format!("{BASE}/endpoints/{}/test", percent_encode(id));
    read(send_empty(Request::post(&path)).await?).await
}

/// A new secret for the endpoint; the old one stops working at once.
pub async fn rotate(id: &str) -> Result<WebhookSecret, ApiError> {
    let path = format!("{BASE}/endpoints/{}/secret", percent_encode(id));
    read(send_empty(Request::post(&path)).await?).await
}

/// A page of the delivery log, newest first, older than `before`.
pub async fn deliveries(before: Option<&str>, limit: u32) -> Result<DeliveryPage, ApiError> {
    let path = match before {
        Some(before) => format!(
            "{BASE}/deliveries?limit={limit}&before={}",
            percent_encode(before)
        ),
        None => format!("{BASE}/deliveries?limit={limit}"),
    };
    get(&path).await
}

//! Endpoints and deliveries in the database, every query written once for
//! SQLite and PostgreSQL. A delivery is taken by a conditional UPDATE that
//! only one caller can win, and its outcome is written only by the claim
//! that took it.

use chorus_core::webhook::{DeliveryState, WebhookDelivery, WebhookEndpoint, WebhookEvent};

use crate::db::{Db, now_ms, on_db};

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: String,
    url: String,
    events: String,
    disabled_reason: Option<String>,
    created_at: i64,
}

impl EndpointRow {
    fn into_view(self) -> WebhookEndpoint {
        WebhookEndpoint {
            events: parse_events(&self.events),
            enabled: self.disabled_reason.is_none(),
            id: self.id,
            url: self.url,
            disabled_reason: self.disabled_reason,
            created_at: self.created_at,
        }
    }
}

fn parse_events(text: &str) -> Vec<WebhookEvent> {
    text.split(',').filter_map(WebhookEvent::parse).collect()
}

fn events_text(events: &[WebhookEvent]) -> String {
    let mut names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

const ENDPOINT_COLUMNS: &str = "id, url, events, disabled_reason, created_at";

pub async fn insert_endpoint(
    db: &Db,
    url: &str,
    events: &[WebhookEvent],
    secret: &str,
    created_by: Option<&str>,
) -> anyhow::Result<WebhookEndpoint> {
    let id = format!("ep_{}", uuid::Uuid::now_v7().simple());
    let sql = format!(
        "INSERT INTO webhook_endpoints (id, url, events, secret, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {ENDPOINT_COLUMNS}"
    );
    let row = on_db!(write db, pool => sqlx::query_as::<_, EndpointRow>(&sql)
        .bind(&id)
        .bind(url)
        .bind(events_text(events))
        .bind(secret)
        .bind(now_ms())
        .bind(created_by)
        .fetch_one(pool)
        .await)?;
    Ok(row.into_view())
}

pub async fn list_endpoints(db: &Db) -> anyhow::Result<Vec<WebhookEndpoint>> {
    let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id");
    let rows = on_db!(db, pool => sqlx::query_as::<_, EndpointRow>(&sql)
        .fetch_all(pool)
        .await)?;
    Ok(rows.into_iter().map(EndpointRow::into_view).collect())
}

pub async fn endpoint(db: &Db, id: &str) -> anyhow::Result<Option<WebhookEndpoint>> {
    let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1");
    let row = on_db!(db, pool => sqlx::query_as::<_, EndpointRow>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    Ok(row.map(EndpointRow::into_view))
}

/// Removes the endpoint; what was still waiting for it fails saying so.
/// `None` if there was none.
pub async fn delete_endpoint(db: &Db, id: &str) -> anyhow::Result<Option<WebhookEndpoint>> {
    let sql = format!("DELETE FROM webhook_endpoints WHERE id = $1 RETURNING {ENDPOINT_COLUMNS}");
    let row = on_db!(write db, pool => sqlx::query_as::<_, EndpointRow>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    if row.is_some() {
        give_up_pending(db, id, "the endpoint was deleted").await?;
    }
    Ok(row.map(EndpointRow::into_view))
}

/// Gives the endpoint a new secret; `None` if there is no such endpoint.
pub async fn set_secret(
    db: &Db,
    id: &str,
    secret: &str,
) -> anyhow::Result<Option<WebhookEndpoint>> {
    let sql = format!(
        "UPDATE webhook_endpoints SET secret = $1 WHERE id = $2 RETURNING {ENDPOINT_COLUMNS}"
    );
    let row = on_db!(write db, pool => sqlx::query_as::<_, EndpointRow>(&sql)
        .bind(secret)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    Ok(row.map(EndpointRow::into_view))
}

/// Disables the endpoint with `reason` (its receiver said 410 Gone), and
/// fails what was still waiting for it.
pub async fn disable_endpoint(db: &Db, id: &str, reason: &str) -> anyhow::Result<()> {
    on_db!(write db, pool => sqlx::query(
        "UPDATE webhook_endpoints SET disabled_reason = $1 WHERE id = $2 AND disabled_reason IS NULL",
    )
    .bind(reason)
    .bind(id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    give_up_pending(db, id, &format!("the endpoint was disabled: {reason}")).await
}

async fn give_up_pending(db: &Db, endpoint_id: &str, why: &str) -> anyhow::Result<()> {
    on_db!(write db, pool => sqlx::query(
        "UPDATE webhook_deliveries SET state = 'failed', last_error = $1, next_attempt_at = NULL,
                updated_at = $2
         WHERE endpoint_id = $3 AND state = 'pending'",
    )
    .bind(why)
    .bind(now_ms())
    .bind(endpoint_id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// An enabled endpoint that takes `event`, as `emit` queues for it.
pub struct Subscriber {
    pub id: String,
    pub url: String,
}

/// The enabled endpoints that take `event`.
pub async fn subscribers(db: &Db, event: WebhookEvent) -> anyhow::Result<Vec<Subscriber>> {
    let rows: Vec<(String, String, String)> = on_db!(db, pool => sqlx::query_as(
        "SELECT id, url, events FROM webhook_endpoints WHERE disabled_reason IS NULL",
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .filter(|(_, _, events)| parse_events(events).contains(&event))
        .map(|(id, url, _)| Subscriber { id, url })
        .collect())
}

/// Queues `body` for `endpoint`, due at once. Returns the delivery's id.
pub async fn enqueue(
    db: &Db,
    endpoint: &Subscriber,
    event: &str,
    body: &str,
) -> anyhow::Result<String> {
    // UUIDv7: ids sort by when they were made, so the log pages by id.
    let id = format!("msg_{}", uuid::Uuid::now_v7().simple());
    let now = now_ms();
    on_db!(write db, pool => sqlx::query(
        "INSERT INTO webhook_deliveries
             (id, endpoint_id, endpoint_url, event, body, state, attempts, next_attempt_at,
              created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $6)",
    )
    .bind(&id)
    .bind(&endpoint.id)
    .bind(&endpoint.url)
    .bind(event)
    .bind(body)
    .bind(now)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(id)
}

/// Deliveries due now: pending ones whose time came, and sends whose
/// claim lapsed (their server died mid-send).
pub async fn due(db: &Db, now: i64, limit: i64) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String,)> = on_db!(db, pool => sqlx::query_as(
        "SELECT id FROM webhook_deliveries
         WHERE (state = 'pending' AND next_attempt_at <= $1)
            OR (state = 'sending' AND claimed_until < $1)
         ORDER BY next_attempt_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// A delivery this caller won, with what sending it needs.
#[derive(sqlx::FromRow)]
pub struct Claimed {
    pub id: String,
    pub endpoint_id: String,
    pub body: String,
    /// Including the one about to be made.
    pub attempts: i64,
}

/// Takes delivery `id` for one attempt under `claim` until `until` (Unix
/// ms), if it is still due; `None` when another server or task took it.
pub async fn claim(db: &Db, id: &str, claim: &str, until: i64) -> anyhow::Result<Option<Claimed>> {
    let now = now_ms();
    let row = on_db!(write db, pool => sqlx::query_as::<_, Claimed>(
        "UPDATE webhook_deliveries
         SET state = 'sending', claimed_by = $1, claimed_until = $2, attempts = attempts + 1,
             next_attempt_at = NULL, updated_at = $3
         WHERE id = $4
           AND ((state = 'pending' AND next_attempt_at <= $3)
             OR (state = 'sending' AND claimed_until < $3))
         RETURNING id, endpoint_id, body, attempts",
    )
    .bind(claim)
    .bind(until)
    .bind(now)
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(row)
}

/// The secret and URL an attempt is sent with, and whether the endpoint
/// still takes events.
pub async fn sending_details(
    db: &Db,
    endpoint_id: &str,
) -> anyhow::Result<Option<(String, String, Option<String>)>> {
    let row = on_db!(db, pool => sqlx::query_as(
        "SELECT url, secret, disabled_reason FROM webhook_endpoints WHERE id = $1",
    )
    .bind(endpoint_id)
    .fetch_optional(pool)
    .await)?;
    Ok(row)
}

/// What an attempt's outcome writes.
pub struct Outcome<'a> {
    pub state: DeliveryState,
    pub next_attempt_at: Option<i64>,
    pub last_status: Option<u16>,
    pub last_error: Option<&'a str>,
}

/// Writes the outcome of the attempt made under `claim`; false if the
/// claim had lapsed and another took the delivery over.
pub async fn record(db: &Db, id: &str, claim: &str, outcome: &Outcome<'_>) -> anyhow::Result<bool> {
    let done = on_db!(write db, pool => sqlx::query(
        "UPDATE webhook_deliveries
         SET state = $1, next_attempt_at = $2, last_status = $3, last_error = $4,
             claimed_by = NULL, claimed_until = NULL, updated_at = $5
         WHERE id = $6 AND state = 'sending' AND claimed_by = $7",
    )
    .bind(outcome.state.as_str())
    .bind(outcome.next_attempt_at)
    .bind(outcome.last_status.map(i64::from))
    .bind(outcome.last_error)
    .bind(now_ms())
    .bind(id)
    .bind(claim)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: String,
    endpoint_id: String,
    endpoint_url: String,
    event: String,
    state: String,
    attempts: i64,
    last_status: Option<i64>,
    last_error: Option<String>,
    next_attempt_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl DeliveryRow {
    fn into_view(self, max_attempts: u32) -> WebhookDelivery {
        WebhookDelivery {
            state: DeliveryState::parse(&self.state).unwrap_or(DeliveryState::Failed),
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            max_attempts,
            last_status: self.last_status.and_then(|s| u16::try_from(s).ok()),
            id: self.id,
            endpoint_id: self.endpoint_id,
            endpoint_url: self.endpoint_url,
            event: self.event,
            last_error: self.last_error,
            next_attempt_at: self.next_attempt_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

const DELIVERY_COLUMNS: &str = "id, endpoint_id, endpoint_url, event, state, attempts, \
     last_status, last_error, next_attempt_at, created_at, updated_at";

/// Up to `limit` deliveries older than `before` (a delivery id), newest
/// first; `max_attempts` is this server's schedule's length.
pub async fn deliveries(
    db: &Db,
    before: Option<&str>,
    limit: u32,
    max_attempts: u32,
) -> anyhow::Result<Vec<WebhookDelivery>> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
         WHERE ($1 IS NULL OR id < $1) ORDER BY id DESC LIMIT $2"
    );
    let rows = on_db!(db, pool => sqlx::query_as::<_, DeliveryRow>(&sql)
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await)?;
    Ok(rows
        .into_iter()
        .map(|r| r.into_view(max_attempts))
        .collect())
}

/// One delivery as the log shows it.
pub async fn delivery(
    db: &Db,
    id: &str,
    max_attempts: u32,
) -> anyhow::Result<Option<WebhookDelivery>> {
    let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1");
    let row = on_db!(db, pool => sqlx::query_as::<_, DeliveryRow>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    Ok(row.map(|r| r.into_view(max_attempts)))
}

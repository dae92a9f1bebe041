//! Outgoing webhooks: events the studio announces (a job finished, a
//! campaign finished, a review decision), signed as Standard Webhooks says
//! and POSTed to the endpoints owners register in Settings → Webhooks.
//!
//! The rest of the server calls [`emit`]; it queues one delivery per
//! subscribed endpoint as a database row and never fails its caller. A
//! worker ([`spawn_worker`]) sends due rows, each claimed by a conditional
//! UPDATE so two servers never send one attempt twice, and retries on the
//! schedule in `schedule`. A restart resumes whatever is pending.

pub mod deliver;
pub mod schedule;
pub mod sign;
pub mod store;

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use chorus_core::webhook::{DeliveryState, TEST_EVENT_TYPE, WebhookEvent};
use tokio::sync::{Notify, Semaphore};

use crate::db::{Db, now_ms};
use schedule::{Answer, Next};

pub use chorus_core::webhook::WebhookEvent as EventKind;

/// How deliveries are retried and sent; the defaults are the documented
/// schedule, tests shorten it.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The wait before each attempt (see `schedule`); its length is the
    /// most attempts a delivery gets.
    pub schedule: Vec<Duration>,
    /// Share of each wait the jitter may move it by, either way.
    pub jitter: f64,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// How often the worker looks for due deliveries when nothing wakes it.
    pub poll: Duration,
    /// Lets tests send to receivers on 127.0.0.1 over plain http
    /// (`CHORUS_TEST_ALLOW_LOOPBACK=1`, as for provider downloads).
    pub allow_loopback: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            schedule: schedule::DEFAULT_SCHEDULE.to_vec(),
            jitter: schedule::JITTER,
            timeout: Duration::from_secs(15),
            poll: Duration::from_secs(1),
            allow_loopback: false,
        }
    }
}

impl Settings {
    /// The defaults, with loopback allowed where the environment says so
    /// for tests.
    pub fn from_env() -> Settings {
        Settings {
            allow_loopback: std::env::var("CHORUS_TEST_ALLOW_LOOPBACK").as_deref() == Ok("1"),
            ..Settings::default()
        }
    }

    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.schedule.len()).unwrap_or(u32::MAX)
    }
}

/// Wakes the workers in this process when something is queued, so the
/// first attempt goes at once rather than at the next poll.
static WAKE: LazyLock<Notify> = LazyLock::new(Notify::new);

/// Queues `kind` with `data` for every enabled endpoint subscribed to it.
/// Never fails: whatever went wrong is logged, and the caller's work
/// stands.
pub async fn emit(db: &Db, kind: EventKind, data: serde_json::Value) {
    if let Err(e) = try_emit(db, kind, &data).await {
        tracing::error!(error = %e, event = kind.as_str(), "cannot queue an outgoing webhook");
    }
}

async fn try_emit(db: &Db, kind: WebhookEvent, data: &serde_json::Value) -> anyhow::Result<()> {
    let endpoints = store::subscribers(db, kind).await?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let body = event_body(kind.as_str(), data);
    for endpoint in &endpoints {
        store::enqueue(db, endpoint, kind.as_str(), &body).await?;
    }
    WAKE.notify_one();
    Ok(())
}

/// Queues a test event for endpoint `endpoint_id` alone, whatever it
/// subscribes to. `None` when there is no such endpoint.
pub async fn send_test(db: &Db, endpoint_id: &str) -> anyhow::Result<Option<String>> {
    let Some(endpoint) = store::endpoint(db, endpoint_id).await? else {
        return Ok(None);
    };
    let data = serde_json::json!({
        "endpoint_id": endpoint.id,
        "message": "A test event from Chorus (Settings → Webhooks)",
    });
    let body = event_body(TEST_EVENT_TYPE, &data);
    let to = store::Subscriber {
        id: endpoint.id,
        url: endpoint.url,
    };
    let id = store::enqueue(db, &to, TEST_EVENT_TYPE, &body).await?;
    WAKE.notify_one();
    Ok(Some(id))
}

/// The JSON every event is sent as: `{"type", "timestamp", "data"}`.
fn event_body(kind: &str, data: &serde_json::Value) -> String {
    let timestamp = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    serde_json::json!({ "type": kind, "timestamp": timestamp, "data": data }).to_string()
}

/// Most deliveries one worker sends at once.
const IN_FLIGHT: usize = 16;

/// Sends due deliveries until the task is aborted.
pub fn spawn_worker(db: Db, settings: Settings) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
        loop {
            if let Err(e) = send_due(&db, &settings, &in_flight).await {
                tracing::error!(error = %e, "cannot look for due webhook deliveries");
            }
            tokio::select! {
                () = tokio::time::sleep(settings.poll) => {}
                () = WAKE.notified() => {}
            }
        }
    })
}

async fn send_due(db: &Db, settings: &Settings, in_flight: &Arc<Semaphore>) -> anyhow::Result<()> {
    let free = in_flight.available_permits();
    if free == 0 {
        return Ok(());
    }
    for id in store::due(db, now_ms(), free as i64).await? {
        let Ok(permit) = Arc::clone(in_flight).try_acquire_owned() else {
            break;
        };
        // Past the time limit, with room for writing the outcome: a claim
        // older than that belongs to a server that died mid-send.
        let hold = settings.timeout + Duration::from_secs(30);
        let claim = uuid::Uuid::now_v7().to_string();
        let until = now_ms() + hold.as_millis() as i64;
        let Some(claimed) = store::claim(db, &id, &claim, until).await? else {
            continue;
        };
        let db = db.clone();
        let settings = settings.clone();
        tokio::spawn(async move {
            if let Err(e) = send_one(&db, &settings, &claimed, &claim).await {
                tracing::error!(error = %e, delivery = claimed.id, "a webhook delivery failed to record");
            }
            drop(permit);
        });
    }
    Ok(())
}

/// Makes one attempt at a claimed delivery and records what follows.
async fn send_one(
    db: &Db,
    settings: &Settings,
    claimed: &store::Claimed,
    claim: &str,
) -> anyhow::Result<()> {
    let attempt = u32::try_from(claimed.attempts).unwrap_or(u32::MAX);
    let Some((url, secret, disabled)) = store::sending_details(db, &claimed.endpoint_id).await?
    else {
        let gone = failed("the endpoint was deleted");
        store::record(db, &claimed.id, claim, &gone).await?;
        return Ok(());
    };
    if let Some(reason) = disabled {
        let why = format!("the endpoint was disabled: {reason}");
        store::record(db, &claimed.id, claim, &failed(&why)).await?;
        return Ok(());
    }
    let answer = match deliver::check_target(&url, settings.allow_loopback).await {
        // Checked again on every attempt: the name may resolve elsewhere now.
        Err(why) => Answer::NoAnswer(format!("not sent: {url}: {why}")),
        Ok(target) => match sign::key_of(&secret) {
            Err(why) => Answer::NoAnswer(format!("not sent: the stored secret is unusable: {why}")),
            Ok(key) => {
                let timestamp = now_ms() / 1000;
                let signed = deliver::Signed {
                    id: claimed.id.clone(),
                    timestamp,
                    signature: sign::signature(&key, &claimed.id, timestamp, &claimed.body),
                };
                deliver::attempt(&target, &signed, &claimed.body, settings.timeout).await
            }
        },
    };
    let status = match &answer {
        Answer::Status { status, .. } => Some(*status),
        Answer::NoAnswer(_) => None,
    };
    let next = schedule::next_step(
        attempt,
        &answer,
        &settings.schedule,
        settings.jitter,
        schedule::random_unit(),
    );
    let why = deliver::describe(&answer);
    let outcome = match &next {
        Next::Delivered => store::Outcome {
            state: DeliveryState::Delivered,
            next_attempt_at: None,
            last_status: status,
            last_error: None,
        },
        Next::RetryIn(wait) => store::Outcome {
            state: DeliveryState::Pending,
            next_attempt_at: Some(now_ms() + wait.as_millis() as i64),
            last_status: status,
            last_error: Some(&why),
        },
        Next::GiveUp | Next::Disable => store::Outcome {
            state: DeliveryState::Failed,
            next_attempt_at: None,
            last_status: status,
            last_error: Some(&why),
        },
    };
    let recorded = store::record(db, &claimed.id, claim, &outcome).await?;
    if !recorded {
        tracing::warn!(
            delivery = claimed.id,
            "a webhook attempt outlived its claim; another server took the delivery over"
        );
    }
    match next {
        Next::Disable => {
            let at = time::OffsetDateTime::now_utc()
                .format(time::macros::format_description!(
                    "[year]-[month]-[day] [hour]:[minute] UTC"
                ))
                .unwrap_or_default();
            let reason = format!("the receiver answered 410 Gone on {at}");
            store::disable_endpoint(db, &claimed.endpoint_id, &reason).await?;
            tracing::warn!(
                endpoint = claimed.endpoint_id,
                "webhook endpoint disabled: {reason}"
            );
        }
        Next::GiveUp => tracing::warn!(
            delivery = claimed.id,
            attempts = attempt,
            "webhook delivery given up: {why}"
        ),
        Next::Delivered | Next::RetryIn(_) => {}
    }
    Ok(())
}

fn failed(why: &str) -> store::Outcome<'_> {
    store::Outcome {
        state: DeliveryState::Failed,
        next_attempt_at: None,
        last_status: None,
        last_error: Some(why),
    }
}

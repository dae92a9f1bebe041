//! Outgoing webhooks: the events the studio announces to other systems,
//! the endpoints that receive them, and the log of each delivery. Shapes
//! only; the server signs and sends (`chorus-server`'s `outgoing`), the
//! studio's Settings → Webhooks shows them.

use serde::{Deserialize, Serialize};

/// What happened, as the `type` of the event's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum WebhookEvent {
    /// A job ended: succeeded or failed (a cancelled job is not announced).
    #[serde(rename = "job.finished")]
    JobFinished,
    /// Every job of a campaign ended.
    #[serde(rename = "campaign.finished")]
    CampaignFinished,
    /// A reviewer approved a take or asked for changes.
    #[serde(rename = "review.decision")]
    ReviewDecision,
}

impl WebhookEvent {
    pub const ALL: [WebhookEvent; 3] = [
        WebhookEvent::JobFinished,
        WebhookEvent::CampaignFinished,
        WebhookEvent::ReviewDecision,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::JobFinished => "job.finished",
            WebhookEvent::CampaignFinished => "campaign.finished",
            WebhookEvent::ReviewDecision => "review.decision",
        }
    }

    pub fn parse(s: &str) -> Option<WebhookEvent> {
        WebhookEvent::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// In words, for Settings.
    pub fn label(self) -> &'static str {
        match self {
            WebhookEvent::JobFinished => "Job finished (succeeded or failed)",
            WebhookEvent::CampaignFinished => "Campaign finished",
            WebhookEvent::ReviewDecision => "Review decision on a take",
        }
    }
}

/// The `type` of the event "Send test event" delivers; no endpoint
/// subscribes to it, it goes to the one asked.
pub const TEST_EVENT_TYPE: &str = "webhook.test";

/// `POST /api/outgoing-webhooks/endpoints`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewWebhookEndpoint {
    /// Where events are POSTed: `https://…` on a public address.
    pub url: String,
    /// Which events it receives; at least one.
    pub events: Vec<WebhookEvent>,
}

impl NewWebhookEndpoint {
    /// What is wrong with the request apart from where the URL points
    /// (the server resolves it), as `(field, why)`.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        let url = self.url.trim();
        if url.is_empty() {
            problems.push(("url", "give the address events are sent to".to_string()));
        } else if url.len() > MAX_URL_LEN {
            problems.push((
                "url",
                format!("is {} characters; at most {MAX_URL_LEN}", url.len()),
            ));
        }
        if self.events.is_empty() {
            problems.push(("events", "choose at least one event".to_string()));
        }
        problems
    }
}

/// The longest endpoint URL taken.
pub const MAX_URL_LEN: usize = 2000;

/// An endpoint as Settings lists it (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    /// False once the receiver answered 410 Gone: nothing more is sent.
    pub enabled: bool,
    /// Why it was disabled, in words.
    pub disabled_reason: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// The answer to creating an endpoint or rotating its secret: the secret
/// is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookSecret {
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`, as Standard Webhooks libraries take it.
    pub secret: String,
}

/// `GET /api/outgoing-webhooks/endpoints`: the endpoints, and how this
/// server retries, so Settings can say so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEndpoints {
    pub endpoints: Vec<WebhookEndpoint>,
    /// The wait before each attempt, in milliseconds: the first is
    /// usually 0 (at once); after the last failed attempt it is given up.
    pub retry_schedule_ms: Vec<u64>,
    /// Each wait is moved by up to this share of itself, either way.
    pub jitter_percent: u32,
    /// How long one attempt may take, in milliseconds.
    pub timeout_ms: u64,
}

/// Where one delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its next attempt.
    Pending,
    /// An attempt is on the wire.
    Sending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up: attempts used up, the endpoint gone (410) or deleted.
    Failed,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 4] = [
        DeliveryState::Pending,
        DeliveryState::Sending,
        DeliveryState::Delivered,
        DeliveryState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sending => "sending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryState> {
        DeliveryState::ALL.into_iter().find(|d| d.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            DeliveryState::Pending => "Retrying",
            DeliveryState::Sending => "Sending",
            DeliveryState::Delivered => "Delivered",
            DeliveryState::Failed => "Failed",
        }
    }
}

/// One event on its way to one endpoint, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    /// Also the `webhook-id` header, the same on every attempt.
    pub id: String,
    pub endpoint_id: String,
    /// The endpoint's URL when the event was queued (kept after it goes).
    pub endpoint_url: String,
    /// `job.finished`, `review.decision`, `webhook.test`, …
    pub event: String,
    pub state: DeliveryState,
    pub attempts: u32,
    /// The most attempts it gets before it is given up.
    pub max_attempts: u32,
    /// The last answer's HTTP status, when one came.
    pub last_status: Option<u16>,
    /// Why the last attempt failed, in words (timeout, refused, 500 …).
    pub last_error: Option<String>,
    /// Unix milliseconds of the next attempt, while pending.
    pub next_attempt_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `GET /api/outgoing-webhooks/deliveries`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryPage {
    pub deliveries: Vec<WebhookDelivery>,
    /// Pass as `before` for the next page; `None` at the end.
    pub next_before: Option<String>,
}

/// A wait in words: "at once", "5 s", "30 min", "10 h", "250 ms".
pub fn wait_words(ms: u64) -> String {
    match ms {
        0 => "at once".to_string(),
        ms if ms % 3_600_000 == 0 => format!("{} h", ms / 3_600_000),
        ms if ms % 60_000 == 0 => format!("{} min", ms / 60_000),
        ms if ms % 1000 == 0 => format!("{} s", ms / 1000),
        ms => format!("{ms} ms"),
    }
}

impl WebhookEndpoints {
    /// How this server retries, in one sentence for Settings.
    pub fn schedule_words(&self) -> String {
        let Some((first, rest)) = self.retry_schedule_ms.split_first() else {
            return "Each event is sent once and not retried.".to_string();
        };
        let first = match *first {
            0 => "At once".to_string(),
            ms => format!("After {}", wait_words(ms)),
        };
        let attempts = self.retry_schedule_ms.len();
        if rest.is_empty() {
            return format!("{first}, once; a failure is not retried.");
        }
        let waits: Vec<String> = rest.iter().map(|ms| wait_words(*ms)).collect();
        let waits = match waits.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, before)) => format!("{} and {last}", before.join(", ")),
            None => String::new(),
        };
        format!(
            "{first}, then again {waits} after each failed attempt (each wait ±{}% at random); \
             after {attempts} attempts a delivery is given up.",
            self.jitter_percent
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_written_as_their_types() {
        for event in WebhookEvent::ALL {
            let json = serde_json::to_string(&event).expect("json");
            assert_eq!(json, format!("\"{}\"", event.as_str()));
            assert_eq!(WebhookEvent::parse(event.as_str()), Some(event));
        }
        for state in DeliveryState::ALL {
            let json = serde_json::to_string(&state).expect("json");
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
    }

    #[test]
    fn a_new_endpoint_needs_a_url_and_an_event() {
        let empty = NewWebhookEndpoint {
            url: "  ".into(),
            events: vec![],
        };
        let fields: Vec<&str> = empty.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["url", "events"]);
        let fine = NewWebhookEndpoint {
            url: "https://example.com/hook".into(),
            events: vec![WebhookEvent::JobFinished],
        };
        assert!(fine.problems().is_empty());
    }

    #[test]
    fn the_schedule_reads_as_a_sentence() {
        let endpoints = |ms: &[u64]| WebhookEndpoints {
            endpoints: vec![],
            retry_schedule_ms: ms.to_vec(),
            jitter_percent: 20,
            timeout_ms: 15_000,
        };
        let default = [
            0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
        ];
        assert_eq!(
            endpoints(&default).schedule_words(),
            "At once, then again 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after each failed \
             attempt (each wait ±20% at random); after 8 attempts a delivery is given up."
        );
        assert_eq!(
            endpoints(&[0, 250]).schedule_words(),
            "At once, then again 250 ms after each failed attempt (each wait ±20% at random); \
             after 2 attempts a delivery is given up."
        );
        assert_eq!(
            endpoints(&[0]).schedule_words(),
            "At once, once; a failure is not retried."
        );
        assert_eq!(wait_words(90_000), "90 s");
    }
}

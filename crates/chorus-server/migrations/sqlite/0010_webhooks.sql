-- Outgoing webhooks (`outgoing`): the endpoints owners register, and one
-- row per event on its way to one endpoint. A delivery is claimed by a
-- conditional UPDATE (state and claim expiry), so two servers never send
-- one attempt twice, and a restart resumes whatever is pending.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    -- The event types it receives, comma-separated (job.finished,…).
    events TEXT NOT NULL,
    -- whsec_…: the receiver's verifying key, so it is kept as given.
    secret TEXT NOT NULL,
    -- Why nothing more is sent to it (410 Gone); NULL while enabled.
    disabled_reason TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT
);

CREATE TABLE webhook_deliveries (
    -- msg_…, sent as `webhook-id` on every attempt.
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL,
    endpoint_url TEXT NOT NULL,
    event TEXT NOT NULL,
    -- The JSON signed and sent, fixed when the event was queued.
    body TEXT NOT NULL,
    -- pending, sending, delivered, failed.
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    -- Who is sending it and until when (a server that died mid-send
    -- leaves a claim that lapses).
    claimed_by TEXT,
    claimed_until BIGINT,
    last_status BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, state);

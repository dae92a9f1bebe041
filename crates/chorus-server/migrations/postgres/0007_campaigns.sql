-- Campaigns (#19): one template and a sheet expanded into variants (row ×
-- language × aspect ratio), each sent as one job while the campaign's cap
-- allows. `spec` is the chorus_core::campaign::CampaignSpec as submitted,
-- `idem_key` the client's key that makes a retried submit create nothing
-- new. A variant is `held` (not sent yet; `reason` says why), `sent`
-- (`job_id` is its latest job; a retry sends a new one) or `canceled`.
CREATE TABLE campaigns (
    id            TEXT PRIMARY KEY NOT NULL,
    idem_key      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    spec          TEXT NOT NULL,
    cap_usd_micros BIGINT,
    created_by    TEXT,
    created_at    BIGINT NOT NULL,
    canceled_at   BIGINT,
    finished_at   BIGINT
);

CREATE TABLE campaign_variants (
    campaign_id   TEXT NOT NULL,
    idx           BIGINT NOT NULL,
    row_number    BIGINT NOT NULL,
    language      TEXT NOT NULL,
    ratio         TEXT NOT NULL,
    request       TEXT NOT NULL,
    estimate_usd_micros BIGINT NOT NULL,
    state         TEXT NOT NULL,
    reason        TEXT,
    job_id        TEXT,
    attempts      BIGINT NOT NULL,
    -- What jobs it was sent as before its latest cost (a retry keeps it).
    prior_usd_micros BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, idx)
);
CREATE INDEX campaign_variants_by_job ON campaign_variants (job_id);

-- A client's review link for a whole campaign: its token is kept only as
-- its SHA-256. Each variant's take opens through a review link of its own
-- (`review_links`) whose token is derived from the campaign link's token
-- and the job (HMAC-SHA256), made when the client first walks the board;
-- revoking the campaign link revokes them with it.
CREATE TABLE campaign_links (
    id          TEXT PRIMARY KEY NOT NULL,
    campaign_id TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX campaign_links_by_campaign ON campaign_links (campaign_id, created_at);
ALTER TABLE review_links ADD COLUMN campaign_link_id TEXT;

-- What the provider charged, when it says (the estimate stays in `estimate`).
ALTER TABLE jobs ADD COLUMN actual_cost_usd_micros INTEGER;

-- One row per hosted take ("{job_id}/{take_index}"): the submit ledger that
-- keeps a restart from paying for a second provider job. `record` is the
-- ledger's JSON (sending, or accepted with the provider's handle); `output`
-- is the take's saved clip once downloaded, so a resumed job does not fetch
-- it again from a URL that may have expired.
CREATE TABLE provider_submits (
    job_key     TEXT PRIMARY KEY NOT NULL,
    record      TEXT NOT NULL,
    output      TEXT,
    cost_usd_micros INTEGER,
    updated_at  INTEGER NOT NULL
);

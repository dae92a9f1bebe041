-- The Library at scale, as SQLite's migration 0004: `search` (lower-cased
-- by the server; NULL until the server fills in rows written before this
-- migration), `languages` (",en,de,"), soft deletes, pages cut at
-- (created_at, id), and which assets each job uses.
ALTER TABLE jobs ADD COLUMN search TEXT;
ALTER TABLE jobs ADD COLUMN languages TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN deleted_at BIGINT;
CREATE INDEX jobs_by_page ON jobs (created_at, id);
CREATE INDEX jobs_deleted ON jobs (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE job_assets (
    job_id      TEXT NOT NULL,
    asset_id    TEXT NOT NULL,
    PRIMARY KEY (job_id, asset_id)
);
CREATE INDEX job_assets_by_asset ON job_assets (asset_id);

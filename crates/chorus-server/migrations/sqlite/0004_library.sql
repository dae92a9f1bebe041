-- The Library at scale: search, filters, pages, deleting for real.
-- `search` is the job's prompt and spoken lines (and imported clips' file
-- names), lower-cased by the server (Unicode-aware, which SQLite's LOWER is
-- not); NULL marks rows written before this migration, which the server
-- fills in at start-up. `languages` is ",en,de," so one LIKE finds a
-- language. A deleted job keeps its row, hidden, until its undo window
-- closes (`deleted_at`, Unix ms).
ALTER TABLE jobs ADD COLUMN search TEXT;
ALTER TABLE jobs ADD COLUMN languages TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN deleted_at INTEGER;
-- Pages are cut at (created_at, id), newest first.
CREATE INDEX jobs_by_page ON jobs (created_at, id);
CREATE INDEX jobs_deleted ON jobs (deleted_at) WHERE deleted_at IS NOT NULL;

-- Which assets each job uses (references, takes, sidecars, posters): what
-- a job's storage adds up to, and which assets no other job needs once it
-- is removed.
CREATE TABLE job_assets (
    job_id      TEXT NOT NULL,
    asset_id    TEXT NOT NULL,
    PRIMARY KEY (job_id, asset_id)
);
CREATE INDEX job_assets_by_asset ON job_assets (asset_id);

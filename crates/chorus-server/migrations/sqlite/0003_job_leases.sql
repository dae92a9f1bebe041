-- Which worker holds a running job, and until when (Unix ms). A worker
-- renews its lease while it works; once it lapses, another worker may take
-- the job over and resume it (hosted takes by polling, never resubmitting).
ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_expires_at INTEGER;
CREATE INDEX jobs_by_lease ON jobs (status, lease_expires_at);

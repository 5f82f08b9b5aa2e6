-- A hold that outlives its request (an asynchronous video job) is a budget_holds row with no node:
-- every reserved-sum query counts it whatever nodes are alive, and the dead-node sweep never deletes
-- it. It goes in the same transaction as the job's ledger row (or its failure), never before.
ALTER TABLE budget_holds ALTER COLUMN node_id DROP NOT NULL;

-- Video jobs made through the gateway: whose they are, where they run, what they hold, and their
-- state. The state moves to a terminal one exactly once (completed, failed, cancelled): that update
-- is the guard that makes the job's charge happen once whoever observes the end first.
CREATE TABLE video_jobs (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL,
    project_id       TEXT NOT NULL,
    member_id        TEXT NOT NULL,
    key_id           TEXT NOT NULL,
    request_id       TEXT NOT NULL,
    attempt          INTEGER NOT NULL,
    model            TEXT NOT NULL,
    provider         TEXT NOT NULL,
    provider_model   TEXT NOT NULL,
    provider_job_id  TEXT NOT NULL,
    credential       TEXT NOT NULL,
    hold_pico        BIGINT NOT NULL,
    credits_org_id   TEXT NULL,
    seconds          TEXT NOT NULL,
    size             TEXT NOT NULL,
    price_per_second TEXT NOT NULL,
    state            TEXT NOT NULL,
    object_json      TEXT NOT NULL,
    charged_pico     BIGINT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    settled_at       BIGINT NULL,
    deleted_at       BIGINT NULL
);
CREATE INDEX ix_video_jobs_org ON video_jobs (org_id, created_at);
CREATE INDEX ix_video_jobs_open ON video_jobs (updated_at) WHERE state IN ('queued', 'in_progress');

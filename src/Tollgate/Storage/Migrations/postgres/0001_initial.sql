-- Tollgate schema, PostgreSQL dialect. Instants are Unix milliseconds (UTC); money is whole
-- pico-dollars (1e-12 USD) so that every sum is exact integer arithmetic.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,          -- stored lower-cased
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_users_email ON users (email);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,          -- SHA-256 of the session token, hex
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NULL
);
CREATE INDEX ix_sessions_user ON sessions (user_id);

CREATE TABLE orgs (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    plan         TEXT NOT NULL,
    billing_mode TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE members (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    role       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    removed_at BIGINT NULL
);
CREATE UNIQUE INDEX ux_members_org_user ON members (org_id, user_id) WHERE removed_at IS NULL;
CREATE INDEX ix_members_user ON members (user_id);

CREATE TABLE projects (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT NULL
);
CREATE INDEX ix_projects_org ON projects (org_id);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    project_id TEXT NOT NULL REFERENCES projects (id),
    member_id  TEXT NOT NULL REFERENCES members (id),
    name       TEXT NOT NULL,
    prefix     TEXT NOT NULL,             -- first characters of the secret, shown after creation
    key_hash   TEXT NOT NULL,             -- SHA-256 of the secret, hex; the secret itself is never stored
    status     TEXT NOT NULL,             -- active | disabled | deleted
    expires_at BIGINT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT NULL
);
CREATE UNIQUE INDEX ux_api_keys_hash ON api_keys (key_hash);
CREATE INDEX ix_api_keys_org ON api_keys (org_id, member_id);
CREATE INDEX ix_api_keys_project ON api_keys (project_id);  -- deleting a project disables its keys

-- One row per billable provider attempt: the source of truth for spend.
CREATE TABLE ledger (
    id                  TEXT PRIMARY KEY,
    request_id          TEXT NOT NULL,
    attempt             INTEGER NOT NULL,
    org_id              TEXT NOT NULL,
    project_id          TEXT NOT NULL,
    member_id           TEXT NOT NULL,
    key_id              TEXT NOT NULL,
    service             TEXT NOT NULL,    -- llm, or another metered service
    endpoint            TEXT NOT NULL,
    model               TEXT NOT NULL,    -- catalog model id
    provider            TEXT NOT NULL,
    provider_model      TEXT NOT NULL,
    status              TEXT NOT NULL,    -- ok | upstream_error | failed | cancelled
    http_status         INTEGER NOT NULL,
    input_tokens        BIGINT NOT NULL,
    cached_input_tokens BIGINT NOT NULL,
    cache_write_tokens  BIGINT NOT NULL,
    output_tokens       BIGINT NOT NULL,
    reasoning_tokens    BIGINT NOT NULL,
    cost_pico           BIGINT NOT NULL,
    usage_estimated     BOOLEAN NOT NULL,
    streamed            BOOLEAN NOT NULL,
    cancelled           BOOLEAN NOT NULL,
    latency_ms          BIGINT NOT NULL,
    started_at          BIGINT NOT NULL,
    ended_at            BIGINT NOT NULL,
    error               TEXT NULL
);
CREATE UNIQUE INDEX ux_ledger_attempt ON ledger (request_id, attempt);
CREATE INDEX ix_ledger_org_time ON ledger (org_id, started_at);
CREATE INDEX ix_ledger_member ON ledger (member_id, started_at);
CREATE INDEX ix_ledger_key ON ledger (key_id, started_at);

-- Master keys: platforms make API keys for their own end users through /v1/master.
CREATE TABLE master_keys (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    member_id  TEXT NOT NULL REFERENCES members (id),
    name       TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    key_hash   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT NULL
);
CREATE UNIQUE INDEX ux_master_keys_hash ON master_keys (key_hash);
CREATE INDEX ix_master_keys_org ON master_keys (org_id);

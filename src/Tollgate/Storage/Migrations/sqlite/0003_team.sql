-- Team and access: project grants of developer and basic members, invites, and the audit log.

-- A developer or basic member sees and uses only the projects granted here (owner, admin and
-- billing see every project; rows for them are kept but not consulted).
CREATE TABLE project_grants (
    member_id  TEXT NOT NULL REFERENCES members (id),
    project_id TEXT NOT NULL REFERENCES projects (id),
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (member_id, project_id)
);
CREATE INDEX ix_project_grants_project ON project_grants (project_id);

CREATE TABLE invites (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES orgs (id),
    email              TEXT NOT NULL,     -- lower-cased
    role               TEXT NOT NULL,
    project_ids        TEXT NOT NULL,     -- JSON array of project ids granted on acceptance
    token_hash         TEXT NOT NULL,     -- SHA-256 of the invite token, hex; the token is shown once
    invited_by         TEXT NOT NULL,     -- member id
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    accepted_at        INTEGER NULL,
    accepted_member_id TEXT NULL,
    revoked_at         INTEGER NULL
);
CREATE UNIQUE INDEX ux_invites_token ON invites (token_hash);
CREATE INDEX ix_invites_org ON invites (org_id);

-- Append-only, hash-chained per org: hash = SHA-256(prev_hash || canonical entry), seq = 1, 2, ...
CREATE TABLE audit_log (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    actor_member_id TEXT NULL,
    actor_email     TEXT NULL,
    action          TEXT NOT NULL,
    target_type     TEXT NOT NULL,
    target_id       TEXT NOT NULL,
    before_json     TEXT NULL,
    after_json      TEXT NULL,
    ip              TEXT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_audit_log_org_seq ON audit_log (org_id, seq);
CREATE INDEX ix_audit_log_org_at ON audit_log (org_id, at);

-- The head of each org's chain (last seq, id and hash), written with every entry: it lets verify
-- notice a deleted last entry, and its row is what appends lock on.
CREATE TABLE audit_heads (
    org_id  TEXT PRIMARY KEY,
    seq     INTEGER NOT NULL,
    last_id TEXT NOT NULL,
    hash    TEXT NOT NULL
);

-- Org settings of PATCH /orgs/{orgId}: the tax rate (a decimal string, a fraction: 0.19 is 19 %)
-- and the billing details ({email, company, address, country, taxId, notes} as JSON).
ALTER TABLE orgs ADD COLUMN tax_rate TEXT NULL;
ALTER TABLE orgs ADD COLUMN billing_json TEXT NULL;

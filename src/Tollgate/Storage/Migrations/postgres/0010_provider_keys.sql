-- Org provider keys (bring your own key). The credential is sealed with AES-GCM under the server's
-- secrets key (Tollgate:Secrets:Key) and bound to its row id, so a database dump shows no secret and
-- a sealed value copied to another row does not open. Only the masked hint is ever shown.
CREATE TABLE org_provider_keys (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    provider    TEXT NOT NULL,
    name        TEXT NOT NULL,
    base_url    TEXT NULL,
    hint        TEXT NOT NULL,          -- masked, e.g. sk-…abcd
    region      TEXT NULL,              -- Bedrock (not secret)
    project_id  TEXT NULL,              -- Vertex (not secret)
    location    TEXT NULL,              -- Vertex (not secret)
    sealed      TEXT NOT NULL,          -- base64 of version, nonce, ciphertext and tag
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX ix_org_provider_keys_org ON org_provider_keys (org_id, provider);

-- Whose credential served each attempt: 'server' (the server's configured key) or 'org' (the org's own).
ALTER TABLE ledger ADD COLUMN credential TEXT NOT NULL DEFAULT 'server';

-- How the gateway orders a model's providers for the project's model-only requests: 'price' (the
-- cheapest available mapping first, then the lowest recent error rate).
ALTER TABLE projects ADD COLUMN routing TEXT NOT NULL DEFAULT 'price';

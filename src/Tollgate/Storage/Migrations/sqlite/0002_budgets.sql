-- Budgets: member, key and org-default caps, and when a member began to hold their role (an
-- inherited default cap counts from the later of the default's set time and this instant).

ALTER TABLE members ADD COLUMN role_since INTEGER NULL;
UPDATE members SET role_since = created_at;

-- One row per configured scope: scope_type 'member' (scope_id = member id), 'key' (key id) or
-- 'default' (org id: the org's default developer limits). A NULL *_type is "not set".
CREATE TABLE budgets (
    scope_type          TEXT NOT NULL,
    scope_id            TEXT NOT NULL,
    org_id              TEXT NOT NULL,
    spend_type          TEXT NULL,      -- unlimited | fixed | monthly
    spend_limit_pico    INTEGER NULL,
    spend_counting_from INTEGER NULL,   -- the switching table's countingFrom
    spend_set_at        INTEGER NULL,
    period_type         TEXT NULL,      -- unlimited | rolling
    period_limit_pico   INTEGER NULL,
    period_window       TEXT NULL,      -- hour | day | week | month
    period_set_at       INTEGER NULL,
    max_keys_type       TEXT NULL,      -- unlimited | limit
    max_keys_value      INTEGER NULL,
    max_keys_set_at     INTEGER NULL,
    updated_at          INTEGER NOT NULL,
    PRIMARY KEY (scope_type, scope_id)
);
CREATE INDEX ix_budgets_org ON budgets (org_id);

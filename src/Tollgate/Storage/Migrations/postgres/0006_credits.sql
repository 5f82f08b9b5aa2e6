-- Prepaid org credits. In billing mode 'credits' every charge deducts the org's balance.
--
-- Money movements of the org: credit purchases, refunds, subscriptions, adjustments. A transaction
-- changes the balance by credit_amount_pico (negative to take credits back) once it is completed.
CREATE TABLE transactions (
    id                     TEXT PRIMARY KEY,
    org_id                 TEXT NOT NULL REFERENCES orgs (id),
    type                   TEXT NOT NULL,     -- credit_purchase | refund | subscription | adjustment
    status                 TEXT NOT NULL,     -- pending | completed | failed
    amount_pico            BIGINT NOT NULL,   -- what was paid (or paid back), in currency
    currency               TEXT NOT NULL,
    credit_amount_pico     BIGINT NOT NULL,   -- credits it adds to the balance
    created_at             BIGINT NOT NULL,
    completed_at           BIGINT NULL,
    related_transaction_id TEXT NULL REFERENCES transactions (id),
    document_number        TEXT NULL,         -- invoice or credit note number, given at completion
    created_by             TEXT NULL          -- member id; null when made by the system
);
CREATE INDEX ix_transactions_org ON transactions (org_id, id);

-- The org's balance is credited_pico - charged_pico. Both change only in the transaction that
-- records why (a completed transaction; ledger rows with credits_pico), under the org's credits
-- lock (pg_advisory_xact_lock(1869768547, hashtext(org_id))). A missing row is 0 and 0.
CREATE TABLE org_credits (
    org_id        TEXT PRIMARY KEY REFERENCES orgs (id),
    credited_pico BIGINT NOT NULL,
    charged_pico  BIGINT NOT NULL
);

-- How much of a ledger row's cost was charged to the org's credits (0 for byok).
ALTER TABLE ledger ADD COLUMN credits_pico BIGINT NOT NULL DEFAULT 0;

-- A hold with an org_id also holds its amount on that org's credits.
ALTER TABLE budget_holds ADD COLUMN org_id TEXT NULL;
CREATE INDEX ix_budget_holds_org ON budget_holds (org_id) WHERE org_id IS NOT NULL;

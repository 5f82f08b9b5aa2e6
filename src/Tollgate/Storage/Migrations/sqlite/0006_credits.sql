-- Prepaid org credits. In billing mode 'credits' every charge deducts the org's balance.
--
-- Money movements of the org: credit purchases, refunds, subscriptions, adjustments. A transaction
-- changes the balance by credit_amount_pico (negative to take credits back) once it is completed.
CREATE TABLE transactions (
    id                     TEXT PRIMARY KEY,
    org_id                 TEXT NOT NULL REFERENCES orgs (id),
    type                   TEXT NOT NULL,     -- credit_purchase | refund | subscription | adjustment
    status                 TEXT NOT NULL,     -- pending | completed | failed
    amount_pico            INTEGER NOT NULL,  -- what was paid (or paid back), in currency
    currency               TEXT NOT NULL,
    credit_amount_pico     INTEGER NOT NULL,  -- credits it adds to the balance
    created_at             INTEGER NOT NULL,
    completed_at           INTEGER NULL,
    related_transaction_id TEXT NULL REFERENCES transactions (id),
    document_number        TEXT NULL,         -- invoice or credit note number, given at completion
    created_by             TEXT NULL          -- member id; null when made by the system
);
CREATE INDEX ix_transactions_org ON transactions (org_id, id);

-- The org's balance is credited_pico - charged_pico. Both change only in the transaction that
-- records why (a completed transaction; ledger rows with credits_pico). A missing row is 0 and 0.
CREATE TABLE org_credits (
    org_id        TEXT PRIMARY KEY REFERENCES orgs (id),
    credited_pico INTEGER NOT NULL,
    charged_pico  INTEGER NOT NULL
);

-- How much of a ledger row's cost was charged to the org's credits (0 for byok).
ALTER TABLE ledger ADD COLUMN credits_pico INTEGER NOT NULL DEFAULT 0;

-- Kept in step with PostgreSQL (holds are used there only).
ALTER TABLE budget_holds ADD COLUMN org_id TEXT NULL;
CREATE INDEX ix_budget_holds_org ON budget_holds (org_id) WHERE org_id IS NOT NULL;

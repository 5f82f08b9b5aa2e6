-- Payments, refunds and their documents.
--
-- A purchase through a payment provider is created pending and completed (or failed) by the
-- provider's signed webhook. A refund takes its credits back when it is created (so they cannot be
-- spent while the provider returns the money) and gives them back if it fails; every other
-- transaction changes the balance once it is completed.
ALTER TABLE transactions ADD COLUMN provider TEXT NULL;          -- 'stripe'; null for a grant or a refund of one
ALTER TABLE transactions ADD COLUMN provider_ref TEXT NULL;      -- the provider's object: checkout session (cs_...) or refund (re_...)
ALTER TABLE transactions ADD COLUMN provider_payment TEXT NULL;  -- the payment a completed purchase was paid with (pi_...), to refund it
ALTER TABLE transactions ADD COLUMN checkout_url TEXT NULL;      -- where the buyer pays a pending purchase
ALTER TABLE transactions ADD COLUMN reason TEXT NULL;            -- why a refund was made; why a transaction failed
ALTER TABLE transactions ADD COLUMN billing_json TEXT NULL;      -- seller, buyer and tax as of the transaction's creation: what its document shows
CREATE UNIQUE INDEX ux_transactions_document ON transactions (document_number) WHERE document_number IS NOT NULL;
CREATE INDEX ix_transactions_related ON transactions (related_transaction_id) WHERE related_transaction_id IS NOT NULL;
CREATE INDEX ix_transactions_provider ON transactions (provider_ref) WHERE provider_ref IS NOT NULL;

-- The last document number given per document type ('INV', 'CN') and year. The number is taken in
-- the same database transaction that completes the transaction it belongs to, so a rolled back
-- completion gives its number back: numbers are gap-free.
CREATE TABLE document_sequences (
    kind        TEXT NOT NULL,
    year        BIGINT NOT NULL,
    last_number BIGINT NOT NULL,
    PRIMARY KEY (kind, year)
);

-- Provider events already handled: a replayed or duplicated webhook is recognised by its id.
CREATE TABLE payment_events (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    received_at BIGINT NOT NULL
);

-- Billing with Stripe. The organization's plan (organizations.plan) decides its rate-limit tier;
-- this table keeps the Stripe side of it. Webhook events are recorded once by id.

CREATE TABLE subscriptions (
    organization_id TEXT PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    customer_id TEXT UNIQUE,
    subscription_id TEXT,
    status TEXT,
    plan TEXT NOT NULL DEFAULT 'free',
    current_period_end INTEGER,
    cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
    -- `created` (Unix seconds) of the newest subscription event applied: older ones are ignored.
    last_event_at INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);

CREATE TABLE stripe_events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    organization_id TEXT,
    received_at INTEGER NOT NULL
);

CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    amount_due INTEGER NOT NULL DEFAULT 0,
    amount_paid INTEGER NOT NULL DEFAULT 0,
    currency TEXT NOT NULL DEFAULT 'usd',
    hosted_invoice_url TEXT,
    created INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX invoices_by_org ON invoices(organization_id, created);

-- Retail data: products, AI descriptions, interactions, patterns, notifications, crawler jobs
-- and the knowledge-base documents they feed. Every row belongs to one organization.

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    sku TEXT,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    category TEXT,
    brand TEXT,
    price_cents INTEGER,
    currency TEXT NOT NULL DEFAULT 'USD',
    tags TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (organization_id, sku)
);
CREATE INDEX products_by_org ON products(organization_id, created_at, id);

CREATE TABLE product_ai_descriptions (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    style TEXT NOT NULL,
    text TEXT NOT NULL,
    model TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (product_id, style)
);

CREATE TABLE interactions (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    source_type TEXT NOT NULL CHECK (source_type IN ('web', 'cctv', 'social')),
    kind TEXT NOT NULL,
    product_id TEXT,
    occurred_at INTEGER NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    attributes TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    -- Ingest is idempotent on the client's event id.
    UNIQUE (organization_id, event_id)
);
CREATE INDEX interactions_by_time ON interactions(organization_id, occurred_at, id);
CREATE INDEX interactions_by_source ON interactions(organization_id, source_type, occurred_at, id);

CREATE TABLE patterns (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    period TEXT NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly', 'yearly')),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    metric TEXT,
    value REAL,
    period_start INTEGER NOT NULL,
    confidence REAL,
    created_at INTEGER NOT NULL
);
CREATE INDEX patterns_by_org ON patterns(organization_id, created_at, id);
CREATE INDEX patterns_by_period ON patterns(organization_id, period, created_at, id);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}',
    read_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX notifications_by_user ON notifications(user_id, created_at, id);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    source TEXT NOT NULL CHECK (source IN ('text', 'crawler')),
    source_url TEXT,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX documents_by_org ON documents(organization_id, created_at, id);

CREATE TABLE crawler_jobs (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    progress INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    title TEXT,
    bytes INTEGER,
    document_id TEXT REFERENCES documents(id) ON DELETE SET NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE INDEX crawler_jobs_by_org ON crawler_jobs(organization_id, created_at, id);

-- Analytics (issue 12): per-product reads over a window walk this index once per product
-- (products LEFT JOIN interactions ON organization_id, product_id, occurred_at range).
-- Window reads without a product use interactions_by_time / interactions_by_source (0002).
CREATE INDEX IF NOT EXISTS interactions_by_product ON interactions(organization_id, product_id, occurred_at);
-- Category filters and per-category groups look products up by category.
CREATE INDEX IF NOT EXISTS products_by_category ON products(organization_id, category);

-- Daily rollups, kept by a trigger on every inserted interaction (a skipped duplicate inserts
-- nothing, so fires nothing; D1 runs the trigger inside the inserting statement, so concurrent
-- and repeated batches stay exact). Analytics read whole UTC days from here and only the partial
-- days at a window's edges from interactions, so a read grows with products x days, not with
-- interactions. Every column is the per-row value of crow_analytics::metric::AGGREGATES.
CREATE TABLE interaction_daily (
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    day INTEGER NOT NULL,
    product_id TEXT NOT NULL,
    source_type TEXT NOT NULL,
    store TEXT NOT NULL,
    zone TEXT NOT NULL,
    views INTEGER NOT NULL DEFAULT 0,
    add_to_carts INTEGER NOT NULL DEFAULT 0,
    purchases INTEGER NOT NULL DEFAULT 0,
    units INTEGER NOT NULL DEFAULT 0,
    revenue_cents INTEGER NOT NULL DEFAULT 0,
    social_mentions INTEGER NOT NULL DEFAULT 0,
    positive_mentions INTEGER NOT NULL DEFAULT 0,
    negative_mentions INTEGER NOT NULL DEFAULT 0,
    dwell_events INTEGER NOT NULL DEFAULT 0,
    dwell_seconds INTEGER NOT NULL DEFAULT 0,
    shelf_interactions INTEGER NOT NULL DEFAULT 0,
    footfall INTEGER NOT NULL DEFAULT 0,
    searches INTEGER NOT NULL DEFAULT 0,
    interactions INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, day, product_id, source_type, store, zone)
) WITHOUT ROWID;
CREATE INDEX interaction_daily_by_product ON interaction_daily(organization_id, product_id, day);

CREATE TRIGGER interactions_daily_rollup AFTER INSERT ON interactions BEGIN
    INSERT INTO interaction_daily (organization_id, day, product_id, source_type, store, zone, views, add_to_carts, purchases, units, revenue_cents, social_mentions, positive_mentions, negative_mentions, dwell_events, dwell_seconds, shelf_interactions, footfall, searches, interactions)
    SELECT NEW.organization_id, NEW.occurred_at / 86400000, COALESCE(NEW.product_id, ''), NEW.source_type, CASE WHEN NEW.source_type = 'cctv' THEN COALESCE(CAST(json_extract(NEW.attributes, '$.store') AS TEXT), '') ELSE '' END, CASE WHEN NEW.source_type = 'cctv' THEN COALESCE(CAST(json_extract(NEW.attributes, '$.zone') AS TEXT), '') ELSE '' END,
        (NEW.source_type = 'web' AND NEW.kind = 'page_view'),
        (NEW.source_type = 'web' AND NEW.kind = 'add_to_cart'),
        (NEW.source_type = 'web' AND NEW.kind = 'purchase'),
        COALESCE(CASE WHEN NEW.source_type = 'web' AND NEW.kind = 'purchase' THEN COALESCE(CAST(json_extract(NEW.attributes, '$.quantity') AS INTEGER), 1) END, 0),
        COALESCE(CASE WHEN NEW.source_type = 'web' AND NEW.kind = 'purchase' THEN COALESCE(CAST(json_extract(NEW.attributes, '$.orderValueCents') AS INTEGER), 0) END, 0),
        (NEW.source_type = 'social'),
        (NEW.source_type = 'social' AND json_extract(NEW.attributes, '$.sentiment') IS 'positive'),
        (NEW.source_type = 'social' AND json_extract(NEW.attributes, '$.sentiment') IS 'negative'),
        (NEW.source_type = 'cctv' AND NEW.kind = 'dwell'),
        COALESCE(CASE WHEN NEW.source_type = 'cctv' AND NEW.kind = 'dwell' THEN COALESCE(CAST(json_extract(NEW.attributes, '$.durationSec') AS INTEGER), 0) END, 0),
        (NEW.source_type = 'cctv' AND NEW.kind = 'shelf_interaction'),
        COALESCE(CASE WHEN NEW.source_type = 'cctv' AND NEW.kind = 'footfall' THEN COALESCE(CAST(json_extract(NEW.attributes, '$.count') AS INTEGER), 1) END, 0),
        (NEW.source_type = 'web' AND NEW.kind = 'search'),
        1
    WHERE true
    ON CONFLICT (organization_id, day, product_id, source_type, store, zone) DO UPDATE SET
        views = views + excluded.views,
        add_to_carts = add_to_carts + excluded.add_to_carts,
        purchases = purchases + excluded.purchases,
        units = units + excluded.units,
        revenue_cents = revenue_cents + excluded.revenue_cents,
        social_mentions = social_mentions + excluded.social_mentions,
        positive_mentions = positive_mentions + excluded.positive_mentions,
        negative_mentions = negative_mentions + excluded.negative_mentions,
        dwell_events = dwell_events + excluded.dwell_events,
        dwell_seconds = dwell_seconds + excluded.dwell_seconds,
        shelf_interactions = shelf_interactions + excluded.shelf_interactions,
        footfall = footfall + excluded.footfall,
        searches = searches + excluded.searches,
        interactions = interactions + excluded.interactions;
END;

-- What was ingested before this migration.
INSERT INTO interaction_daily (organization_id, day, product_id, source_type, store, zone, views, add_to_carts, purchases, units, revenue_cents, social_mentions, positive_mentions, negative_mentions, dwell_events, dwell_seconds, shelf_interactions, footfall, searches, interactions)
SELECT i.organization_id, i.occurred_at / 86400000, COALESCE(i.product_id, ''), i.source_type, CASE WHEN i.source_type = 'cctv' THEN COALESCE(CAST(json_extract(i.attributes, '$.store') AS TEXT), '') ELSE '' END, CASE WHEN i.source_type = 'cctv' THEN COALESCE(CAST(json_extract(i.attributes, '$.zone') AS TEXT), '') ELSE '' END,
    SUM((i.source_type = 'web' AND i.kind = 'page_view')),
    SUM((i.source_type = 'web' AND i.kind = 'add_to_cart')),
    SUM((i.source_type = 'web' AND i.kind = 'purchase')),
    SUM(COALESCE(CASE WHEN i.source_type = 'web' AND i.kind = 'purchase' THEN COALESCE(CAST(json_extract(i.attributes, '$.quantity') AS INTEGER), 1) END, 0)),
    SUM(COALESCE(CASE WHEN i.source_type = 'web' AND i.kind = 'purchase' THEN COALESCE(CAST(json_extract(i.attributes, '$.orderValueCents') AS INTEGER), 0) END, 0)),
    SUM((i.source_type = 'social')),
    SUM((i.source_type = 'social' AND json_extract(i.attributes, '$.sentiment') IS 'positive')),
    SUM((i.source_type = 'social' AND json_extract(i.attributes, '$.sentiment') IS 'negative')),
    SUM((i.source_type = 'cctv' AND i.kind = 'dwell')),
    SUM(COALESCE(CASE WHEN i.source_type = 'cctv' AND i.kind = 'dwell' THEN COALESCE(CAST(json_extract(i.attributes, '$.durationSec') AS INTEGER), 0) END, 0)),
    SUM((i.source_type = 'cctv' AND i.kind = 'shelf_interaction')),
    SUM(COALESCE(CASE WHEN i.source_type = 'cctv' AND i.kind = 'footfall' THEN COALESCE(CAST(json_extract(i.attributes, '$.count') AS INTEGER), 1) END, 0)),
    SUM((i.source_type = 'web' AND i.kind = 'search')),
    SUM(1)
FROM interactions i GROUP BY 1, 2, 3, 4, 5, 6;

-- Analytics (issue 12): per-product reads over a window walk this index once per product
-- (products LEFT JOIN interactions ON organization_id, product_id, occurred_at range).
-- Window reads without a product use interactions_by_time / interactions_by_source (0002).
CREATE INDEX IF NOT EXISTS interactions_by_product ON interactions(organization_id, product_id, occurred_at);
-- Category filters and per-category groups look products up by category.
CREATE INDEX IF NOT EXISTS products_by_category ON products(organization_id, category);

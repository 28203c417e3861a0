-- Search: FTS5 indexes over the searchable tables (external content, kept in sync by triggers),
-- knowledge-base chunks, and the local vector index used when Vectorize is not available.

CREATE VIRTUAL TABLE products_fts USING fts5(
    name, description, category, brand, tags,
    content = 'products', content_rowid = 'rowid', tokenize = 'porter unicode61'
);
CREATE TRIGGER products_fts_ai AFTER INSERT ON products BEGIN
    INSERT INTO products_fts(rowid, name, description, category, brand, tags)
    VALUES (new.rowid, new.name, new.description, new.category, new.brand, new.tags);
END;
CREATE TRIGGER products_fts_ad AFTER DELETE ON products BEGIN
    INSERT INTO products_fts(products_fts, rowid, name, description, category, brand, tags)
    VALUES ('delete', old.rowid, old.name, old.description, old.category, old.brand, old.tags);
END;
CREATE TRIGGER products_fts_au AFTER UPDATE ON products BEGIN
    INSERT INTO products_fts(products_fts, rowid, name, description, category, brand, tags)
    VALUES ('delete', old.rowid, old.name, old.description, old.category, old.brand, old.tags);
    INSERT INTO products_fts(rowid, name, description, category, brand, tags)
    VALUES (new.rowid, new.name, new.description, new.category, new.brand, new.tags);
END;

CREATE VIRTUAL TABLE interactions_fts USING fts5(
    content, kind, source_type,
    content = 'interactions', content_rowid = 'rowid', tokenize = 'porter unicode61'
);
CREATE TRIGGER interactions_fts_ai AFTER INSERT ON interactions BEGIN
    INSERT INTO interactions_fts(rowid, content, kind, source_type) VALUES (new.rowid, new.content, new.kind, new.source_type);
END;
CREATE TRIGGER interactions_fts_ad AFTER DELETE ON interactions BEGIN
    INSERT INTO interactions_fts(interactions_fts, rowid, content, kind, source_type)
    VALUES ('delete', old.rowid, old.content, old.kind, old.source_type);
END;

CREATE VIRTUAL TABLE patterns_fts USING fts5(
    title, description, metric,
    content = 'patterns', content_rowid = 'rowid', tokenize = 'porter unicode61'
);
CREATE TRIGGER patterns_fts_ai AFTER INSERT ON patterns BEGIN
    INSERT INTO patterns_fts(rowid, title, description, metric) VALUES (new.rowid, new.title, new.description, new.metric);
END;
CREATE TRIGGER patterns_fts_ad AFTER DELETE ON patterns BEGIN
    INSERT INTO patterns_fts(patterns_fts, rowid, title, description, metric)
    VALUES ('delete', old.rowid, old.title, old.description, old.metric);
END;

-- Knowledge-base passages: overlapping chunks of each document, with offsets into it.
CREATE TABLE document_chunks (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    chunk_index INTEGER NOT NULL,
    text TEXT NOT NULL,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL
);
CREATE INDEX document_chunks_by_doc ON document_chunks(document_id, chunk_index);

CREATE VIRTUAL TABLE chunks_fts USING fts5(
    text, content = 'document_chunks', content_rowid = 'rowid', tokenize = 'porter unicode61'
);
CREATE TRIGGER chunks_fts_ai AFTER INSERT ON document_chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER chunks_fts_ad AFTER DELETE ON document_chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;

-- The local vector index (VECTOR_BACKEND=d1): one row per indexed item, the embedding quantised
-- to signed bytes and base64-encoded. Production uses Vectorize with one namespace per
-- organization instead.
CREATE TABLE vectors (
    id TEXT PRIMARY KEY,                 -- "<kind>:<ref id>"
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('product', 'interaction', 'pattern', 'chunk')),
    ref_id TEXT NOT NULL,
    model TEXT NOT NULL,
    embedding TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX vectors_by_org_kind ON vectors(organization_id, kind, model);

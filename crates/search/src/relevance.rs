//! Ranking-quality metrics over a labelled set of `(query, expected id)` pairs.
//!
//! - **recall@k**: share of queries whose expected id appears in the first `k` results. With
//!   one relevant id per query this equals hit-rate@k.
//! - **MRR** (mean reciprocal rank): mean of `1 / rank` of the expected id over the *whole*
//!   ranking returned by the ranking function (0 when absent), so it rewards putting the right
//!   answer first and is not cut off at `k`. Pass a ranking function that truncates if you
//!   want MRR@k.
//!
//! Ranking functions are plain closures, so the same labelled set can score FTS, semantic and
//! hybrid rankings, in tests now and against a staging index later.

use crate::error::{Result, SearchError};
use serde::Serialize;

/// Per-query outcome of an [`evaluate`] run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryOutcome {
    /// Index of the query in the labelled set.
    pub query_index: usize,
    /// 1-based rank of the expected id in the returned ranking, `None` if absent.
    pub rank: Option<usize>,
}

/// Aggregate metrics of an [`evaluate`] run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// The `k` used for recall.
    pub k: usize,
    /// Number of labelled queries.
    pub queries: usize,
    /// recall@k in `[0, 1]`.
    pub recall_at_k: f64,
    /// Mean reciprocal rank in `[0, 1]`.
    pub mrr: f64,
    /// One entry per query, in input order (useful to print the misses).
    pub outcomes: Vec<QueryOutcome>,
}

/// Runs `rank` on every labelled query and computes recall@k and MRR in one pass.
///
/// `rank` returns ids best first; only the first occurrence of the expected id counts.
/// `k == 0` gives recall 0. An empty labelled set is [`SearchError::EmptyEvaluationSet`]
/// (an average over nothing would be a misleading 0 or NaN).
pub fn evaluate<Q, I, F>(cases: &[(Q, I)], k: usize, mut rank: F) -> Result<Evaluation>
where
    I: PartialEq,
    F: FnMut(&Q) -> Vec<I>,
{
    if cases.is_empty() {
        return Err(SearchError::EmptyEvaluationSet);
    }
    let mut outcomes = Vec::with_capacity(cases.len());
    let (mut hits, mut rr_sum) = (0usize, 0.0f64);
    for (query_index, (query, expected)) in cases.iter().enumerate() {
        let ranking = rank(query);
        let pos = ranking.iter().position(|id| id == expected).map(|p| p + 1);
        if let Some(r) = pos {
            if r <= k {
                hits += 1;
            }
            rr_sum += 1.0 / r as f64;
        }
        outcomes.push(QueryOutcome { query_index, rank: pos });
    }
    let n = cases.len() as f64;
    Ok(Evaluation {
        k,
        queries: cases.len(),
        recall_at_k: hits as f64 / n,
        mrr: rr_sum / n,
        outcomes,
    })
}

/// recall@k alone (see [`evaluate`]).
pub fn recall_at_k<Q, I, F>(cases: &[(Q, I)], k: usize, rank: F) -> Result<f64>
where
    I: PartialEq,
    F: FnMut(&Q) -> Vec<I>,
{
    Ok(evaluate(cases, k, rank)?.recall_at_k)
}

/// MRR alone (see [`evaluate`]).
pub fn mrr<Q, I, F>(cases: &[(Q, I)], rank: F) -> Result<f64>
where
    I: PartialEq,
    F: FnMut(&Q) -> Vec<I>,
{
    Ok(evaluate(cases, usize::MAX, rank)?.mrr)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed "search engine": each query maps to a canned ranking.
    fn engine(q: &&str) -> Vec<u32> {
        match *q {
            "first" => vec![1, 2, 3],
            "third" => vec![9, 8, 3, 7],
            "sixth" => vec![10, 11, 12, 13, 14, 5],
            "dup" => vec![4, 4, 6],
            _ => vec![],
        }
    }

    fn cases() -> Vec<(&'static str, u32)> {
        vec![("first", 1), ("third", 3), ("sixth", 5), ("missing", 42)]
    }

    #[test]
    fn recall_at_various_k() {
        let c = cases();
        assert_eq!(recall_at_k(&c, 1, engine).unwrap(), 0.25);
        assert_eq!(recall_at_k(&c, 3, engine).unwrap(), 0.5);
        assert_eq!(recall_at_k(&c, 5, engine).unwrap(), 0.5);
        assert_eq!(recall_at_k(&c, 6, engine).unwrap(), 0.75);
        assert_eq!(recall_at_k(&c, 0, engine).unwrap(), 0.0);
    }

    #[test]
    fn mrr_uses_full_ranking() {
        let expected = (1.0 + 1.0 / 3.0 + 1.0 / 6.0 + 0.0) / 4.0;
        assert!((mrr(&cases(), engine).unwrap() - expected).abs() < 1e-12);
    }

    #[test]
    fn evaluate_reports_per_query_ranks() {
        let e = evaluate(&cases(), 5, engine).unwrap();
        assert_eq!(e.queries, 4);
        assert_eq!(e.k, 5);
        let ranks: Vec<Option<usize>> = e.outcomes.iter().map(|o| o.rank).collect();
        assert_eq!(ranks, vec![Some(1), Some(3), Some(6), None]);
    }

    #[test]
    fn first_occurrence_counts() {
        let e = evaluate(&[("dup", 4u32)], 1, engine).unwrap();
        assert_eq!((e.recall_at_k, e.mrr), (1.0, 1.0));
    }

    #[test]
    fn perfect_and_useless_rankers() {
        let c = cases();
        let perfect = evaluate(&c, 1, |q: &&str| {
            c.iter().filter(|(x, _)| x == q).map(|(_, id)| *id).collect()
        })
        .unwrap();
        assert_eq!((perfect.recall_at_k, perfect.mrr), (1.0, 1.0));
        let useless = evaluate(&c, 10, |_: &&str| Vec::<u32>::new()).unwrap();
        assert_eq!((useless.recall_at_k, useless.mrr), (0.0, 0.0));
    }

    #[test]
    fn empty_set_is_an_error() {
        let none: [(&str, u32); 0] = [];
        assert_eq!(evaluate(&none, 5, engine), Err(SearchError::EmptyEvaluationSet));
        assert!(mrr(&none, engine).is_err());
    }
}

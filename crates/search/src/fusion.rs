//! Reciprocal rank fusion (RRF) of several ranked id lists (Cormack, Clarke & Büttcher, 2009).
//!
//! `score(d) = Σ_i weight_i / (k + rank_i(d))`, with 1-based ranks and the sum taken over the
//! lists that contain `d`. RRF only looks at ranks, never at raw scores, which is exactly what
//! hybrid search needs: bm25 scores (unbounded, negative in SQLite) and cosine similarities
//! (`[-1, 1]`) are not comparable, but "3rd in keyword search" and "1st in semantic search"
//! are.
//!
//! Choices:
//! - [`RRF_K`] = 60, the constant from the original paper and the default in Elasticsearch,
//!   OpenSearch and Azure AI Search. A large `k` flattens the curve, so being found by two
//!   lists beats being top of one: rank 1 + rank 10 (`1/61 + 1/70`) outscores rank 1 alone.
//! - Per-list weights default to [`DEFAULT_WEIGHT`] (1.0). A weight of `0` disables the list
//!   entirely (its ids neither score nor appear in explanations); negative or non-finite
//!   weights are rejected.
//! - If an id appears more than once in one list only its best (first) rank counts, so a
//!   buggy upstream duplicate cannot double its vote.
//! - Ties are broken deterministically: higher score, then better (smaller) best rank across
//!   lists, then ascending id.

use crate::error::{Result, SearchError};
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The RRF smoothing constant `k` (see module docs for why 60).
pub const RRF_K: f64 = 60.0;

/// Default weight of a list.
pub const DEFAULT_WEIGHT: f64 = 1.0;

/// One input ranking: ids best first, a name used in explanations, and a weight.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedList<'a, I> {
    /// Label reported in [`Contribution::list`], e.g. `"fts"` or `"semantic"`.
    pub name: &'a str,
    /// Ids in rank order (index 0 is rank 1).
    pub ids: &'a [I],
    /// Multiplier of this list's votes, default [`DEFAULT_WEIGHT`].
    pub weight: f64,
}

impl<'a, I> RankedList<'a, I> {
    /// A list with the default weight of 1.0.
    pub fn new(name: &'a str, ids: &'a [I]) -> Self {
        RankedList { name, ids, weight: DEFAULT_WEIGHT }
    }

    /// Same list with another weight.
    #[must_use]
    pub fn with_weight(mut self, weight: f64) -> Self {
        self.weight = weight;
        self
    }
}

/// How one list contributed to a fused hit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    /// The list's [`RankedList::name`].
    pub list: String,
    /// Position of the list in the input slice.
    pub list_index: usize,
    /// 1-based rank of the id in that list.
    pub rank: usize,
    /// `weight / (k + rank)`: this list's share of the fused score.
    pub score: f64,
}

/// One fused result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FusedHit<I> {
    /// The document id.
    pub id: I,
    /// Sum of the contributions' scores.
    pub score: f64,
    /// Smallest rank across contributing lists (the first tie-breaker).
    pub best_rank: usize,
    /// One entry per contributing list, in input-list order.
    pub contributions: Vec<Contribution>,
}

/// Fuses `lists` with [`RRF_K`]. See [`reciprocal_rank_fusion_with_k`].
pub fn reciprocal_rank_fusion<I: Ord + Clone>(
    lists: &[RankedList<'_, I>],
) -> Result<Vec<FusedHit<I>>> {
    reciprocal_rank_fusion_with_k(lists, RRF_K)
}

/// Fuses `lists` with a custom smoothing constant `k` (finite, `>= 0`).
///
/// Returns every id found in any list with a non-zero weight, best first. Errors
/// ([`SearchError::InvalidFusionParameter`]) for a negative/non-finite `k` or weight.
pub fn reciprocal_rank_fusion_with_k<I: Ord + Clone>(
    lists: &[RankedList<'_, I>],
    k: f64,
) -> Result<Vec<FusedHit<I>>> {
    if !k.is_finite() || k < 0.0 {
        return Err(SearchError::InvalidFusionParameter { reason: "k must be finite and >= 0" });
    }
    if lists.iter().any(|l| !l.weight.is_finite() || l.weight < 0.0) {
        return Err(SearchError::InvalidFusionParameter {
            reason: "list weights must be finite and >= 0",
        });
    }
    let mut acc: BTreeMap<&I, FusedHit<I>> = BTreeMap::new();
    for (list_index, list) in lists.iter().enumerate() {
        if list.weight == 0.0 {
            continue;
        }
        for (pos, id) in list.ids.iter().enumerate() {
            let rank = pos + 1;
            let hit = acc.entry(id).or_insert_with(|| FusedHit {
                id: id.clone(),
                score: 0.0,
                best_rank: usize::MAX,
                contributions: Vec::new(),
            });
            if hit.contributions.last().is_some_and(|c| c.list_index == list_index) {
                continue; // duplicate within this list: the earlier (better) rank already counted
            }
            let score = list.weight / (k + rank as f64);
            hit.score += score;
            hit.best_rank = hit.best_rank.min(rank);
            hit.contributions.push(Contribution {
                list: list.name.to_string(),
                list_index,
                rank,
                score,
            });
        }
    }
    let mut fused: Vec<FusedHit<I>> = acc.into_values().collect();
    fused.sort_by(compare_hits);
    Ok(fused)
}

/// Convenience: just the fused ids, best first, truncated to `limit`.
pub fn fused_ids<I: Ord + Clone>(lists: &[RankedList<'_, I>], limit: usize) -> Result<Vec<I>> {
    Ok(reciprocal_rank_fusion(lists)?.into_iter().take(limit).map(|h| h.id).collect())
}

/// Orders two fused hits the way [`reciprocal_rank_fusion`] does (exposed for callers that
/// merge fused pages).
pub fn compare_hits<I: Ord>(a: &FusedHit<I>, b: &FusedHit<I>) -> Ordering {
    b.score.total_cmp(&a.score).then(a.best_rank.cmp(&b.best_rank)).then_with(|| a.id.cmp(&b.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids<I: Clone>(hits: &[FusedHit<I>]) -> Vec<I> {
        hits.iter().map(|h| h.id.clone()).collect()
    }

    #[test]
    fn single_list_keeps_order_and_scores_follow_formula() {
        let a = ["x", "y", "z"];
        let hits = reciprocal_rank_fusion(&[RankedList::new("fts", &a)]).unwrap();
        assert_eq!(ids(&hits), vec!["x", "y", "z"]);
        assert!((hits[0].score - 1.0 / 61.0).abs() < 1e-12);
        assert!((hits[2].score - 1.0 / 63.0).abs() < 1e-12);
        assert_eq!(hits[1].best_rank, 2);
    }

    #[test]
    fn agreement_across_lists_beats_single_top_rank() {
        // "b" is 2nd in both lists; "a" is 1st in one list only.
        let fts = ["a", "b", "c"];
        let sem = ["d", "b", "e"];
        let hits = reciprocal_rank_fusion(&[
            RankedList::new("fts", &fts),
            RankedList::new("semantic", &sem),
        ])
        .unwrap();
        assert_eq!(hits[0].id, "b");
        assert!((hits[0].score - 2.0 / 62.0).abs() < 1e-12);
        // a and d tie on score (1/61) and best rank (1): id order decides.
        assert_eq!(ids(&hits)[1..3], ["a", "d"]);
        assert_eq!(ids(&hits)[3..], ["c", "e"]);
    }

    #[test]
    fn contributions_explain_each_hit() {
        let fts = [10u32, 20];
        let sem = [20u32, 30];
        let hits = reciprocal_rank_fusion(&[
            RankedList::new("fts", &fts),
            RankedList::new("semantic", &sem),
        ])
        .unwrap();
        let h20 = hits.iter().find(|h| h.id == 20).unwrap();
        assert_eq!(h20.contributions.len(), 2);
        assert_eq!((h20.contributions[0].list.as_str(), h20.contributions[0].rank), ("fts", 2));
        assert_eq!(
            (h20.contributions[1].list.as_str(), h20.contributions[1].rank),
            ("semantic", 1)
        );
        assert_eq!(h20.contributions[1].list_index, 1);
        let sum: f64 = h20.contributions.iter().map(|c| c.score).sum();
        assert!((sum - h20.score).abs() < 1e-15);
        let h30 = hits.iter().find(|h| h.id == 30).unwrap();
        assert_eq!(h30.contributions.len(), 1);
        assert_eq!(h30.contributions[0].list, "semantic");
    }

    #[test]
    fn weights_shift_the_result() {
        let fts = ["a", "b"];
        let sem = ["b", "a"];
        let even =
            reciprocal_rank_fusion(&[RankedList::new("fts", &fts), RankedList::new("sem", &sem)])
                .unwrap();
        // Perfect tie on score and best rank: id decides.
        assert_eq!(ids(&even), vec!["a", "b"]);
        let sem_heavy = reciprocal_rank_fusion(&[
            RankedList::new("fts", &fts),
            RankedList::new("sem", &sem).with_weight(2.0),
        ])
        .unwrap();
        assert_eq!(ids(&sem_heavy), vec!["b", "a"]);
        assert!((sem_heavy[0].score - (1.0 / 62.0 + 2.0 / 61.0)).abs() < 1e-12);
    }

    #[test]
    fn zero_weight_disables_a_list() {
        let fts = ["a"];
        let sem = ["b"];
        let hits = reciprocal_rank_fusion(&[
            RankedList::new("fts", &fts),
            RankedList::new("sem", &sem).with_weight(0.0),
        ])
        .unwrap();
        assert_eq!(ids(&hits), vec!["a"]);
    }

    #[test]
    fn tie_on_score_prefers_better_best_rank() {
        // With k = 0 and weights, id "z" at rank 1 (weight 1: 1/1) and id "a" at rank 2 in a
        // weight-2 list (2/2) tie exactly on score; "z" has the better best rank.
        let l1 = ["z"];
        let l2 = ["q", "a"];
        let hits = reciprocal_rank_fusion_with_k(
            &[RankedList::new("l1", &l1), RankedList::new("l2", &l2).with_weight(2.0)],
            0.0,
        )
        .unwrap();
        let order = ids(&hits);
        assert_eq!(order, vec!["q", "z", "a"]);
        assert_eq!(hits[1].score, hits[2].score);
    }

    #[test]
    fn duplicates_within_a_list_count_once_at_best_rank() {
        let l = ["a", "b", "a"];
        let hits = reciprocal_rank_fusion(&[RankedList::new("l", &l)]).unwrap();
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].contributions.len(), 1);
        assert_eq!(hits[0].contributions[0].rank, 1);
        assert!((hits[0].score - 1.0 / 61.0).abs() < 1e-12);
    }

    #[test]
    fn empty_inputs() {
        let none: [RankedList<'_, u8>; 0] = [];
        assert!(reciprocal_rank_fusion(&none).unwrap().is_empty());
        let empty: [u8; 0] = [];
        assert!(reciprocal_rank_fusion(&[RankedList::new("x", &empty)]).unwrap().is_empty());
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        let l = ["a"];
        assert!(matches!(
            reciprocal_rank_fusion_with_k(&[RankedList::new("l", &l)], -1.0),
            Err(SearchError::InvalidFusionParameter { .. })
        ));
        assert!(matches!(
            reciprocal_rank_fusion_with_k(&[RankedList::new("l", &l)], f64::NAN),
            Err(SearchError::InvalidFusionParameter { .. })
        ));
        assert!(matches!(
            reciprocal_rank_fusion(&[RankedList::new("l", &l).with_weight(-0.5)]),
            Err(SearchError::InvalidFusionParameter { .. })
        ));
        assert!(matches!(
            reciprocal_rank_fusion(&[RankedList::new("l", &l).with_weight(f64::INFINITY)]),
            Err(SearchError::InvalidFusionParameter { .. })
        ));
    }

    #[test]
    fn output_is_independent_of_list_order_except_explanations() {
        let a = ["p", "q", "r", "s"];
        let b = ["s", "r", "t"];
        let ab =
            reciprocal_rank_fusion(&[RankedList::new("a", &a), RankedList::new("b", &b)]).unwrap();
        let ba =
            reciprocal_rank_fusion(&[RankedList::new("b", &b), RankedList::new("a", &a)]).unwrap();
        assert_eq!(ids(&ab), ids(&ba));
        assert_eq!(ids(&ab)[0], "s");
    }

    #[test]
    fn fused_ids_truncates_and_compare_hits_agrees() {
        let a = [1, 2, 3];
        let b = [3, 4];
        let lists = [RankedList::new("a", &a[..]), RankedList::new("b", &b[..])];
        assert_eq!(fused_ids(&lists, 2).unwrap(), vec![3, 1]);
        assert!(fused_ids(&lists, 0).unwrap().is_empty());
        let hits = reciprocal_rank_fusion(&lists).unwrap();
        assert!(hits.windows(2).all(|w| compare_hits(&w[0], &w[1]) == Ordering::Less));
    }
}

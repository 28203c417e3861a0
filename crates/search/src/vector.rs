//! Vector math for embeddings: dot product, cosine similarity, L2 normalisation, a compact
//! byte encoding for D1 BLOB columns, and exact (brute-force) k-nearest-neighbour search.
//!
//! Choices:
//! - Sums are accumulated in `f64` and only the final value is rounded to `f32`. That keeps
//!   results stable for 384-dimensional vectors and means large-but-finite components cannot
//!   overflow an `f32` accumulator.
//! - NaN/infinite components are rejected ([`SearchError::NonFiniteValue`]) instead of silently
//!   producing NaN scores that would poison sorting.
//! - The **zero vector** (what [`crate::LocalEmbedder`] returns for empty or stop-word-only
//!   text) has cosine similarity `0.0` with every vector, including itself. It is therefore
//!   never "similar" to anything, but it is not an error either: a query with no content simply
//!   ranks all candidates equally and the id tie-break decides.
//! - Cosine results are clamped to `[-1, 1]` so rounding can never report `1.0000001`.

use crate::error::{Result, SearchError};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Bytes per encoded component (`f32`).
pub const BYTES_PER_COMPONENT: usize = 4;

fn check_same_len(a: &[f32], b: &[f32]) -> Result<()> {
    if a.len() == b.len() {
        Ok(())
    } else {
        Err(SearchError::DimensionMismatch { expected: a.len(), actual: b.len() })
    }
}

fn check_finite(v: &[f32]) -> Result<()> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(SearchError::NonFiniteValue { index }),
        None => Ok(()),
    }
}

/// Dot product of two equally long vectors (accumulated in `f64`).
///
/// Errors: [`SearchError::DimensionMismatch`], [`SearchError::NonFiniteValue`].
pub fn dot(a: &[f32], b: &[f32]) -> Result<f32> {
    check_same_len(a, b)?;
    check_finite(a)?;
    check_finite(b)?;
    let sum: f64 = a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
    Ok(sum as f32)
}

/// Euclidean (L2) norm, accumulated in `f64`. Non-finite input gives a non-finite result.
pub fn l2_norm(v: &[f32]) -> f32 {
    let sq: f64 = v.iter().map(|x| f64::from(*x) * f64::from(*x)).sum();
    sq.sqrt() as f32
}

/// Cosine similarity in `[-1, 1]`.
///
/// If either vector is the zero vector the similarity is defined as `0.0` (see the module
/// docs). Errors: [`SearchError::DimensionMismatch`], [`SearchError::NonFiniteValue`].
pub fn cosine_similarity(a: &[f32], b: &[f32]) -> Result<f32> {
    check_same_len(a, b)?;
    check_finite(a)?;
    check_finite(b)?;
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        return Ok(0.0);
    }
    let c = ab / (aa.sqrt() * bb.sqrt());
    // `+ 0.0` turns a possible -0.0 into +0.0 so total ordering treats them alike.
    Ok((c.clamp(-1.0, 1.0) as f32) + 0.0)
}

/// Scales `v` in place to unit length and returns its original norm.
///
/// A zero vector (norm `0`) and a vector with non-finite components are left unchanged; the
/// returned norm tells the caller which case happened (`0.0` or non-finite).
pub fn l2_normalize(v: &mut [f32]) -> f32 {
    let sq: f64 = v.iter().map(|x| f64::from(*x) * f64::from(*x)).sum();
    let norm = sq.sqrt();
    if norm > 0.0 && norm.is_finite() {
        for x in v.iter_mut() {
            *x = (f64::from(*x) / norm) as f32;
        }
    }
    norm as f32
}

/// Returns a unit-length copy of `v` (see [`l2_normalize`] for the zero-vector case).
pub fn normalized(v: &[f32]) -> Vec<f32> {
    let mut out = v.to_vec();
    l2_normalize(&mut out);
    out
}

/// Encodes a vector as little-endian `f32`s (4 bytes per component) for a D1 BLOB column.
///
/// Non-finite components are rejected so that nothing unusable is ever stored.
pub fn encode_vector(v: &[f32]) -> Result<Vec<u8>> {
    check_finite(v)?;
    let mut out = Vec::with_capacity(v.len() * BYTES_PER_COMPONENT);
    for x in v {
        out.extend_from_slice(&x.to_le_bytes());
    }
    Ok(out)
}

/// Decodes a blob written by [`encode_vector`].
///
/// Errors: [`SearchError::InvalidByteLength`] when the length is not a multiple of 4,
/// [`SearchError::NonFiniteValue`] when the blob holds NaN/infinity (corrupt data).
pub fn decode_vector(bytes: &[u8]) -> Result<Vec<f32>> {
    if !bytes.len().is_multiple_of(BYTES_PER_COMPONENT) {
        return Err(SearchError::InvalidByteLength { len: bytes.len() });
    }
    let v: Vec<f32> = bytes
        .chunks_exact(BYTES_PER_COMPONENT)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    check_finite(&v)?;
    Ok(v)
}

/// Like [`decode_vector`] but also requires exactly `dimensions` components
/// ([`SearchError::DimensionMismatch`] otherwise), e.g. `crate::DIMENSIONS`.
pub fn decode_vector_with_dimensions(bytes: &[u8], dimensions: usize) -> Result<Vec<f32>> {
    if !bytes.len().is_multiple_of(BYTES_PER_COMPONENT) {
        return Err(SearchError::InvalidByteLength { len: bytes.len() });
    }
    let actual = bytes.len() / BYTES_PER_COMPONENT;
    if actual != dimensions {
        return Err(SearchError::DimensionMismatch { expected: dimensions, actual });
    }
    decode_vector(bytes)
}

/// One result of [`top_k`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Neighbor<I> {
    /// The candidate's id.
    pub id: I,
    /// Cosine similarity with the query, in `[-1, 1]`.
    pub score: f32,
}

/// Heap entry ordered so that the *worst* ranked entry is the greatest (top of the max-heap).
struct Worst<I>(Neighbor<I>);

/// `Less` means `a` ranks better: higher score first, then smaller id.
fn rank_cmp<I: Ord>(a: &Neighbor<I>, b: &Neighbor<I>) -> Ordering {
    b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id))
}

impl<I: Ord> PartialEq for Worst<I> {
    fn eq(&self, other: &Self) -> bool {
        rank_cmp(&self.0, &other.0) == Ordering::Equal
    }
}
impl<I: Ord> Eq for Worst<I> {}
impl<I: Ord> PartialOrd for Worst<I> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<I: Ord> Ord for Worst<I> {
    fn cmp(&self, other: &Self) -> Ordering {
        rank_cmp(&self.0, &other.0)
    }
}

/// Exact k-nearest-neighbour search by cosine similarity.
///
/// Scans every `(id, vector)` candidate once and keeps the best `k` in a bounded heap
/// (`O(n·d + n·log k)` time, `O(k)` memory), so it suits the few thousand vectors of one
/// tenant that D1 can hand back; Vectorize does approximate search for anything larger.
///
/// Results are sorted best first; equal scores are ordered by ascending id, so the output is
/// fully deterministic whatever order the candidates arrive in. Duplicate ids are not merged.
///
/// - `k == 0` or no candidates: `Ok(vec![])` (with `k == 0` the candidates are not read).
/// - A candidate whose length differs from the query's: [`SearchError::DimensionMismatch`]
///   (`expected` is the query length). Non-finite components: [`SearchError::NonFiniteValue`].
pub fn top_k<I, V, C>(query: &[f32], candidates: C, k: usize) -> Result<Vec<Neighbor<I>>>
where
    I: Ord,
    V: AsRef<[f32]>,
    C: IntoIterator<Item = (I, V)>,
{
    if k == 0 {
        return Ok(Vec::new());
    }
    check_finite(query)?;
    let mut heap: BinaryHeap<Worst<I>> = BinaryHeap::with_capacity(k.saturating_add(1).min(1024));
    for (id, vector) in candidates {
        let score = cosine_similarity(query, vector.as_ref())?;
        let entry = Neighbor { id, score };
        if heap.len() < k {
            heap.push(Worst(entry));
        } else if let Some(worst) = heap.peek() {
            if rank_cmp(&entry, &worst.0) == Ordering::Less {
                heap.pop();
                heap.push(Worst(entry));
            }
        }
    }
    Ok(heap.into_sorted_vec().into_iter().map(|w| w.0).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn dot_product_basic_and_mismatch() {
        assert!(close(dot(&[1.0, 2.0, 3.0], &[4.0, -5.0, 6.0]).unwrap(), 12.0));
        assert_eq!(
            dot(&[1.0, 2.0], &[1.0]),
            Err(SearchError::DimensionMismatch { expected: 2, actual: 1 })
        );
        assert_eq!(dot(&[], &[]).unwrap(), 0.0);
    }

    #[test]
    fn cosine_known_values() {
        assert!(close(cosine_similarity(&[1.0, 0.0], &[0.0, 1.0]).unwrap(), 0.0));
        assert!(close(cosine_similarity(&[1.0, 1.0], &[2.0, 2.0]).unwrap(), 1.0));
        assert!(close(cosine_similarity(&[1.0, 0.0], &[-3.0, 0.0]).unwrap(), -1.0));
        let c = cosine_similarity(&[1.0, 0.0], &[1.0, 1.0]).unwrap();
        assert!(close(c, std::f32::consts::FRAC_1_SQRT_2), "{c}");
    }

    #[test]
    fn cosine_is_scale_invariant_and_symmetric() {
        let a = [0.3, -1.2, 4.0, 0.01];
        let b = [2.0, 0.5, -0.7, 9.0];
        let scaled: Vec<f32> = a.iter().map(|x| x * 1000.0).collect();
        let c1 = cosine_similarity(&a, &b).unwrap();
        assert!(close(c1, cosine_similarity(&scaled, &b).unwrap()));
        assert!(close(c1, cosine_similarity(&b, &a).unwrap()));
    }

    #[test]
    fn cosine_zero_vector_is_zero_not_nan() {
        let z = [0.0f32; 4];
        assert_eq!(cosine_similarity(&z, &[1.0, 2.0, 3.0, 4.0]).unwrap(), 0.0);
        assert_eq!(cosine_similarity(&z, &z).unwrap(), 0.0);
    }

    #[test]
    fn cosine_rejects_mismatch_and_nan() {
        assert_eq!(
            cosine_similarity(&[1.0, 2.0, 3.0], &[1.0, 2.0]),
            Err(SearchError::DimensionMismatch { expected: 3, actual: 2 })
        );
        assert_eq!(
            cosine_similarity(&[1.0, f32::NAN], &[1.0, 2.0]),
            Err(SearchError::NonFiniteValue { index: 1 })
        );
        assert_eq!(
            cosine_similarity(&[1.0, 2.0], &[f32::INFINITY, 2.0]),
            Err(SearchError::NonFiniteValue { index: 0 })
        );
    }

    #[test]
    fn cosine_huge_components_do_not_overflow() {
        let a = [f32::MAX, f32::MAX];
        let c = cosine_similarity(&a, &a).unwrap();
        assert!(close(c, 1.0), "{c}");
    }

    #[test]
    fn normalize_gives_unit_length_and_reports_norm() {
        let mut v = vec![3.0, 4.0];
        let n = l2_normalize(&mut v);
        assert!(close(n, 5.0));
        assert!(close(v[0], 0.6) && close(v[1], 0.8));
        assert!(close(l2_norm(&v), 1.0));
    }

    #[test]
    fn normalize_leaves_zero_and_nan_vectors_alone() {
        let mut z = vec![0.0f32; 3];
        assert_eq!(l2_normalize(&mut z), 0.0);
        assert_eq!(z, vec![0.0; 3]);
        let mut bad = vec![f32::NAN, 1.0];
        assert!(!l2_normalize(&mut bad).is_finite());
        assert_eq!(bad[1], 1.0);
        assert_eq!(normalized(&[0.0, 2.0]), vec![0.0, 1.0]);
    }

    #[test]
    fn encode_is_little_endian_f32() {
        let bytes = encode_vector(&[1.0, -2.5]).unwrap();
        assert_eq!(bytes, vec![0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0]);
    }

    #[test]
    fn encode_decode_round_trip_is_bit_exact() {
        let v = vec![0.0, -0.0, 1.5e-38, -3.25, 12345.678, f32::MIN_POSITIVE, f32::MAX];
        let back = decode_vector(&encode_vector(&v).unwrap()).unwrap();
        let bits = |xs: &[f32]| xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back), bits(&v));
        assert_eq!(decode_vector(&[]).unwrap(), Vec::<f32>::new());
    }

    #[test]
    fn decode_rejects_bad_lengths_and_nan() {
        assert_eq!(decode_vector(&[0, 0, 0]), Err(SearchError::InvalidByteLength { len: 3 }));
        assert_eq!(decode_vector(&[0; 9]), Err(SearchError::InvalidByteLength { len: 9 }));
        let nan = f32::NAN.to_le_bytes();
        assert_eq!(decode_vector(&nan), Err(SearchError::NonFiniteValue { index: 0 }));
        assert_eq!(
            encode_vector(&[1.0, f32::NEG_INFINITY]),
            Err(SearchError::NonFiniteValue { index: 1 })
        );
    }

    #[test]
    fn decode_with_dimensions_checks_count() {
        let bytes = encode_vector(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(decode_vector_with_dimensions(&bytes, 3).unwrap(), vec![1.0, 2.0, 3.0]);
        assert_eq!(
            decode_vector_with_dimensions(&bytes, 384),
            Err(SearchError::DimensionMismatch { expected: 384, actual: 3 })
        );
        assert_eq!(
            decode_vector_with_dimensions(&bytes[..5], 3),
            Err(SearchError::InvalidByteLength { len: 5 })
        );
    }

    #[test]
    fn top_k_orders_by_cosine() {
        let q = [1.0, 0.0];
        let cands = vec![
            ("far", vec![-1.0, 0.0]),
            ("near", vec![1.0, 0.1]),
            ("mid", vec![1.0, 1.0]),
            ("orth", vec![0.0, 1.0]),
        ];
        let res = top_k(&q, cands.clone(), 3).unwrap();
        let ids: Vec<_> = res.iter().map(|n| n.id).collect();
        assert_eq!(ids, vec!["near", "mid", "orth"]);
        assert!(res[0].score > res[1].score && res[1].score > res[2].score);
        // k larger than the input returns everything, still sorted.
        let all: Vec<_> = top_k(&q, cands, 10).unwrap().into_iter().map(|n| n.id).collect();
        assert_eq!(all, vec!["near", "mid", "orth", "far"]);
    }

    #[test]
    fn top_k_ties_break_by_id_regardless_of_input_order() {
        let q = [1.0, 0.0];
        let forward = vec![(3u32, [1.0, 0.0]), (1, [2.0, 0.0]), (2, [5.0, 0.0]), (0, [0.0, 1.0])];
        let mut backward = forward.clone();
        backward.reverse();
        let a = top_k(&q, forward, 2).unwrap();
        let b = top_k(&q, backward, 2).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.iter().map(|n| n.id).collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn top_k_edge_cases() {
        let q = [1.0, 0.0];
        let empty: Vec<(u8, Vec<f32>)> = vec![];
        assert!(top_k(&q, empty, 5).unwrap().is_empty());
        // k = 0 returns nothing even if a candidate is malformed (it is never read).
        assert!(top_k(&q, vec![(1u8, vec![1.0])], 0).unwrap().is_empty());
        assert_eq!(
            top_k(&q, vec![(1u8, vec![1.0, 0.0]), (2, vec![1.0])], 1),
            Err(SearchError::DimensionMismatch { expected: 2, actual: 1 })
        );
        assert_eq!(
            top_k(&[f32::NAN, 0.0], vec![(1u8, vec![1.0, 0.0])], 1),
            Err(SearchError::NonFiniteValue { index: 0 })
        );
    }

    #[test]
    fn top_k_matches_full_sort_on_larger_input() {
        // Deterministic pseudo-random vectors (LCG), compared against a naive full sort.
        let mut state = 42u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        };
        let q: Vec<f32> = (0..16).map(|_| next()).collect();
        let cands: Vec<(usize, Vec<f32>)> =
            (0..300).map(|i| (i, (0..16).map(|_| next()).collect())).collect();
        let mut naive: Vec<Neighbor<usize>> = cands
            .iter()
            .map(|(id, v)| Neighbor { id: *id, score: cosine_similarity(&q, v).unwrap() })
            .collect();
        naive.sort_by(rank_cmp);
        naive.truncate(7);
        assert_eq!(top_k(&q, cands.iter().map(|(i, v)| (*i, v)), 7).unwrap(), naive);
    }
}

/// Scales a unit vector's components (in [-1, 1]) to signed bytes, one byte each: a quarter of
/// the f32 size for the local D1 index, with cosine error well under 1% for normalised vectors.
pub fn quantize_i8(v: &[f32]) -> Vec<u8> {
    v.iter().map(|x| ((x.clamp(-1.0, 1.0) * 127.0).round() as i8) as u8).collect()
}

/// The inverse of [`quantize_i8`] (up to rounding).
pub fn dequantize_i8(bytes: &[u8]) -> Vec<f32> {
    bytes.iter().map(|b| (*b as i8) as f32 / 127.0).collect()
}

#[cfg(test)]
mod quantize_tests {
    use super::*;

    #[test]
    fn quantized_vectors_keep_their_similarity() {
        let a = normalized(&[0.3, -0.2, 0.9, 0.1]);
        let b = normalized(&[0.25, -0.1, 0.95, 0.0]);
        let exact = cosine_similarity(&a, &b).unwrap();
        let approx =
            cosine_similarity(&dequantize_i8(&quantize_i8(&a)), &dequantize_i8(&quantize_i8(&b)))
                .unwrap();
        assert!((exact - approx).abs() < 0.01, "{exact} vs {approx}");
        assert_eq!(quantize_i8(&[1.0, -1.0, 0.0]), vec![127, 129, 0]);
        assert_eq!(dequantize_i8(&[127, 129, 0]), vec![1.0, -1.0, 0.0]);
    }
}

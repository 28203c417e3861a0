//! Helpers shared by the fuzz targets: structured JSON generation biased towards the names the
//! code under test looks for, and a poll-once executor for futures that never wait.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use arbitrary::{Arbitrary, Result, Unstructured};
use serde_json::{Map, Number, Value};

/// Deepest nesting generated (serde_json itself refuses more than 128 when parsing).
pub const MAX_DEPTH: usize = 5;

/// Words the generators prefer for object keys and string values, so that the fuzzer reaches
/// the interesting branches without having to guess exact spellings.
#[derive(Clone, Copy, Debug)]
pub struct Vocab {
    pub keys: &'static [&'static str],
    pub strings: &'static [&'static str],
}

pub const NO_VOCAB: Vocab = Vocab { keys: &[], strings: &[] };

/// A string: usually from the vocabulary (when there is one), otherwise arbitrary.
pub fn string(u: &mut Unstructured<'_>, words: &[&str]) -> Result<String> {
    if !words.is_empty() && u.ratio(3, 4)? {
        let w = *u.choose(words)?;
        // Sometimes pad or re-case a known word, to exercise trimming and exact matching.
        return Ok(match u.int_in_range(0..=7)? {
            0 => format!("  {w} "),
            1 => w.to_ascii_uppercase(),
            _ => w.to_string(),
        });
    }
    String::arbitrary(u)
}

pub fn number(u: &mut Unstructured<'_>) -> Result<Number> {
    Ok(match u.int_in_range(0..=5)? {
        0 => Number::from(u.int_in_range(-3i64..=130)?),
        1 => Number::from(i64::arbitrary(u)?),
        2 => Number::from(u64::arbitrary(u)?),
        3 => Number::from_f64(f64::arbitrary(u)?).unwrap_or_else(|| Number::from(0)),
        4 => Number::from_f64(
            u.int_in_range(-3i64..=130)? as f64 + *u.choose(&[0.0, 0.5, 0.25, 1e-9])?,
        )
        .unwrap_or_else(|| Number::from(1)),
        _ => Number::from(u.int_in_range(0u64..=10_001)?),
    })
}

/// An arbitrary JSON value at most `MAX_DEPTH - depth` levels deep.
pub fn value(u: &mut Unstructured<'_>, depth: usize, vocab: Vocab) -> Result<Value> {
    let leaf_only = depth >= MAX_DEPTH;
    let kind = if leaf_only { u.int_in_range(0..=3)? } else { u.int_in_range(0..=5)? };
    Ok(match kind {
        0 => Value::Null,
        1 => Value::Bool(bool::arbitrary(u)?),
        2 => Value::Number(number(u)?),
        3 => Value::String(string(u, vocab.strings)?),
        4 => {
            let n = u.int_in_range(0..=4)?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(value(u, depth + 1, vocab)?);
            }
            Value::Array(items)
        }
        _ => Value::Object(object(u, depth + 1, vocab)?),
    })
}

/// An arbitrary JSON object whose keys mostly come from the vocabulary.
pub fn object(u: &mut Unstructured<'_>, depth: usize, vocab: Vocab) -> Result<Map<String, Value>> {
    let n = u.int_in_range(0..=5)?;
    let mut m = Map::new();
    for _ in 0..n {
        let k = string(u, vocab.keys)?;
        m.insert(k, value(u, depth, vocab)?);
    }
    Ok(m)
}

/// Any JSON value, with no vocabulary.
#[derive(Debug, Clone)]
pub struct AnyJson(pub Value);

impl<'a> Arbitrary<'a> for AnyJson {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        value(u, 0, NO_VOCAB).map(AnyJson)
    }
}

/// Runs a future that must complete without waiting (the fakes used here never wait).
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("a future with synchronous fakes returned Pending"),
    }
}

/// Two JSON numbers that denote the same value (integers exactly, floats to the last bit after
/// one round trip through text, which is what a client gets back).
pub fn same_number(a: &Number, b: &Number) -> bool {
    match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
        (Some(x), Some(y), _, _) => x == y,
        (_, _, Some(x), Some(y)) => x == y,
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => {
                x == y || ((x - y) / x.abs().max(f64::MIN_POSITIVE)).abs() < 1e-15
            }
            _ => false,
        },
    }
}

/// `same_number` lifted to JSON values (exact for everything else).
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => same_number(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

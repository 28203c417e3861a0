//! Size-bounded compact JSON for tool results fed back to the model.
//!
//! Llama 3.3 on Workers AI has a 24k-token context, and a run can feed back up to
//! `max_rounds × max_tool_calls_per_round` results, so each result is capped (default
//! [`DEFAULT_MAX_RESULT_CHARS`] characters, about 1,000–1,300 tokens). A result that fits is sent
//! as-is in compact form. One that does not is shrunk *structurally*, so the model (and the
//! offline planner) still gets valid JSON:
//!
//! 1. strings longer than [`LONG_STRING_CHARS`] are cut to that length (ending in `…`);
//! 2. the largest array is halved, repeatedly, until the result fits (at least one item stays);
//! 3. strings are cut further, to [`SHORT_STRING_CHARS`];
//! 4. as a last resort the compact text itself is cut and sent as a string.
//!
//! A shrunk result is wrapped as
//! `{"truncated":true,"note":"Result shortened …","result":<shrunk>}` (steps 1–3) or
//! `{"truncated":true,"note":"…","partial":"<first characters>"}` (step 4).

use serde_json::{json, Value};

/// Default cap, in characters, on one tool result as fed back to the model.
pub const DEFAULT_MAX_RESULT_CHARS: usize = 4_000;
/// The smallest cap [`crate::LoopConfig`] accepts (room for the truncation envelope).
pub const MIN_RESULT_CHARS: usize = 256;
/// First-pass cut for long strings inside an oversized result.
pub const LONG_STRING_CHARS: usize = 500;
/// Second-pass cut for strings inside a result that is still too large.
pub const SHORT_STRING_CHARS: usize = 120;
/// Cap on a tool error message fed back to the model.
pub const MAX_ERROR_CHARS: usize = 500;

/// Compact JSON for `value`, at most `max_chars` characters (for `max_chars >= MIN_RESULT_CHARS`).
pub fn compact_json_bounded(value: &Value, max_chars: usize) -> String {
    let full = value.to_string();
    let original = char_len(&full);
    if original <= max_chars {
        return full;
    }
    let mut shrunk = value.clone();
    let mut cut_strings = shorten_strings(&mut shrunk, LONG_STRING_CHARS);
    let mut omitted = 0usize;
    loop {
        let candidate = envelope(&shrunk, original, max_chars, omitted, cut_strings);
        if char_len(&candidate) <= max_chars {
            return candidate;
        }
        let Some(pointer) = largest_array(&shrunk) else {
            break;
        };
        match shrunk.pointer_mut(&pointer) {
            Some(Value::Array(items)) if items.len() > 1 => {
                let keep = items.len().div_ceil(2);
                omitted += items.len() - keep;
                items.truncate(keep);
            }
            _ => break,
        }
    }
    cut_strings += shorten_strings(&mut shrunk, SHORT_STRING_CHARS);
    let candidate = envelope(&shrunk, original, max_chars, omitted, cut_strings);
    if char_len(&candidate) <= max_chars {
        return candidate;
    }
    hard_cut(&full, original, max_chars)
}

/// `{"error": message}` with the message capped at [`MAX_ERROR_CHARS`].
pub fn error_json(message: &str) -> String {
    json!({ "error": truncate_chars(message, MAX_ERROR_CHARS) }).to_string()
}

/// The first `max` characters of `text`, with `…` appended when something was cut.
pub fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((byte, _)) => {
            let mut out = text.get(..byte).unwrap_or(text).to_owned();
            out.push('…');
            out
        }
    }
}

pub(crate) fn char_len(text: &str) -> usize {
    text.chars().count()
}

fn envelope(result: &Value, original: usize, max: usize, omitted: usize, cut: usize) -> String {
    json!({
        "truncated": true,
        "note": format!(
            "Result shortened from {original} to at most {max} characters: {omitted} list items \
             omitted, {cut} long texts cut. Narrow the query or lower the limit for full detail."
        ),
        "result": result,
    })
    .to_string()
}

fn hard_cut(full: &str, original: usize, max: usize) -> String {
    let note = format!(
        "Result of {original} characters was too large to shorten structurally; only its beginning \
         is shown. Narrow the query or lower the limit."
    );
    let mut budget = max;
    loop {
        let prefix: String = full.chars().take(budget).collect();
        let text = json!({ "truncated": true, "note": note, "partial": prefix }).to_string();
        let len = char_len(&text);
        if len <= max || budget == 0 {
            return text;
        }
        budget = budget.saturating_sub((len - max).max(1));
    }
}

/// Cuts every string longer than `max` characters; returns how many were cut.
fn shorten_strings(value: &mut Value, max: usize) -> usize {
    match value {
        Value::String(text) if char_len(text) > max => {
            *text = truncate_chars(text, max);
            1
        }
        Value::Array(items) => items.iter_mut().map(|item| shorten_strings(item, max)).sum(),
        Value::Object(map) => map.values_mut().map(|item| shorten_strings(item, max)).sum(),
        _ => 0,
    }
}

/// The JSON Pointer of the array (with at least two items) whose compact form is largest.
fn largest_array(value: &Value) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    visit_arrays(value, String::new(), &mut best);
    best.map(|(_, pointer)| pointer)
}

fn visit_arrays(value: &Value, pointer: String, best: &mut Option<(usize, String)>) {
    match value {
        Value::Array(items) => {
            if items.len() > 1 {
                let size = value.to_string().len();
                if best.as_ref().is_none_or(|(best_size, _)| size > *best_size) {
                    *best = Some((size, pointer.clone()));
                }
            }
            for (index, item) in items.iter().enumerate() {
                visit_arrays(item, format!("{pointer}/{index}"), best);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                visit_arrays(item, format!("{pointer}/{escaped}"), best);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize, text: &str) -> Value {
        Value::Array(
            (0..n).map(|i| json!({"id": format!("p{i}"), "name": format!("{text} {i}")})).collect(),
        )
    }

    #[test]
    fn small_values_are_compact_and_untouched() {
        let value = json!({"web": 10, "cctv": 2, "names": ["a", "b"]});
        let text = compact_json_bounded(&value, 4_000);
        assert!(!text.contains(' ') && !text.contains('\n'));
        assert_eq!(serde_json::from_str::<Value>(&text).ok(), Some(value));
    }

    #[test]
    fn large_arrays_are_halved_and_stay_valid_json() {
        let value = json!({"results": items(200, "Trail running shoe"), "total": 200});
        let text = compact_json_bounded(&value, 1_000);
        assert!(char_len(&text) <= 1_000, "{} chars", char_len(&text));
        let parsed: Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(parsed["truncated"], json!(true));
        let kept = parsed["result"]["results"].as_array().map(Vec::len).unwrap_or(0);
        assert!((1..200).contains(&kept));
        assert_eq!(parsed["result"]["results"][0]["id"], json!("p0"), "keeps the first items");
        assert_eq!(parsed["result"]["total"], json!(200));
        let note = parsed["note"].as_str().unwrap_or_default();
        assert!(note.contains(&format!("{} list items omitted", 200 - kept)), "{note}");
    }

    #[test]
    fn long_strings_are_cut_before_items_are_dropped() {
        let long = "x".repeat(3_000);
        let value = json!({"results": [{"id": "d1", "text": long}]});
        let text = compact_json_bounded(&value, 1_000);
        assert!(char_len(&text) <= 1_000);
        let parsed: Value = serde_json::from_str(&text).unwrap_or_default();
        let cut = parsed["result"]["results"][0]["text"].as_str().unwrap_or_default();
        assert_eq!(char_len(cut), LONG_STRING_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(parsed["result"]["results"][0]["id"], json!("d1"));
    }

    #[test]
    fn objects_with_many_keys_fall_back_to_a_hard_cut() {
        let map: serde_json::Map<String, Value> =
            (0..500).map(|i| (format!("key{i}"), json!(format!("\"quoted\" value {i}")))).collect();
        let text = compact_json_bounded(&Value::Object(map), 600);
        assert!(char_len(&text) <= 600, "{} chars", char_len(&text));
        let parsed: Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(parsed["truncated"], json!(true));
        assert!(parsed["partial"].as_str().is_some_and(|p| p.starts_with("{\"key0\"")));
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate_chars("héllo wörld", 4), "héll…");
        assert_eq!(truncate_chars("short", 10), "short");
        let error = error_json(&"é".repeat(2_000));
        let parsed: Value = serde_json::from_str(&error).unwrap_or_default();
        assert_eq!(parsed["error"].as_str().map(char_len), Some(MAX_ERROR_CHARS + 1));
    }
}

//! Splits a document into overlapping chunks for embedding, with offsets back into the source.
//!
//! Embedding models work best on passages of a few hundred characters, and a search hit must
//! be able to point at the passage it came from. [`chunk_text`] therefore returns, for each
//! chunk, the text (borrowed from the input) together with its byte and char offsets:
//! `&text[c.byte_start..c.byte_end] == c.text` always holds, and the char offsets are what a
//! JavaScript client (UTF-16 aside) or a UI highlighting by character would want.
//!
//! Algorithm (all sizes in Unicode scalar values, "chars", never bytes, so a UTF-8 character is
//! never split):
//! 1. Skip whitespace at the start position.
//! 2. If what remains fits in `target_chars`, it is the last chunk.
//! 3. Otherwise look for a break inside the window of `target_chars` chars, preferring, in
//!    order: the **last paragraph break** (blank line), the **last sentence end** (`.`, `!`,
//!    `?`, `…` followed by whitespace, or CJK `。！？`), both only in the second half of the
//!    window (and after the overlap length) so chunks do not become tiny; then the **last
//!    whitespace** after the overlap length; and as a last resort a hard cut at exactly
//!    `target_chars` (text without spaces).
//! 4. The chunk is the text up to the break with surrounding whitespace trimmed (offsets point
//!    at the trimmed text).
//! 5. The next chunk starts `overlap_chars` before the break, moved forward to the start of the
//!    next word when that position is mid-word (so overlaps begin on a word), hence the actual
//!    overlap is *at most* `overlap_chars`. Because a break always lies more than
//!    `overlap_chars` after the chunk start, every step makes progress.
//!
//! Guarantees (tested): every chunk has between 1 and `target_chars` chars, chunks are in
//! document order with strictly increasing starts, consecutive chunks overlap by at most
//! `overlap_chars` chars, and every non-whitespace char of the input is in some chunk.
//! Empty or whitespace-only input gives no chunks.

use crate::error::{Result, SearchError};
use serde::Serialize;

/// Default target chunk size in chars (≈ 150–200 English tokens, well inside the 512-token
/// window of small embedding models).
pub const DEFAULT_TARGET_CHARS: usize = 800;
/// Default overlap in chars (15 %: enough to keep a sentence that straddles a boundary whole in
/// at least one chunk).
pub const DEFAULT_OVERLAP_CHARS: usize = 120;

/// Chunking parameters. Requirements: `target_chars >= 1` and `overlap_chars < target_chars`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkConfig {
    /// Maximum chunk length in chars.
    pub target_chars: usize,
    /// Maximum number of chars shared by consecutive chunks.
    pub overlap_chars: usize,
}

impl Default for ChunkConfig {
    fn default() -> Self {
        ChunkConfig { target_chars: DEFAULT_TARGET_CHARS, overlap_chars: DEFAULT_OVERLAP_CHARS }
    }
}

impl ChunkConfig {
    /// Builds and validates a configuration.
    pub fn new(target_chars: usize, overlap_chars: usize) -> Result<Self> {
        let c = ChunkConfig { target_chars, overlap_chars };
        c.validate()?;
        Ok(c)
    }

    /// Checks the requirements listed on the type.
    pub fn validate(&self) -> Result<()> {
        if self.target_chars == 0 {
            return Err(SearchError::InvalidChunkConfig {
                reason: "target_chars must be at least 1",
            });
        }
        if self.overlap_chars >= self.target_chars {
            return Err(SearchError::InvalidChunkConfig {
                reason: "overlap_chars must be smaller than target_chars",
            });
        }
        Ok(())
    }
}

/// One chunk of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chunk<'a> {
    /// 0-based position of the chunk in the document.
    pub index: usize,
    /// The chunk text, a slice of the input.
    pub text: &'a str,
    /// Byte offset of the first byte in the input.
    pub byte_start: usize,
    /// Byte offset one past the last byte.
    pub byte_end: usize,
    /// Char offset of the first char in the input.
    pub char_start: usize,
    /// Char offset one past the last char.
    pub char_end: usize,
}

impl Chunk<'_> {
    /// Length in chars.
    pub fn char_len(&self) -> usize {
        self.char_end.saturating_sub(self.char_start)
    }
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…')
}

fn is_cjk_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？')
}

/// Splits `text` according to `config` (see the module docs for the exact rules).
pub fn chunk_text<'a>(text: &'a str, config: &ChunkConfig) -> Result<Vec<Chunk<'a>>> {
    config.validate()?;
    let chars: Vec<char> = text.chars().collect();
    // byte offset of every char index, plus the end of the text
    let mut byte_at: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    byte_at.push(text.len());
    let n = chars.len();
    let target = config.target_chars;
    let overlap = config.overlap_chars;
    let ws = |i: usize| chars.get(i).is_some_and(|c| c.is_whitespace());

    // Break after chars[p-1] (i.e. chunk is [start, p)).
    let paragraph_break = |p: usize| -> bool {
        if p >= n || chars[p - 1] != '\n' {
            return false;
        }
        // Walk back over blanks ('\r', spaces, tabs); a second '\n' means a blank line.
        for c in chars[..p - 1].iter().rev() {
            if *c == '\n' {
                return true;
            }
            if !c.is_whitespace() {
                return false;
            }
        }
        false
    };
    let sentence_break = |p: usize| -> bool {
        let prev = chars[p - 1];
        is_cjk_sentence_end(prev) || (is_sentence_end(prev) && ws(p))
    };

    let mut out = Vec::new();
    let mut start = 0usize;
    loop {
        while start < n && ws(start) {
            start += 1;
        }
        if start >= n {
            break;
        }
        let end_raw = if n - start <= target {
            n
        } else {
            let hard_end = start + target;
            // Never break at or before `start + overlap`, so the next start moves forward.
            let half = start + (target / 2).max(overlap);
            let find = |lo: usize, pred: &dyn Fn(usize) -> bool| {
                (lo + 1..=hard_end).rev().find(|&p| pred(p))
            };
            find(half, &paragraph_break)
                .or_else(|| find(half, &sentence_break))
                .or_else(|| find(start + overlap, &|p| ws(p)))
                .unwrap_or(hard_end)
        };
        // Trim trailing whitespace (start is already on a non-whitespace char).
        let mut end = end_raw;
        while end > start && ws(end - 1) {
            end -= 1;
        }
        // A window that only added whitespace would repeat (part of) the previous chunk.
        if out.last().is_none_or(|prev: &Chunk<'_>| end > prev.char_end) {
            out.push(Chunk {
                index: out.len(),
                text: &text[byte_at[start]..byte_at[end]],
                byte_start: byte_at[start],
                byte_end: byte_at[end],
                char_start: start,
                char_end: end,
            });
        }
        if end_raw >= n {
            break;
        }
        // Next start: `overlap` chars before the break, nudged forward onto a word start.
        let mut next = end_raw.saturating_sub(overlap);
        if next > 0 && !ws(next - 1) && !ws(next) {
            // No whitespace in the overlap (one long token): keep the exact mid-word cut.
            if let Some(i) = (next..end_raw).find(|&i| ws(i)) {
                next = i;
            }
        }
        // end_raw > start + overlap by construction, so this always moves forward.
        start = next.max(start + 1);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks every documented guarantee for one input/config pair.
    fn check_invariants<'a>(text: &'a str, cfg: &ChunkConfig) -> Vec<Chunk<'a>> {
        let chunks = chunk_text(text, cfg).unwrap();
        let chars: Vec<char> = text.chars().collect();
        let mut covered = vec![false; chars.len()];
        for (i, c) in chunks.iter().enumerate() {
            assert_eq!(c.index, i);
            assert_eq!(&text[c.byte_start..c.byte_end], c.text, "byte offsets slice back");
            let by_chars: String = chars[c.char_start..c.char_end].iter().collect();
            assert_eq!(by_chars, c.text, "char offsets slice back");
            assert_eq!(text[..c.byte_start].chars().count(), c.char_start);
            assert!(c.char_len() >= 1 && c.char_len() <= cfg.target_chars, "len {}", c.char_len());
            assert_eq!(c.text.trim(), c.text, "chunks are trimmed");
            covered[c.char_start..c.char_end].iter_mut().for_each(|x| *x = true);
            if i > 0 {
                let prev = &chunks[i - 1];
                assert!(c.char_start > prev.char_start, "strictly increasing starts");
                assert!(c.char_end > prev.char_end, "every chunk adds new text");
                let shared = prev.char_end.saturating_sub(c.char_start);
                assert!(shared <= cfg.overlap_chars, "overlap {shared} > {}", cfg.overlap_chars);
            }
        }
        for (i, ch) in chars.iter().enumerate() {
            assert!(covered[i] || ch.is_whitespace(), "char {i} ({ch:?}) not covered");
        }
        chunks
    }

    fn lorem_paragraphs() -> String {
        let sentence =
            |i: usize| format!("Sentence number {i} talks about trail shoes and warm jackets.");
        (0..6)
            .map(|p| (0..5).map(|s| sentence(p * 5 + s)).collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    #[test]
    fn config_validation() {
        assert_eq!(ChunkConfig::default(), ChunkConfig { target_chars: 800, overlap_chars: 120 });
        assert!(ChunkConfig::new(0, 0).is_err());
        assert!(ChunkConfig::new(100, 100).is_err());
        assert!(ChunkConfig::new(100, 99).is_ok());
        let bad = ChunkConfig { target_chars: 10, overlap_chars: 20 };
        assert!(matches!(chunk_text("abc", &bad), Err(SearchError::InvalidChunkConfig { .. })));
    }

    #[test]
    fn empty_and_whitespace_docs_have_no_chunks() {
        assert!(chunk_text("", &ChunkConfig::default()).unwrap().is_empty());
        assert!(chunk_text(" \n\t \n", &ChunkConfig::default()).unwrap().is_empty());
    }

    #[test]
    fn short_doc_is_one_trimmed_chunk() {
        let text = "  Lightweight trail running shoe.\n";
        let chunks = check_invariants(text, &ChunkConfig::default());
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].text, "Lightweight trail running shoe.");
        assert_eq!((chunks[0].byte_start, chunks[0].char_start), (2, 2));
        // exactly target length: still one chunk
        let exact = "a".repeat(800);
        assert_eq!(check_invariants(&exact, &ChunkConfig::default()).len(), 1);
    }

    #[test]
    fn prefers_paragraph_breaks() {
        let text = lorem_paragraphs();
        let cfg = ChunkConfig::new(400, 60).unwrap();
        let chunks = check_invariants(&text, &cfg);
        assert!(chunks.len() >= 2);
        // The first chunk ends exactly at the end of a paragraph.
        let first = &chunks[0];
        assert!(text[first.byte_end..].starts_with("\n\n"), "{:?}", &text[first.byte_end..]);
        assert!(first.text.ends_with('.'));
    }

    #[test]
    fn falls_back_to_sentence_then_word_boundaries() {
        // One paragraph of sentences: breaks land after a full stop.
        let text = (0..30)
            .map(|i| format!("Item {i} is a cosy wool sweater."))
            .collect::<Vec<_>>()
            .join(" ");
        let cfg = ChunkConfig::new(200, 40).unwrap();
        for c in &check_invariants(&text, &cfg)[..] {
            if c.byte_end < text.len() {
                assert!(c.text.ends_with('.'), "{:?}", c.text);
            }
        }
        // No punctuation at all: breaks land between words, never inside one.
        let words = (0..200).map(|i| format!("word{i}")).collect::<Vec<_>>().join(" ");
        let chunks = check_invariants(&words, &cfg);
        for c in &chunks {
            let before = words[..c.byte_start].chars().last();
            let after = words[c.byte_end..].chars().next();
            assert!(before.is_none_or(char::is_whitespace), "starts mid-word: {:?}", c.text);
            assert!(after.is_none_or(char::is_whitespace), "ends mid-word: {:?}", c.text);
        }
    }

    #[test]
    fn overlap_is_real_and_bounded() {
        let words = (0..300).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        let cfg = ChunkConfig::new(100, 30).unwrap();
        let chunks = check_invariants(&words, &cfg);
        assert!(chunks.len() > 5);
        for pair in chunks.windows(2) {
            let shared = pair[0].char_end as isize - pair[1].char_start as isize;
            // Word tokens are at most 5 chars, so nudging to a word start loses < 6 chars.
            assert!(shared > 30 - 6 && shared <= 30, "shared {shared}");
            // The overlapping text really is the same text in both chunks.
            let overlap_text = &words[pair[1].byte_start..pair[0].byte_end];
            assert!(pair[0].text.ends_with(overlap_text) && pair[1].text.starts_with(overlap_text));
        }
    }

    #[test]
    fn zero_overlap_tiles_the_text() {
        let words = (0..100).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        let chunks = check_invariants(&words, &ChunkConfig::new(50, 0).unwrap());
        for pair in chunks.windows(2) {
            assert!(pair[1].char_start >= pair[0].char_end);
        }
    }

    #[test]
    fn pathological_no_spaces_is_hard_cut_with_exact_overlap() {
        let text = "x".repeat(2000);
        let chunks = check_invariants(&text, &ChunkConfig::default());
        let spans: Vec<(usize, usize)> =
            chunks.iter().map(|c| (c.char_start, c.char_end)).collect();
        assert_eq!(spans, vec![(0, 800), (680, 1480), (1360, 2000)]);
    }

    #[test]
    fn multibyte_text_is_never_split_inside_a_char() {
        // 2-, 3- and 4-byte characters, with and without spaces.
        let spaced = "crème brûlée 日本語 🥾👟 ".repeat(80);
        let dense = "日本語のテキスト🥾".repeat(150);
        let cjk_sentences = "これは靴です。とても軽いです！".repeat(60);
        for text in [spaced.as_str(), dense.as_str(), cjk_sentences.as_str()] {
            for cfg in [
                ChunkConfig::new(97, 13).unwrap(),
                ChunkConfig::default(),
                ChunkConfig::new(1, 0).unwrap(),
            ] {
                let chunks = check_invariants(text, &cfg);
                for c in &chunks {
                    assert!(
                        text.is_char_boundary(c.byte_start) && text.is_char_boundary(c.byte_end)
                    );
                }
            }
        }
        // Byte and char offsets really differ for multibyte text.
        let chunks = chunk_text(&dense, &ChunkConfig::new(100, 10).unwrap()).unwrap();
        assert!(chunks[1].byte_start > chunks[1].char_start);
        // CJK sentences break after 。 or ！ (no whitespace needed).
        let c0 = &chunk_text(&cjk_sentences, &ChunkConfig::new(50, 5).unwrap()).unwrap()[0];
        assert!(c0.text.ends_with('。') || c0.text.ends_with('！'), "{:?}", c0.text);
    }

    #[test]
    fn windows_line_endings_count_as_paragraphs() {
        let para = "Warm fleece jacket for winter hikes. ".repeat(4).trim_end().to_string();
        let text = format!("{para}\r\n\r\n{para}\r\n\r\n{para}");
        let chunks = check_invariants(&text, &ChunkConfig::new(200, 20).unwrap());
        assert!(text[chunks[0].byte_end..].starts_with("\r\n\r\n"));
    }

    #[test]
    fn tiny_targets_and_mixed_whitespace_hold_invariants() {
        let text = "a  b\n\n\nc. d!  e?\tf … g\n h";
        for target in 1..12 {
            for overlap in 0..target {
                check_invariants(text, &ChunkConfig::new(target, overlap).unwrap());
            }
        }
    }
}

//! A network-free text embedder based on feature hashing ("the hashing trick").
//!
//! [`LocalEmbedder`] turns text into a [`DIMENSIONS`]-long, L2-normalised `f32` vector whose
//! cosine similarity reflects shared words, shared word pairs and shared word fragments. It is
//! the fallback when Workers AI is unavailable and the embedder used by host tests. It is not a
//! semantic model (it cannot know that "sofa" and "couch" are related), but it is fast,
//! deterministic, dependency-free and tolerant of plurals, inflections and typos.
//!
//! Vectors from different models live in different spaces: store [`MODEL_NAME`] next to every
//! vector and never compare vectors whose model names differ. [`DIMENSIONS`] is 384 so the
//! vectors fit the same storage (and a Vectorize index of the same size) as
//! `@cf/baai/bge-small-en-v1.5`, but they are *not* interchangeable with it.
//!
//! Pipeline:
//! 1. **Tokenise** ([`tokenize`]): lowercase, split on every non-alphanumeric character
//!    (Unicode-aware), drop [`STOP_WORDS`], apply light suffix stemming ([`stem`]).
//! 2. **Features** per token list, each with its own family weight:
//!    - word unigrams, weight [`UNIGRAM_WEIGHT`]: the main signal;
//!    - adjacent word bigrams, weight [`BIGRAM_WEIGHT`]: reward matching phrases
//!      ("running shoe") over documents that merely mention both words;
//!    - character 3-grams and 4-grams of each token wrapped in `^`/`$` boundary markers,
//!      weights [`CHAR3_WEIGHT`] / [`CHAR4_WEIGHT`]: give partial credit to misspellings and
//!      inflections the stemmer misses. They are many per word, so each is weighted low enough
//!      that a whole-word match still dominates.
//! 3. **Sub-linear tf**: a feature seen `tf` times weighs `family_weight * sqrt(tf)` (as in
//!    Lucene's classic similarity), so a description that repeats "shoe" ten times does not
//!    drown every other word. `sqrt` rather than `1 + ln tf` because IEEE 754 requires `sqrt`
//!    to be correctly rounded, whereas `ln` comes from the platform's libm and may differ in
//!    the last bit between the host and `wasm32`; with `sqrt`, fixed-order summation and an
//!    `f64` norm, the same text gives bit-identical vectors everywhere (given the same Unicode
//!    tables in `char::to_lowercase`, i.e. the same Rust release).
//! 4. **Hashing**: each feature is hashed with 64-bit FNV-1a (family tag byte, then UTF-8
//!    bytes) followed by the MurmurHash3 `fmix64` finaliser (FNV-1a alone mixes its low bits
//!    poorly). `hash % 384` picks the bucket and the top bit picks the sign (+1/−1), so
//!    collisions cancel in expectation instead of piling up. The hash is fixed and documented
//!    here: never `std`'s randomly seeded `RandomState`, so vectors are identical across
//!    processes and machines — a requirement for stored vectors. Golden values in the tests
//!    pin the output of `crow-local-hash-v1`.
//! 5. **L2 normalisation**, so a dot product of two embeddings is their cosine similarity.
//!
//! Text with no tokens left (empty, punctuation, or only stop words) embeds to the zero
//! vector; [`crate::vector::cosine_similarity`] defines its similarity to anything as `0.0`.

use std::collections::BTreeMap;

/// Length of every embedding.
pub const DIMENSIONS: usize = 384;

/// Name to store next to vectors produced by [`LocalEmbedder`]. Bump the suffix whenever the
/// tokeniser, features, weights or hash change, since old vectors become incomparable.
pub const MODEL_NAME: &str = "crow-local-hash-v1";

/// Weight of a whole (stemmed) word.
pub const UNIGRAM_WEIGHT: f32 = 1.0;
/// Weight of two adjacent words (after stop-word removal). Below a unigram because a bigram
/// match always comes with two unigram matches already.
pub const BIGRAM_WEIGHT: f32 = 0.5;
/// Weight of each character 3-gram (with `^`/`$` boundary markers). A 7-letter word has 7
/// 3-grams and 6 4-grams, so its character features together carry somewhat more squared
/// weight (≈ 1.4) than the word's unigram (1.0). Measured on single words: "snekers" vs
/// "sneakers" ≈ 0.27, vs an unrelated word ≈ 0.04. Higher char weights improved typo matches
/// but pushed look-alikes ("jacket"/"packet", already ≈ 0.34) too close.
pub const CHAR3_WEIGHT: f32 = 0.3;
/// Weight of each character 4-gram (with `^`/`$` boundary markers); slightly above 3-grams
/// because a shared 4-gram is more specific.
pub const CHAR4_WEIGHT: f32 = 0.35;

/// A deliberately small English stop-word list: function words that carry no product meaning.
/// Contraction fragments ("s" from "women's", "t" from "don't") are included because the
/// tokeniser splits on apostrophes. Words that can matter in retail queries ("over", "under",
/// "up", "out", "top", "free") are intentionally *not* listed.
pub const STOP_WORDS: &[&str] = &[
    "a", "about", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but",
    "by", "can", "could", "d", "did", "do", "does", "for", "from", "had", "has", "have", "he",
    "her", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "ll", "m", "me", "my",
    "no", "nor", "not", "of", "on", "or", "our", "re", "s", "she", "so", "some", "such", "t",
    "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
    "to", "too", "ve", "very", "was", "we", "were", "what", "when", "where", "which", "who", "why",
    "will", "with", "would", "you", "your",
];

/// Whether `word` (already lowercase) is in [`STOP_WORDS`].
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// 64-bit FNV-1a over `bytes` (offset basis `0xcbf29ce484222325`, prime `0x100000001b3`).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_extend(FNV_OFFSET, bytes)
}

fn fnv1a64_extend(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// MurmurHash3's 64-bit finaliser: spreads FNV-1a's entropy into every bit.
fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

fn vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

/// Drops one letter of a final doubled consonant ("runn" → "run", "shopp" → "shop"), except
/// `l`, `s` and `z` which English keeps doubled ("roll", "dress", "fizz").
fn undouble(stem: &str) -> &str {
    let b = stem.as_bytes();
    let n = b.len();
    if n >= 3 && b[n - 1] == b[n - 2] && !vowel(b[n - 1]) && !matches!(b[n - 1], b'l' | b's' | b'z')
    {
        &stem[..n - 1]
    } else {
        stem
    }
}

/// Light English suffix stemming, applied to lowercase ASCII-alphabetic words only (other
/// words, e.g. numbers, model codes or non-Latin scripts, are returned unchanged).
///
/// At most one rule fires, the first that matches:
/// `-ies → -y` ("batteries"), `-sses → -ss` ("dresses"), `-(ch|sh|x|z)es → -` ("watches",
/// "boxes"), `-s → -` unless `-ss/-us/-is` ("sneakers"; not "glass"), `-ing → -`
/// ("running" → "run", "runing" → "run"), `-ied → -y`, `-ed → -` unless `-eed`
/// ("washed"), `-ly → -` unless `-ply` ("lightly"). The `-ing`/`-ed`/`-ly` rules only fire when
/// at least three letters containing a vowel remain, so "ring", "red", "string" and "fly"
/// survive. Query and documents go through the same function, so an imperfect stem
/// ("clothing" → "cloth") still matches itself.
pub fn stem(word: &str) -> String {
    if word.len() < 4 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return word.to_string();
    }
    let ok_root = |root: &str| root.len() >= 3 && root.bytes().any(vowel);
    if let Some(root) = word.strip_suffix("ies") {
        if root.len() >= 2 {
            return format!("{root}y");
        }
    }
    if let Some(root) = word.strip_suffix("sses") {
        return format!("{root}ss");
    }
    if let Some(root) = word.strip_suffix("es") {
        if ["ch", "sh", "x", "z"].iter().any(|s| root.ends_with(s)) && root.len() >= 2 {
            return root.to_string();
        }
    }
    if word.ends_with('s') && !["ss", "us", "is"].iter().any(|s| word.ends_with(s)) {
        return word[..word.len() - 1].to_string();
    }
    if let Some(root) = word.strip_suffix("ing") {
        if ok_root(root) {
            return undouble(root).to_string();
        }
    }
    if let Some(root) = word.strip_suffix("ied") {
        if root.len() >= 2 {
            return format!("{root}y");
        }
    }
    if let Some(root) = word.strip_suffix("ed") {
        if !word.ends_with("eed") && ok_root(root) {
            return undouble(root).to_string();
        }
    }
    if let Some(root) = word.strip_suffix("ly") {
        if !word.ends_with("ply") && ok_root(root) {
            return root.to_string();
        }
    }
    word.to_string()
}

/// Splits `text` into lowercase alphanumeric words (Unicode-aware), without stop words or
/// stemming. Shared with [`crate::fts`] so both search paths see the same words.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The embedder's tokeniser: [`words`], minus [`STOP_WORDS`], each passed through [`stem`].
pub fn tokenize(text: &str) -> Vec<String> {
    words(text).into_iter().filter(|w| !is_stop_word(w)).map(|w| stem(&w)).collect()
}

/// Feature families; the tag byte is hashed first so equal strings in different families
/// ("run" the word vs "run" the 3-gram) land in independent buckets.
#[derive(Clone, Copy)]
enum Family {
    Unigram,
    Bigram,
    Char3,
    Char4,
}

impl Family {
    const fn tag(self) -> u8 {
        match self {
            Family::Unigram => b'w',
            Family::Bigram => b'b',
            Family::Char3 => b'3',
            Family::Char4 => b'4',
        }
    }
    const fn weight(self) -> f32 {
        match self {
            Family::Unigram => UNIGRAM_WEIGHT,
            Family::Bigram => BIGRAM_WEIGHT,
            Family::Char3 => CHAR3_WEIGHT,
            Family::Char4 => CHAR4_WEIGHT,
        }
    }
}

/// Counts features by their 64-bit hash. A `BTreeMap` (not `HashMap`) keeps the summation
/// order, and therefore every rounding step, identical from run to run.
#[derive(Default)]
struct Features(BTreeMap<u64, (Family, u32)>);

impl Features {
    fn add(&mut self, family: Family, parts: &[&[u8]]) {
        let mut h = fnv1a64_extend(FNV_OFFSET, &[family.tag()]);
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                h = fnv1a64_extend(h, &[0]);
            }
            h = fnv1a64_extend(h, p);
        }
        let entry = self.0.entry(fmix64(h)).or_insert((family, 0));
        entry.1 = entry.1.saturating_add(1);
    }

    fn add_char_ngrams(&mut self, token: &str) {
        let chars: Vec<char> =
            std::iter::once('^').chain(token.chars()).chain(std::iter::once('$')).collect();
        let mut buf = String::new();
        for (n, family) in [(3usize, Family::Char3), (4, Family::Char4)] {
            for window in chars.windows(n) {
                buf.clear();
                buf.extend(window.iter());
                self.add(family, &[buf.as_bytes()]);
            }
        }
    }
}

/// The local, deterministic feature-hashing embedder described in the module docs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalEmbedder;

impl LocalEmbedder {
    /// Creates the embedder (it holds no state).
    pub const fn new() -> Self {
        LocalEmbedder
    }

    /// Always [`MODEL_NAME`] (`"crow-local-hash-v1"`).
    pub const fn model_name(&self) -> &'static str {
        MODEL_NAME
    }

    /// Always [`DIMENSIONS`] (384).
    pub const fn dimensions(&self) -> usize {
        DIMENSIONS
    }

    /// Embeds one text: a [`DIMENSIONS`]-long unit vector, or the zero vector when no token
    /// survives tokenisation.
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let tokens = tokenize(text);
        let mut features = Features::default();
        for token in &tokens {
            features.add(Family::Unigram, &[token.as_bytes()]);
            features.add_char_ngrams(token);
        }
        for pair in tokens.windows(2) {
            features.add(Family::Bigram, &[pair[0].as_bytes(), pair[1].as_bytes()]);
        }
        let mut v = vec![0.0f32; DIMENSIONS];
        for (hash, (family, tf)) in &features.0 {
            let weight = family.weight() * (*tf as f32).sqrt();
            let bucket = (hash % DIMENSIONS as u64) as usize;
            let sign = if hash >> 63 == 1 { -1.0 } else { 1.0 };
            v[bucket] += sign * weight;
        }
        crate::vector::l2_normalize(&mut v);
        v
    }

    /// Embeds several texts, in order (same as calling [`LocalEmbedder::embed`] on each).
    pub fn embed_batch(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        texts.iter().map(|t| self.embed(t)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector::{cosine_similarity, l2_norm};

    fn sim(a: &str, b: &str) -> f32 {
        let e = LocalEmbedder::new();
        cosine_similarity(&e.embed(a), &e.embed(b)).unwrap()
    }

    #[test]
    fn stop_word_list_is_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_stop_word("the") && is_stop_word("with") && !is_stop_word("shoe"));
    }

    #[test]
    fn fnv1a64_reference_vectors() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn stemming_rules() {
        let cases = [
            ("batteries", "battery"),
            ("dresses", "dress"),
            ("watches", "watch"),
            ("boxes", "box"),
            ("sneakers", "sneaker"),
            ("shoes", "shoe"),
            ("glass", "glass"),
            ("running", "run"),
            ("runing", "run"),
            ("shopping", "shop"),
            ("washed", "wash"),
            ("dried", "dry"),
            ("lightly", "light"),
            ("ring", "ring"),
            ("string", "string"),
            ("red", "red"),
            ("speed", "speed"),
            ("supply", "supply"),
            ("rolled", "roll"),
            ("4k", "4k"),
            ("café", "café"),
        ];
        for (word, expected) in cases {
            assert_eq!(stem(word), expected, "stem({word})");
        }
    }

    #[test]
    fn tokenize_lowercases_splits_and_drops_stop_words() {
        assert_eq!(
            tokenize("The BEST running-shoes for Women's trail/road use!"),
            vec!["best", "run", "shoe", "women", "trail", "road", "use"]
        );
        assert_eq!(tokenize("Crème brûlée 55\" 4K TV"), vec!["crème", "brûlée", "55", "4k", "tv"]);
        assert!(tokenize("the and of, to!!").is_empty());
    }

    #[test]
    fn model_name_and_dimensions() {
        let e = LocalEmbedder::new();
        assert_eq!(e.model_name(), "crow-local-hash-v1");
        assert_eq!(e.dimensions(), 384);
        assert_eq!(e.embed("anything").len(), DIMENSIONS);
    }

    #[test]
    fn embeddings_are_unit_length() {
        let e = LocalEmbedder::new();
        for t in [
            "running shoes",
            "a",
            "x",
            "Organic fair-trade coffee beans, 1kg bag",
            "日本語のテキスト",
        ] {
            let v = e.embed(t);
            if t == "a" {
                continue; // stop word: zero vector, checked separately
            }
            assert!((l2_norm(&v) - 1.0).abs() < 1e-5, "{t}: {}", l2_norm(&v));
        }
    }

    #[test]
    fn empty_and_stop_word_text_is_zero_vector() {
        let e = LocalEmbedder::new();
        for t in ["", "   ", "?!,.", "the of and", "a"] {
            let v = e.embed(t);
            assert_eq!(v.len(), DIMENSIONS);
            assert!(v.iter().all(|x| *x == 0.0), "{t:?}");
            assert_eq!(cosine_similarity(&v, &e.embed("running shoes")).unwrap(), 0.0);
        }
    }

    #[test]
    fn embedding_is_deterministic_bit_for_bit() {
        let e = LocalEmbedder::new();
        let text = "Waterproof trail running sneakers with grippy soles";
        let a = e.embed(text);
        let b = LocalEmbedder.embed(text);
        assert_eq!(
            a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            b.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        let nonzero = a.iter().filter(|x| **x != 0.0).count();
        assert!(nonzero > 40, "feature hashing should spread features: {nonzero}");
    }

    #[test]
    fn golden_values_pin_crow_local_hash_v1() {
        // If this test fails, stored vectors are no longer comparable with new ones: bump
        // MODEL_NAME (and re-embed) rather than updating the constants below.
        let h = fmix64(fnv1a64(b"wshoe"));
        assert_eq!(h, 0xd615_ee91_fe96_3c56);
        assert_eq!((h % 384, h >> 63), (214, 1)); // "shoe" unigram: bucket 214, sign -1
        let e = LocalEmbedder::new();
        let v = e.embed("trail running shoes");
        assert_eq!(v.iter().filter(|x| **x != 0.0).count(), 25);
        assert_eq!(v[194].to_bits(), 0xbee3_1b7e);
        assert_eq!(v[214].to_bits(), 0xbee3_1b7e);
        assert_eq!(v[205].to_bits(), 0x3e9e_f9a5);
        let v = e.embed("shoe shoe shoe boot"); // tf = 3 exercises the sqrt weighting
        assert_eq!(v[214].to_bits(), 0xbf20_3570);
        assert_eq!(v[158].to_bits(), 0x3eb8_fe3d);
        assert_eq!(v[361].to_bits(), 0xbe82_cf55);
    }

    #[test]
    fn embed_batch_matches_single_calls() {
        let e = LocalEmbedder::new();
        let texts = ["running shoes", "", "espresso machine"];
        let batch = e.embed_batch(&texts);
        assert_eq!(batch.len(), 3);
        for (t, v) in texts.iter().zip(&batch) {
            assert_eq!(&e.embed(t), v);
        }
        assert!(e.embed_batch(&[]).is_empty());
    }

    #[test]
    fn related_retail_phrases_score_higher_than_unrelated() {
        let related = sim("running shoes", "trail running sneakers");
        let unrelated = sim("running shoes", "espresso machine");
        assert!(related > 0.2, "related = {related}");
        // Unrelated texts share no feature; only hash collisions (≈ ±0.1 at 384 buckets) remain.
        assert!(unrelated.abs() < 0.15, "unrelated = {unrelated}");
        assert!(related > unrelated + 0.2, "{related} vs {unrelated}");
    }

    #[test]
    fn identical_text_modulo_case_punctuation_and_stop_words_is_identical() {
        assert!((sim("Running Shoes!", "running shoes") - 1.0).abs() < 1e-6);
        assert!((sim("shoes for running", "shoes running") - 1.0).abs() < 1e-6);
    }

    #[test]
    fn plural_and_inflection_match() {
        assert!(sim("running shoe", "run shoes") > 0.99);
        assert!(sim("coffee machines", "coffee machine") > 0.99);
    }

    #[test]
    fn typo_tolerance_via_char_ngrams() {
        // "runing" is repaired by the stemmer; "snekers" only by character n-grams.
        assert!(sim("runing shoes", "running shoes") > 0.95);
        let typo = sim("snekers", "sneakers");
        let other = sim("snekers", "blender");
        assert!(typo > 0.2, "typo = {typo}");
        assert!(typo > other + 0.15, "{typo} vs {other}");
        let typo2 = sim("wireles headphons", "wireless headphones");
        let partial = sim("wireles headphons", "wireless charger");
        assert!(typo2 > 0.3, "typo2 = {typo2}");
        assert!(typo2 > partial + 0.1, "{typo2} vs {partial}");
        assert!(partial > 0.1, "one misspelt shared word still counts: {partial}");
    }

    #[test]
    fn word_order_matters_a_little_via_bigrams() {
        let same_order = sim("trail running shoes", "trail running shoes waterproof");
        let other_order = sim("trail running shoes", "shoes running trail waterproof");
        assert!(same_order > other_order, "{same_order} vs {other_order}");
        assert!(other_order > 0.5, "bag-of-words overlap still counts: {other_order}");
    }

    #[test]
    fn repeated_words_are_sublinear() {
        // With raw tf, ten repeats of "shoe" would push "leather" to near zero weight.
        let s = sim("leather", "leather shoe shoe shoe shoe shoe shoe shoe shoe shoe shoe");
        // Raw tf would give about 1/sqrt(1 + 10^2) ≈ 0.1; sqrt(tf) gives about 1/sqrt(11) ≈ 0.3.
        assert!(s > 0.2, "{s}");
    }
}

//! End-to-end relevance check on a tiny retail corpus: semantic-only (local embedder + exact
//! k-NN), keyword-only (an in-memory bm25 that mimics what D1 FTS5 does with the expression
//! from `build_match_expression`) and RRF hybrid. Prints recall@k and MRR for each mode
//! (`cargo test -p crow-search --test hybrid_eval -- --nocapture`) and checks that hybrid is
//! at least as good as the better single mode.

use crow_search::embed::words;
use crow_search::fusion::{reciprocal_rank_fusion, RankedList};
use crow_search::relevance::{evaluate, Evaluation};
use crow_search::{build_match_expression, top_k, LocalEmbedder};

const CORPUS: &[(&str, &str)] = &[
    ("p01", "Trail running shoes with aggressive lugs, rock plate and waterproof mesh upper for muddy mountain paths."),
    ("p02", "Road running shoes: lightweight cushioned sneakers for daily training and marathon racing on asphalt."),
    ("p03", "Espresso machine with 15 bar pump, steam wand for milk frothing and stainless steel boiler."),
    ("p04", "Burr coffee grinder with 40 grind settings, from fine espresso to coarse French press."),
    ("p05", "Wireless over-ear headphones with active noise cancelling and 30 hour battery life."),
    ("p06", "Wired studio headphones with detachable cable, flat response for mixing and monitoring."),
    ("p07", "Waterproof hiking jacket, breathable three-layer shell with sealed seams and adjustable hood."),
    ("p08", "Insulated down jacket, packable and warm for winter city commutes."),
    ("p09", "Non-slip yoga mat, 6 mm thick natural rubber with alignment lines."),
    ("p10", "Stainless steel water bottle, vacuum insulated, keeps drinks cold for 24 hours."),
    ("p11", "Kids school backpack with padded laptop sleeve, reflective strips and lunch pocket."),
    ("p12", "Pre-seasoned cast iron skillet, 26 cm, oven safe for searing and baking."),
    ("p13", "Portable bluetooth speaker, waterproof, 12 hours of playtime with deep bass."),
    ("p14", "Organic cotton t-shirt, crew neck, soft and breathable everyday basic."),
    ("p15", "Nonstick frying pan with ceramic coating, induction compatible, dishwasher safe."),
    ("p16", "Smart fitness watch with heart rate monitor, GPS tracking and sleep analysis."),
    ("p17", "Electric kettle with temperature control, 1.7 litre glass body for tea and pour-over coffee."),
    ("p18", "Merino wool hiking socks, cushioned and moisture wicking for long treks."),
    ("p19", "Camping tent for two people, lightweight aluminium poles, quick setup."),
    ("p20", "Wireless charging pad for phones and earbuds, 15 W fast charging."),
];

/// (query, expected product id). Mixes clean keyword queries, inflected forms, typos and
/// queries whose key word is shared with a distractor.
const CASES: &[(&str, &str)] = &[
    ("trail running shoes", "p01"),
    ("marathon sneaker", "p02"),
    ("espresso maker with milk frother", "p03"),
    ("coffee grinder", "p04"),
    ("noise canceling wireles headphons", "p05"),
    ("waterproof jacket for hiking", "p07"),
    ("yoga mats", "p09"),
    ("insulated bottle for cold drinks", "p10"),
    ("backpack for school kids", "p11"),
    ("cast iron pan", "p12"),
    ("bluetoth speakr", "p13"),
    ("fitness tracker watch with gps", "p16"),
    ("warm socks for trekking", "p18"),
    ("kettle for pour over", "p17"),
    ("lightweight tent", "p19"),
    ("charger for earbuds", "p20"),
    ("frying pan for induction", "p15"),
    ("studio headphones for mixing", "p06"),
    ("warm down jacket", "p08"),
    ("15 bar pump", "p03"),
    ("2 person tent", "p19"),
    ("thick rubber mat", "p09"),
];

const K: usize = 5;
/// Each retriever hands this many candidates to fusion (as the Workers glue will).
const CANDIDATES: usize = 10;

fn ids(corpus: &[(&str, &str)]) -> Vec<String> {
    corpus.iter().map(|(id, _)| id.to_string()).collect()
}

struct SemanticIndex {
    embedder: LocalEmbedder,
    vectors: Vec<(String, Vec<f32>)>,
}

impl SemanticIndex {
    fn new(corpus: &[(&str, &str)]) -> Self {
        let embedder = LocalEmbedder::new();
        let texts: Vec<&str> = corpus.iter().map(|(_, t)| *t).collect();
        let vectors = ids(corpus).into_iter().zip(embedder.embed_batch(&texts)).collect();
        SemanticIndex { embedder, vectors }
    }

    fn search(&self, query: &str, k: usize) -> Vec<String> {
        let q = self.embedder.embed(query);
        top_k(&q, self.vectors.iter().map(|(id, v)| (id.clone(), v)), k)
            .unwrap()
            .into_iter()
            .map(|n| n.id)
            .collect()
    }
}

/// Okapi bm25 over lowercase word tokens with FTS5-style prefix terms: the query goes through
/// `build_match_expression`, each `"tok"*` term matches document words starting with `tok`,
/// `"t"` matches `t` exactly, and documents matching at least one term (OR) are returned.
struct KeywordIndex {
    docs: Vec<(String, Vec<String>)>,
    avg_len: f64,
}

impl KeywordIndex {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;

    fn new(corpus: &[(&str, &str)]) -> Self {
        let docs: Vec<(String, Vec<String>)> =
            corpus.iter().map(|(id, t)| (id.to_string(), words(t))).collect();
        let avg_len = docs.iter().map(|(_, w)| w.len() as f64).sum::<f64>() / docs.len() as f64;
        KeywordIndex { docs, avg_len }
    }

    fn terms(query: &str) -> Vec<(String, bool)> {
        let Some(expr) = build_match_expression(query) else {
            return vec![];
        };
        expr.split(" OR ")
            .map(|t| {
                let prefix = t.ends_with('*');
                (t.trim_end_matches('*').trim_matches('"').to_string(), prefix)
            })
            .collect()
    }

    fn search(&self, query: &str, k: usize) -> Vec<String> {
        let n = self.docs.len() as f64;
        let mut scored: Vec<(f64, &str)> = Vec::new();
        let terms = Self::terms(query);
        let matches = |w: &String, (t, prefix): &(String, bool)| {
            if *prefix {
                w.starts_with(t.as_str())
            } else {
                w == t
            }
        };
        for (id, doc) in &self.docs {
            let mut score = 0.0;
            for term in &terms {
                let tf = doc.iter().filter(|w| matches(w, term)).count() as f64;
                if tf == 0.0 {
                    continue;
                }
                let df =
                    self.docs.iter().filter(|(_, d)| d.iter().any(|w| matches(w, term))).count()
                        as f64;
                let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                let norm = Self::K1 * (1.0 - Self::B + Self::B * doc.len() as f64 / self.avg_len);
                score += idf * tf * (Self::K1 + 1.0) / (tf + norm);
            }
            if score > 0.0 {
                scored.push((score, id));
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored.into_iter().take(k).map(|(_, id)| id.to_string()).collect()
    }
}

fn hybrid(sem: &SemanticIndex, kw: &KeywordIndex, query: &str, k: usize) -> Vec<String> {
    let s = sem.search(query, CANDIDATES);
    let f = kw.search(query, CANDIDATES);
    let fused =
        reciprocal_rank_fusion(&[RankedList::new("fts", &f), RankedList::new("semantic", &s)])
            .unwrap();
    fused.into_iter().take(k).map(|h| h.id).collect()
}

fn report(name: &str, e: &Evaluation, at1: &Evaluation) {
    let misses: Vec<String> = e
        .outcomes
        .iter()
        .filter(|o| o.rank.is_none_or(|r| r > e.k))
        .map(|o| format!("{:?}", CASES[o.query_index].0))
        .collect();
    println!(
        "{name:<9} recall@{} = {:.2}  recall@1 = {:.2}  MRR = {:.3}  misses@{}: [{}]",
        e.k,
        e.recall_at_k,
        at1.recall_at_k,
        e.mrr,
        e.k,
        misses.join(", ")
    );
}

#[test]
fn hybrid_is_at_least_as_good_as_either_mode() {
    let sem = SemanticIndex::new(CORPUS);
    let kw = KeywordIndex::new(CORPUS);
    let cases: Vec<(&str, String)> = CASES.iter().map(|(q, id)| (*q, id.to_string())).collect();

    let sem_rank = |q: &&str| sem.search(q, K);
    let fts_rank = |q: &&str| kw.search(q, K);
    let hyb_rank = |q: &&str| hybrid(&sem, &kw, q, K);
    let semantic = evaluate(&cases, K, sem_rank).unwrap();
    let fts = evaluate(&cases, K, fts_rank).unwrap();
    let fused = evaluate(&cases, K, hyb_rank).unwrap();
    println!("{} labelled queries over {} products", cases.len(), CORPUS.len());
    report("semantic", &semantic, &evaluate(&cases, 1, sem_rank).unwrap());
    report("fts", &fts, &evaluate(&cases, 1, fts_rank).unwrap());
    report("hybrid", &fused, &evaluate(&cases, 1, hyb_rank).unwrap());

    // Both single modes are useful on their own (the comparison is not against a straw man)...
    assert!(semantic.recall_at_k >= 0.6 && fts.recall_at_k >= 0.6, "{semantic:?} {fts:?}");
    // ...and hybrid is never worse than the better of them.
    assert!(fused.recall_at_k >= semantic.recall_at_k.max(fts.recall_at_k));
    assert!(fused.mrr >= semantic.mrr.min(fts.mrr));
}

#[test]
fn keyword_mode_misses_typos_that_semantic_mode_finds() {
    // The reason hybrid exists: FTS5 prefix terms cannot repair "headphons", char n-grams can.
    let sem = SemanticIndex::new(CORPUS);
    let kw = KeywordIndex::new(CORPUS);
    let q = "bluetoth speakr";
    assert!(!kw.search(q, K).contains(&"p13".to_string()));
    assert_eq!(sem.search(q, 1), vec!["p13".to_string()]);
    assert_eq!(hybrid(&sem, &kw, q, 1), vec!["p13".to_string()]);
}

#[test]
fn bm25_helper_behaves_like_fts5_prefix_or_query() {
    let kw = KeywordIndex::new(CORPUS);
    // Prefix: "sneaker" matches "sneakers"; OR: one matching term is enough.
    assert_eq!(kw.search("sneaker", 3), vec!["p02".to_string()]);
    assert_eq!(kw.search("zzz sneaker", 3), vec!["p02".to_string()]);
    // Rarer terms weigh more: "skillet" appears once, "steel" twice.
    assert_eq!(kw.search("steel skillet", 1), vec!["p12".to_string()]);
    assert!(kw.search("\"*^:()", 3).is_empty());
}

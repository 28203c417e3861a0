//! `crow_common::pagination`: `Cursor::decode` / `encode` and `Pagination::from_query`.
//!
//! Properties:
//! - `Cursor::decode(c.encode()) == Some(c)` for every cursor the API can issue (an id of 1 to
//!   64 bytes, any sort key), and `None` for the others;
//! - `decode` never panics, and whatever it accepts re-encodes to a cursor that decodes the same;
//! - `from_query` either fails naming `limit`, `page` or `cursor`, or returns a limit within
//!   1..=max (the default when absent), a page within 1..=10000, or the decoded cursor;
//! - `next_cursor` only yields a cursor when more rows than the limit came back, and it decodes
//!   to the last row kept.
#![no_main]

use arbitrary::Arbitrary;
use crow_common::pagination::{Cursor, Pagination, Position, DEFAULT_LIMIT, MAX_PAGE};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    k: i64,
    id: String,
    raw: String,
    limit: Option<Param>,
    page: Option<Param>,
    cursor: Option<CursorParam>,
    noise: Vec<(String, String)>,
    max_limit: u8,
    fetched: u8,
}

#[derive(Arbitrary, Debug)]
enum Param {
    Num(i64),
    Text(String),
}

impl Param {
    fn text(&self) -> String {
        match self {
            Param::Num(n) => n.to_string(),
            Param::Text(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum CursorParam {
    Valid,
    Raw,
}

fuzz_target!(|input: Input| check(input));

fn check(input: Input) {
    let c = Cursor { k: input.k, id: input.id.clone() };
    let issuable = !c.id.is_empty() && c.id.len() <= 64;
    let encoded = c.encode();
    let decoded = Cursor::decode(&encoded);
    if issuable {
        assert_eq!(decoded, Some(c.clone()), "round trip of {c:?} via {encoded}");
    } else {
        assert_eq!(decoded, None, "{c:?} should not decode");
    }
    if let Some(d) = Cursor::decode(&input.raw) {
        assert!(!d.id.is_empty() && d.id.len() <= 64);
        assert_eq!(Cursor::decode(&d.encode()), Some(d));
    }

    // from_query with a realistic maximum (the workers use 100).
    let max_limit = u32::from(input.max_limit % 100) + 1;
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(l) = &input.limit {
        pairs.push(("limit".into(), l.text()));
    }
    if let Some(p) = &input.page {
        pairs.push(("page".into(), p.text()));
    }
    let cursor_text = input.cursor.as_ref().map(|cp| match cp {
        CursorParam::Valid => encoded.clone(),
        CursorParam::Raw => input.raw.clone(),
    });
    if let Some(ct) = &cursor_text {
        pairs.push(("cursor".into(), ct.clone()));
    }
    // Other parameters and later duplicates: the first value of each name counts.
    pairs.extend(input.noise.iter().cloned());
    let first = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let (limit_text, page_text, cursor_text) = (first("limit"), first("page"), first("cursor"));
    match Pagination::from_query(&pairs, max_limit) {
        Ok(p) => {
            match &limit_text {
                None => assert_eq!(p.limit, DEFAULT_LIMIT.min(max_limit)),
                Some(l) => assert_eq!(Some(p.limit), l.parse::<u32>().ok()),
            }
            assert!((1..=max_limit).contains(&p.limit));
            match &p.position {
                Position::Page(n) => {
                    assert!((1..=MAX_PAGE).contains(n));
                    assert_eq!(page_text.as_deref().and_then(|t| t.parse::<u32>().ok()), Some(*n));
                    assert!(cursor_text.is_none());
                    assert_eq!(p.offset(), (n - 1) * p.limit);
                    assert_eq!(p.cursor(), None);
                }
                Position::After(Some(c2)) => {
                    assert_eq!(Some(c2.clone()), cursor_text.as_deref().and_then(Cursor::decode));
                    assert!(page_text.is_none());
                    assert_eq!(p.offset(), 0);
                }
                Position::After(None) => assert!(page_text.is_none() && cursor_text.is_none()),
            }
            let fetched = usize::from(input.fetched);
            match p.next_cursor(fetched, Some((c.k, &c.id))) {
                Some(next) => {
                    assert!(fetched > p.limit as usize);
                    if issuable {
                        assert_eq!(Cursor::decode(&next), Some(c.clone()));
                    }
                }
                None => assert!(fetched <= p.limit as usize),
            }
            assert_eq!(p.next_cursor(fetched, None), None);
        }
        Err(e) => {
            assert!(limit_text.is_some() || page_text.is_some() || cursor_text.is_some());
            assert_eq!(e.status(), 400);
            let field =
                e.details.get("field").and_then(|f| f.as_str()).unwrap_or_default().to_string();
            assert!(matches!(field.as_str(), "limit" | "page" | "cursor"), "field {field}");
        }
    }
}

//! Pagination, the same on every list endpoint:
//!
//! - `limit`: 1 to the endpoint's maximum (100 unless documented otherwise), default 20;
//! - either `cursor` (opaque, from the previous page's `nextCursor`; keyset, stable under
//!   inserts) or `page` (1-based, offset; what the MCP tools use), not both;
//! - responses carry `data`, `nextCursor` (null on the last page), `total` and `page` / `limit`.
//!
//! Out-of-range or malformed values are a 400 naming the parameter; nothing is clamped silently.

use serde::{Deserialize, Serialize};

use crate::crypto;
use crate::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;
pub const MAX_PAGE: u32 = 10_000;

/// The longest cursor [`Cursor::encode`] can produce, so that `decode` refuses oversized garbage
/// cheaply but never a cursor this API issued: `{"k":` + 20 digits and sign + `,"id":"` + an id
/// of 64 bytes that JSON may escape to 6 bytes each (`\u001f`) + `"}`, in unpadded base64.
const MAX_CURSOR_CHARS: usize = (5 + 20 + 7 + 6 * 64 + 2usize).div_ceil(3) * 4;

/// The position after the last row of a page: its sort key and id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// Sort key of the last row (e.g. created_at or occurred_at, epoch ms).
    pub k: i64,
    /// Id of the last row (tie-breaker).
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        crypto::b64url(&json)
    }

    pub fn decode(s: &str) -> Option<Cursor> {
        if s.len() > MAX_CURSOR_CHARS {
            return None;
        }
        let bytes = crypto::b64url_decode(s)?;
        let c: Cursor = serde_json::from_slice(&bytes).ok()?;
        (!c.id.is_empty() && c.id.len() <= 64).then_some(c)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Position {
    /// From the start, or after a cursor.
    After(Option<Cursor>),
    /// A 1-based page.
    Page(u32),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pagination {
    pub limit: u32,
    pub position: Position,
}

impl Pagination {
    /// Reads `limit`, `cursor` and `page` from query pairs.
    pub fn from_query(pairs: &[(String, String)], max_limit: u32) -> Result<Pagination, ApiError> {
        let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let limit = match get("limit") {
            None => DEFAULT_LIMIT.min(max_limit),
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (1..=max_limit).contains(&n) => n,
                _ => {
                    return Err(ApiError::invalid_field(
                        "limit",
                        format!("must be an integer from 1 to {max_limit}"),
                    )
                    .detail("max", max_limit))
                }
            },
        };
        let position = match (get("cursor"), get("page")) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid_field("page", "use either cursor or page, not both"))
            }
            (Some(c), None) => Position::After(Some(Cursor::decode(c).ok_or_else(|| {
                ApiError::invalid_field("cursor", "is not a cursor this API issued")
            })?)),
            (None, Some(p)) => match p.parse::<u32>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => Position::Page(n),
                _ => {
                    return Err(ApiError::invalid_field(
                        "page",
                        format!("must be an integer from 1 to {MAX_PAGE}"),
                    ))
                }
            },
            (None, None) => Position::After(None),
        };
        Ok(Pagination { limit, position })
    }

    /// Rows to skip for page mode.
    pub fn offset(&self) -> u32 {
        match self.position {
            Position::Page(p) => (p - 1) * self.limit,
            Position::After(_) => 0,
        }
    }

    pub fn cursor(&self) -> Option<&Cursor> {
        match &self.position {
            Position::After(c) => c.as_ref(),
            Position::Page(_) => None,
        }
    }

    pub fn page(&self) -> Option<u32> {
        match self.position {
            Position::Page(p) => Some(p),
            Position::After(_) => None,
        }
    }

    /// The next page's cursor: callers fetch `limit + 1` rows; if more than `limit` came back
    /// there is a next page, starting after the last row kept.
    pub fn next_cursor(&self, fetched: usize, last: Option<(i64, &str)>) -> Option<String> {
        if fetched as u32 <= self.limit {
            return None;
        }
        last.map(|(k, id)| Cursor { k, id: id.to_string() }.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_and_bounds() {
        let p = Pagination::from_query(&q(&[]), 100).unwrap();
        assert_eq!(p, Pagination { limit: 20, position: Position::After(None) });
        assert_eq!(Pagination::from_query(&q(&[("limit", "100")]), 100).unwrap().limit, 100);
        for bad in ["0", "101", "-1", "ten", "1.5", ""] {
            let e = Pagination::from_query(&q(&[("limit", bad)]), 100).unwrap_err();
            assert_eq!(e.details["field"], "limit", "{bad}");
        }
        assert_eq!(Pagination::from_query(&q(&[]), 10).unwrap().limit, 10);
    }

    #[test]
    fn pages_and_cursors() {
        let p = Pagination::from_query(&q(&[("page", "3"), ("limit", "10")]), 100).unwrap();
        assert_eq!(p.offset(), 20);
        assert_eq!(p.page(), Some(3));
        for bad in ["0", "x", "10001"] {
            assert_eq!(
                Pagination::from_query(&q(&[("page", bad)]), 100).unwrap_err().details["field"],
                "page"
            );
        }
        let c = Cursor { k: 1_700_000_000_000, id: "prd_1".into() };
        let p = Pagination::from_query(&q(&[("cursor", &c.encode())]), 100).unwrap();
        assert_eq!(p.cursor(), Some(&c));
        assert_eq!(
            Pagination::from_query(&q(&[("cursor", "garbage!")]), 100).unwrap_err().details
                ["field"],
            "cursor"
        );
        assert!(Pagination::from_query(&q(&[("cursor", &c.encode()), ("page", "1")]), 100).is_err());
    }

    #[test]
    fn cursors_with_escaped_ids_round_trip() {
        // Found by fuzzing: control characters are escaped to 6 bytes in JSON, so the longest
        // cursors encode to more than the 512 characters decode used to accept.
        for id in ["\u{1f}".repeat(64), "\0".repeat(64), "\"".repeat(64), "é".repeat(32)] {
            for k in [i64::MIN, -1, 0, i64::MAX] {
                let c = Cursor { k, id: id.clone() };
                assert!(c.encode().len() <= MAX_CURSOR_CHARS);
                assert_eq!(Cursor::decode(&c.encode()), Some(c));
            }
        }
        assert_eq!(Cursor::decode(&"A".repeat(MAX_CURSOR_CHARS + 1)), None);
    }

    #[test]
    fn next_cursor_only_when_more_rows_exist() {
        let p = Pagination::from_query(&q(&[("limit", "2")]), 100).unwrap();
        assert_eq!(p.next_cursor(2, Some((5, "a"))), None);
        let next = p.next_cursor(3, Some((5, "a"))).unwrap();
        assert_eq!(Cursor::decode(&next), Some(Cursor { k: 5, id: "a".into() }));
    }
}

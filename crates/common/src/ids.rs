//! Identifiers: time-ordered, prefixed ids for rows (`org_…`, `usr_…`, `key_…`) and request ids.
//!
//! Format: `<prefix>_<10 chars of base32 milliseconds><16 random base32 chars>` (Crockford
//! alphabet, lower case). Ids sort by creation time, which keyset pagination relies on.

use crate::crypto::{random_string, RandomError};

const CROCKFORD: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";

fn time_part(now_ms: u64) -> String {
    let mut out = [0u8; 10];
    let mut t = now_ms;
    for slot in out.iter_mut().rev() {
        *slot = CROCKFORD[(t & 31) as usize];
        t >>= 5;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A new id such as `org_01jd3…`. `now_ms` is the Unix time in milliseconds.
pub fn new_id(prefix: &str, now_ms: u64) -> Result<String, RandomError> {
    Ok(format!("{prefix}_{}{}", time_part(now_ms), random_string(16, CROCKFORD)?))
}

/// Whether `id` looks like an id with this prefix (cheap validation before any query).
pub fn is_id(prefix: &str, id: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|body| body.len() == 26 && body.bytes().all(|b| CROCKFORD.contains(&b)))
}

/// Accepts a caller-supplied request id (from `X-Request-Id`) when it is short and plain, so ids
/// can be correlated across the service-binding hop; otherwise a new one is made.
pub fn accept_request_id(incoming: Option<&str>) -> Option<String> {
    incoming
        .map(str::trim)
        .filter(|s| (8..=64).contains(&s.len()))
        .filter(|s| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_validate() {
        let a = new_id("org", 1_700_000_000_000).unwrap();
        let b = new_id("org", 1_700_000_000_001).unwrap();
        assert!(a < b);
        assert!(is_id("org", &a));
        assert!(!is_id("usr", &a));
        assert!(!is_id("org", "org_"));
        assert!(!is_id("org", "org_ABC"));
        assert_eq!(a.len(), 4 + 26);
    }

    #[test]
    fn request_ids_from_outside_are_sanitised() {
        assert_eq!(accept_request_id(Some("req_abc12345")).as_deref(), Some("req_abc12345"));
        assert_eq!(accept_request_id(Some("short")), None);
        assert_eq!(accept_request_id(Some("has space in it")), None);
        assert_eq!(accept_request_id(Some("<script>alert(1)</script>")), None);
        assert_eq!(accept_request_id(Some(&"x".repeat(65))), None);
        assert_eq!(accept_request_id(None), None);
    }
}

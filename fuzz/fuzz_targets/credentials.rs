//! `crow_common::credentials` and `crow_common::identity` parsers.
//!
//! Properties:
//! - `presented` never panics; an API key it returns passes `check_api_key_format` and is the
//!   (trimmed) Bearer token or `X-API-Key`; a cookie credential is only returned when no key
//!   header was sent, and is the header's session cookie;
//! - changing one character of a valid key makes `check_api_key_format` refuse it;
//! - a cookie made by `sign_session_token` verifies to its token; a mutated one verifies only if
//!   it percent-decodes to the same text (`%2f` for `%2F`); any cookie that verifies decodes to
//!   exactly what `sign_session_token` produces for the token it yields;
//! - `find_cookie` returns a value that is in the header;
//! - `PasswordRecord::parse` accepts only well-formed records, and `parse(encode(r)) == r`;
//! - `normalize_email` is idempotent and its output has one `@` and no upper-case ASCII.
#![no_main]

use arbitrary::Arbitrary;
use crow_common::credentials::{self, Presented, SECURE_SESSION_COOKIE, SESSION_COOKIE};
use crow_common::identity::{normalize_email, PasswordRecord};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "fuzz-session-secret";
/// A well-formed key (prefix, 58 base62 characters, 6-character checksum).
const VALID_KEY: &str = "crow_FuzzSeedKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKlH8Elt";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

#[derive(Arbitrary, Debug)]
struct Input {
    authorization: Option<Header>,
    x_api_key: Option<Header>,
    cookie: Option<CookieHeader>,
    token: [u8; 32],
    mutate_at: u16,
    mutate_to: u8,
    free: String,
    email: String,
    record: Record,
}

/// A header value that is often close to a valid one.
#[derive(Arbitrary, Debug)]
enum Header {
    Free(String),
    ValidKey { scheme: bool, pad: bool },
    Mutated { at: u8, to: u8 },
}

impl Header {
    fn text(&self, bearer: bool) -> String {
        match self {
            Header::Free(s) => s.clone(),
            Header::ValidKey { scheme, pad } => {
                let key = if *pad { format!("  {VALID_KEY} ") } else { VALID_KEY.to_string() };
                if bearer {
                    format!("{} {key}", if *scheme { "Bearer" } else { "bEARER" })
                } else {
                    key
                }
            }
            Header::Mutated { at, to } => {
                let mut k = VALID_KEY.as_bytes().to_vec();
                let i = *at as usize % k.len();
                k[i] = ALNUM[*to as usize % ALNUM.len()];
                let k = String::from_utf8(k).expect("ASCII");
                if bearer {
                    format!("Bearer {k}")
                } else {
                    k
                }
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
struct CookieHeader {
    before: String,
    secure: bool,
    signed: bool,
    after: String,
}

#[derive(Arbitrary, Debug)]
enum Record {
    Free(String),
    Built { iterations: u32, salt: Vec<u8>, hash: [u8; 32] },
}

fuzz_target!(|input: Input| check(input));

fn check(input: Input) {
    let token: String =
        input.token.iter().map(|b| ALNUM[*b as usize % ALNUM.len()] as char).collect();
    check_presented(&input, &token);
    check_key_format(&input);
    check_session_cookie(&input, &token);
    check_find_cookie(&input.free);
    check_password_record(&input.record);
    check_email(&input.email);
}

fn check_presented(input: &Input, token: &str) {
    let auth = input.authorization.as_ref().map(|h| h.text(true));
    let key = input.x_api_key.as_ref().map(|h| h.text(false));
    let cookie = input.cookie.as_ref().map(|c| {
        let name = if c.secure { SECURE_SESSION_COOKIE } else { SESSION_COOKIE };
        let value =
            if c.signed { credentials::sign_session_token(SECRET, token) } else { c.after.clone() };
        format!("{}; {name}={value}; {}", c.before, c.after)
    });
    let result = credentials::presented(auth.as_deref(), key.as_deref(), cookie.as_deref());
    let blank = |h: &Option<String>| h.as_deref().map_or(true, |s| s.trim().is_empty());
    match result {
        Ok(Some(Presented::ApiKey(k))) => {
            assert_eq!(credentials::check_api_key_format(&k), Ok(()));
            let from_bearer = auth
                .as_deref()
                .and_then(|a| a.trim().split_once(char::is_whitespace))
                .map(|(_, t)| t.trim());
            let from_header = key.as_deref().map(str::trim);
            assert!(
                from_bearer == Some(k.as_str()) || from_header == Some(k.as_str()),
                "{k} came from nowhere"
            );
        }
        Ok(Some(Presented::SessionCookie(v))) => {
            assert!(blank(&auth) && blank(&key), "a cookie won over a key header");
            assert!(!v.is_empty());
            assert_eq!(
                cookie.as_deref().and_then(credentials::session_cookie_value),
                Some(v.as_str())
            );
        }
        Ok(None) => {
            assert!(blank(&auth) && blank(&key));
            assert_eq!(cookie.as_deref().and_then(credentials::session_cookie_value), None);
        }
        Err(_) => assert!(!(blank(&auth) && blank(&key)), "an error without any key header"),
    }
}

fn check_key_format(input: &Input) {
    assert_eq!(credentials::check_api_key_format(VALID_KEY), Ok(()));
    let _ = credentials::check_api_key_format(&input.free);
    // One changed character (prefix, random part or checksum) is always caught.
    let mut k = VALID_KEY.as_bytes().to_vec();
    let i = input.mutate_at as usize % k.len();
    let to = ALNUM[input.mutate_to as usize % ALNUM.len()];
    if k[i] != to {
        k[i] = to;
        let k = String::from_utf8(k).expect("ASCII");
        assert!(credentials::check_api_key_format(&k).is_err(), "typo {k} accepted");
    }
    assert_eq!(
        credentials::api_key_start(&input.free).chars().count(),
        input.free.chars().count().min(10)
    );
}

fn check_session_cookie(input: &Input, token: &str) {
    let signed = credentials::sign_session_token(SECRET, token);
    assert_eq!(credentials::verify_session_cookie(SECRET, &signed).as_deref(), Some(token));
    assert_eq!(credentials::verify_session_cookie("", &signed), None);
    assert_eq!(credentials::verify_session_cookie("another-secret", &signed), None);

    // A one-byte mutation (to any byte that keeps the value UTF-8).
    let mut bytes = signed.clone().into_bytes();
    let i = input.mutate_at as usize % bytes.len();
    if bytes[i] != input.mutate_to && input.mutate_to.is_ascii() {
        bytes[i] = input.mutate_to;
        let mutated = String::from_utf8(bytes).expect("ASCII");
        if let Some(t) = credentials::verify_session_cookie(SECRET, &mutated) {
            assert_eq!(t, token);
            assert_eq!(
                percent_decode(&mutated),
                percent_decode(&signed),
                "mutated cookie {mutated} verified"
            );
        }
    }

    // Whatever verifies is, after percent-decoding, exactly the signed form of its token.
    for candidate in [input.free.as_str(), input.email.as_str()] {
        if let Some(t) = credentials::verify_session_cookie(SECRET, candidate) {
            assert_eq!(t.len(), credentials::SESSION_TOKEN_LEN);
            assert_eq!(
                percent_decode(candidate),
                percent_decode(&credentials::sign_session_token(SECRET, &t))
            );
        }
    }
}

fn check_find_cookie(header: &str) {
    for name in [SESSION_COOKIE, SECURE_SESSION_COOKIE, "", "a"] {
        if let Some(v) = credentials::find_cookie(header, name) {
            assert!(header.contains(v));
            assert!(header.contains(&format!("{name}={v}")));
        }
    }
    if let Some(v) = credentials::session_cookie_value(header) {
        assert!(!v.is_empty());
    }
}

fn check_password_record(record: &Record) {
    match record {
        Record::Free(s) => {
            if let Some(r) = PasswordRecord::parse(s) {
                assert!(r.salt.len() >= 16 && r.hash.len() == 32);
                assert!(s.starts_with("pbkdf2-sha256$"));
                assert_eq!(PasswordRecord::parse(&r.encode()), Some(r));
            }
        }
        Record::Built { iterations, salt, hash } => {
            let r =
                PasswordRecord { iterations: *iterations, salt: salt.clone(), hash: hash.to_vec() };
            let parsed = PasswordRecord::parse(&r.encode());
            if salt.len() >= 16 {
                assert_eq!(parsed, Some(r.clone()));
                assert!(r.matches(hash));
            } else {
                assert_eq!(parsed, None);
            }
        }
    }
}

fn check_email(raw: &str) {
    if let Ok(e) = normalize_email("email", raw) {
        assert_eq!(
            normalize_email("email", &e).as_deref().ok(),
            Some(e.as_str()),
            "not idempotent"
        );
        assert_eq!(e.matches('@').count(), 1);
        assert!(!e.bytes().any(|b| b.is_ascii_uppercase()));
        assert!(e.len() <= crow_common::identity::EMAIL_MAX);
        let (local, domain) = e.split_once('@').expect("one @");
        assert!(!local.is_empty() && domain.contains('.'));
    }
}

/// Reference percent-decoding (what a browser's `decodeURIComponent` would give).
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

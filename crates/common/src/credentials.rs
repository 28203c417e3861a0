//! Credentials as they arrive on a request: `Authorization: Bearer <key>`, `X-API-Key`, the
//! Better Auth session cookie, and the internal service key. Everything here is pure: it parses,
//! checks formats and signatures; looking things up in D1 is the gateway's job.

use crate::crypto::{self, ALPHANUMERIC};

/// Every CROW API key starts with this, so keys are recognisable in logs, configs and by secret
/// scanners.
pub const API_KEY_PREFIX: &str = "crow_";
/// Random part length (base62, about 347 bits).
const API_KEY_RANDOM_LEN: usize = 58;
/// Checksum part length (base62 of the first bytes of SHA-256 over prefix + random part).
const API_KEY_CHECKSUM_LEN: usize = 6;
/// Total length of a key.
pub const API_KEY_LEN: usize = 5 + API_KEY_RANDOM_LEN + API_KEY_CHECKSUM_LEN;
/// How many leading characters are kept in clear for display (`start`).
pub const API_KEY_START_LEN: usize = 10;

pub const SESSION_COOKIE: &str = "better-auth.session_token";
pub const SECURE_SESSION_COOKIE: &str = "__Secure-better-auth.session_token";
/// Session tokens: 32 characters of `[A-Za-z0-9]`, like Better Auth's `generateId(32)`.
pub const SESSION_TOKEN_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("the Authorization header is malformed; expected `Bearer <key>`")]
    MalformedAuthorization,
    #[error("the Authorization scheme is not supported; use `Bearer`")]
    UnsupportedScheme,
    #[error("`Authorization` and `X-API-Key` carry different keys")]
    ConflictingKeys,
    #[error("the API key is not a well-formed CROW key")]
    MalformedApiKey,
}

/// A credential presented by the caller, before verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    ApiKey(String),
    /// The raw (still URL-encoded) session cookie value.
    SessionCookie(String),
}

/// Picks the caller's credential. An API key (Bearer or `X-API-Key`) wins over a cookie: an
/// integration that sends a key means the key. A malformed header is an error rather than being
/// ignored, so that a typo does not silently fall back to anonymous access.
pub fn presented(
    authorization: Option<&str>,
    x_api_key: Option<&str>,
    cookie: Option<&str>,
) -> Result<Option<Presented>, CredentialError> {
    let bearer = match authorization.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(h) => {
            let (scheme, rest) =
                h.split_once(char::is_whitespace).ok_or(CredentialError::MalformedAuthorization)?;
            if !scheme.eq_ignore_ascii_case("bearer") {
                return Err(CredentialError::UnsupportedScheme);
            }
            let token = rest.trim();
            if token.is_empty() || token.contains(char::is_whitespace) {
                return Err(CredentialError::MalformedAuthorization);
            }
            Some(token)
        }
    };
    let header_key = x_api_key.map(str::trim).filter(|s| !s.is_empty());
    let key = match (bearer, header_key) {
        (Some(a), Some(b)) if a != b => return Err(CredentialError::ConflictingKeys),
        (Some(a), _) => Some(a),
        (None, b) => b,
    };
    if let Some(key) = key {
        check_api_key_format(key)?;
        return Ok(Some(Presented::ApiKey(key.to_string())));
    }
    Ok(cookie.and_then(session_cookie_value).map(|v| Presented::SessionCookie(v.to_string())))
}

fn checksum(prefix_and_random: &str) -> String {
    let digest = crypto::sha256(prefix_and_random.as_bytes());
    digest
        .iter()
        .take(API_KEY_CHECKSUM_LEN)
        .map(|b| ALPHANUMERIC[*b as usize % ALPHANUMERIC.len()] as char)
        .collect()
}

/// A freshly minted key: the plaintext (shown once), its stored hash and its display start.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub plaintext: String,
    pub hash: String,
    pub start: String,
}

pub fn generate_api_key() -> Result<NewApiKey, crypto::RandomError> {
    let body =
        format!("{API_KEY_PREFIX}{}", crypto::random_string(API_KEY_RANDOM_LEN, ALPHANUMERIC)?);
    let plaintext = format!("{body}{}", checksum(&body));
    Ok(NewApiKey { hash: hash_api_key(&plaintext), start: api_key_start(&plaintext), plaintext })
}

/// Rejects anything that is not a CROW key (length, prefix, alphabet, checksum) without touching
/// storage, so garbage and typos cost nothing.
pub fn check_api_key_format(key: &str) -> Result<(), CredentialError> {
    let ok = key.len() == API_KEY_LEN
        && key.starts_with(API_KEY_PREFIX)
        && key[API_KEY_PREFIX.len()..].bytes().all(|b| b.is_ascii_alphanumeric())
        && {
            let (body, sum) = key.split_at(API_KEY_LEN - API_KEY_CHECKSUM_LEN);
            crypto::ct_eq(checksum(body).as_bytes(), sum.as_bytes())
        };
    if ok {
        Ok(())
    } else {
        Err(CredentialError::MalformedApiKey)
    }
}

/// The stored form of a key: `base64url_nopad(SHA-256(key))`, as Better Auth stores it.
pub fn hash_api_key(key: &str) -> String {
    crypto::sha256_b64url(key.as_bytes())
}

pub fn api_key_start(key: &str) -> String {
    key.chars().take(API_KEY_START_LEN).collect()
}

/// Finds a cookie by name in a `Cookie` header.
pub fn find_cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The session cookie's value, preferring the `__Secure-` name.
pub fn session_cookie_value(header: &str) -> Option<&str> {
    find_cookie(header, SECURE_SESSION_COOKIE)
        .or_else(|| find_cookie(header, SESSION_COOKIE))
        .filter(|v| !v.is_empty())
}

/// `encodeURIComponent(token + "." + base64(HMAC-SHA256(secret, token)))`, as better-call signs.
pub fn sign_session_token(secret: &str, token: &str) -> String {
    let sig = crypto::b64_std(&crypto::hmac_sha256(secret.as_bytes(), token.as_bytes()));
    percent_encode(&format!("{token}.{sig}"))
}

/// Verifies a signed cookie value and returns the session token it carries.
pub fn verify_session_cookie(secret: &str, cookie_value: &str) -> Option<String> {
    if secret.is_empty() {
        return None;
    }
    let decoded = percent_decode(cookie_value)?;
    let (token, sig) = decoded.rsplit_once('.')?;
    if sig.len() != 44 || !sig.ends_with('=') || token.len() != SESSION_TOKEN_LEN {
        return None;
    }
    if !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let presented = crypto::b64_std_decode(sig)?;
    let expected = crypto::hmac_sha256(secret.as_bytes(), token.as_bytes());
    crypto::ct_eq(&presented, &expected).then(|| token.to_string())
}

/// `Set-Cookie` for a new session. `secure` (HTTPS) switches to the `__Secure-` name.
pub fn session_set_cookie(value: &str, secure: bool, max_age_secs: u64) -> String {
    let (name, flag) =
        if secure { (SECURE_SESSION_COOKIE, "; Secure") } else { (SESSION_COOKIE, "") };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{flag}")
}

/// `Set-Cookie` that removes the session cookie.
pub fn session_clear_cookie(secure: bool) -> String {
    session_set_cookie("", secure, 0)
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_pass_the_format_check_and_typos_do_not() {
        let k = generate_api_key().unwrap();
        assert_eq!(k.plaintext.len(), API_KEY_LEN);
        assert!(k.plaintext.starts_with("crow_"));
        check_api_key_format(&k.plaintext).unwrap();
        assert_eq!(k.hash.len(), 43);
        assert_eq!(k.start, &k.plaintext[..10]);
        // Flip one character in the random part: the checksum catches it.
        let mut typo: Vec<u8> = k.plaintext.clone().into_bytes();
        typo[12] = if typo[12] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(typo).unwrap();
        assert_eq!(check_api_key_format(&typo), Err(CredentialError::MalformedApiKey));
        for garbage in ["", "crow_", "sk_live_123", &"a".repeat(API_KEY_LEN), &k.plaintext[1..]] {
            assert!(check_api_key_format(garbage).is_err(), "{garbage}");
        }
    }

    #[test]
    fn bearer_and_header_keys() {
        let k = generate_api_key().unwrap().plaintext;
        let bearer = format!("Bearer {k}");
        assert_eq!(presented(Some(&bearer), None, None), Ok(Some(Presented::ApiKey(k.clone()))));
        assert_eq!(
            presented(Some(&format!("bearer   {k} ")), None, None),
            Ok(Some(Presented::ApiKey(k.clone())))
        );
        assert_eq!(presented(None, Some(&k), None), Ok(Some(Presented::ApiKey(k.clone()))));
        assert_eq!(
            presented(Some(&bearer), Some(&k), None),
            Ok(Some(Presented::ApiKey(k.clone())))
        );
        let other = generate_api_key().unwrap().plaintext;
        assert_eq!(
            presented(Some(&bearer), Some(&other), None),
            Err(CredentialError::ConflictingKeys)
        );
        assert_eq!(
            presented(Some("Basic abc"), None, None),
            Err(CredentialError::UnsupportedScheme)
        );
        assert_eq!(
            presented(Some("Bearer"), None, None),
            Err(CredentialError::MalformedAuthorization)
        );
        assert_eq!(
            presented(Some("Bearer nope"), None, None),
            Err(CredentialError::MalformedApiKey)
        );
        assert_eq!(presented(None, None, None), Ok(None));
    }

    #[test]
    fn session_cookies_round_trip_and_reject_tampering() {
        let token = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
        let value = sign_session_token("s3cret", token);
        assert!(value.ends_with("%3D"), "{value}");
        assert_eq!(verify_session_cookie("s3cret", &value).as_deref(), Some(token));
        assert_eq!(verify_session_cookie("other", &value), None);
        assert_eq!(verify_session_cookie("", &value), None);
        let tampered = value.replacen('A', "B", 1);
        assert_eq!(verify_session_cookie("s3cret", &tampered), None);
        assert_eq!(verify_session_cookie("s3cret", "garbage"), None);
        assert_eq!(verify_session_cookie("s3cret", "%zz"), None);
        let header = format!("theme=dark; {SESSION_COOKIE}={value}; x=y");
        assert_eq!(
            presented(None, None, Some(&header)),
            Ok(Some(Presented::SessionCookie(value.clone())))
        );
        let both = format!("{SESSION_COOKIE}=old; {SECURE_SESSION_COOKIE}={value}");
        assert_eq!(session_cookie_value(&both), Some(value.as_str()));
    }

    #[test]
    fn better_auth_signature_compatibility() {
        // better-call: encodeURIComponent(value + "." + btoa(hmacSha256(secret, value))).
        let sig = crypto::b64_std(&crypto::hmac_sha256(b"secret", b"abc"));
        assert_eq!(sig, "mUba1OAOkT/Ivo5dP34RCkqegy+D+wnDRShdeGONig4=");
        assert_eq!(
            percent_encode(&format!("abc.{sig}")),
            "abc.mUba1OAOkT%2FIvo5dP34RCkqegy%2BD%2BwnDRShdeGONig4%3D"
        );
    }

    #[test]
    fn set_cookie_attributes() {
        let c = session_set_cookie("v", true, 60);
        assert!(c.starts_with("__Secure-better-auth.session_token=v;"));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        assert!(!session_set_cookie("v", false, 60).contains("Secure"));
        assert!(session_clear_cookie(false).contains("Max-Age=0"));
    }
}

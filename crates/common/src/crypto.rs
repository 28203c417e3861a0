//! Small cryptographic helpers: constant-time comparison, SHA-256 and HMAC-SHA256 in the
//! encodings the rest of the code needs, and random tokens.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Compares two byte strings in time that depends only on their lengths.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b.iter()) {
        diff |= x ^ y;
    }
    // black_box keeps the optimiser from short-circuiting the loop.
    std::hint::black_box(diff) == 0
}

/// Compares two secrets of possibly different lengths without leaking where they differ or how
/// long the expected one is: both are hashed first, then compared in constant time.
pub fn secret_eq(presented: &str, expected: &str) -> bool {
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    ct_eq(&a, &b) & !expected.is_empty()
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// `base64url_nopad(SHA-256(data))`: 43 characters. Better Auth's API-key hash encoding.
pub fn sha256_b64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(sha256(data))
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&sha256(data))
}

pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

pub fn b64_std(data: &[u8]) -> String {
    STANDARD.encode(data)
}

pub fn b64_std_decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

pub fn b64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

pub fn hex(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(data.len() * 2);
    for b in data {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

pub const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Errors from the platform's random source.
#[derive(Debug, thiserror::Error)]
#[error("random source unavailable: {0}")]
pub struct RandomError(String);

pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut buf = [0u8; N];
    getrandom::getrandom(&mut buf).map_err(|e| RandomError(e.to_string()))?;
    Ok(buf)
}

/// A uniformly random string over `alphabet` (rejection sampling, no modulo bias).
pub fn random_string(len: usize, alphabet: &[u8]) -> Result<String, RandomError> {
    assert!(!alphabet.is_empty() && alphabet.len() <= 256);
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let chunk = random_bytes::<64>()?;
        for b in chunk {
            if (b as usize) < limit {
                out.push(alphabet[b as usize % alphabet.len()] as char);
                if out.len() == len {
                    break;
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ct_eq_is_equality() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(secret_eq("k", "k"));
        assert!(!secret_eq("k", "K"));
        assert!(!secret_eq("", ""), "an unset secret never matches");
    }

    #[test]
    fn known_vectors() {
        // RFC 4231 test case 2.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex(&mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(sha256_b64url(b"abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    }

    #[test]
    fn random_strings_use_the_alphabet() {
        let s = random_string(100, b"ab").unwrap();
        assert_eq!(s.len(), 100);
        assert!(s.chars().all(|c| c == 'a' || c == 'b'));
        assert_ne!(
            random_string(32, ALPHANUMERIC).unwrap(),
            random_string(32, ALPHANUMERIC).unwrap()
        );
    }
}

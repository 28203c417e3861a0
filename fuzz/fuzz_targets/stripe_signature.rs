//! `crow_common::stripe::verify_signature`: the `Stripe-Signature` header parser and check.
//!
//! Properties:
//! - never panics on any header, payload, secret, clock or tolerance;
//! - a header made by `sign` verifies at its own timestamp (and any time within the tolerance),
//!   also with extra `v1` entries and unknown keys around it; it is `Stale` outside the
//!   tolerance and a `Mismatch` under another secret or for another payload;
//! - `Ok(t)` only when a `v1` in the header is the HMAC of `"{t}.{payload}"` and
//!   `|now - t| <= tolerance`.
#![no_main]

use arbitrary::Arbitrary;
use crow_common::stripe::{sign, verify_signature, SignatureError};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    header: String,
    payload: Vec<u8>,
    secret: String,
    t: i64,
    skew: i64,
    tolerance: i64,
    extra_v1: Option<String>,
    noise: Option<String>,
    now: i64,
}

fuzz_target!(|input: Input| check(input));

fn check(input: Input) {
    // Anything at all: never panics, and Ok only for the timestamp in the header.
    if let Ok(t) = verify_signature(
        Some(&input.header),
        &input.payload,
        &input.secret,
        input.now,
        input.tolerance,
    ) {
        assert!(input.now.abs_diff(t) <= input.tolerance.max(0) as u64);
        assert!(input
            .header
            .contains(&sign(&input.payload, &input.secret, t)[format!("t={t},").len()..]));
    }
    let _ = verify_signature(None, &input.payload, &input.secret, input.now, input.tolerance);

    let secret =
        if input.secret.is_empty() { "whsec_fuzz".to_string() } else { input.secret.clone() };
    let signed = sign(&input.payload, &secret, input.t);
    let mut header = signed.clone();
    if let Some(v) = &input.extra_v1 {
        if !v.contains(',') {
            header = format!("{header},v1={v}");
        }
    }
    if let Some(n) = &input.noise {
        if !n.contains(',') && !n.trim_start().starts_with("t=") {
            header = format!("{n},{header}");
        }
    }
    let tolerance = input.tolerance.rem_euclid(3600);
    let skew = input.skew.rem_euclid(2 * tolerance + 1) - tolerance; // within ±tolerance
    match input.t.checked_add(skew) {
        Some(now) => assert_eq!(
            verify_signature(Some(&header), &input.payload, &secret, now, tolerance),
            Ok(input.t),
            "{header}"
        ),
        None => {}
    }
    // Outside the tolerance: stale, whatever the arithmetic does at the ends of the range.
    for now in
        [input.t.checked_add(tolerance + 1), input.t.checked_sub(tolerance + 1), Some(input.now)]
    {
        let Some(now) = now else { continue };
        let r = verify_signature(Some(&header), &input.payload, &secret, now, tolerance);
        if now.abs_diff(input.t) > tolerance as u64 {
            assert_eq!(r, Err(SignatureError::Stale), "now {now} t {}", input.t);
        } else {
            assert_eq!(r, Ok(input.t));
        }
    }
    let other = format!("{secret}x");
    assert_eq!(
        verify_signature(Some(&header), &input.payload, &other, input.t, tolerance),
        Err(SignatureError::Mismatch)
    );
    let mut payload = input.payload.clone();
    payload.push(b'!');
    assert_eq!(
        verify_signature(Some(&header), &payload, &secret, input.t, tolerance),
        Err(SignatureError::Mismatch)
    );
}

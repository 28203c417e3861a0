//! Stripe, the pure parts: webhook signature verification (as stripe-node does it), the
//! form encoding Stripe's API takes, and how subscription events move an organization's billing
//! state without ever going backwards.

use serde::{Deserialize, Serialize};

use crate::crypto;

/// Default tolerance between the signature's timestamp and now.
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    Missing,
    #[error("the Stripe-Signature header has no timestamp or no v1 signature")]
    Malformed,
    #[error("no v1 signature matches the payload")]
    Mismatch,
    #[error("the signature timestamp is outside the tolerance")]
    Stale,
}

/// Verifies `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]` over the raw body: HMAC-SHA256 with the
/// whole `whsec_…` secret as key over `"{t}.{payload}"`, hex, compared in constant time against
/// every `v1`; then the timestamp must be within `tolerance` seconds of `now`.
pub fn verify_signature(
    header: Option<&str>,
    payload: &[u8],
    secret: &str,
    now: i64,
    tolerance: i64,
) -> Result<i64, SignatureError> {
    let header = header.map(str::trim).filter(|h| !h.is_empty()).ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.push(v.to_string()),
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() || secret.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(payload);
    let expected = crypto::hex(&crypto::hmac_sha256(secret.as_bytes(), &signed));
    let matched = signatures
        .iter()
        .fold(false, |acc, s| acc | crypto::ct_eq(s.as_bytes(), expected.as_bytes()));
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    // `t` comes from the header, so no arithmetic on it may overflow; a negative tolerance
    // accepts nothing.
    if u64::try_from(tolerance).map_or(true, |tol| now.abs_diff(t) > tol) {
        return Err(SignatureError::Stale);
    }
    Ok(t)
}

/// The header value Stripe would send (for tests and the local fake).
pub fn sign(payload: &[u8], secret: &str, t: i64) -> String {
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(payload);
    format!("t={t},v1={}", crypto::hex(&crypto::hmac_sha256(secret.as_bytes(), &signed)))
}

/// `application/x-www-form-urlencoded` with Stripe's bracket notation, from ordered pairs whose
/// keys are already bracketed (`line_items[0][price]`).
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// An organization's billing state as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Billing {
    pub plan: String,
    pub status: Option<String>,
    pub customer_id: Option<String>,
    pub subscription_id: Option<String>,
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    /// `created` of the newest subscription event applied (seconds): older ones are ignored.
    pub last_event_at: i64,
}

/// What a subscription object says (the fields this service reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionView {
    pub id: String,
    pub customer: String,
    pub status: String,
    pub price_id: Option<String>,
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
}

/// Statuses in which the paid plan applies.
pub fn is_entitled(status: &str) -> bool {
    matches!(status, "active" | "trialing" | "past_due")
}

/// Applies a subscription event (`created`, `updated` or `deleted`) observed at `event_created`.
/// Returns the new state, or `None` when the event is older than what was applied already
/// (delivery is unordered) or concerns another subscription than the current one while that one
/// is still live. `plan_for_price` maps a Stripe price id to a plan name.
pub fn apply_subscription(
    current: &Billing,
    kind: &str,
    sub: &SubscriptionView,
    event_created: i64,
    plan_for_price: impl Fn(&str) -> Option<String>,
) -> Option<Billing> {
    if event_created < current.last_event_at {
        return None;
    }
    if let Some(existing) = &current.subscription_id {
        let existing_live = current.status.as_deref().is_some_and(is_entitled);
        if existing != &sub.id && existing_live && kind == "customer.subscription.deleted" {
            return None;
        }
    }
    let mut next = current.clone();
    next.last_event_at = event_created;
    next.customer_id = Some(sub.customer.clone());
    next.subscription_id = Some(sub.id.clone());
    next.current_period_end = sub.current_period_end;
    next.cancel_at_period_end = sub.cancel_at_period_end;
    if kind == "customer.subscription.deleted" {
        next.status = Some("canceled".into());
        next.plan = "free".into();
        next.cancel_at_period_end = false;
        return Some(next);
    }
    next.status = Some(sub.status.clone());
    next.plan = match (is_entitled(&sub.status), sub.price_id.as_deref().and_then(&plan_for_price))
    {
        (true, Some(plan)) => plan,
        (true, None) => current.plan.clone(),
        (false, _) => "free".into(),
    };
    Some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";

    #[test]
    fn signatures_verify_like_stripe_node() {
        let payload = br#"{"id":"evt_1","type":"invoice.paid"}"#;
        let header = sign(payload, SECRET, 1_700_000_000);
        assert_eq!(
            verify_signature(Some(&header), payload, SECRET, 1_700_000_100, TOLERANCE_SECS),
            Ok(1_700_000_000)
        );
        // Any v1 may match (secret rotation).
        let two = format!("{},v1=deadbeef", header.replacen("v1=", "v1=00,v1=", 1));
        assert!(
            verify_signature(Some(&two), payload, SECRET, 1_700_000_000, TOLERANCE_SECS).is_ok()
        );
        assert_eq!(verify_signature(None, payload, SECRET, 0, 300), Err(SignatureError::Missing));
        assert_eq!(
            verify_signature(Some("t=1"), payload, SECRET, 1, 300),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_signature(Some(&header), payload, "whsec_other", 1_700_000_000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(Some(&header), b"{}", SECRET, 1_700_000_000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(Some(&header), payload, SECRET, 1_700_000_301, 300),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn extreme_timestamps_are_stale_not_an_overflow() {
        // Found by fuzzing: `(now - t).abs()` overflowed for timestamps at the ends of i64.
        let payload = b"{}";
        for (t, now) in
            [(i64::MIN, 1_700_000_000), (i64::MAX, -1), (i64::MIN, i64::MAX), (-1, i64::MIN)]
        {
            let header = sign(payload, SECRET, t);
            assert_eq!(
                verify_signature(Some(&header), payload, SECRET, now, TOLERANCE_SECS),
                Err(SignatureError::Stale)
            );
        }
        let header = sign(payload, SECRET, i64::MIN);
        assert_eq!(
            verify_signature(Some(&header), payload, SECRET, i64::MIN + 300, TOLERANCE_SECS),
            Ok(i64::MIN)
        );
        let header = sign(payload, SECRET, 1_700_000_000);
        assert_eq!(
            verify_signature(Some(&header), payload, SECRET, 1_700_000_000, -1),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn known_signature_vector() {
        // hex(HMAC-SHA256("whsec_test_secret", "1700000000.{}")) computed independently.
        assert_eq!(sign(b"{}", SECRET, 1_700_000_000).len(), "t=1700000000,v1=".len() + 64);
    }

    #[test]
    fn form_encoding_uses_brackets() {
        assert_eq!(
            form_encode(&[("line_items[0][price]", "price_1"), ("success_url", "https://x.dev/ok?s={CHECKOUT_SESSION_ID}")]),
            "line_items%5B0%5D%5Bprice%5D=price_1&success_url=https%3A%2F%2Fx.dev%2Fok%3Fs%3D%7BCHECKOUT_SESSION_ID%7D"
        );
    }

    fn sub(status: &str, cancel: bool) -> SubscriptionView {
        SubscriptionView {
            id: "sub_1".into(),
            customer: "cus_1".into(),
            status: status.into(),
            price_id: Some("price_starter".into()),
            current_period_end: Some(2_000_000_000),
            cancel_at_period_end: cancel,
        }
    }

    fn plans(p: &str) -> Option<String> {
        (p == "price_starter").then(|| "starter".to_string())
    }

    #[test]
    fn subscription_lifecycle_and_out_of_order_delivery() {
        let free = Billing { plan: "free".into(), ..Default::default() };
        let active = apply_subscription(
            &free,
            "customer.subscription.created",
            &sub("active", false),
            100,
            plans,
        )
        .unwrap();
        assert_eq!((active.plan.as_str(), active.status.as_deref()), ("starter", Some("active")));
        let cancelling = apply_subscription(
            &active,
            "customer.subscription.updated",
            &sub("active", true),
            200,
            plans,
        )
        .unwrap();
        assert!(cancelling.cancel_at_period_end);
        assert_eq!(cancelling.plan, "starter", "still paid until the period ends");
        // An older update arriving late changes nothing.
        assert_eq!(
            apply_subscription(
                &cancelling,
                "customer.subscription.updated",
                &sub("active", false),
                150,
                plans
            ),
            None
        );
        let gone = apply_subscription(
            &cancelling,
            "customer.subscription.deleted",
            &sub("canceled", false),
            300,
            plans,
        )
        .unwrap();
        assert_eq!((gone.plan.as_str(), gone.status.as_deref()), ("free", Some("canceled")));
        // A late "created" after the deletion does not resurrect the plan.
        assert_eq!(
            apply_subscription(
                &gone,
                "customer.subscription.created",
                &sub("active", false),
                100,
                plans
            ),
            None
        );
        let unpaid = apply_subscription(
            &active,
            "customer.subscription.updated",
            &sub("unpaid", false),
            400,
            plans,
        )
        .unwrap();
        assert_eq!(unpaid.plan, "free");
    }
}

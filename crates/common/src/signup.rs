//! Sign-up by email verification, the parts that do not touch storage or the network: the
//! verification token's format, the two messages a sign-up can send, and the body of the email
//! API call (Resend's `POST /emails` shape).
//!
//! A sign-up answers the same whether or not the address has an account; what differs is only
//! the message that goes to the address: a verification link for a new address, a notice
//! ("someone tried to sign up with your address") for an existing account. Neither message
//! carries anything the requester typed (the name is not mailed), so sign-up cannot be used to
//! send chosen text to a stranger's mailbox.

use serde_json::{json, Value};

use crate::error::ApiError;

/// Characters of a verification token (base62: about 256 bits).
pub const TOKEN_LEN: usize = 43;
/// How long a verification link stays usable.
pub const VERIFICATION_TTL_MS: i64 = 24 * 3600 * 1000;
/// Live (unexpired) pending sign-ups per address; further sign-ups are answered the same way
/// but neither stored nor mailed, so the table and the mailbox cannot be flooded.
pub const MAX_PENDING_PER_EMAIL: i64 = 5;

/// Checks the shape of a presented token before any lookup: exactly [`TOKEN_LEN`] ASCII
/// letters and digits. Anything else is a 400 naming the field.
pub fn check_token(field: &str, raw: &str) -> Result<(), ApiError> {
    if raw.len() == TOKEN_LEN && raw.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(invalid_token(field))
    }
}

/// The one answer for every token that does not verify (malformed, unknown, expired or used),
/// so the endpoint says nothing about which of those it was.
pub fn invalid_token(field: &str) -> ApiError {
    ApiError::invalid_field(field, "is not a valid verification token (it may have expired)")
}

/// The link the dashboard handles: the token travels in the fragment, which browsers never
/// send to a server (no token in access logs or `Referer`).
pub fn verification_link(app_url: &str, token: &str) -> String {
    format!("{}/verify-email#token={token}", app_url.trim_end_matches('/'))
}

/// An email to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub text: String,
}

/// The message to a new address: the link, the bare token (for clients without a browser) and
/// when it expires.
pub fn verification_message(app_url: &str, token: &str, expires_at: &str) -> Message {
    Message {
        subject: "Confirm your CROW account".to_string(),
        text: format!(
            "Someone, hopefully you, signed up for CROW with this address.\n\n\
             To confirm it and finish creating the account, open:\n{}\n\n\
             Or send this code with your password to POST /api/v1/auth/verify-email: {token}\n\n\
             The link works once and expires at {expires_at}. If you did not sign up, ignore \
             this message: no account is created without it.\n",
            verification_link(app_url, token)
        ),
    }
}

/// The message to an address that already has an account: nothing to verify, no token.
pub fn existing_account_notice(app_url: &str) -> Message {
    let base = app_url.trim_end_matches('/');
    Message {
        subject: "Sign-up attempt for your CROW account".to_string(),
        text: format!(
            "Someone tried to create a CROW account with this address, which already has one.\n\n\
             If it was you, sign in at {base}/sign-in instead. If it was not, you can ignore \
             this message: your account and its password are unchanged.\n"
        ),
    }
}

/// The JSON body of `POST /emails` in Resend's API shape.
pub fn email_api_body(from: &str, to: &str, message: &Message) -> Value {
    json!({ "from": from, "to": [to], "subject": message.subject, "text": message.text })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{random_string, ALPHANUMERIC};

    #[test]
    fn generated_tokens_have_the_checked_shape() {
        for _ in 0..50 {
            let t = random_string(TOKEN_LEN, ALPHANUMERIC).unwrap();
            assert!(check_token("token", &t).is_ok(), "{t}");
        }
    }

    #[test]
    fn malformed_tokens_are_refused_with_one_message() {
        let good = "a".repeat(TOKEN_LEN);
        let bad = [
            String::new(),
            "a".repeat(TOKEN_LEN - 1),
            "a".repeat(TOKEN_LEN + 1),
            format!("{}-", &good[1..]),
            format!("{}é", &good[2..]),
            format!(" {}", &good[1..]),
        ];
        for t in &bad {
            let e = check_token("token", t).unwrap_err();
            assert_eq!(e.status(), 400, "{t:?}");
            assert_eq!(e.details["field"], "token");
            assert_eq!(e.message, invalid_token("token").message);
        }
    }

    #[test]
    fn the_link_carries_the_token_in_the_fragment() {
        let link = verification_link("https://app.crowai.dev/", "TOKEN123");
        assert_eq!(link, "https://app.crowai.dev/verify-email#token=TOKEN123");
    }

    #[test]
    fn messages_carry_the_token_only_when_there_is_something_to_verify() {
        let token = random_string(TOKEN_LEN, ALPHANUMERIC).unwrap();
        let v = verification_message("http://localhost:3000", &token, "2026-12-03T00:00:00.000Z");
        assert!(v.text.contains(&verification_link("http://localhost:3000", &token)));
        assert!(v.text.contains("2026-12-03T00:00:00.000Z"));
        let n = existing_account_notice("http://localhost:3000");
        assert_ne!(v.subject, n.subject);
        assert!(n.text.contains("http://localhost:3000/sign-in"));
        assert!(!n.text.contains("verify-email"));
    }

    #[test]
    fn the_api_body_is_resend_shaped() {
        let m = Message { subject: "s".into(), text: "t".into() };
        let body = email_api_body("CROW <no-reply@crowai.dev>", "a@example.com", &m);
        assert_eq!(
            body,
            json!({ "from": "CROW <no-reply@crowai.dev>", "to": ["a@example.com"], "subject": "s", "text": "t" })
        );
    }
}

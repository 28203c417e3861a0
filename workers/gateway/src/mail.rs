//! Outgoing email over an HTTP email API in Resend's shape (`POST {EMAIL_API_BASE}/emails`,
//! `Authorization: Bearer EMAIL_API_KEY`, JSON `{from, to, subject, text}`); locally and in
//! tests `EMAIL_API_BASE` points at the mail catcher `tests/fake_mail.py`.
//!
//! Mail is only ever sent after the response (`waitUntil`), so the email API's latency or
//! failure cannot show in an answer (sign-up must look the same for every address). A send is
//! metered as `mail` on a meter of its own (the request's log line is written by then) and
//! reported in one log line with the request's id; failures are logged, never surfaced.

use std::time::Duration;

use crow_common::signup::{email_api_body, Message};
use crow_edge::{deadline, Meter};
use worker::{console_error, console_log, Env, Fetch, Headers, Method, Request, RequestInit};

use crate::{config, App};

/// Longest a send may take before it is abandoned (and logged).
const SEND_DEADLINE: Duration = Duration::from_secs(10);

pub struct Mailer {
    base: String,
    key: Option<String>,
    from: String,
    service: &'static str,
    request_id: String,
}

impl Mailer {
    pub fn new(app: &App<'_>) -> Mailer {
        Mailer::from_env(app.env, app.ctx.service, &app.ctx.request_id)
    }

    fn from_env(env: &Env, service: &'static str, request_id: &str) -> Mailer {
        Mailer {
            base: config::var(env, "EMAIL_API_BASE", "https://api.resend.com"),
            key: config::secret(env, "EMAIL_API_KEY"),
            from: config::var(env, "EMAIL_FROM", "CROW <no-reply@crowai.dev>"),
            service,
            request_id: request_id.to_string(),
        }
    }

    /// Sends `message` to `to` after the response; `kind` names it in the log line.
    pub fn send_later(self, app: &App<'_>, kind: &'static str, to: String, message: Message) {
        app.wait_until(async move {
            let meter = Meter::new();
            let started = js_sys::Date::now();
            let outcome = self.send(&meter, &to, &message).await;
            let line = serde_json::json!({
                "service": self.service,
                "request_id": self.request_id,
                "mail": kind,
                "ok": outcome.is_ok(),
                "error": outcome.as_ref().err(),
                "ms": js_sys::Date::now() - started,
                "bindings": meter.tally().to_json(),
            });
            if outcome.is_ok() {
                console_log!("{line}");
            } else {
                console_error!("{line}");
            }
        });
    }

    /// One call to the email API; the error is a short description for the log (never the
    /// key, never the message).
    async fn send(&self, meter: &Meter, to: &str, message: &Message) -> Result<(), String> {
        let key = self.key.as_deref().ok_or("EMAIL_API_KEY is not set")?;
        let headers = Headers::new();
        let _ = headers.set("Authorization", &format!("Bearer {key}"));
        let _ = headers.set("Content-Type", "application/json");
        let body = email_api_body(&self.from, to, message).to_string();
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
        let url = format!("{}/emails", self.base.trim_end_matches('/'));
        let req = Request::new_with_init(&url, &init).map_err(|e| format!("request: {e}"))?;
        let _span = meter.span("mail");
        let resp = deadline(Fetch::Request(req).send(), SEND_DEADLINE)
            .await
            .ok_or("the email API did not answer in time")?
            .map_err(|e| format!("the email API is unreachable: {e}"))?;
        match resp.status_code() {
            200..=299 => Ok(()),
            status => Err(format!("the email API answered {status}")),
        }
    }
}

//! Shared helpers for the end-to-end suite. The stack is started by `scripts/test.sh` (through
//! `scripts/stack.sh up`), which exports the three base URLs and the state directory; every test
//! talks to the real workers over HTTP.

use std::time::Duration;

use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;

pub struct Stack {
    pub gateway: String,
    pub mcp: String,
    pub a2a: String,
    pub state_dir: String,
}

fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the end-to-end tests through scripts/test.sh, which starts the stack")
    })
}

impl Stack {
    pub fn from_env() -> Stack {
        Stack {
            gateway: required("CROW_GATEWAY_URL"),
            mcp: required("CROW_MCP_URL"),
            a2a: required("CROW_A2A_URL"),
            state_dir: required("CROW_STATE_DIR"),
        }
    }

    /// A client that keeps no cookies (tests pass them explicitly) and never follows redirects.
    pub fn client(&self) -> Client {
        Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client")
    }

    pub fn gw(&self, method: Method, path: &str) -> RequestBuilder {
        self.client().request(method, format!("{}{}", self.gateway, path))
    }

    /// The local secret shared by the workers (from the state directory), for tests that act
    /// as an internal caller.
    pub fn internal_key(&self) -> String {
        let text = std::fs::read_to_string(format!("{}/secrets.env", self.state_dir)).expect("secrets.env");
        text.lines()
            .find_map(|l| l.strip_prefix("INTERNAL_API_KEY="))
            .expect("INTERNAL_API_KEY in secrets.env")
            .to_string()
    }
}

/// Status, headers and JSON body of a response.
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub async fn of(resp: Response) -> Reply {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::Null) };
        Reply { status, headers, body, text }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the response is the error envelope with this status and code, carrying the same
    /// request id in the body and in `X-Request-Id`. Returns `error.details`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        let err = &self.body["error"];
        assert_eq!(err["code"], code, "unexpected code; body: {}", self.text);
        assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()), "message missing: {}", self.text);
        assert!(err["details"].is_object(), "details missing: {}", self.text);
        let rid = err["request_id"].as_str().expect("error.request_id");
        assert_eq!(self.header("x-request-id"), Some(rid), "X-Request-Id must equal error.request_id");
        &err["details"]
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        &self.body
    }
}

pub async fn send(req: RequestBuilder) -> Reply {
    Reply::of(req.send().await.expect("request failed")).await
}

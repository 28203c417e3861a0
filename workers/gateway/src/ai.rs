//! The AI backend behind product descriptions.
//!
//! - [`WorkersAi`] (production, `AI_BACKEND=workers-ai`): Workers AI,
//!   `@cf/meta/llama-3.3-70b-instruct-fp8-fast`, asked for JSON with the three styles. The input
//!   is serialised with `serde_wasm_bindgen`'s JSON-compatible serializer, so objects reach the
//!   runtime as plain objects (workers-rs#1050: the default turns them into `Map`s, which the AI
//!   runtime drops).
//! - [`Local`] (development and tests, `AI_BACKEND=local`): deterministic text derived from the
//!   product's own fields (`crow_retail::describe`). Workers AI cannot run offline.

use crow_common::ApiError;
use crow_retail::describe::{self, LOCAL_MODEL, STYLES, WORKERS_AI_MODEL};
use crow_retail::inputs::Product;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use worker::{console_error, Env};

use crate::config;
use crate::error::{Error, Result};

/// Writes product descriptions.
pub trait Describer {
    fn model(&self) -> &str;
    async fn describe(&self, product: &Product) -> Result<Vec<(String, String)>>;
}

pub struct Local;

impl Describer for Local {
    fn model(&self) -> &str {
        LOCAL_MODEL
    }

    async fn describe(&self, product: &Product) -> Result<Vec<(String, String)>> {
        Ok(describe::local_descriptions(product)
            .into_iter()
            .map(|(s, t)| (s.to_string(), t))
            .collect())
    }
}

pub struct WorkersAi(worker::Ai);

#[derive(Serialize)]
struct ChatMessage<'a> {
    role: &'a str,
    content: &'a str,
}

#[derive(Serialize)]
struct ChatInput<'a> {
    messages: Vec<ChatMessage<'a>>,
    max_tokens: u32,
    temperature: f32,
}

#[derive(Deserialize)]
struct ChatOutput {
    response: Option<serde_json::Value>,
}

impl Describer for WorkersAi {
    fn model(&self) -> &str {
        WORKERS_AI_MODEL
    }

    async fn describe(&self, product: &Product) -> Result<Vec<(String, String)>> {
        let prompt = describe::prompt(product);
        let input = ChatInput {
            messages: vec![
                ChatMessage {
                    role: "system",
                    content: "You write accurate retail product copy. Answer with JSON only.",
                },
                ChatMessage { role: "user", content: &prompt },
            ],
            max_tokens: 600,
            temperature: 0.3,
        };
        let js = input
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(|e| Error::Internal(worker::Error::RustError(e.to_string())))?;
        let sys: &worker::worker_sys::Ai = self.0.as_ref().unchecked_ref();
        let promise = sys.run(WORKERS_AI_MODEL, js);
        let out = wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .map_err(|e| Error::Dependency { dependency: "AI backend", source: e.into() })?;
        let out: ChatOutput = serde_wasm_bindgen::from_value(out).map_err(|e| {
            console_error!("AI backend answer unreadable: {e}");
            ApiError::bad_gateway("AI backend")
        })?;
        // The model may answer with a JSON object or with JSON inside a string.
        let value = match out.response {
            Some(serde_json::Value::String(s)) => {
                serde_json::from_str(s.trim().trim_start_matches("```json").trim_matches('`')).ok()
            }
            other => other,
        };
        let obj = value
            .as_ref()
            .and_then(|v| v.as_object())
            .ok_or_else(|| ApiError::bad_gateway("AI backend"))?;
        let texts: Vec<(String, String)> = STYLES
            .iter()
            .filter_map(|s| {
                obj.get(*s).and_then(|t| t.as_str()).map(|t| (s.to_string(), t.trim().to_string()))
            })
            .filter(|(_, t)| !t.is_empty())
            .collect();
        if texts.is_empty() {
            return Err(ApiError::bad_gateway("AI backend").into());
        }
        Ok(texts)
    }
}

/// The backend the configuration selects.
pub enum Backend {
    Local(Local),
    WorkersAi(WorkersAi),
}

impl Backend {
    /// The binding a description call uses, for the request's meter (`None`: the local writer).
    pub fn binding(&self) -> Option<&'static str> {
        matches!(self, Backend::WorkersAi(_)).then_some("ai")
    }

    pub fn from_env(env: &Env) -> Result<Backend> {
        match config::var(env, "AI_BACKEND", "local").as_str() {
            "workers-ai" => Ok(Backend::WorkersAi(WorkersAi(
                env.ai("AI")
                    .map_err(|source| Error::Dependency { dependency: "AI backend", source })?,
            ))),
            _ => Ok(Backend::Local(Local)),
        }
    }
}

impl Describer for Backend {
    fn model(&self) -> &str {
        match self {
            Backend::Local(b) => b.model(),
            Backend::WorkersAi(b) => b.model(),
        }
    }

    async fn describe(&self, product: &Product) -> Result<Vec<(String, String)>> {
        match self {
            Backend::Local(b) => b.describe(product).await,
            Backend::WorkersAi(b) => b.describe(product).await,
        }
    }
}

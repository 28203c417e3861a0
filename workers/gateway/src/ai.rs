//! Product descriptions through the `AI` binding: the text model named by `DESCRIPTION_MODEL`
//! (production: Workers AI `@cf/meta/llama-3.3-70b-instruct-fp8-fast`; locally the stand-in's
//! `@local/crow-standin-describer-v1`, which writes from the prompt's facts), asked for JSON with
//! the three styles. The model id is stored with every description, so a stand-in's text never
//! claims to be Llama's.

use crow_common::ApiError;
use crow_edge::ai::AiBinding;
use crow_retail::describe::{self, WORKERS_AI_MODEL};
use crow_retail::inputs::Product;
use serde::{Deserialize, Serialize};
use worker::{console_error, Env};

use crate::config;
use crate::error::{Error, Result};

pub struct Describer {
    ai: AiBinding,
    model: String,
}

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

impl Describer {
    pub fn from_env(env: &Env) -> Result<Describer> {
        let ai = AiBinding::from_env(env, "AI")
            .map_err(|source| Error::Dependency { dependency: "AI backend", source })?;
        Ok(Describer { ai, model: config::var(env, "DESCRIPTION_MODEL", WORKERS_AI_MODEL) })
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    /// (style, text) pairs; a failing or unreadable model is a 503/502 with nothing stored.
    pub async fn describe(&self, product: &Product) -> Result<Vec<(String, String)>> {
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
        let out: ChatOutput = self.ai.run(&self.model, &input).await.map_err(|e| {
            Error::Dependency { dependency: "AI backend", source: worker::Error::RustError(e.0) }
        })?;
        out.response.as_ref().and_then(describe::parse_answer).ok_or_else(|| {
            console_error!("the description model {} gave no usable answer", self.model);
            ApiError::bad_gateway("AI backend").into()
        })
    }
}

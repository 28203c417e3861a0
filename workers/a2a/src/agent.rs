//! The agent's two halves for `crow_agent::run_loop`: the model backend chosen by `AI_BACKEND`
//! (the offline planner, an OpenAI-compatible HTTP server, or Workers AI) and the six CROW tools,
//! executed against the gateway's REST API over the `GATEWAY` service binding.

use crow_agent::{
    openai_request, parse_openai_chat_completion, parse_workers_ai_output, workers_ai_request,
    Message, Model, ModelError, ModelTurn, OfflineModel, SourceKind, SourceRef, ToolCallRequest,
    ToolExecutor, ToolFailure, ToolOutput, ToolSpec, WORKERS_AI_MODEL,
};
use crow_edge::ai::AiBinding;
use crow_edge::{Ctx, ServiceCall};
use crow_tools::{ToolCall, ToolError, ToolKind};
use serde_json::{json, Value};
use worker::{console_error, Env, Fetch, Fetcher, Headers, Method, Request, RequestInit};

const DEFAULT_MODEL_TIMEOUT_MS: u64 = 30_000;

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).filter(|v| !v.trim().is_empty())
}

/// The configured model backend.
pub enum Backend {
    /// `AI_BACKEND=local` (also when unset: no model configured): the deterministic offline
    /// planner. Not a language model; every answer says so in its first line.
    Offline(OfflineModel),
    /// `AI_BACKEND=openai`: `POST {OPENAI_BASE_URL}/chat/completions`.
    OpenAi { base_url: String, model: String, api_key: Option<String>, timeout_ms: u64 },
    /// `AI_BACKEND=workers-ai`: `AGENT_MODEL` (default Llama 3.3) on the `AI` binding: Workers AI
    /// in production, the stand-in worker's scripted model locally (`tests/standins`).
    WorkersAi { ai: AiBinding, model: String, timeout_ms: u64 },
}

impl Backend {
    pub fn from_env(env: &Env) -> Result<Backend, String> {
        // Per model call (one round of the loop); `MODEL_TIMEOUT_MS`, 30 s by default.
        let timeout_ms = match var(env, "MODEL_TIMEOUT_MS") {
            None => DEFAULT_MODEL_TIMEOUT_MS,
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| (100..=300_000).contains(n))
                .ok_or("MODEL_TIMEOUT_MS must be 100 to 300000")?,
        };
        match var(env, "AI_BACKEND").as_deref().unwrap_or("local") {
            "local" | "offline" => {
                Ok(Backend::Offline(OfflineModel::at(crow_edge::now_ms() as i64)))
            }
            "openai" => {
                let base_url =
                    var(env, "OPENAI_BASE_URL").ok_or("AI_BACKEND=openai needs OPENAI_BASE_URL")?;
                let model =
                    var(env, "OPENAI_MODEL").ok_or("AI_BACKEND=openai needs OPENAI_MODEL")?;
                let api_key = env
                    .secret("OPENAI_API_KEY")
                    .ok()
                    .map(|s| s.to_string())
                    .filter(|s| !s.is_empty());
                Ok(Backend::OpenAi {
                    base_url: base_url.trim_end_matches('/').to_string(),
                    model,
                    api_key,
                    timeout_ms,
                })
            }
            "workers-ai" => AiBinding::from_env(env, "AI")
                .map(|ai| Backend::WorkersAi {
                    ai,
                    model: var(env, "AGENT_MODEL").unwrap_or_else(|| WORKERS_AI_MODEL.to_string()),
                    timeout_ms,
                })
                .map_err(|e| format!("AI binding: {e}")),
            other => Err(format!("unknown AI_BACKEND {other:?} (local, openai or workers-ai)")),
        }
    }
}

impl Model for Backend {
    fn name(&self) -> &str {
        match self {
            Backend::Offline(m) => m.name(),
            Backend::OpenAi { model, .. } => model,
            Backend::WorkersAi { model, .. } => model,
        }
    }

    async fn complete(
        &self,
        messages: &[Message],
        tools: &[ToolSpec],
    ) -> Result<ModelTurn, ModelError> {
        // A model that does not answer in time is a failed round, not a hung request.
        let limit = std::time::Duration::from_millis(self.timeout_ms());
        crow_edge::deadline(self.complete_now(messages, tools), limit).await.unwrap_or_else(|| {
            Err(ModelError::new(format!(
                "the model did not answer within {} ms",
                limit.as_millis()
            )))
        })
    }
}

impl Backend {
    fn timeout_ms(&self) -> u64 {
        match self {
            Backend::Offline(_) => 10_000,
            Backend::OpenAi { timeout_ms, .. } | Backend::WorkersAi { timeout_ms, .. } => {
                *timeout_ms
            }
        }
    }

    async fn complete_now(
        &self,
        messages: &[Message],
        tools: &[ToolSpec],
    ) -> Result<ModelTurn, ModelError> {
        match self {
            Backend::Offline(m) => m.complete(messages, tools).await,
            Backend::OpenAi { base_url, model, api_key, .. } => {
                let body = openai_request(model, messages, tools);
                let out =
                    post_json(&format!("{base_url}/chat/completions"), &body, api_key.as_deref())
                        .await?;
                Ok(parse_openai_chat_completion(out))
            }
            Backend::WorkersAi { ai, model, .. } => {
                let input = workers_ai_request(messages, tools);
                let out: Value = ai
                    .run(model, &input)
                    .await
                    .map_err(|e| ModelError::new(format!("Workers AI failed: {e}")))?;
                Ok(parse_workers_ai_output(out))
            }
        }
    }
}

async fn post_json(url: &str, body: &Value, key: Option<&str>) -> Result<Value, ModelError> {
    let fail = |what: &str, e: worker::Error| ModelError::new(format!("{what}: {e}"));
    let headers = Headers::new();
    headers.set("Content-Type", "application/json").map_err(|e| fail("headers", e))?;
    if let Some(k) = key {
        headers.set("Authorization", &format!("Bearer {k}")).map_err(|e| fail("headers", e))?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(wasm_bindgen::JsValue::from_str(&body.to_string())));
    let req =
        Request::new_with_init(url, &init).map_err(|e| fail("building the model request", e))?;
    let mut resp =
        Fetch::Request(req).send().await.map_err(|e| fail("calling the model server", e))?;
    let status = resp.status_code();
    let text = resp.text().await.map_err(|e| fail("reading the model's answer", e))?;
    if !(200..300).contains(&status) {
        return Err(ModelError::new(format!(
            "the model server answered HTTP {status}: {}",
            text.chars().take(200).collect::<String>()
        )));
    }
    serde_json::from_str(&text)
        .map_err(|e| ModelError::new(format!("the model server sent invalid JSON: {e}")))
}

/// The backend with the request's meter: each model call is counted as `ai` (Workers AI) or
/// `model` (an OpenAI-compatible server); the offline planner runs inside the worker.
pub struct Metered<'a> {
    pub backend: Backend,
    pub meter: &'a crow_edge::Meter,
}

impl Model for Metered<'_> {
    fn name(&self) -> &str {
        self.backend.name()
    }

    async fn complete(
        &self,
        messages: &[Message],
        tools: &[ToolSpec],
    ) -> Result<ModelTurn, ModelError> {
        let kind = match self.backend {
            Backend::Offline(_) => None,
            Backend::OpenAi { .. } => Some("model"),
            Backend::WorkersAi { .. } => Some("ai"),
        };
        let _span = kind.map(|k| self.meter.span(k));
        self.backend.complete(messages, tools).await
    }
}

/// On whose behalf tools call the gateway.
#[derive(Debug, Clone)]
pub enum Caller {
    /// An A2A client: its API key (as Bearer) plus the internal key, so the call is not counted
    /// against the key's budget a second time.
    ApiKey { key: String, org_id: String },
    /// A dashboard chat user, forwarded by the gateway: internal key + organization + user.
    User { org_id: String, user_id: String },
}

impl Caller {
    pub fn org_id(&self) -> &str {
        match self {
            Caller::ApiKey { org_id, .. } | Caller::User { org_id, .. } => org_id,
        }
    }
}

/// The CROW tools over the gateway.
pub struct GatewayTools<'a> {
    pub gateway: Fetcher,
    pub internal_key: String,
    pub caller: Caller,
    pub ctx: &'a Ctx,
}

impl ToolExecutor for GatewayTools<'_> {
    fn specs(&self) -> Vec<ToolSpec> {
        ToolKind::ALL
            .iter()
            .map(|k| ToolSpec::new(k.name(), k.description(), k.input_schema()))
            .collect()
    }

    async fn execute(&self, call: &ToolCallRequest) -> Result<ToolOutput, ToolFailure> {
        let tool = crow_tools::validate(&call.name, &call.arguments).map_err(|e| match e {
            ToolError::UnknownTool(n) => ToolFailure::new(format!("unknown tool {n}")),
            e => ToolFailure::new(e.to_string()),
        })?;
        let rest = tool.rest_request(self.caller.org_id());
        let mut sc = ServiceCall::new(Method::Get, &rest.path_and_query)
            .header("X-Internal-Key", self.internal_key.clone())
            .header("Accept", "application/json");
        sc = match &self.caller {
            Caller::ApiKey { key, .. } => sc.header("Authorization", format!("Bearer {key}")),
            Caller::User { org_id, user_id } => {
                sc.header("X-Organization-Id", org_id.clone()).header("X-User-Id", user_id.clone())
            }
        };
        let mut resp = sc.send(&self.gateway, self.ctx, "gateway").await.map_err(|_| {
            ToolFailure::new("the CROW API could not be reached; try again shortly")
        })?;
        let status = resp.status_code();
        let text = resp
            .text()
            .await
            .map_err(|_| ToolFailure::new("the CROW API's answer could not be read"))?;
        let body: Option<Value> = serde_json::from_str(&text).ok();
        let body = match status {
            200..=299 => {
                body.ok_or_else(|| ToolFailure::new("the CROW API sent an unreadable answer"))?
            }
            400..=499 => {
                let msg = body
                    .as_ref()
                    .and_then(|b| b["error"]["message"].as_str().map(str::to_string))
                    .unwrap_or_else(|| format!("the request was refused (HTTP {status})"));
                return Err(ToolFailure::new(msg));
            }
            _ => {
                console_error!("{} answered HTTP {status} from the gateway", tool.name());
                return Err(ToolFailure::new(format!(
                    "the CROW API is unavailable (HTTP {status})"
                )));
            }
        };
        let rendered = tool.render(&body);
        let sources = sources_of(&tool, &rendered.structured);
        if tool.kind().is_analytics() {
            // The model gets the sentences (every figure, the period, names and ids) and the
            // period, not the whole report: it stays well inside the result size cap.
            let r = &rendered.structured["report"];
            let slim = json!({
                // Plain sentences for a person: product names and SKUs, ids in the sources.
                "answer": crow_tools::analytics_answer(tool.kind(), &body, false),
                "period": { "from": r["from"], "to": r["to"], "timeZone": r["timeZone"] },
                "currency": r["currency"],
                "arguments": rendered.structured["arguments"],
            });
            return Ok(ToolOutput::with_sources(slim, sources));
        }
        Ok(ToolOutput::with_sources(rendered.structured, sources))
    }
}

const TITLE_KEYS: [&str; 6] = ["name", "title", "pattern", "question", "kind", "summary"];

/// The records a tool result is based on: (tool, kind, id, title).
pub fn sources_of(tool: &ToolCall, structured: &Value) -> Vec<SourceRef> {
    let name = tool.name();
    let kind = match tool.kind() {
        ToolKind::SearchProducts | ToolKind::GetProductAiDescriptions => SourceKind::Product,
        ToolKind::SearchInteractions => SourceKind::Interaction,
        ToolKind::SearchPatterns => SourceKind::Pattern,
        ToolKind::SearchOrgContext => SourceKind::Document,
        ToolKind::GetInteractionSummary => {
            return vec![SourceRef::new(name, SourceKind::Summary, "interaction-summary")
                .titled("Interaction channel summary")]
        }
        // Analytics: the figures are aggregates; the products they name are the sources.
        k => {
            let r = &structured["report"];
            let mut out =
                vec![SourceRef::new(name, SourceKind::Summary, format!("analytics:{name}"))
                    .titled(k.title())];
            let items = r["products"].as_array().or_else(|| r["items"].as_array());
            for p in items.into_iter().flatten().take(10) {
                if let (Some(id), Some(t)) = (
                    p["productId"]
                        .as_str()
                        .or_else(|| p["key"].as_str().filter(|_| p["sku"].is_string())),
                    p["name"].as_str(),
                ) {
                    out.push(SourceRef::new(name, SourceKind::Product, id).titled(t));
                }
            }
            return out;
        }
    };
    if let ToolCall::GetProductAiDescriptions { product_id } = tool {
        return vec![SourceRef::new(name, kind, product_id.clone())];
    }
    let items = structured["items"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .filter_map(|item| {
            let id = ["id", "documentId", "productId"].iter().find_map(|k| item[*k].as_str())?;
            let mut s = SourceRef::new(name, kind, id);
            if let Some(t) = TITLE_KEYS.iter().find_map(|k| item[*k].as_str()) {
                s = s.titled(t.chars().take(120).collect::<String>());
            }
            Some(s)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sources_name_the_tool_kind_id_and_title() {
        let call = crow_tools::validate("crow_search_products", &json!({"query": "tent"})).unwrap();
        let structured = json!({"items": [{"id": "prd_1", "name": "Skyhaven Tent"}, {"name": "no id"}], "count": 2});
        let s = sources_of(&call, &structured);
        assert_eq!(
            s,
            vec![SourceRef::new("crow_search_products", SourceKind::Product, "prd_1")
                .titled("Skyhaven Tent")]
        );
        let summary = crow_tools::validate("crow_get_interaction_summary", &json!({})).unwrap();
        assert_eq!(sources_of(&summary, &json!({}))[0].kind, SourceKind::Summary);
        let docs =
            crow_tools::validate("crow_search_org_context", &json!({"query": "returns"})).unwrap();
        let s = sources_of(&docs, &json!({"items": [{"documentId": "doc_1", "title": "Returns"}]}));
        assert_eq!((s[0].kind, s[0].id.as_str()), (SourceKind::Document, "doc_1"));
        let desc = crow_tools::validate(
            "crow_get_product_ai_descriptions",
            &json!({"productId": "prd_9"}),
        )
        .unwrap();
        assert_eq!(sources_of(&desc, &json!({"items": []}))[0].id, "prd_9");
    }
}

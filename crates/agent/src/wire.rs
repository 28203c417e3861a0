//! Request bodies for, and parsers of, the two model backends. The HTTP (or binding) call itself
//! happens in the workers; everything here is pure JSON in, JSON out.
//!
//! **Workers AI** (`@cf/meta/llama-3.3-70b-instruct-fp8-fast`):
//! - Output is `{response?: string|null, tool_calls?: [{name?, arguments?}], usage?}`. `arguments`
//!   is natively an object but is accepted as a JSON string too; calls without a name are skipped;
//!   the OpenAI-style `{id, type, function:{name, arguments}}` form is accepted as well, as are the
//!   REST envelope `{result:{…}, success}` and an OpenAI-style `choices` body.
//! - Llama 3.3 sometimes writes the tool call as JSON *text* in `response`; see
//!   [`parse_text_tool_calls`] for the forms recognised.
//! - [`workers_ai_request`] builds plain JSON objects (never `null`s). Pass it to the binding
//!   serialized with `serde_wasm_bindgen::Serializer::json_compatible()` (or as a JSON string
//!   through `JSON.parse`): the default serializer turns objects into JS `Map`s, which the AI
//!   runtime drops (workers-rs #1050).
//!
//! **OpenAI-compatible servers** (`/v1/chat/completions`): [`openai_request`] and
//! [`parse_openai_chat_completion`] (`choices[0].message.tool_calls[].function.{name, arguments}`
//! with `arguments` a JSON string; also the legacy `function_call` and the Ollama `message` body).

use serde_json::{json, Map, Value};

use crate::types::{empty_object, Message, ModelTurn, Role, ToolCallRequest, ToolSpec};

/// The Workers AI model the CROW agent uses.
pub const WORKERS_AI_MODEL: &str = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";
/// `max_tokens` sent to Workers AI (its default of 256 cuts answers short).
pub const WORKERS_AI_MAX_TOKENS: u32 = 1_024;
/// `temperature` sent to Workers AI: low, for reliable tool-call JSON and factual answers.
pub const WORKERS_AI_TEMPERATURE: f64 = 0.2;

/// Builds the Workers AI input: `{messages, tools?, max_tokens, temperature}`.
///
/// - `tools` is omitted when empty (the loop's final no-tools call). Tools use the wrapped form
///   `{type:"function", function:{name, description, parameters}}`; `parameters` is normalized to
///   what the model's input schema requires: `type:"object"`, a `properties` object, and a string
///   `type` and `description` on every property (the first non-null type of a type list; the
///   property name when there is no description).
/// - An assistant message with tool calls carries them both as `tool_calls`
///   (`{id, type:"function", function:{name, arguments:<JSON string>}}`) and, when its content is
///   empty, as Llama's own JSON text (`{"name":…,"parameters":…}`, or a list), because the
///   model's input schema only guarantees `role` and `content`.
/// - Tool messages carry `tool_call_id` and `name`.
pub fn workers_ai_request(messages: &[Message], tools: &[ToolSpec]) -> Value {
    let mut body = Map::new();
    body.insert("messages".into(), Value::Array(messages.iter().map(workers_ai_message).collect()));
    if !tools.is_empty() {
        let tools = tools
            .iter()
            .map(|spec| {
                json!({"type": "function", "function": {
                    "name": spec.name,
                    "description": spec.description,
                    "parameters": workers_ai_parameters(&spec.parameters),
                }})
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    body.insert("max_tokens".into(), json!(WORKERS_AI_MAX_TOKENS));
    body.insert("temperature".into(), json!(WORKERS_AI_TEMPERATURE));
    Value::Object(body)
}

/// Builds an OpenAI-compatible chat-completions body:
/// `{model, messages, tools?, tool_choice?: "auto"}`.
///
/// Assistant tool calls are `{id, type:"function", function:{name, arguments:<JSON string>}}`
/// with `content: null` when there is no text; tool messages are `{role:"tool", tool_call_id,
/// content}`. Tool `parameters` get `type:"object"` and `properties` if missing, nothing more.
pub fn openai_request(model: &str, messages: &[Message], tools: &[ToolSpec]) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    body.insert("messages".into(), Value::Array(messages.iter().map(openai_message).collect()));
    if !tools.is_empty() {
        let tools = tools
            .iter()
            .map(|spec| {
                json!({"type": "function", "function": {
                    "name": spec.name,
                    "description": spec.description,
                    "parameters": object_schema(&spec.parameters),
                }})
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
        body.insert("tool_choice".into(), json!("auto"));
    }
    Value::Object(body)
}

/// Parses a Workers AI text-generation result (see the [module docs](self)).
///
/// Tool calls win over text. With no usable tool calls, `response` is the answer: a string is
/// checked for a JSON tool call ([`parse_text_tool_calls`]), an object is treated the same way or
/// else returned as compact JSON text, and `null`, a missing field or an empty string give
/// `Final("")`, which the loop treats as "no answer".
pub fn parse_workers_ai_output(output: Value) -> ModelTurn {
    if let Value::String(text) = output {
        return turn_from_text(text);
    }
    let is_envelope = output.get("result").is_some_and(Value::is_object)
        && output.get("response").is_none()
        && output.get("tool_calls").is_none();
    if is_envelope {
        let mut output = output;
        let result = output.get_mut("result").map(Value::take).unwrap_or_default();
        return parse_workers_ai_output(result);
    }
    if output.get("choices").is_some() {
        return parse_openai_chat_completion(output);
    }
    let calls = calls_from_list(output.get("tool_calls"));
    if !calls.is_empty() {
        return ModelTurn::ToolCalls(calls);
    }
    match output.get("response") {
        Some(Value::String(text)) => turn_from_text(text.clone()),
        Some(object @ Value::Object(_)) => match tool_calls_from_json(std::slice::from_ref(object))
        {
            Some(calls) => ModelTurn::ToolCalls(calls),
            None => ModelTurn::Final(object.to_string()),
        },
        Some(Value::Number(n)) => ModelTurn::Final(n.to_string()),
        _ => ModelTurn::Final(String::new()),
    }
}

/// Parses an OpenAI-compatible chat completion (see the [module docs](self)).
///
/// Uses `choices[0].message` (or a top-level `message`). Tool calls without a name are skipped;
/// `arguments` may be a JSON string (standard) or an object (Ollama). Without tool calls, the
/// `content` (a string or a list of text parts) is checked for a JSON tool call, as for Workers
/// AI, and is otherwise the answer.
pub fn parse_openai_chat_completion(response: Value) -> ModelTurn {
    let message = response
        .get("choices")
        .and_then(|choices| choices.get(0))
        .and_then(|choice| choice.get("message"))
        .or_else(|| response.get("message"));
    let Some(message) = message else {
        return ModelTurn::Final(String::new());
    };
    let calls = calls_from_list(message.get("tool_calls"));
    if !calls.is_empty() {
        return ModelTurn::ToolCalls(calls);
    }
    if let Some(call) = message.get("function_call").and_then(|fc| call_from_value(fc, 0)) {
        return ModelTurn::ToolCalls(vec![call]);
    }
    let text = match message.get("content") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| part.as_str().or_else(|| part.get("text").and_then(Value::as_str)))
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    };
    turn_from_text(text)
}

/// Recognises a tool call written as text instead of structured `tool_calls`.
///
/// After trimming, removing a leading `<|python_tag|>`, a trailing `<|eom_id|>`/`<|eot_id|>` and
/// a surrounding code fence, the whole text must be one of:
/// - one or more JSON values (separated by whitespace, `;` or `,`), each either a call object or
///   a list of call objects, where a call object is `{"name": "...", "parameters"|"arguments":
///   …}` (an extra `"type":"function"` is fine) or `{"function": {"name", "arguments"}}`;
/// - one or more `<function=NAME>{json}</function>` blocks (Llama 3.1 style).
///
/// Anything else (prose, or JSON that is not shaped like a call) returns `None`. Ids are
/// `call_0`, `call_1`, … in order.
pub fn parse_text_tool_calls(text: &str) -> Option<Vec<ToolCallRequest>> {
    let text = strip_wrappers(text);
    if text.is_empty() {
        return None;
    }
    if text.starts_with("<function=") {
        return parse_function_tags(text);
    }
    let values = parse_json_sequence(text)?;
    tool_calls_from_json(&values)
}

fn turn_from_text(text: String) -> ModelTurn {
    match parse_text_tool_calls(&text) {
        Some(calls) => ModelTurn::ToolCalls(calls),
        None => ModelTurn::Final(text),
    }
}

fn calls_from_list(list: Option<&Value>) -> Vec<ToolCallRequest> {
    let Some(Value::Array(items)) = list else {
        return Vec::new();
    };
    let mut calls = Vec::with_capacity(items.len());
    for item in items {
        if let Some(call) = call_from_value(item, calls.len()) {
            calls.push(call);
        }
    }
    calls
}

/// A call from `{id?, name, arguments|parameters}` or `{id?, function:{name, arguments}}`;
/// `None` without a non-empty name.
fn call_from_value(value: &Value, index: usize) -> Option<ToolCallRequest> {
    let function = value.get("function").filter(|f| f.is_object());
    let name = function
        .and_then(|f| f.get("name"))
        .or_else(|| value.get("name"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|name| !name.is_empty())?;
    let raw = function
        .and_then(|f| f.get("arguments").or_else(|| f.get("parameters")))
        .or_else(|| value.get("arguments"))
        .or_else(|| value.get("parameters"));
    let id = value
        .get("id")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map_or_else(|| format!("call_{index}"), str::to_owned);
    Some(ToolCallRequest { id, name: name.to_owned(), arguments: normalize_arguments(raw) })
}

/// Missing, `null` or blank → `{}`; a JSON string is decoded (twice if double-encoded); a string
/// that is not JSON stays a string, which the loop reports back to the model.
fn normalize_arguments(raw: Option<&Value>) -> Value {
    match raw {
        None | Some(Value::Null) => empty_object(),
        Some(Value::String(text)) => {
            let trimmed = text.trim();
            if trimmed.is_empty() {
                return empty_object();
            }
            match serde_json::from_str::<Value>(trimmed) {
                Ok(Value::String(inner)) if inner.trim_start().starts_with('{') => {
                    serde_json::from_str(inner.trim()).unwrap_or(Value::String(inner))
                }
                Ok(Value::Null) => empty_object(),
                Ok(decoded) => decoded,
                Err(_) => Value::String(text.clone()),
            }
        }
        Some(other) => other.clone(),
    }
}

fn is_call_shaped(value: &Value) -> bool {
    let Some(object) = value.as_object() else {
        return false;
    };
    let named =
        |v: &Value| v.get("name").and_then(Value::as_str).is_some_and(|n| !n.trim().is_empty());
    if let Some(function) = object.get("function").filter(|f| f.is_object()) {
        return named(function);
    }
    named(value) && (object.contains_key("parameters") || object.contains_key("arguments"))
}

/// Every value must be a call object or a non-empty list of them.
fn tool_calls_from_json(values: &[Value]) -> Option<Vec<ToolCallRequest>> {
    let mut calls = Vec::new();
    for value in values {
        let items: &[Value] = match value {
            Value::Array(items) if !items.is_empty() => items,
            Value::Object(_) => std::slice::from_ref(value),
            _ => return None,
        };
        for item in items {
            if !is_call_shaped(item) {
                return None;
            }
            let mut call = call_from_value(item, calls.len())?;
            call.id = format!("call_{}", calls.len());
            calls.push(call);
        }
    }
    (!calls.is_empty()).then_some(calls)
}

fn strip_wrappers(text: &str) -> &str {
    let mut text = text.trim();
    text = text.strip_prefix("<|python_tag|>").unwrap_or(text).trim();
    for suffix in ["<|eom_id|>", "<|eot_id|>"] {
        text = text.strip_suffix(suffix).unwrap_or(text).trim();
    }
    if let Some(rest) = text.strip_prefix("```") {
        let rest = rest.strip_prefix("json").or_else(|| rest.strip_prefix("JSON")).unwrap_or(rest);
        text = rest.trim();
        text = text.strip_suffix("```").unwrap_or(text).trim();
    }
    text
}

fn parse_json_sequence(text: &str) -> Option<Vec<Value>> {
    let mut rest = text;
    let mut values = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ';' || c == ',');
        if rest.is_empty() {
            break;
        }
        if !(rest.starts_with('{') || rest.starts_with('[')) {
            return None;
        }
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        match stream.next() {
            Some(Ok(value)) => {
                values.push(value);
                rest = rest.get(stream.byte_offset()..)?;
            }
            _ => return None,
        }
    }
    (!values.is_empty()).then_some(values)
}

fn parse_function_tags(text: &str) -> Option<Vec<ToolCallRequest>> {
    const CLOSE: &str = "</function>";
    let mut rest = text;
    let mut calls = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ';' || c == ',');
        if rest.is_empty() {
            break;
        }
        let after = rest.strip_prefix("<function=")?;
        let gt = after.find('>')?;
        let name = after.get(..gt)?.trim();
        let body = after.get(gt + 1..)?;
        let end = body.find(CLOSE)?;
        let arguments = body.get(..end)?.trim();
        if name.is_empty() {
            return None;
        }
        let arguments = if arguments.is_empty() {
            empty_object()
        } else {
            serde_json::from_str(arguments).ok()?
        };
        calls.push(ToolCallRequest {
            id: format!("call_{}", calls.len()),
            name: name.to_owned(),
            arguments,
        });
        rest = body.get(end + CLOSE.len()..)?;
    }
    (!calls.is_empty()).then_some(calls)
}

fn openai_tool_calls(calls: &[ToolCallRequest]) -> Value {
    Value::Array(
        calls
            .iter()
            .map(|call| {
                json!({"id": call.id, "type": "function", "function": {
                    "name": call.name,
                    "arguments": call.arguments.to_string(),
                }})
            })
            .collect(),
    )
}

fn workers_ai_message(message: &Message) -> Value {
    let mut out = Map::new();
    out.insert("role".into(), json!(message.role.as_str()));
    let calls = message.calls();
    let content = if message.role == Role::Assistant
        && !calls.is_empty()
        && message.content.trim().is_empty()
    {
        let as_text: Vec<Value> = calls
            .iter()
            .map(|call| json!({"name": call.name, "parameters": call.arguments}))
            .collect();
        match as_text.as_slice() {
            [single] => single.to_string(),
            _ => Value::Array(as_text).to_string(),
        }
    } else {
        message.content.clone()
    };
    out.insert("content".into(), Value::String(content));
    if !calls.is_empty() {
        out.insert("tool_calls".into(), openai_tool_calls(calls));
    }
    if message.role == Role::Tool {
        if let Some(id) = &message.tool_call_id {
            out.insert("tool_call_id".into(), json!(id));
        }
        if let Some(name) = &message.name {
            out.insert("name".into(), json!(name));
        }
    }
    Value::Object(out)
}

fn openai_message(message: &Message) -> Value {
    let mut out = Map::new();
    out.insert("role".into(), json!(message.role.as_str()));
    let calls = message.calls();
    let content = if message.role == Role::Assistant
        && !calls.is_empty()
        && message.content.trim().is_empty()
    {
        Value::Null
    } else {
        Value::String(message.content.clone())
    };
    out.insert("content".into(), content);
    if !calls.is_empty() {
        out.insert("tool_calls".into(), openai_tool_calls(calls));
    }
    if message.role == Role::Tool {
        if let Some(id) = &message.tool_call_id {
            out.insert("tool_call_id".into(), json!(id));
        }
    }
    Value::Object(out)
}

/// The schema as an object with `type:"object"` and a `properties` object.
fn object_schema(parameters: &Value) -> Value {
    let mut schema = parameters.as_object().cloned().unwrap_or_default();
    if !schema.get("type").is_some_and(Value::is_string) {
        schema.insert("type".into(), json!("object"));
    }
    if !schema.get("properties").is_some_and(Value::is_object) {
        schema.insert("properties".into(), empty_object());
    }
    if schema.get("required").is_some_and(|r| !r.is_array()) {
        schema.remove("required");
    }
    Value::Object(schema)
}

/// [`object_schema`] plus a string `type` and `description` on every property.
fn workers_ai_parameters(parameters: &Value) -> Value {
    let mut schema = object_schema(parameters);
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        for (name, property) in properties.iter_mut() {
            let mut fixed = property.as_object().cloned().unwrap_or_default();
            let kind = match fixed.get("type") {
                Some(Value::String(kind)) => kind.clone(),
                Some(Value::Array(kinds)) => kinds
                    .iter()
                    .filter_map(Value::as_str)
                    .find(|kind| *kind != "null")
                    .unwrap_or("string")
                    .to_owned(),
                _ => "string".to_owned(),
            };
            fixed.insert("type".into(), Value::String(kind));
            if !fixed.get("description").is_some_and(Value::is_string) {
                fixed.insert("description".into(), Value::String(name.clone()));
            }
            *property = Value::Object(fixed);
        }
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(turn: &ModelTurn) -> Vec<(String, String, Value)> {
        match turn {
            ModelTurn::ToolCalls(calls) => {
                calls.iter().map(|c| (c.id.clone(), c.name.clone(), c.arguments.clone())).collect()
            }
            ModelTurn::Final(text) => panic!("expected tool calls, got final {text:?}"),
        }
    }

    fn final_text(turn: ModelTurn) -> String {
        match turn {
            ModelTurn::Final(text) => text,
            ModelTurn::ToolCalls(calls) => panic!("expected final, got {calls:?}"),
        }
    }

    #[test]
    fn workers_ai_native_tool_calls_with_object_arguments() {
        let output = json!({
            "response": null,
            "tool_calls": [
                {"name": "crow_search_products", "arguments": {"query": "running shoes", "mode": "hybrid", "limit": 5}},
                {"name": "crow_get_interaction_summary", "arguments": {}}
            ],
            "usage": {"prompt_tokens": 812, "completion_tokens": 41, "total_tokens": 853}
        });
        let turn = parse_workers_ai_output(output);
        assert_eq!(
            calls(&turn),
            vec![
                (
                    "call_0".into(),
                    "crow_search_products".into(),
                    json!({"query": "running shoes", "mode": "hybrid", "limit": 5})
                ),
                ("call_1".into(), "crow_get_interaction_summary".into(), json!({})),
            ]
        );
    }

    #[test]
    fn workers_ai_string_arguments_missing_names_and_missing_arguments() {
        let output = json!({
            "response": "",
            "tool_calls": [
                {"arguments": {"query": "x"}},
                {"name": "  ", "arguments": {}},
                {"name": "crow_search_patterns", "arguments": "{\"query\":\"weekend\",\"period\":\"weekly\"}"},
                {"name": "crow_get_interaction_summary"},
                {"name": "crow_search_org_context", "arguments": "\"{\\\"query\\\":\\\"returns\\\"}\""},
                {"name": "crow_search_products", "arguments": "query=shoes"},
                {"name": "crow_get_interaction_summary", "arguments": "  "}
            ]
        });
        let got = calls(&parse_workers_ai_output(output));
        assert_eq!(
            got,
            vec![
                (
                    "call_0".into(),
                    "crow_search_patterns".into(),
                    json!({"query": "weekend", "period": "weekly"})
                ),
                ("call_1".into(), "crow_get_interaction_summary".into(), json!({})),
                ("call_2".into(), "crow_search_org_context".into(), json!({"query": "returns"})),
                ("call_3".into(), "crow_search_products".into(), json!("query=shoes")),
                ("call_4".into(), "crow_get_interaction_summary".into(), json!({})),
            ]
        );
    }

    #[test]
    fn workers_ai_openai_style_tool_calls_keep_their_ids() {
        let output = json!({"response": null, "tool_calls": [
            {"id": "chatcmpl-tool-9f", "type": "function",
             "function": {"name": "crow_search_org_context", "arguments": "{\"query\":\"return policy\"}"}}
        ]});
        assert_eq!(
            calls(&parse_workers_ai_output(output)),
            vec![(
                "chatcmpl-tool-9f".into(),
                "crow_search_org_context".into(),
                json!({"query": "return policy"})
            )]
        );
    }

    #[test]
    fn workers_ai_nameless_calls_fall_back_to_the_response_text() {
        let output = json!({"response": "Nothing to look up.", "tool_calls": [{"arguments": {}}]});
        assert_eq!(final_text(parse_workers_ai_output(output)), "Nothing to look up.");
    }

    #[test]
    fn workers_ai_plain_empty_and_odd_responses() {
        let text = "Your top product is Trail Runner 2 (id prod_101).";
        assert_eq!(final_text(parse_workers_ai_output(json!({"response": text}))), text);
        assert_eq!(final_text(parse_workers_ai_output(json!({"response": null}))), "");
        assert_eq!(final_text(parse_workers_ai_output(json!({"response": ""}))), "");
        assert_eq!(final_text(parse_workers_ai_output(json!({"usage": {}}))), "");
        assert_eq!(final_text(parse_workers_ai_output(json!({"response": 42}))), "42");
        assert_eq!(
            final_text(parse_workers_ai_output(json!({"response": {"answer": "yes"}}))),
            r#"{"answer":"yes"}"#
        );
        assert_eq!(
            final_text(parse_workers_ai_output(json!("bare string output"))),
            "bare string output"
        );
        let json_answer = r#"{"total": 1601, "web": 1204}"#;
        assert_eq!(
            final_text(parse_workers_ai_output(json!({"response": json_answer}))),
            json_answer
        );
    }

    #[test]
    fn workers_ai_rest_envelope_is_unwrapped() {
        let output = json!({"result": {"response": null, "tool_calls": [
            {"name": "crow_get_interaction_summary", "arguments": {}}]}, "success": true, "errors": [], "messages": []});
        assert_eq!(calls(&parse_workers_ai_output(output))[0].1, "crow_get_interaction_summary");
    }

    #[test]
    fn workers_ai_json_in_text_fallback_forms() {
        let cases = [
            r#"{"name": "crow_search_products", "parameters": {"query": "red shoes", "limit": 3}}"#,
            r#"{"type": "function", "name": "crow_search_products", "parameters": {"query": "red shoes", "limit": 3}}"#,
            "<|python_tag|>{\"name\": \"crow_search_products\", \"arguments\": {\"query\": \"red shoes\", \"limit\": 3}}<|eom_id|>",
            "```json\n{\"name\": \"crow_search_products\", \"parameters\": \"{\\\"query\\\": \\\"red shoes\\\", \\\"limit\\\": 3}\"}\n```",
            r#"{"function": {"name": "crow_search_products", "arguments": "{\"query\":\"red shoes\",\"limit\":3}"}}"#,
            r#"<function=crow_search_products>{"query": "red shoes", "limit": 3}</function>"#,
        ];
        for case in cases {
            let turn = parse_workers_ai_output(json!({"response": case}));
            assert_eq!(
                calls(&turn),
                vec![(
                    "call_0".into(),
                    "crow_search_products".into(),
                    json!({"query": "red shoes", "limit": 3})
                )],
                "case {case}"
            );
        }
    }

    #[test]
    fn workers_ai_json_in_text_lists_and_sequences() {
        let expected = vec![
            ("call_0".to_owned(), "crow_get_interaction_summary".to_owned(), json!({})),
            ("call_1".to_owned(), "crow_search_patterns".to_owned(), json!({"period": "monthly"})),
        ];
        let list = r#"[{"name": "crow_get_interaction_summary", "parameters": {}}, {"name": "crow_search_patterns", "parameters": {"period": "monthly"}}]"#;
        assert_eq!(calls(&parse_workers_ai_output(json!({"response": list}))), expected);
        let sequence = r#"{"name": "crow_get_interaction_summary", "parameters": {}}; {"name": "crow_search_patterns", "parameters": {"period": "monthly"}}"#;
        assert_eq!(calls(&parse_workers_ai_output(json!({"response": sequence}))), expected);
        let tags = "<function=crow_get_interaction_summary>{}</function>\n<function=crow_search_patterns>{\"period\": \"monthly\"}</function>";
        assert_eq!(calls(&parse_workers_ai_output(json!({"response": tags}))), expected);
        let object =
            json!({"response": {"name": "crow_get_interaction_summary", "parameters": {}}});
        assert_eq!(calls(&parse_workers_ai_output(object))[0].1, "crow_get_interaction_summary");
    }

    #[test]
    fn text_that_only_looks_like_json_stays_text() {
        for text in [
            r#"{"name": "Trail Runner 2"}"#,
            r#"[{"name": "Trail Runner 2", "price": 129}]"#,
            r#"Here you go: {"name": "crow_search_products", "parameters": {}}"#,
            r#"{"name": "crow_search_products", "parameters": {}} and some prose"#,
            r#"[]"#,
            "<function=>{}</function>",
            "<function=crow_search_products>{not json}</function>",
        ] {
            assert_eq!(parse_text_tool_calls(text), None, "{text}");
            assert_eq!(final_text(parse_workers_ai_output(json!({"response": text}))), text);
        }
    }

    #[test]
    fn openai_completion_with_tool_calls() {
        let response = json!({
            "id": "chatcmpl-123", "object": "chat.completion", "created": 1_767_000_000, "model": "llama-3.3-70b",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": null,
                "tool_calls": [
                    {"id": "call_abc", "type": "function", "function": {"name": "crow_search_interactions",
                     "arguments": "{\"query\":\"complaints\",\"sourceType\":\"social\",\"limit\":5}"}},
                    {"id": "call_def", "type": "function", "function": {"arguments": "{}"}},
                    {"id": "call_ghi", "type": "function", "function": {"name": "crow_get_interaction_summary", "arguments": ""}}
                ]}}],
            "usage": {"prompt_tokens": 900, "completion_tokens": 30, "total_tokens": 930}
        });
        assert_eq!(
            calls(&parse_openai_chat_completion(response)),
            vec![
                (
                    "call_abc".into(),
                    "crow_search_interactions".into(),
                    json!({"query": "complaints", "sourceType": "social", "limit": 5})
                ),
                ("call_ghi".into(), "crow_get_interaction_summary".into(), json!({})),
            ]
        );
    }

    #[test]
    fn openai_completion_final_text_fallback_and_odd_shapes() {
        let answer = json!({"choices": [{"message": {"role": "assistant", "content": "Web leads with 1204 visits."},
            "finish_reason": "stop"}]});
        assert_eq!(final_text(parse_openai_chat_completion(answer)), "Web leads with 1204 visits.");

        let in_text = json!({"choices": [{"message": {"role": "assistant",
            "content": "{\"name\": \"crow_search_org_context\", \"parameters\": {\"query\": \"warranty\"}}"}}]});
        assert_eq!(
            calls(&parse_openai_chat_completion(in_text)),
            vec![("call_0".into(), "crow_search_org_context".into(), json!({"query": "warranty"}))]
        );

        let parts = json!({"choices": [{"message": {"content": [{"type": "text", "text": "Hello "}, {"type": "text", "text": "there"}]}}]});
        assert_eq!(final_text(parse_openai_chat_completion(parts)), "Hello there");

        let legacy = json!({"choices": [{"message": {"content": null,
            "function_call": {"name": "crow_get_interaction_summary", "arguments": "{}"}}}]});
        assert_eq!(
            calls(&parse_openai_chat_completion(legacy))[0].1,
            "crow_get_interaction_summary"
        );

        let ollama = json!({"model": "llama3.3", "message": {"role": "assistant", "content": "",
            "tool_calls": [{"function": {"name": "crow_search_patterns", "arguments": {"period": "daily"}}}]}});
        assert_eq!(
            calls(&parse_openai_chat_completion(ollama)),
            vec![("call_0".into(), "crow_search_patterns".into(), json!({"period": "daily"}))]
        );

        assert_eq!(
            final_text(parse_openai_chat_completion(json!({"error": {"message": "overloaded"}}))),
            ""
        );
        assert_eq!(final_text(parse_openai_chat_completion(json!({"choices": []}))), "");
        let via_workers = json!({"choices": [{"message": {"content": "ok"}}]});
        assert_eq!(final_text(parse_workers_ai_output(via_workers)), "ok");
    }

    fn conversation() -> (Vec<Message>, Vec<ToolSpec>) {
        let messages = vec![
            Message::system("SYS"),
            Message::user("Top products?"),
            Message::assistant_tool_calls(vec![
                ToolCallRequest::new(
                    "call_1_0",
                    "crow_search_products",
                    json!({"query": "top", "limit": 5}),
                ),
                ToolCallRequest::new("call_1_1", "crow_get_interaction_summary", json!({})),
            ]),
            Message::tool_result("call_1_0", "crow_search_products", r#"{"results":[]}"#),
            Message::tool_result("call_1_1", "crow_get_interaction_summary", r#"{"web":3}"#),
        ];
        let tools = vec![
            ToolSpec::new(
                "crow_search_products",
                "Search products.",
                json!({"type": "object", "required": ["query"], "properties": {
                    "query": {"type": "string", "description": "Search text"},
                    "limit": {"type": ["integer", "null"]}}}),
            ),
            ToolSpec::new("crow_get_interaction_summary", "Channel counts.", json!({})),
        ];
        (messages, tools)
    }

    fn contains_null(value: &Value) -> bool {
        match value {
            Value::Null => true,
            Value::Array(items) => items.iter().any(contains_null),
            Value::Object(map) => map.values().any(contains_null),
            _ => false,
        }
    }

    #[test]
    fn workers_ai_request_is_plain_json_without_nulls() {
        let (messages, tools) = conversation();
        let body = workers_ai_request(&messages, &tools);
        assert!(!contains_null(&body), "{body}");
        assert_eq!(body["max_tokens"], json!(WORKERS_AI_MAX_TOKENS));
        assert_eq!(body["messages"][0], json!({"role": "system", "content": "SYS"}));
        assert_eq!(body["messages"][1], json!({"role": "user", "content": "Top products?"}));

        let assistant = &body["messages"][2];
        assert_eq!(assistant["role"], json!("assistant"));
        let text: Value = serde_json::from_str(assistant["content"].as_str().unwrap()).unwrap();
        assert_eq!(
            text,
            json!([{"name": "crow_search_products", "parameters": {"query": "top", "limit": 5}},
                   {"name": "crow_get_interaction_summary", "parameters": {}}])
        );
        assert_eq!(assistant["tool_calls"][0]["id"], json!("call_1_0"));
        assert_eq!(assistant["tool_calls"][0]["type"], json!("function"));
        let arguments = assistant["tool_calls"][0]["function"]["arguments"].as_str().unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(arguments).unwrap(),
            json!({"query": "top", "limit": 5})
        );

        assert_eq!(
            body["messages"][4],
            json!({"role": "tool", "content": "{\"web\":3}", "tool_call_id": "call_1_1", "name": "crow_get_interaction_summary"})
        );

        let search = &body["tools"][0];
        assert_eq!(search["type"], json!("function"));
        assert_eq!(search["function"]["name"], json!("crow_search_products"));
        let parameters = &search["function"]["parameters"];
        assert_eq!(parameters["required"], json!(["query"]));
        assert_eq!(
            parameters["properties"]["query"],
            json!({"type": "string", "description": "Search text"})
        );
        assert_eq!(
            parameters["properties"]["limit"],
            json!({"type": "integer", "description": "limit"})
        );
        assert_eq!(
            body["tools"][1]["function"]["parameters"],
            json!({"type": "object", "properties": {}})
        );

        let single = workers_ai_request(
            &[Message::assistant_tool_calls(vec![ToolCallRequest::new("a", "t", json!({"x": 1}))])],
            &[],
        );
        assert_eq!(single["messages"][0]["content"], json!(r#"{"name":"t","parameters":{"x":1}}"#));
        assert!(single.get("tools").is_none(), "no tools key for the final no-tools call");
    }

    #[test]
    fn openai_request_shape() {
        let (messages, tools) = conversation();
        let body = openai_request("llama-3.3-70b", &messages, &tools);
        assert_eq!(body["model"], json!("llama-3.3-70b"));
        assert_eq!(body["tool_choice"], json!("auto"));
        let assistant = &body["messages"][2];
        assert_eq!(assistant["content"], Value::Null);
        assert_eq!(
            assistant["tool_calls"][1]["function"]["name"],
            json!("crow_get_interaction_summary")
        );
        assert_eq!(assistant["tool_calls"][1]["function"]["arguments"], json!("{}"));
        assert_eq!(
            body["messages"][3],
            json!({"role": "tool", "tool_call_id": "call_1_0", "content": "{\"results\":[]}"})
        );
        assert_eq!(
            body["tools"][0]["function"]["parameters"]["properties"]["limit"],
            json!({"type": ["integer", "null"]}),
            "OpenAI gets the schema as written"
        );
        assert_eq!(
            body["tools"][1]["function"]["parameters"],
            json!({"type": "object", "properties": {}})
        );

        let plain = openai_request("m", &[Message::user("hi")], &[]);
        assert_eq!(plain, json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}));
    }

    #[test]
    fn requests_round_trip_through_the_parsers() {
        let calls_in = vec![
            ToolCallRequest::new("id1", "crow_search_products", json!({"query": "boots"})),
            ToolCallRequest::new("id2", "crow_get_interaction_summary", json!({})),
        ];
        let body = openai_request("m", &[Message::assistant_tool_calls(calls_in.clone())], &[]);
        let echoed = json!({"choices": [{"message": body["messages"][0].clone()}]});
        assert_eq!(parse_openai_chat_completion(echoed), ModelTurn::ToolCalls(calls_in.clone()));

        let body = workers_ai_request(&[Message::assistant_tool_calls(calls_in)], &[]);
        let as_text = body["messages"][0]["content"].as_str().unwrap().to_owned();
        let parsed = calls(&parse_workers_ai_output(json!({"response": as_text})));
        assert_eq!(
            parsed.iter().map(|c| c.1.as_str()).collect::<Vec<_>>(),
            ["crow_search_products", "crow_get_interaction_summary"]
        );
    }

    #[test]
    fn messages_serialize_with_wire_names() {
        let message = Message::tool_result("c1", "crow_get_interaction_summary", "{}");
        let value = serde_json::to_value(&message).unwrap();
        assert_eq!(
            value,
            json!({"role": "tool", "content": "{}", "tool_call_id": "c1", "name": "crow_get_interaction_summary"})
        );
        let back: Message = serde_json::from_value(json!({"role": "assistant", "content": null,
            "tool_calls": [{"id": "a", "name": "t", "arguments": {}}]}))
        .unwrap();
        assert_eq!(back.content, "");
        assert_eq!(back.calls().len(), 1);
        assert_eq!(
            serde_json::to_value(Message::user("hi")).unwrap(),
            json!({"role": "user", "content": "hi"})
        );
    }
}

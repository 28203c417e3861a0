//! The model wire parsers of `crow_agent` (Workers AI output, OpenAI-compatible chat
//! completions, tool calls written as text) and the request builders.
//!
//! Properties:
//! - the parsers never panic on any JSON or text;
//! - every tool call they return has a non-blank, trimmed name and a non-blank id; calls parsed
//!   from text are numbered `call_0`, `call_1`, ...;
//! - structured tool calls survive a round trip: OpenAI `tool_calls` (arguments as a JSON string
//!   or an object), Workers AI `tool_calls`, and the text forms (a JSON list of
//!   `{name, arguments}` and `<function=NAME>{...}</function>` blocks) give back the same names
//!   and arguments;
//! - the request builders accept any messages and tools and produce JSON objects.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use crow_agent::{
    openai_request, parse_openai_chat_completion, parse_text_tool_calls, parse_workers_ai_output,
    workers_ai_request, Message, ModelTurn, ToolCallRequest, ToolSpec,
};
use crow_fuzz::{same_json, value, Vocab};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

const VOCAB: Vocab = Vocab {
    keys: &[
        "result",
        "response",
        "tool_calls",
        "choices",
        "message",
        "content",
        "function",
        "function_call",
        "name",
        "arguments",
        "parameters",
        "id",
        "type",
        "text",
    ],
    strings: &[
        "crow_search_products",
        "function",
        "{\"query\":\"x\"}",
        "<|python_tag|>",
        "```json",
        "call_1",
        "",
    ],
};

#[derive(Debug)]
struct Input {
    raw: Value,
    text: String,
    calls: Vec<(String, String, Map<String, Value>)>,
    messages: Vec<Message>,
    tools: Vec<ToolSpec>,
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let raw = value(u, 0, VOCAB)?;
        let text =
            if u.ratio(1, 2)? { String::arbitrary(u)? } else { value(u, 0, VOCAB)?.to_string() };
        let mut calls = Vec::new();
        for _ in 0..u.int_in_range(0..=3)? {
            calls.push((
                crow_fuzz::string(u, VOCAB.strings)?,
                String::arbitrary(u)?,
                crow_fuzz::object(u, 2, VOCAB)?,
            ));
        }
        let mut messages = Vec::new();
        for _ in 0..u.int_in_range(0..=4)? {
            let content = String::arbitrary(u)?;
            messages.push(match u.int_in_range(0..=4)? {
                0 => Message::system(content),
                1 => Message::user(content),
                2 => Message::assistant(content),
                3 => Message::tool_result(String::arbitrary(u)?, String::arbitrary(u)?, content),
                _ => Message::assistant_tool_calls(
                    calls
                        .iter()
                        .map(|(n, id, a)| {
                            ToolCallRequest::new(id.clone(), n.clone(), Value::Object(a.clone()))
                        })
                        .collect(),
                ),
            });
        }
        let mut tools = Vec::new();
        for _ in 0..u.int_in_range(0..=2)? {
            tools.push(ToolSpec::new(
                String::arbitrary(u)?,
                String::arbitrary(u)?,
                value(u, 2, VOCAB)?,
            ));
        }
        Ok(Input { raw, text, calls, messages, tools })
    }
}

fuzz_target!(|input: Input| check(input));

fn check(input: Input) {
    check_turn(&parse_workers_ai_output(input.raw.clone()));
    check_turn(&parse_openai_chat_completion(input.raw.clone()));
    check_turn(&parse_workers_ai_output(Value::String(input.text.clone())));
    if let Some(calls) = parse_text_tool_calls(&input.text) {
        assert!(!calls.is_empty());
        for (i, c) in calls.iter().enumerate() {
            assert_eq!(c.id, format!("call_{i}"));
        }
        check_turn(&ModelTurn::ToolCalls(calls));
    }
    check_round_trips(&input.calls);
    let w = workers_ai_request(&input.messages, &input.tools);
    assert!(w.is_object() && w["messages"].is_array());
    let o = openai_request("m", &input.messages, &input.tools);
    assert!(o.is_object() && o["messages"].is_array());
}

fn check_turn(turn: &ModelTurn) {
    if let ModelTurn::ToolCalls(calls) = turn {
        assert!(!calls.is_empty());
        for c in calls {
            assert!(!c.name.is_empty() && c.name.trim() == c.name, "name {:?}", c.name);
            assert!(!c.id.trim().is_empty(), "id {:?}", c.id);
        }
    }
}

fn check_round_trips(calls: &[(String, String, Map<String, Value>)]) {
    let named: Vec<&(String, String, Map<String, Value>)> =
        calls.iter().filter(|(n, _, _)| !n.trim().is_empty()).collect();
    let expect = |got: ModelTurn, ids_kept: bool, what: &str| {
        if named.is_empty() {
            return;
        }
        let ModelTurn::ToolCalls(got) = got else {
            panic!("{what}: no tool calls from {calls:?}: {got:?}")
        };
        assert_eq!(got.len(), named.len(), "{what}");
        for (i, (g, (n, id, a))) in got.iter().zip(&named).enumerate() {
            assert_eq!(g.name, n.trim(), "{what}");
            // Float arguments may move by one ulp through text (serde_json's default float
            // parsing), so numbers compare by value.
            assert!(
                same_json(&g.arguments, &Value::Object(a.clone())),
                "{what}: {} vs {a:?}",
                g.arguments
            );
            if ids_kept && !id.trim().is_empty() {
                assert_eq!(g.id, id.trim(), "{what}");
            } else {
                assert_eq!(g.id, format!("call_{i}"), "{what}");
            }
        }
    };
    let openai_calls = |as_string: bool| -> Vec<Value> {
        calls
            .iter()
            .map(|(n, id, a)| {
                let args =
                    if as_string { json!(Value::Object(a.clone()).to_string()) } else { Value::Object(a.clone()) };
                json!({ "id": id, "type": "function", "function": { "name": n, "arguments": args } })
            })
            .collect()
    };
    for as_string in [true, false] {
        let completion = json!({ "choices": [{ "message": { "role": "assistant", "content": null, "tool_calls": openai_calls(as_string) } }] });
        expect(parse_openai_chat_completion(completion), true, "openai tool_calls");
    }
    let workers = json!({ "response": null, "tool_calls": calls.iter().map(|(n, id, a)| json!({ "id": id, "name": n, "arguments": a })).collect::<Vec<_>>() });
    expect(parse_workers_ai_output(workers), true, "workers ai tool_calls");

    if named.len() == calls.len() {
        let as_list = Value::Array(
            calls.iter().map(|(n, _, a)| json!({ "name": n, "arguments": a })).collect(),
        );
        for wrapped in [
            as_list.to_string(),
            format!("<|python_tag|>{as_list}<|eom_id|>"),
            format!("```json\n{as_list}\n```"),
        ] {
            let parsed = parse_text_tool_calls(&wrapped)
                .map(ModelTurn::ToolCalls)
                .unwrap_or(ModelTurn::Final(String::new()));
            expect(parsed, false, "text JSON list");
        }
        // Llama 3.1 style, for names and arguments that cannot end a tag early (the format has no
        // escaping, so `>` in a name or `</function>` inside the arguments is ambiguous).
        let unambiguous = |(n, _, a): &(String, String, Map<String, Value>)| {
            !n.contains('>') && !Value::Object(a.clone()).to_string().contains("</function>")
        };
        if calls.iter().all(unambiguous) {
            let tags: String = calls
                .iter()
                .map(|(n, _, a)| format!("<function={n}>{}</function>", Value::Object(a.clone())))
                .collect();
            let parsed = parse_text_tool_calls(&tags)
                .map(ModelTurn::ToolCalls)
                .unwrap_or(ModelTurn::Final(String::new()));
            expect(parsed, false, "function tags");
        }
    }
}

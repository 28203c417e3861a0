//! A2A wire parsing in both dialects served on `/a2a/jsonrpc` (1.0: PascalCase methods, `ROLE_*`
//! and ProtoJSON enums; 0.3: slash methods, `kind` tags, lowercase states), from the a2a worker's
//! pure `protocol` module.
//!
//! Properties:
//! - `read_message` never panics; an accepted message has a non-blank id of at most 128 bytes,
//!   non-blank text, optional context/task ids of 1..=128 bytes and object metadata; a refusal is
//!   -32602 or -32005 (with a `google.rpc.ErrorInfo` array in 1.0 only);
//! - both dialects read the same params the same way;
//! - a user message rendered with `message_json` (either dialect) reads back with the same id,
//!   context, task and text (text parts as they are, data parts as compact JSON, joined by
//!   newlines);
//! - `requested_version`, `method`, `negotiate`, `history_length`, `task_id_param`,
//!   `state_filter` and `task_json` never panic and keep their documented ranges.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use crow_a2a::protocol::{
    self as p, Dialect, Part, Requested, StoredMessage, StoredTask, View,
    CONTENT_TYPE_NOT_SUPPORTED,
};
use crow_common::jsonrpc::INVALID_PARAMS;
use crow_fuzz::{value, Vocab};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

const VOCAB: Vocab = Vocab {
    keys: &[
        "message",
        "messageId",
        "role",
        "parts",
        "kind",
        "text",
        "data",
        "url",
        "raw",
        "file",
        "contextId",
        "taskId",
        "metadata",
        "configuration",
        "blocking",
        "returnImmediately",
        "historyLength",
        "id",
        "mediaType",
    ],
    strings: &[
        "ROLE_USER",
        "user",
        "ROLE_AGENT",
        "agent",
        "text",
        "data",
        "file",
        "message",
        "m1",
        "ctx_1",
        "hello",
        "1.0",
        "0.3",
    ],
};

#[derive(Debug)]
struct Input {
    params: Map<String, Value>,
    rendered: StoredMessage,
    version_header: Option<String>,
    method_name: String,
    task: StoredTask,
    history_length: Option<u8>,
}

fn part(u: &mut Unstructured<'_>) -> arbitrary::Result<Part> {
    Ok(if u.ratio(2, 3)? {
        Part::Text(crow_fuzz::string(u, VOCAB.strings)?)
    } else {
        Part::Data(value(u, 2, VOCAB)?)
    })
}

fn stored_message(u: &mut Unstructured<'_>) -> arbitrary::Result<StoredMessage> {
    let n = u.int_in_range(0..=3)?;
    let parts = (0..n).map(|_| part(u)).collect::<arbitrary::Result<Vec<_>>>()?;
    Ok(StoredMessage {
        id: crow_fuzz::string(u, &["m1", " ", ""])?,
        role: if u.ratio(4, 5)? { "user".into() } else { "agent".into() },
        parts,
        task_id: crow_fuzz::string(u, &["task_1", ""])?,
        context_id: crow_fuzz::string(u, &["ctx_1", ""])?,
    })
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        // params: sometimes a near-valid message, sometimes anything.
        let params = if u.ratio(1, 2)? {
            let mut msg = crow_fuzz::object(u, 2, VOCAB)?;
            msg.insert("messageId".into(), json!(crow_fuzz::string(u, &["m1", "  "])?));
            msg.insert("role".into(), json!(crow_fuzz::string(u, &["ROLE_USER", "user"])?));
            let n = u.int_in_range(0..=3)?;
            let mut parts = Vec::new();
            for _ in 0..n {
                parts.push(Value::Object(crow_fuzz::object(u, 3, VOCAB)?));
            }
            msg.insert("parts".into(), Value::Array(parts));
            let mut params = crow_fuzz::object(u, 2, VOCAB)?;
            params.insert("message".into(), Value::Object(msg));
            params
        } else {
            crow_fuzz::object(u, 0, VOCAB)?
        };
        let history = (0..u.int_in_range(0..=3)?)
            .map(|_| stored_message(u))
            .collect::<arbitrary::Result<Vec<_>>>()?;
        let task = StoredTask {
            id: String::arbitrary(u)?,
            context_id: String::arbitrary(u)?,
            state: crow_fuzz::string(
                u,
                &["submitted", "working", "completed", "failed", "canceled", "input-required"],
            )?,
            status_text: Option::<String>::arbitrary(u)?,
            answer: Option::<String>::arbitrary(u)?,
            sources: value(u, 2, VOCAB)?,
            tool_calls: value(u, 2, VOCAB)?,
            model: Option::<String>::arbitrary(u)?,
            metadata: value(u, 2, VOCAB)?,
            created_at: i64::arbitrary(u)?,
            updated_at: i64::arbitrary(u)?,
            history,
        };
        Ok(Input {
            params,
            rendered: stored_message(u)?,
            version_header: Option::<String>::arbitrary(u)?,
            method_name: crow_fuzz::string(
                u,
                &[
                    "SendMessage",
                    "GetTask",
                    "ListTasks",
                    "message/send",
                    "tasks/get",
                    "tasks/cancel",
                ],
            )?,
            task,
            history_length: Option::<u8>::arbitrary(u)?,
        })
    }
}

fuzz_target!(|input: Input| check(input));

fn check(input: Input) {
    let v1 = p::read_message(Dialect::V1, &input.params);
    let v03 = p::read_message(Dialect::V03, &input.params);
    check_read(Dialect::V1, &v1);
    check_read(Dialect::V03, &v03);
    match (&v1, &v03) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "the dialects read the same message differently"),
        (Err(a), Err(b)) => assert_eq!((a.code, &a.message), (b.code, &b.message)),
        _ => panic!("one dialect accepted what the other refused: {v1:?} / {v03:?}"),
    }
    check_round_trip(&input.rendered);
    check_params(&input);
    check_task(&input.task, input.history_length);
}

fn check_read(dialect: Dialect, r: &Result<p::Incoming, crow_common::jsonrpc::RpcError>) {
    match r {
        Ok(m) => {
            assert!(!m.message_id.trim().is_empty() && m.message_id.len() <= 128);
            assert!(!m.text.trim().is_empty());
            for id in [&m.context_id, &m.task_id].into_iter().flatten() {
                assert!(!id.is_empty() && id.len() <= 128);
            }
            assert!(m.metadata.is_object());
        }
        Err(e) if e.code == CONTENT_TYPE_NOT_SUPPORTED => match dialect {
            Dialect::V1 => {
                assert_eq!(
                    e.data.as_ref().and_then(|d| d[0]["reason"].as_str()),
                    Some("CONTENT_TYPE_NOT_SUPPORTED")
                )
            }
            Dialect::V03 => assert!(e.data.as_ref().is_some_and(Value::is_object)),
        },
        Err(e) => assert_eq!(e.code, INVALID_PARAMS, "{e:?}"),
    }
}

fn check_round_trip(m: &StoredMessage) {
    for dialect in [Dialect::V1, Dialect::V03] {
        let rendered = p::message_json(dialect, m);
        let mut params = Map::new();
        params.insert("message".into(), rendered.clone());
        let read = p::read_message(dialect, &params);
        let expected_text = m
            .parts
            .iter()
            .map(|part| match part {
                Part::Text(t) => t.clone(),
                Part::Data(d) => d.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let readable = m.role == "user"
            && !m.id.trim().is_empty()
            && m.id.len() <= 128
            && !m.parts.is_empty()
            && !expected_text.trim().is_empty()
            && m.context_id.len() <= 128
            && m.task_id.len() <= 128;
        match read {
            Ok(back) => {
                assert!(readable, "{rendered} should have been refused");
                assert_eq!(back.message_id, m.id);
                assert_eq!(back.text, expected_text);
                assert_eq!(back.context_id, Some(m.context_id.clone()).filter(|c| !c.is_empty()));
                assert_eq!(back.task_id, Some(m.task_id.clone()).filter(|c| !c.is_empty()));
            }
            Err(e) => assert!(!readable, "{rendered} refused: {e:?}"),
        }
    }
}

fn check_params(input: &Input) {
    let requested = p::requested_version(input.version_header.as_deref());
    if let Requested::Unsupported(v) = &requested {
        assert!(!v.trim().is_empty());
    }
    if let Some((dialect, _method)) = p::method(&input.method_name) {
        match p::negotiate(&requested, dialect, &input.method_name) {
            Ok(()) => {
                assert!(matches!(
                    (&requested, dialect),
                    (Requested::V1, Dialect::V1) | (Requested::V03, Dialect::V03)
                ))
            }
            Err(e) => assert_eq!(e.code, p::VERSION_NOT_SUPPORTED),
        }
    }
    let _ = p::return_immediately(&input.params);
    match p::history_length(&input.params) {
        Ok(_) => {}
        Err(e) => assert_eq!(e.code, INVALID_PARAMS),
    }
    if let Ok(id) = p::task_id_param(&input.params) {
        assert!(!id.is_empty() && id.len() <= 128);
    }
    if let Some(s) = p::state_filter(&input.method_name) {
        assert!(p::state_filter(s) == Some(s) && p::state_filter(p::state_v1(s)) == Some(s));
    }
}

fn check_task(t: &StoredTask, history_length: Option<u8>) {
    let view = View {
        history_length: history_length.map(usize::from),
        artifacts: history_length.is_some_and(|n| n % 2 == 0),
    };
    for dialect in [Dialect::V1, Dialect::V03] {
        let j = p::task_json(dialect, t, view);
        assert_eq!(j["id"], json!(t.id));
        assert_eq!(j.get("kind").is_some(), dialect == Dialect::V03);
        let shown = j.get("history").and_then(Value::as_array).map_or(0, Vec::len);
        assert_eq!(shown, view.history_length.map_or(t.history.len(), |n| n.min(t.history.len())));
        assert!(j["status"]["timestamp"].as_str().is_some_and(|s| s.ends_with('Z')));
        if dialect == Dialect::V1 {
            assert!(j["status"]["state"].as_str().is_some_and(|s| s.starts_with("TASK_STATE_")));
        }
    }
}

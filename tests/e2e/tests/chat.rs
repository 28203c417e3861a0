//! Issue 07: dashboard chat through the gateway (`/api/v1/chat/*` forwarded to the A2A/chat
//! service with the internal key and the caller's organization and user).

use crow_e2e::{demo, send, Stack};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn chat_sessions_through_the_gateway() {
    let s = Stack::from_env();
    let t = s.tenant("chat").await;
    for p in demo::catalogue().into_iter().take(5) {
        send(s.as_key(Method::POST, "/api/v1/products", &t.key).json(&p)).await.assert_status(201);
    }
    let r = send(
        s.as_user(Method::POST, "/api/v1/chat/sessions", &t.cookie)
            .json(&json!({ "title": "Catalogue questions" })),
    )
    .await;
    let session = r.assert_status(201).clone();
    let id = session["id"].as_str().unwrap().to_string();
    assert_eq!(session["title"], "Catalogue questions");

    let r = send(
        s.as_user(Method::POST, &format!("/api/v1/chat/sessions/{id}/messages"), &t.cookie)
            .json(&json!({ "content": "Which products do we sell for hiking?" })),
    )
    .await;
    let answer = r.assert_status(201).clone();
    assert_eq!(answer["role"], "assistant");
    assert!(
        answer["content"].as_str().unwrap().starts_with("[crow-standin-planner]"),
        "labelled as the stand-in's planner: {answer}"
    );
    assert!(!answer["sources"].as_array().unwrap().is_empty(), "cites its sources: {answer}");

    let r =
        send(s.as_user(Method::GET, &format!("/api/v1/chat/sessions/{id}/messages"), &t.cookie))
            .await;
    let msgs = r.assert_status(200)["data"].as_array().unwrap().clone();
    assert_eq!(msgs.len(), 2);
    assert_eq!(
        (msgs[0]["role"].as_str(), msgs[1]["role"].as_str()),
        (Some("user"), Some("assistant"))
    );
    let list = send(s.as_user(Method::GET, "/api/v1/chat/sessions", &t.cookie)).await;
    assert_eq!(list.assert_status(200)["total"], 1);

    // Another user (another organization) cannot see or delete it; API keys are not chat users.
    let other = s.tenant("chat-other").await;
    send(s.as_user(Method::GET, &format!("/api/v1/chat/sessions/{id}"), &other.cookie))
        .await
        .assert_error(404, "NOT_FOUND");
    send(s.as_user(Method::DELETE, &format!("/api/v1/chat/sessions/{id}"), &other.cookie))
        .await
        .assert_error(404, "NOT_FOUND");
    send(s.as_key(Method::GET, "/api/v1/chat/sessions", &t.key))
        .await
        .assert_error(403, "FORBIDDEN");
    // Bad input is refused before it reaches the agent.
    let r = send(
        s.as_user(Method::POST, &format!("/api/v1/chat/sessions/{id}/messages"), &t.cookie)
            .json(&json!({ "content": "" })),
    )
    .await;
    r.assert_error(400, "VALIDATION_ERROR");

    send(s.as_user(Method::DELETE, &format!("/api/v1/chat/sessions/{id}"), &t.cookie))
        .await
        .assert_status(204);
    send(s.as_user(Method::GET, &format!("/api/v1/chat/sessions/{id}"), &t.cookie))
        .await
        .assert_error(404, "NOT_FOUND");
}

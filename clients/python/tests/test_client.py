"""The client against an in-process stand-in agent (stdlib http.server) that checks what the
client sends, plus, when CROW_A2A_URL / CROW_API_KEY / CROW_ORG_ID are set, against the real agent."""

from __future__ import annotations

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from a2a_client import A2AClient, A2AError, A2AHTTPError  # noqa: E402

KEY = "crow_test_key"
TASK = {
    "id": "task_1",
    "contextId": "ctx_1",
    "status": {"state": "TASK_STATE_COMPLETED", "timestamp": "2026-11-29T00:00:00.000Z"},
    "artifacts": [{"artifactId": "a", "name": "answer", "parts": [
        {"text": "Tents sell best."},
        {"data": {"sources": [{"tool": "crow_search_products", "kind": "product", "id": "prd_1"}], "toolCalls": [], "model": "m"},
         "mediaType": "application/json"},
    ]}],
}


class Agent(BaseHTTPRequestHandler):
    seen: list = []

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/.well-known/agent-card.json":
            base = f"http://{self.headers['Host']}"
            return self._send(200, {"name": "stand-in", "supportedInterfaces": [
                {"url": base + "/a2a/jsonrpc", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
                {"url": base + "/a2a/jsonrpc", "protocolBinding": "JSONRPC", "protocolVersion": "0.3"}]})
        self._send(404, {"error": {"code": "NOT_FOUND"}})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Agent.seen.append(({k.lower(): v for k, v in self.headers.items()}, body))
        if self.headers.get("X-API-Key") != KEY and self.headers.get("Authorization") != f"Bearer {KEY}":
            return self._send(401, {"jsonrpc": "2.0", "id": body.get("id"), "error": {"code": -32600, "message": "bad key"}})
        assert self.headers["A2A-Version"] == "1.0"
        rid, method, params = body["id"], body["method"], body["params"]
        if method == "SendMessage":
            if params.get("metadata", {}).get("organizationId") not in (None, "org_1"):
                return self._send(200, {"jsonrpc": "2.0", "id": rid, "error": {"code": -32602, "message": "wrong org"}})
            return self._send(200, {"jsonrpc": "2.0", "id": rid, "result": {"task": TASK}})
        if method == "GetTask":
            if params["id"] != "task_1":
                return self._send(200, {"jsonrpc": "2.0", "id": rid, "error": {"code": -32001, "message": "Task not found",
                                                                             "data": [{"reason": "TASK_NOT_FOUND"}]}})
            return self._send(200, {"jsonrpc": "2.0", "id": rid, "result": TASK})
        if method == "ListTasks":
            return self._send(200, {"jsonrpc": "2.0", "id": rid, "result": {"tasks": [TASK], "nextPageToken": "", "pageSize": 50, "totalSize": 1}})
        if method == "CancelTask":
            return self._send(200, {"jsonrpc": "2.0", "id": rid, "error": {"code": -32002, "message": "Task cannot be canceled"}})
        self._send(200, {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "Method not found"}})


@pytest.fixture()
def agent_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Agent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Agent.seen.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_send_task_speaks_a2a_1_0_and_returns_answer_and_sources(agent_url):
    client = A2AClient(url=agent_url + "/a2a", api_key=KEY)
    r = client.send_task({"message": "What sells best?", "organization_id": "org_1"})
    assert r["answer"] == "Tents sell best."
    assert r["state"] == "TASK_STATE_COMPLETED"
    assert r["sources"][0]["id"] == "prd_1"
    assert (r["task_id"], r["context_id"]) == ("task_1", "ctx_1")
    headers, body = Agent.seen[-1]
    assert body["method"] == "SendMessage" and body["jsonrpc"] == "2.0"
    msg = body["params"]["message"]
    assert msg["role"] == "ROLE_USER" and msg["parts"] == [{"text": "What sells best?"}] and msg["messageId"]
    assert body["params"]["metadata"] == {"organizationId": "org_1"}
    assert headers["x-api-key"] == KEY and headers["a2a-version"] == "1.0"


def test_errors_are_typed(agent_url):
    client = A2AClient(url=agent_url, api_key=KEY, auth="bearer")
    with pytest.raises(A2AError) as e:
        client.get_task("task_other")
    assert e.value.code == -32001 and e.value.reason == "TASK_NOT_FOUND"
    with pytest.raises(A2AError) as e:
        client.cancel_task("task_1")
    assert e.value.code == -32002
    with pytest.raises(A2AError) as e:
        client.send_task({"message": "x", "organization_id": "org_2"})
    assert e.value.code == -32602
    assert client.list_tasks()["totalSize"] == 1
    with pytest.raises(A2AHTTPError) as e:
        A2AClient(url=agent_url, api_key="wrong").send_task("hi")
    assert e.value.status == 401


def test_arguments_are_checked():
    with pytest.raises(ValueError):
        A2AClient(url="a2a.crowai.dev", api_key=KEY)
    with pytest.raises(ValueError):
        A2AClient(url="https://a2a.crowai.dev", api_key="")
    with pytest.raises(ValueError):
        A2AClient(url="https://a2a.crowai.dev", api_key=KEY).send_task({"message": " "})


@pytest.mark.skipif(not all(os.environ.get(v) for v in ("CROW_A2A_URL", "CROW_API_KEY", "CROW_ORG_ID")),
                    reason="needs a running stack (CROW_A2A_URL, CROW_API_KEY, CROW_ORG_ID)")
def test_live_agent_answers_from_the_organizations_data():
    client = A2AClient(url=os.environ["CROW_A2A_URL"] + "/a2a", api_key=os.environ["CROW_API_KEY"])
    r = client.send_task({"message": "Which tents do we sell?", "organization_id": os.environ["CROW_ORG_ID"]})
    assert r["state"] == "TASK_STATE_COMPLETED", r
    assert r["sources"], r
    assert any(s["kind"] == "product" for s in r["sources"])
    assert client.get_task(r["task_id"])["id"] == r["task_id"]
    with pytest.raises(A2AError) as e:
        client.send_task({"message": "hi", "organization_id": "org_not_mine"})
    assert e.value.code == -32602

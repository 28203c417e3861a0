"""The A2A agent through the official A2A Python SDK (PyPI ``a2a-sdk`` 1.3.0), resolving the
agent card like any client would: once as the SDK chooses by default (the A2A 1.0 interface,
PascalCase methods, ``A2A-Version: 1.0``) and once with the card cut down to its 0.3 interface
(the SDK's compat transport: ``message/send``, ``tasks/get``, ``tasks/cancel``). Each dialect:
send a message and get a completed task with an answer and sources from the seeded data, get the
task, list tasks, and cancelling the finished task is refused with TaskNotCancelable. Plus the
seed's Python client (clients/python) and raw JSON-RPC checks of errors and negotiation.

Environment: CROW_A2A_URL (the A2A worker), CROW_API_KEY and CROW_ORG_ID (a seeded demo
organization; tests/a2a.sh seeds one).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from a2a.client import ClientConfig, ClientFactory
from a2a.client.card_resolver import A2ACardResolver
from a2a.types import CancelTaskRequest, GetTaskRequest, ListTasksRequest, Message, Part, Role, SendMessageRequest
from a2a.utils.errors import TaskNotCancelableError, TaskNotFoundError

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python"))
from a2a_client import A2AClient, A2AError  # noqa: E402

pytestmark = pytest.mark.anyio

COMPLETED = 3  # TaskState.TASK_STATE_COMPLETED
QUESTION = "Which tents and backpacks do we sell?"


def _env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        pytest.skip(f"{name} is not set: run these tests through tests/a2a.sh against a running stack")
    return value


@pytest.fixture(scope="module")
def a2a_url() -> str:
    return _env("CROW_A2A_URL").rstrip("/")


@pytest.fixture(scope="module")
def key() -> str:
    return _env("CROW_API_KEY")


@pytest.fixture(scope="module")
def org() -> str:
    return _env("CROW_ORG_ID")


async def sdk_client(a2a_url: str, key: str, dialect: str):
    http = httpx.AsyncClient(timeout=120.0, headers={"X-API-Key": key})
    factory = ClientFactory(ClientConfig(httpx_client=http, streaming=False))
    card = await A2ACardResolver(http, a2a_url).get_agent_card()
    assert [i.protocol_version for i in card.supported_interfaces] == ["1.0", "0.3"]
    if dialect == "0.3":
        del card.supported_interfaces[0]
    return factory.create(card), http


def user_message(text: str) -> Message:
    return Message(role=Role.ROLE_USER, message_id=str(uuid.uuid4()), parts=[Part(text=text)])


def artifact_data(task) -> tuple[str, dict]:
    text, data = "", {}
    for part in task.artifacts[0].parts:
        if part.HasField("text"):
            text = part.text
        elif part.HasField("data"):
            from google.protobuf.json_format import MessageToDict

            data = MessageToDict(part.data)
    return text, data


@pytest.mark.parametrize("dialect", ["1.0", "0.3"])
async def test_sdk_send_get_list_cancel(a2a_url, key, dialect):
    client, http = await sdk_client(a2a_url, key, dialect)
    try:
        task = None
        async for ev in client.send_message(SendMessageRequest(message=user_message(QUESTION))):
            if ev.HasField("task"):
                task = ev.task
        assert task is not None, "SendMessage answered with a task"
        assert task.status.state == COMPLETED, task
        assert task.id.startswith("task_") and task.context_id.startswith("ctx_")
        text, data = artifact_data(task)
        assert text.startswith("[crow-standin-planner]"), text  # the local model (stand-in), labelled
        assert data["sources"], data
        assert any(s["kind"] == "product" and s["tool"] == "crow_search_products" for s in data["sources"])
        # The answer names records the sources list.
        assert any(s["id"] in text for s in data["sources"]), (text, data["sources"])
        assert [m.role for m in task.history] == [Role.ROLE_USER, Role.ROLE_AGENT]

        got = await client.get_task(GetTaskRequest(id=task.id))
        assert (got.id, got.context_id, got.status.state) == (task.id, task.context_id, COMPLETED)
        assert artifact_data(got)[0] == text

        if dialect == "1.0":
            page = await client.list_tasks(ListTasksRequest(page_size=100))
            assert task.id in [t.id for t in page.tasks]
            assert page.total_size >= 1
            only = await client.list_tasks(ListTasksRequest(context_id=task.context_id))
            assert [t.id for t in only.tasks] == [task.id]
        else:
            with pytest.raises(NotImplementedError):  # 0.3 JSON-RPC has no list method
                await client.list_tasks(ListTasksRequest())
            # … but the 0.3 task is listed by the 1.0 interface of the same agent.
            v1, http1 = await sdk_client(a2a_url, key, "1.0")
            try:
                page = await v1.list_tasks(ListTasksRequest(context_id=task.context_id))
                assert [t.id for t in page.tasks] == [task.id]
            finally:
                await v1.close()
                await http1.aclose()

        with pytest.raises(TaskNotCancelableError):
            await client.cancel_task(CancelTaskRequest(id=task.id))
        with pytest.raises(TaskNotFoundError):
            await client.get_task(GetTaskRequest(id="task_00000000000000000000000000"))
    finally:
        await client.close()
        await http.aclose()


@pytest.mark.parametrize("dialect", ["1.0", "0.3"])
async def test_sdk_continues_a_context(a2a_url, key, dialect):
    client, http = await sdk_client(a2a_url, key, dialect)
    try:
        first = None
        async for ev in client.send_message(SendMessageRequest(message=user_message("How many interactions per channel?"))):
            first = ev.task
        second_msg = user_message("And which patterns do we see on weekends?")
        second_msg.context_id = first.context_id
        second = None
        async for ev in client.send_message(SendMessageRequest(message=second_msg)):
            second = ev.task
        assert second.context_id == first.context_id and second.id != first.id
        assert second.status.state == COMPLETED
    finally:
        await client.close()
        await http.aclose()


def rpc(a2a_url: str, key: str | None, method: str, params: dict, version: str | None = "1.0") -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["X-API-Key"] = key
    if version is not None:
        headers["A2A-Version"] = version
    body = {"jsonrpc": "2.0", "id": 7, "method": method, "params": params}
    return httpx.post(f"{a2a_url}/a2a/jsonrpc", headers=headers, content=json.dumps(body), timeout=60)


def test_card_is_public_and_cacheable(a2a_url):
    r = httpx.get(f"{a2a_url}/.well-known/agent-card.json", timeout=30)
    assert r.status_code == 200
    card = r.json()
    assert card["name"] == "CROW Analytics Agent" and card["version"] == "1.0.0"
    assert card["supportedInterfaces"][0]["url"] == f"{a2a_url}/a2a/jsonrpc"
    assert r.headers["cache-control"].startswith("public")
    again = httpx.get(f"{a2a_url}/.well-known/agent.json", headers={"If-None-Match": r.headers["etag"]}, timeout=30)
    assert again.status_code == 304


def test_negotiation_and_declared_unsupported_methods(a2a_url, key):
    assert rpc(a2a_url, key, "GetTask", {"id": "x"}, version=None).json()["error"]["code"] == -32009
    assert rpc(a2a_url, key, "GetTask", {"id": "x"}, version="99.0").json()["error"]["code"] == -32009
    nf = rpc(a2a_url, key, "tasks/get", {"id": "x"}, version=None).json()["error"]
    assert nf["code"] == -32001
    err = rpc(a2a_url, key, "GetTask", {"id": "x"}).json()["error"]
    assert err["code"] == -32001 and err["data"][0]["reason"] == "TASK_NOT_FOUND"
    assert rpc(a2a_url, key, "SendStreamingMessage", {}).json()["error"]["code"] == -32004
    assert rpc(a2a_url, key, "CreateTaskPushNotificationConfig", {}).json()["error"]["code"] == -32003
    assert rpc(a2a_url, key, "Nope", {}).json()["error"]["code"] == -32601
    bad = rpc(a2a_url, None, "GetTask", {"id": "x"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == -32600


def test_seed_python_client(a2a_url, key, org):
    client = A2AClient(url=f"{a2a_url}/a2a", api_key=key)
    r = client.send_task({"message": "What are our top performing products?", "organization_id": org})
    assert r["state"] == "TASK_STATE_COMPLETED", r
    assert r["answer"] and r["sources"]
    assert client.get_task(r["task_id"])["status"]["state"] == "TASK_STATE_COMPLETED"
    with pytest.raises(A2AError) as e:
        client.send_task({"message": "hi", "organization_id": "org_someone_else"})
    assert e.value.code == -32602
    with pytest.raises(A2AError) as e:
        client.cancel_task(r["task_id"])
    assert e.value.code == -32002 and e.value.reason == "TASK_NOT_CANCELABLE"

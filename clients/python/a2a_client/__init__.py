"""A small client for the CROW Analytics Agent, built on A2A 1.0 JSON-RPC (standard library only).

    from a2a_client import A2AClient
    client = A2AClient(url="https://a2a.crowai.dev/a2a", api_key="YOUR_API_KEY")
    response = client.send_task({"message": "What are our top performing products?",
                                 "organization_id": "YOUR_ORG_ID"})
    print(response["answer"], response["sources"])

``url`` may be the agent's origin (``https://a2a.crowai.dev``), its ``/a2a`` base, or the JSON-RPC
endpoint itself: the client reads the agent card from the origin's
``/.well-known/agent-card.json`` and posts to the card's A2A 1.0 JSON-RPC interface.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, Dict, List, Optional, Union

__all__ = ["A2AClient", "A2AError", "A2AHTTPError", "PROTOCOL_VERSION"]
__version__ = "1.0.0"

PROTOCOL_VERSION = "1.0"
CARD_PATH = "/.well-known/agent-card.json"
TERMINAL_STATES = {"TASK_STATE_COMPLETED", "TASK_STATE_FAILED", "TASK_STATE_CANCELED", "TASK_STATE_REJECTED"}


class A2AError(Exception):
    """A JSON-RPC error answered by the agent (e.g. -32001 task not found)."""

    def __init__(self, code: int, message: str, data: Any = None):
        super().__init__(f"A2A error {code}: {message}")
        self.code = code
        self.message = message
        self.data = data

    @property
    def reason(self) -> Optional[str]:
        """The ``google.rpc.ErrorInfo`` reason (``TASK_NOT_FOUND`` …), when the agent sent one."""
        if isinstance(self.data, list):
            for item in self.data:
                if isinstance(item, dict) and item.get("reason"):
                    return item["reason"]
        return None


class A2AHTTPError(Exception):
    """A non-2xx HTTP answer (401 bad key, 429 rate limited, 5xx)."""

    def __init__(self, status: int, body: str, headers: Optional[Dict[str, str]] = None):
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status
        self.body = body
        self.headers = headers or {}


class A2AClient:
    def __init__(self, url: str, api_key: str, timeout: float = 120.0, auth: str = "x-api-key"):
        """``auth`` is ``"x-api-key"`` (``X-API-Key`` header) or ``"bearer"`` (``Authorization``)."""
        if not url:
            raise ValueError("url is required")
        if not api_key:
            raise ValueError("api_key is required")
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"url must be an absolute http(s) URL, got {url!r}")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.api_key = api_key
        self.timeout = timeout
        self.auth = auth
        self._card: Optional[Dict[str, Any]] = None
        self._endpoint: Optional[str] = None

    # -- transport -----------------------------------------------------------------------------

    def _headers(self) -> Dict[str, str]:
        h = {"Content-Type": "application/json", "Accept": "application/json", "A2A-Version": PROTOCOL_VERSION,
             "User-Agent": f"crow-a2a-client/{__version__}"}
        if self.auth == "bearer":
            h["Authorization"] = f"Bearer {self.api_key}"
        else:
            h["X-API-Key"] = self.api_key
        return h

    def _http(self, method: str, url: str, body: Optional[bytes] = None) -> Any:
        req = urllib.request.Request(url, data=body, method=method, headers=self._headers())
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                text = resp.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8", "replace")
            raise A2AHTTPError(e.code, text, dict(e.headers.items())) from None
        return json.loads(text) if text else None

    def agent_card(self) -> Dict[str, Any]:
        """The agent card (fetched once)."""
        if self._card is None:
            self._card = self._http("GET", self.origin + CARD_PATH)
        return self._card

    def endpoint(self) -> str:
        """The card's A2A 1.0 JSON-RPC interface URL."""
        if self._endpoint is None:
            card = self.agent_card()
            for iface in card.get("supportedInterfaces") or []:
                if iface.get("protocolBinding") == "JSONRPC" and str(iface.get("protocolVersion", "")).startswith("1."):
                    self._endpoint = iface["url"]
                    break
            else:
                raise A2AError(-32009, "the agent card declares no A2A 1.0 JSON-RPC interface")
        return self._endpoint

    def call(self, method: str, params: Dict[str, Any]) -> Any:
        """One JSON-RPC call; returns ``result`` or raises :class:`A2AError`."""
        payload = {"jsonrpc": "2.0", "id": str(uuid.uuid4()), "method": method, "params": params}
        answer = self._http("POST", self.endpoint(), json.dumps(payload).encode("utf-8"))
        if not isinstance(answer, dict):
            raise A2AError(-32603, "the agent sent no JSON-RPC response")
        if "error" in answer:
            err = answer["error"] or {}
            raise A2AError(int(err.get("code", -32603)), str(err.get("message", "")), err.get("data"))
        return answer.get("result")

    # -- A2A methods ---------------------------------------------------------------------------

    def send_message(self, text: str, context_id: Optional[str] = None, metadata: Optional[Dict[str, Any]] = None,
                     history_length: Optional[int] = None) -> Dict[str, Any]:
        """``SendMessage`` (blocking): returns the completed (or failed) task, 1.0 JSON."""
        message: Dict[str, Any] = {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"text": text}]}
        if context_id:
            message["contextId"] = context_id
        params: Dict[str, Any] = {"message": message, "configuration": {}}
        if metadata:
            params["metadata"] = metadata
        if history_length is not None:
            params["configuration"]["historyLength"] = history_length
        result = self.call("SendMessage", params)
        if isinstance(result, dict) and "task" in result:
            return result["task"]
        raise A2AError(-32006, "the agent answered SendMessage without a task")

    def send_task(self, task: Union[str, Dict[str, Any]]) -> Dict[str, Any]:
        """The seed's call: ``send_task({"message": "...", "organization_id": "..."})``.

        Returns ``{"task_id", "context_id", "state", "answer", "sources", "tool_calls", "model",
        "task"}``; ``task`` is the full 1.0 task. ``organization_id`` travels as
        ``metadata.organizationId`` and must be the API key's organization (else -32602).
        """
        if isinstance(task, str):
            task = {"message": task}
        text = task.get("message")
        if not isinstance(text, str) or not text.strip():
            raise ValueError("task['message'] must be a non-empty string")
        metadata = dict(task.get("metadata") or {})
        if task.get("organization_id"):
            metadata["organizationId"] = task["organization_id"]
        t = self.send_message(text, context_id=task.get("context_id"), metadata=metadata or None)
        return summarize(t)

    def get_task(self, task_id: str, history_length: Optional[int] = None) -> Dict[str, Any]:
        params: Dict[str, Any] = {"id": task_id}
        if history_length is not None:
            params["historyLength"] = history_length
        return self.call("GetTask", params)

    def list_tasks(self, context_id: Optional[str] = None, status: Optional[str] = None, page_size: Optional[int] = None,
                   page_token: Optional[str] = None, include_artifacts: bool = False) -> Dict[str, Any]:
        params: Dict[str, Any] = {"includeArtifacts": include_artifacts}
        if context_id:
            params["contextId"] = context_id
        if status:
            params["status"] = status
        if page_size:
            params["pageSize"] = page_size
        if page_token:
            params["pageToken"] = page_token
        return self.call("ListTasks", params)

    def cancel_task(self, task_id: str) -> Dict[str, Any]:
        return self.call("CancelTask", {"id": task_id})


def summarize(task: Dict[str, Any]) -> Dict[str, Any]:
    """The answer text, sources and tool calls of a 1.0 task."""
    answer, data = "", {}
    for artifact in task.get("artifacts") or []:
        for part in artifact.get("parts") or []:
            if "text" in part and not answer:
                answer = part["text"]
            elif isinstance(part.get("data"), dict):
                data = part["data"]
    status = task.get("status") or {}
    if not answer and status.get("message"):
        answer = " ".join(p.get("text", "") for p in status["message"].get("parts") or [])
    return {
        "task_id": task.get("id"),
        "context_id": task.get("contextId"),
        "state": status.get("state"),
        "answer": answer,
        "sources": data.get("sources") or [],
        "tool_calls": data.get("toolCalls") or [],
        "model": data.get("model"),
        "task": task,
    }

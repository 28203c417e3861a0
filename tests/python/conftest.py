"""Shared fixtures for the MCP tests (tests/python/test_mcp*.py).

They run against a live local stack (tests/mcp.sh starts nothing itself; scripts/test.sh or
scripts/stack.sh does) and read where it is from the environment:

  CROW_MCP_URL      base URL of the MCP worker, e.g. http://127.0.0.1:8788 (``/mcp`` is appended)
  CROW_API_KEY      an API key of a seeded demo organization (crow-seed writes one)
  CROW_ORG_ID       that organization's id
  CROW_GATEWAY_URL  optional: the REST gateway, for comparing tool results with REST answers
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import AsyncIterator

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

# Protocol modes of the official Python client (mcp.md section 5.2): "auto" (its default:
# server/discover, falling back to initialize), "legacy" (the 2025-11-25 initialize handshake)
# and a pin to the stateless 2026-07-28 revision.
MODES = ["auto", "legacy", "2026-07-28"]
EXPECTED_VERSION = {"auto": "2026-07-28", "legacy": "2025-11-25", "2026-07-28": "2026-07-28"}


def _env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        pytest.skip(f"{name} is not set: run these tests through tests/mcp.sh against a running stack")
    return value


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def mcp_url() -> str:
    base = _env("CROW_MCP_URL").rstrip("/")
    return base if base.endswith("/mcp") else f"{base}/mcp"


@pytest.fixture(scope="session")
def api_key() -> str:
    return _env("CROW_API_KEY")


@pytest.fixture(scope="session")
def org_id() -> str:
    return _env("CROW_ORG_ID")


@pytest.fixture(scope="session")
def gateway_url() -> str:
    return _env("CROW_GATEWAY_URL").rstrip("/")


@asynccontextmanager
async def connect(url: str, headers: dict[str, str], mode: str = "auto") -> AsyncIterator[Client]:
    """An MCP client over Streamable HTTP, as mcp.md section 5.3 sets it up."""
    http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=60))
    async with http, Client(streamable_http_client(url, http_client=http), mode=mode) as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}

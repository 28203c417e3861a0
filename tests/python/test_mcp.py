"""The MCP server through the official Python SDK (PyPI ``mcp``), in the client's default mode
(``auto``: ``server/discover`` first), forced to the 2025-11-25 ``initialize`` handshake
(``legacy``), and pinned to 2026-07-28: the handshake, the tool listing, every tool with its
structured result, tool errors, and authentication failures."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from mcp import MCPError

from conftest import EXPECTED_VERSION, MODES, bearer, connect

pytestmark = pytest.mark.anyio

TOOLS = [
    "crow_search_products",
    "crow_search_interactions",
    "crow_get_interaction_summary",
    "crow_search_patterns",
    "crow_get_product_ai_descriptions",
    "crow_search_org_context",
    "crow_get_product_performance",
    "crow_get_metric_trend",
    "crow_compare_periods",
    "crow_get_funnel",
    "crow_get_store_breakdown",
]
LIST_FIELDS = {"items", "count", "arguments", "meta"}
ANALYTICS = TOOLS[6:]


def rest(gateway_url: str, key: str, path: str, method: str = "GET") -> dict[str, Any]:
    """The same question asked of the REST API with the same key."""
    r = httpx2.request(method, f"{gateway_url}{path}", headers=bearer(key), timeout=30)
    assert r.status_code < 300, f"{method} {path} answered {r.status_code}: {r.text}"
    return r.json()


async def call(client, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    """Calls a tool that must succeed; checks the result's shape and returns structuredContent."""
    res = await client.call_tool(name, arguments or {})
    text = res.content[0].text if res.content else ""
    assert res.is_error is False or res.is_error is None, f"{name} failed: {text}"
    sc = res.structured_content
    assert isinstance(sc, dict), f"{name}: no structured content"
    # The text block carries a summary and the same structured result as JSON (backwards compat).
    summary, _, payload = text.partition("\n\n")
    assert summary, name
    assert json.loads(payload) == sc, name
    if name == "crow_get_interaction_summary":
        assert set(sc) >= {"summary", "arguments"}
    elif name in ANALYTICS:
        assert set(sc) >= {"answer", "report", "arguments"} and summary == sc["answer"], name
    else:
        assert set(sc) >= LIST_FIELDS, f"{name}: {sorted(sc)}"
        assert isinstance(sc["items"], list)
        assert sc["count"] == len(sc["items"])
    return sc


def assert_same_hits(items: list[dict], data: list[dict]) -> None:
    """Two runs of one search: same items in the same order, scores equal up to float rounding."""
    assert len(items) == len(data)
    for a, b in zip(items, data):
        assert {k: v for k, v in a.items() if k != "score"} == {k: v for k, v in b.items() if k != "score"}
        assert a["score"] == pytest.approx(b["score"], rel=1e-9)


def unwrap(exc: BaseException) -> list[BaseException]:
    """The leaf exceptions of a (possibly nested) exception group."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for e in exc.exceptions for leaf in unwrap(e)]
    return [exc]


async def first_product_id(client) -> str:
    sc = await call(client, "crow_search_products", {"query": "tent", "limit": 3})
    assert sc["items"], "the demo catalogue has tents"
    return sc["items"][0]["id"]


@pytest.mark.parametrize("mode", MODES)
async def test_handshake_negotiates_the_expected_revision(mcp_url, api_key, mode):
    async with connect(mcp_url, bearer(api_key), mode) as client:
        assert client.protocol_version == EXPECTED_VERSION[mode]
        if mode != "2026-07-28":  # a pinned client synthesizes its discover result
            assert client.server_capabilities.tools is not None
            assert client.server_info.name == "crow-mcp-server"
            assert client.instructions and "crow_search_products" in client.instructions


@pytest.mark.parametrize("mode", MODES)
async def test_lists_every_tool(mcp_url, api_key, mode):
    async with connect(mcp_url, bearer(api_key), mode) as client:
        listed = await client.list_tools()
        assert [t.name for t in listed.tools] == TOOLS
        assert listed.next_cursor is None
        for t in listed.tools:
            assert t.title and t.description and len(t.description) > 40
            assert t.input_schema["type"] == "object"
            assert t.input_schema["additionalProperties"] is False
            assert t.output_schema and t.output_schema["type"] == "object"
            assert t.annotations.read_only_hint is True
        schemas = {t.name: t.input_schema for t in listed.tools}
        assert schemas["crow_search_products"]["required"] == ["query"]
        assert schemas["crow_get_product_ai_descriptions"]["required"] == ["productId"]


@pytest.mark.parametrize("mode", MODES)
async def test_every_tool_answers_with_structured_results(mcp_url, api_key, org_id, mode):
    async with connect(mcp_url, bearer(api_key), mode) as client:
        # Products (search endpoint: items carry a score).
        sc = await call(client, "crow_search_products", {"query": "tent", "mode": "hybrid", "limit": 5})
        assert 1 <= sc["count"] <= 5
        assert all("id" in p and "name" in p and isinstance(p["score"], (int, float)) for p in sc["items"])
        assert sc["arguments"] == {"query": "tent", "mode": "hybrid", "limit": 5}
        for m in ("fts", "semantic"):
            assert (await call(client, "crow_search_products", {"query": "waterproof jacket", "mode": m}))["count"] >= 1

        # Interactions: a plain page of the list, a channel filter, and a search.
        sc = await call(client, "crow_search_interactions", {"limit": 10, "page": 2})
        assert sc["count"] == 10 and sc["total"] >= 3000
        assert sc["meta"]["page"] == 2
        sc = await call(client, "crow_search_interactions", {"sourceType": "cctv", "limit": 25})
        assert sc["count"] == 25 and all(i["sourceType"] == "cctv" for i in sc["items"])
        sc = await call(client, "crow_search_interactions", {"query": "hiking boots", "sourceType": "social", "limit": 5})
        assert sc["count"] <= 5 and all(i["sourceType"] == "social" for i in sc["items"])

        # Summary.
        sc = await call(client, "crow_get_interaction_summary")
        s = sc["summary"]
        assert s["total"] == s["web"] + s["cctv"] + s["social"] >= 3000
        assert s["organizationId"] == org_id

        # Patterns: list with a period filter, and a search.
        sc = await call(client, "crow_search_patterns", {"period": "weekly", "limit": 50})
        assert sc["count"] >= 1 and all(p["period"] == "weekly" for p in sc["items"])
        sc = await call(client, "crow_search_patterns", {"query": "weekend footfall"})
        assert isinstance(sc["items"], list)

        # AI descriptions of a product found above.
        pid = await first_product_id(client)
        sc = await call(client, "crow_get_product_ai_descriptions", {"productId": pid})
        assert sc["meta"]["productId"] == pid
        assert all({"style", "text", "model"} <= set(d) for d in sc["items"])

        # Knowledge base.
        sc = await call(client, "crow_search_org_context", {"query": "What is the return policy?", "limit": 3})
        assert sc["count"] <= 3
        assert all({"documentId", "title", "text", "score"} <= set(d) for d in sc["items"])


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_tool_errors_reach_the_model(mcp_url, api_key, mode):
    async with connect(mcp_url, bearer(api_key), mode) as client:
        # Bad arguments: a tool result with isError, naming the field (the model can retry).
        res = await client.call_tool("crow_search_interactions", {"sourceType": "fax"})
        assert res.is_error is True
        assert "sourceType" in res.content[0].text and "web" in res.content[0].text
        res = await client.call_tool("crow_search_products", {})
        assert res.is_error is True and "query" in res.content[0].text
        # Unknown (or another organization's) product: a tool error saying it was not found.
        res = await client.call_tool("crow_get_product_ai_descriptions", {"productId": "prd_does_not_exist"})
        assert res.is_error is True and "not found" in res.content[0].text.lower()
        # Unknown tool: a protocol error, -32602.
        with pytest.raises(MCPError) as err:
            await client.call_tool("crow_drop_tables", {})
        assert err.value.code == -32602


async def test_legacy_ping_and_x_api_key_header(mcp_url, api_key):
    async with connect(mcp_url, {"X-API-Key": api_key}, "legacy") as client:
        assert client.protocol_version == "2025-11-25"
        await client.session.send_ping()
        assert [t.name for t in (await client.list_tools()).tools] == TOOLS


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize(
    "headers, message",
    [
        ({}, "API key is required"),
        ({"Authorization": "Bearer crow_not_a_real_key"}, ""),
        ({"X-API-Key": "crow_" + "A" * 64}, ""),
    ],
    ids=["missing", "malformed", "unknown"],
)
async def test_authentication_failures_are_reported(mcp_url, headers, message, mode):
    with pytest.raises(BaseException) as caught:
        async with connect(mcp_url, headers, mode) as client:
            await client.list_tools()
    leaves = unwrap(caught.value)
    errors = [e for e in leaves if isinstance(e, MCPError)]
    assert errors, f"expected an MCPError, got {leaves!r}"
    # The server's JSON-RPC error (401, -32600) reaches the caller as it was sent.
    assert errors[0].code == -32600, errors[0]
    assert message in errors[0].message


async def test_tool_results_match_the_rest_answers(mcp_url, api_key, org_id, gateway_url):
    async with connect(mcp_url, bearer(api_key)) as client:
        sc = await call(client, "crow_get_interaction_summary")
        r = rest(gateway_url, api_key, f"/api/v1/interactions/organization/{org_id}/summary")
        assert sc["summary"] == r
        sc = await call(client, "crow_search_interactions", {"sourceType": "web", "limit": 7, "page": 3})
        r = rest(gateway_url, api_key, f"/api/v1/interactions/organization/{org_id}?sourceType=web&limit=7&page=3")
        assert sc["items"] == r["data"] and sc["total"] == r["total"]
        sc = await call(client, "crow_search_products", {"query": "stove", "mode": "fts", "limit": 4})
        r = rest(gateway_url, api_key, "/api/v1/products/search?query=stove&mode=fts&limit=4")
        assert_same_hits(sc["items"], r["data"])


async def test_analytics_tools_answer_with_the_rest_figures(mcp_url, api_key, org_id, gateway_url):
    """Issue 12: each analytics tool returns the REST answer as `report`, matching its
    outputSchema, and an `answer` an LLM can quote (figures, period, product names and ids)."""
    import datetime

    import jsonschema

    now = datetime.datetime.now(datetime.timezone.utc)
    frm = (now - datetime.timedelta(days=120)).strftime("%Y-%m-%d")
    to = (now + datetime.timedelta(days=1)).strftime("%Y-%m-%d")
    base = f"/api/v1/analytics/organization/{org_id}"
    cases = [
        ("crow_get_product_performance", {"from": frm, "to": to, "sort": "purchases", "limit": 5},
         f"products?from={frm}&to={to}&sort=purchases&order=desc&limit=5"),
        ("crow_get_metric_trend", {"from": frm, "to": to, "metric": "revenue", "interval": "week"},
         f"timeseries?from={frm}&to={to}&metric=revenue&interval=week"),
        ("crow_compare_periods", {"from": frm, "to": to, "metric": "views", "groupBy": "category"},
         f"compare?from={frm}&to={to}&metric=views&groupBy=category&limit=10"),
        ("crow_get_funnel", {"from": frm, "to": to}, f"funnel?from={frm}&to={to}&limit=10"),
        ("crow_get_store_breakdown", {"from": frm, "to": to}, f"stores?from={frm}&to={to}"),
    ]
    async with connect(mcp_url, bearer(api_key)) as client:
        schemas = {t.name: t.output_schema for t in (await client.list_tools()).tools}
        for name, args, path in cases:
            sc = await call(client, name, args)
            jsonschema.validate(sc, schemas[name])
            assert sc["report"] == rest(gateway_url, api_key, f"{base}/{path}"), name
            assert frm in sc["answer"] and "UTC" in sc["answer"], sc["answer"]
        # The top product by purchases is named with its id and its purchase count.
        sc = await call(client, "crow_get_product_performance", {"from": frm, "to": to, "sort": "purchases"})
        top = sc["report"]["products"][0]
        assert top["purchases"] > 0
        assert top["name"] in sc["answer"] and top["productId"] in sc["answer"]
        assert f"from {top['purchases']:,} purchases" in sc["answer"], sc["answer"]
        # Bad arguments are tool errors naming the field.
        res = await client.call_tool("crow_get_metric_trend", {"interval": "hourly"})
        assert res.is_error is True and "interval" in res.content[0].text
        res = await client.call_tool("crow_get_product_performance", {"from": "last week"})
        assert res.is_error is True and "from" in res.content[0].text

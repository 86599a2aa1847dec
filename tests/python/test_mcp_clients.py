"""Issue 4: the independent Python MCP client (PyPI `mcp`) over every transport of `intercom-mcp serve`.

stdio, Streamable HTTP in the handshake era (`legacy`, 2025-11-25) and the stateless era
(`2026-07-28`), and the legacy HTTP+SSE transport, each running the same scenario against a
sandbox whose state is read back over REST.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client

from conftest import HttpServerHandle, SandboxHandle, base_env, binary_path, serve_env
from mcp_scenario import call_ok, full_scenario, rendered

SCENARIO_TIMEOUT_SECONDS = 120


def run(coroutine) -> None:
    asyncio.run(asyncio.wait_for(coroutine, SCENARIO_TIMEOUT_SECONDS))


async def scenario_over(client: Client, api: httpx.Client) -> None:
    async with client:
        await full_scenario(client, api)


def test_stdio(sandbox: SandboxHandle, api: httpx.Client) -> None:
    params = StdioServerParameters(command=str(binary_path()), args=["serve"], env=serve_env(sandbox))
    run(scenario_over(Client(params, mode="legacy", read_timeout_seconds=60), api))


def test_streamable_http_legacy_era(mcp_http_server: HttpServerHandle, api: httpx.Client) -> None:
    run(scenario_over(Client(mcp_http_server.mcp_url, mode="legacy", read_timeout_seconds=60), api))


def test_streamable_http_2026_era(mcp_http_server: HttpServerHandle, api: httpx.Client) -> None:
    run(scenario_over(Client(mcp_http_server.mcp_url, mode="2026-07-28", read_timeout_seconds=60), api))


def test_streamable_http_auto_negotiates_latest(mcp_http_server: HttpServerHandle) -> None:
    async def negotiate() -> str:
        async with Client(mcp_http_server.mcp_url, mode="auto", read_timeout_seconds=60) as client:
            return client.protocol_version

    assert asyncio.run(asyncio.wait_for(negotiate(), 60)) == "2026-07-28"


def test_legacy_sse(mcp_http_server: HttpServerHandle, api: httpx.Client) -> None:
    transport = sse_client(mcp_http_server.sse_url, timeout=30, sse_read_timeout=60)
    run(scenario_over(Client(transport, mode="legacy", read_timeout_seconds=60), api))


def test_stdio_with_embedded_sandbox() -> None:
    """The README's first command, `intercom-mcp serve --sandbox`, works for a stdio client."""
    env = base_env()
    params = StdioServerParameters(command=str(binary_path()), args=["serve", "--sandbox"], env=env)

    async def scenario() -> None:
        async with Client(params, mode="legacy", read_timeout_seconds=60) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert {"whoami", "search_conversations"} <= names
            whoami = rendered(await call_ok(client, "whoami", {}))
            assert "@" in whoami, f"whoami should name the sandbox admin: {whoami[:500]}"
            conversations = rendered(await call_ok(client, "search_conversations", {"state": "open"}))
            assert "conversation" in conversations.lower()

    run(scenario())


@pytest.mark.parametrize("origin", ["http://evil.example", "https://attacker.invalid"])
def test_http_rejects_foreign_origin(mcp_http_server: HttpServerHandle, origin: str) -> None:
    """DNS-rebinding protection: a browser page from another origin must not reach the server."""
    response = httpx.post(
        mcp_http_server.mcp_url,
        headers={"Origin": origin, "Content-Type": "application/json", "Accept": "application/json, text/event-stream"},
        json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}},
        timeout=10,
    )
    assert response.status_code == 403, f"{origin}: {response.status_code} {response.text[:300]}"

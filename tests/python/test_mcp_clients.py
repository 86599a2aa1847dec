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
from mcp_scenario import call_ok, check_catalogue, check_errors, check_reads, check_write_is_applied, rendered

SCENARIO_TIMEOUT_SECONDS = 120


def first_leaf(error: BaseException) -> BaseException:
    """The client's task groups wrap a failed assertion in exception groups; find the assertion."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def run(coroutine) -> None:
    try:
        asyncio.run(asyncio.wait_for(coroutine, SCENARIO_TIMEOUT_SECONDS))
    except BaseExceptionGroup as group:
        raise first_leaf(group) from None


TRANSPORTS = ["stdio", "http-legacy", "http-2026-07-28", "sse"]
CHECKS = {
    "catalogue": lambda client, api: check_catalogue(client),
    "reads": check_reads,
    "write-read-back": check_write_is_applied,
    "errors": lambda client, api: check_errors(client),
}


def client_for(transport: str, sandbox: SandboxHandle, server: HttpServerHandle) -> Client:
    if transport == "stdio":
        params = StdioServerParameters(command=str(binary_path()), args=["serve"], env=serve_env(sandbox))
        return Client(params, mode="legacy", read_timeout_seconds=60)
    if transport == "http-legacy":
        return Client(server.mcp_url, mode="legacy", read_timeout_seconds=60)
    if transport == "http-2026-07-28":
        return Client(server.mcp_url, mode="2026-07-28", read_timeout_seconds=60)
    if transport == "sse":
        return Client(sse_client(server.sse_url, timeout=30, sse_read_timeout=60), mode="legacy", read_timeout_seconds=60)
    raise ValueError(transport)


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_independent_client(
    transport: str, check: str, sandbox: SandboxHandle, mcp_http_server: HttpServerHandle, api: httpx.Client
) -> None:
    async def scenario() -> None:
        async with client_for(transport, sandbox, mcp_http_server) as client:
            await CHECKS[check](client, api)

    run(scenario())


def test_streamable_http_auto_negotiates_latest(mcp_http_server: HttpServerHandle) -> None:
    async def negotiate() -> str:
        async with Client(mcp_http_server.mcp_url, mode="auto", read_timeout_seconds=60) as client:
            return client.protocol_version

    assert asyncio.run(asyncio.wait_for(negotiate(), 60)) == "2026-07-28"


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


def test_read_only_exposes_only_read_tools(sandbox: SandboxHandle) -> None:
    """`serve --read-only` removes every tool that writes, whatever else is asked."""
    params = StdioServerParameters(
        command=str(binary_path()), args=["serve", "--read-only", "--toolsets", "all"], env=serve_env(sandbox)
    )

    async def scenario() -> None:
        async with Client(params, mode="legacy", read_timeout_seconds=60) as client:
            tools = (await client.list_tools()).tools
            assert tools, "--read-only left no tool at all"
            writers = [t.name for t in tools if not (t.annotations and t.annotations.read_only_hint is True)]
            assert not writers, f"--read-only still lists tools without readOnlyHint: {writers}"
            names = {t.name for t in tools}
            assert "whoami" in names and "reply_to_conversation" not in names

    run(scenario())

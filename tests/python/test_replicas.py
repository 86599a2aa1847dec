"""Several replicas behind a load balancer (issue 16): the deployer's HAProxy configuration in
deploy/haproxy.cfg, run for real in front of two `intercom-mcp serve` replicas of one workspace.

- 2026-07-28 clients are sessionless: their requests spread over both replicas and all succeed,
  also after one replica is gone.
- 2025-11-25 sessions stay on the replica that issued them; when it is gone, the next request
  gets a prompt 404 (unknown session), never a hang, and a new session works.
- Legacy SSE works through the balancer (one client address, one replica).
"""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from mcp import Client
from mcp.client.sse import sse_client

from conftest import REPO_ROOT, ManagedProcess, SandboxHandle, binary_path, free_port, serve_env

HAPROXY_CONFIG = REPO_ROOT / "deploy" / "haproxy.cfg"
PROMPT_SECONDS = 5
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "replica-test", "version": "1"}}}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@dataclass
class Fleet:
    url: str
    stats_url: str
    replicas: dict[str, tuple[str, ManagedProcess]]
    balancer: ManagedProcess

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/mcp"

    def served(self) -> dict[str, int]:
        """Requests each replica of the `mcp` backend has answered (HAProxy's own count)."""
        rows = csv.DictReader(io.StringIO(httpx.get(f"{self.stats_url};csv", timeout=5).text.lstrip("# ")))
        return {row["svname"]: int(row["stot"]) for row in rows
                if row["pxname"] == "mcp" and row["svname"].startswith("replica")}

    def up(self) -> set[str]:
        rows = csv.DictReader(io.StringIO(httpx.get(f"{self.stats_url};csv", timeout=5).text.lstrip("# ")))
        return {row["svname"] for row in rows
                if row["pxname"] == "mcp" and row["svname"].startswith("replica") and row["status"] == "UP"}

    def wait_for_up(self, expected: set[str]) -> None:
        deadline = time.monotonic() + 30
        while self.up() != expected:
            assert time.monotonic() < deadline, f"replicas up: {self.up()}, expected {expected}"
            time.sleep(0.1)


def start_replica(sandbox: SandboxHandle) -> tuple[str, ManagedProcess]:
    port = free_port()
    argv = [str(binary_path()), "serve", "--transport", "http", "--host", "127.0.0.1", "--port", str(port)]
    process = ManagedProcess(f"replica on {port}", argv, serve_env(sandbox)).start()
    process.wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200)
    return f"127.0.0.1:{port}", process


@pytest.fixture()
def fleet(sandbox: SandboxHandle) -> Iterator[Fleet]:
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    assert Path(haproxy).exists(), "HAProxy is not installed: run scripts/setup.sh"
    replicas = {"replica1": start_replica(sandbox), "replica2": start_replica(sandbox)}
    listen, stats = free_port(), free_port()
    extra = Path(tempfile.mkdtemp()) / "stats.cfg"
    extra.write_text(f"frontend stats\n    bind 127.0.0.1:{stats}\n    stats enable\n    stats uri /stats\n")
    env = serve_env(sandbox) | {
        "LISTEN": f"127.0.0.1:{listen}",
        "REPLICA_1": replicas["replica1"][0],
        "REPLICA_2": replicas["replica2"][0],
    }
    balancer = ManagedProcess("haproxy", [haproxy, "-db", "-f", str(HAPROXY_CONFIG), "-f", str(extra)], env).start()
    fleet = Fleet(f"http://127.0.0.1:{listen}", f"http://127.0.0.1:{stats}/stats", replicas, balancer)
    balancer.wait_until(lambda: httpx.get(f"{fleet.url}/healthz", timeout=5).status_code == 200)
    fleet.wait_for_up({"replica1", "replica2"})
    try:
        yield fleet
    finally:
        balancer.stop()
        for _, process in replicas.values():
            process.stop()


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 120))


async def call_many(url: str, mode: str, calls: int) -> list[str]:
    texts = []
    async with Client(url, mode=mode, read_timeout_seconds=30) as client:
        for _ in range(calls):
            result = await client.call_tool("list_admins", {})
            assert not result.is_error, result
            texts.append("".join(getattr(b, "text", "") for b in result.content))
    return texts


def test_sessionless_requests_spread_over_replicas_and_survive_one_going_away(fleet: Fleet) -> None:
    before = fleet.served()
    texts = run(call_many(fleet.mcp_url, "2026-07-28", 12))
    assert len(set(texts)) == 1, "the replicas answered the same question differently"
    after = fleet.served()
    assert all(after[r] > before[r] for r in ("replica1", "replica2")), (before, after)

    fleet.replicas["replica1"][1].stop()
    fleet.wait_for_up({"replica2"})
    assert run(call_many(fleet.mcp_url, "2026-07-28", 4)) == texts[:4]


def test_a_session_stays_on_its_replica(fleet: Fleet) -> None:
    before = fleet.served()
    run(call_many(fleet.mcp_url, "legacy", 12))
    after = fleet.served()
    used = [r for r in ("replica1", "replica2") if after[r] > before[r]]
    # Round robin would have split these requests; the session kept them on one replica.
    assert len(used) == 1, (before, after)


def test_when_the_sessions_replica_is_gone_the_client_gets_a_prompt_404_then_starts_over(fleet: Fleet) -> None:
    with httpx.Client(timeout=PROMPT_SECONDS) as http:
        opened = http.post(fleet.mcp_url, json=INITIALIZE, headers=HEADERS)
        assert opened.status_code == 200, opened.text
        session = opened.headers["mcp-session-id"]
        # Which replica issued it: the other one does not know it.
        owner = next(name for name, (address, _) in fleet.replicas.items()
                     if http.post(f"http://{address}/mcp", headers=HEADERS | {"Mcp-Session-Id": session},
                                  json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).status_code == 200)
        fleet.replicas[owner][1].stop()
        survivor = ({"replica1", "replica2"} - {owner}).pop()
        fleet.wait_for_up({survivor})

        started = time.monotonic()
        lost = http.post(fleet.mcp_url, headers=HEADERS | {"Mcp-Session-Id": session},
                         json={"jsonrpc": "2.0", "id": 3, "method": "tools/list"})
        assert lost.status_code == 404, (lost.status_code, lost.text)
        assert time.monotonic() - started < PROMPT_SECONDS

    # What a client does on 404: a new session, which the surviving replica serves.
    assert len(run(call_many(fleet.mcp_url, "legacy", 3))) == 3


def test_legacy_sse_through_the_balancer(fleet: Fleet) -> None:
    async def scenario() -> None:
        async with Client(sse_client(f"{fleet.url}/sse", timeout=30, sse_read_timeout=60), mode="legacy",
                          read_timeout_seconds=30) as client:
            for _ in range(3):
                result = await client.call_tool("whoami", {})
                assert not result.is_error, result

    run(scenario())

"""A rolling restart of a fleet (docs/DEPLOY.md): three replicas on one PostgreSQL behind the
deployer's HAProxy configuration (deploy/haproxy.cfg as it is, REPLICA_1..3) are stopped with SIGTERM and started again one at a time, while
signed webhooks and sessionless MCP tool calls arrive at the balancer without pause.

Each replica runs with `--drain-seconds 3` (INTERCOM_MCP_DRAIN_SECONDS): on SIGTERM its
`/healthz` answers 503 while it still serves, HAProxy takes it out of rotation (two failed
probes a second apart), then it stops accepting and exits. Checked afterwards:

- every webhook was acknowledged on its first delivery (none refused, none lost) and is stored
  exactly once in the shared event log;
- every tool call got its answer;
- every replica exited by itself with status 0 on SIGTERM, and served again after its restart.
"""

from __future__ import annotations

import asyncio
import csv
import io
import signal
import threading
import time
from pathlib import Path

import httpx
from mcp import Client

from conftest import ManagedProcess, free_port, serve_env, start_sandbox
from test_fleet import (WEBHOOK_SECRET, Postgres, Replica, notification, postgres,  # noqa: F401
                        sign, start_balancer, start_replica, wait_for)

DRAIN_SECONDS = 3


def backend_servers(stats_url: str) -> dict[str, dict[str, str]]:
    rows = csv.DictReader(io.StringIO(httpx.get(stats_url, timeout=5).text.lstrip("# ")))
    return {row["svname"]: row for row in rows if row["pxname"] == "mcp" and row["svname"].startswith("replica")}


def test_a_rolling_restart_loses_no_webhook_and_no_call(postgres: Postgres, tmp_path: Path) -> None:
    sandbox = start_sandbox(scale="tiny", seed=21)
    replicas: dict[str, Replica] = {}
    balancer: ManagedProcess | None = None
    try:
        with sandbox.client() as api:
            conversation = api.get("/conversations", params={"per_page": 1}).json()["conversations"][0]
            conversation = api.get(f"/conversations/{conversation['id']}").json()
        env = serve_env(sandbox) | {"INTERCOM_CLIENT_SECRET": WEBHOOK_SECRET,
                                    "INTERCOM_MCP_DRAIN_SECONDS": str(DRAIN_SECONDS), "RUST_LOG": "info"}
        names = ["r1", "r2", "r3"]
        ports = {name: free_port() for name in names}
        for name in names:
            replicas[name] = start_replica(name, ports[name], env, None, postgres)
        stats_port = free_port()
        balancer, front = start_balancer([replicas[n] for n in names], tmp_path, env, stats_port)
        stats = f"http://127.0.0.1:{stats_port}/stats;csv"
        wait_for(lambda: all(s["status"] == "UP" for s in backend_servers(stats).values()), "every replica UP")

        stop = threading.Event()
        webhooks: list[tuple[str, object]] = []
        calls: list[str] = []

        def send_webhooks() -> None:
            i = 0
            while not stop.is_set():
                nid = f"notif_roll_{i}"
                body = notification(nid, "conversation.admin.snoozed", conversation)
                try:
                    answer = httpx.post(f"{front}/webhooks/intercom", content=body, timeout=15,
                                        headers={"Content-Type": "application/json", "X-Hub-Signature": sign(body)})
                    webhooks.append((nid, answer.status_code))
                except httpx.HTTPError as e:
                    webhooks.append((nid, repr(e)))
                i += 1
                time.sleep(0.05)

        def call_tools() -> None:
            async def loop() -> None:
                async with Client(f"{front}/mcp", mode="2026-07-28", read_timeout_seconds=30) as client:
                    while not stop.is_set():
                        try:
                            result = await client.call_tool("list_admins", {})
                            calls.append("isError" if result.is_error else "ok")
                        except Exception as e:  # noqa: BLE001 - any failure is what the test counts
                            calls.append(repr(e))
                        await asyncio.sleep(0.05)
            asyncio.run(loop())

        senders = [threading.Thread(target=send_webhooks, daemon=True), threading.Thread(target=call_tools, daemon=True)]
        for sender in senders:
            sender.start()
        wait_for(lambda: len(webhooks) >= 10 and len(calls) >= 10, "traffic through the balancer")

        for i, name in enumerate(names, 1):
            replica = replicas[name]
            served_before = int(backend_servers(stats)[f"replica{i}"]["stot"])
            replica.process.process.send_signal(signal.SIGTERM)
            # Out of rotation while it still serves, then gone.
            wait_for(lambda: backend_servers(stats)[f"replica{i}"]["status"].startswith("DOWN"),
                     f"HAProxy to take {name} out", timeout=DRAIN_SECONDS + 10)
            code = replica.process.process.wait(timeout=DRAIN_SECONDS + 20)
            assert code == 0, f"{name} exited with {code} on SIGTERM:\n{replica.process.output()}"
            replicas[name] = start_replica(name, ports[name], env, None, postgres)
            wait_for(lambda: backend_servers(stats)[f"replica{i}"]["status"] == "UP", f"{name} back in rotation")
            wait_for(lambda: int(backend_servers(stats)[f"replica{i}"]["stot"]) > served_before,
                     f"{name} to serve again after its restart")

        seen = (len(webhooks), len(calls))
        wait_for(lambda: len(webhooks) >= seen[0] + 10 and len(calls) >= seen[1] + 10, "traffic after the restarts")
        stop.set()
        for sender in senders:
            sender.join(timeout=60)

        refused = [(nid, status) for nid, status in webhooks if status != 200]
        assert not refused, f"{len(refused)} of {len(webhooks)} webhooks were not acknowledged: {refused[:5]}"
        failed = [c for c in calls if c != "ok"]
        assert not failed, f"{len(failed)} of {len(calls)} tool calls failed: {failed[:5]}"
        rows = postgres.query("SELECT id, count(*) FROM events WHERE id LIKE 'notif_roll_%' GROUP BY id")
        assert sorted(r[0] for r in rows) == sorted(nid for nid, _ in webhooks)
        assert all(r[1] == "1" for r in rows)
        print(f"rolling restart: {len(webhooks)} webhooks and {len(calls)} tool calls, all answered")
    finally:
        if balancer is not None:
            balancer.stop()
        for replica in replicas.values():
            replica.process.stop()
        sandbox.process.stop()

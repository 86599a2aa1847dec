"""Webhook burst benchmark (issue 16): N signed notifications as fast as C concurrent senders
can deliver them, to three replicas behind HAProxy on one PostgreSQL, and to one process with
its SQLite file (the single-process default), side by side.

    INTERCOM_MCP_BIN=target/release/intercom-mcp .venv/bin/python tests/python/bench_fleet_webhooks.py [N] [C]

Reports, per setup: acknowledged (200) deliveries, the time the burst took, deliveries per
second, ack latency p50/p99/max (from sending a request to reading its answer), and how many
events the store holds afterwards (each notification id once: counted from PostgreSQL, or from
the SQLite file).
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import ManagedProcess, binary_path, free_port, serve_env, start_sandbox  # noqa: E402
from test_fleet import (  # noqa: E402
    WEBHOOK_SECRET, notification, running_postgres, sign, start_balancer, start_replica,
)


async def burst(url: str, bodies: list[bytes], concurrency: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    acked = 0
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        async def sender() -> None:
            nonlocal acked
            while not queue.empty():
                body = queue.get_nowait()
                started = time.perf_counter()
                answer = await http.post(url, content=body, headers={
                    "Content-Type": "application/json", "X-Hub-Signature": sign(body)})
                latencies.append(time.perf_counter() - started)
                acked += answer.status_code == 200
        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        return time.perf_counter() - started, latencies, acked


def report(label: str, n: int, elapsed: float, latencies: list[float], acked: int, stored: int) -> None:
    ordered = sorted(latencies)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    print(f"| {label} | {n} | {acked} | {elapsed:.1f} s | {n / elapsed:,.0f}/s | "
          f"{statistics.median(ordered) * 1000:.1f} ms | {p(0.99):.1f} ms | {ordered[-1] * 1000:.0f} ms | {stored} |")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    sandbox = start_sandbox(scale="small", seed=16)
    with sandbox.client() as api:
        conversations = api.get("/conversations", params={"per_page": 50}).json()["conversations"]
        full = [api.get(f"/conversations/{c['id']}").json() for c in conversations[:20]]
    env = serve_env(sandbox) | {"INTERCOM_CLIENT_SECRET": WEBHOOK_SECRET, "RUST_LOG": "warn"}
    print("| setup | sent | acknowledged | elapsed | rate | p50 ack | p99 ack | max ack | events stored |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            # One process, SQLite.
            port = free_port()
            store = tmp_path / "single.sqlite3"
            single = ManagedProcess("single", [str(binary_path()), "serve", "--transport", "http", "--host",
                                               "127.0.0.1", "--port", str(port), "--store", str(store)], env).start()
            single.wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200)
            bodies = [notification(f"notif_bench_s{i}", "conversation.admin.snoozed", full[i % len(full)])
                      for i in range(n)]
            elapsed, latencies, acked = asyncio.run(burst(f"http://127.0.0.1:{port}/webhooks/intercom", bodies,
                                                          concurrency))
            with sqlite3.connect(store) as db:
                stored = db.execute("SELECT count(DISTINCT id) FROM events WHERE id LIKE 'notif_bench_s%'").fetchone()[0]
            single.stop()
            report("1 process, SQLite", n, elapsed, latencies, acked, stored)

            # Three replicas behind HAProxy, PostgreSQL.
            with running_postgres() as pg:
                replicas = [start_replica(f"b{i}", free_port(), tmp_path, env, None, pg) for i in (1, 2, 3)]
                balancer, front = start_balancer(replicas, tmp_path, env)
                try:
                    bodies = [notification(f"notif_bench_f{i}", "conversation.admin.snoozed", full[i % len(full)])
                              for i in range(n)]
                    elapsed, latencies, acked = asyncio.run(burst(f"{front}/webhooks/intercom", bodies, concurrency))
                    rows = pg.query("SELECT count(*), count(DISTINCT id) FROM events WHERE id LIKE 'notif_bench_f%'")
                    total, distinct = (int(v) for v in rows[0])
                    assert total == distinct, f"{total} rows for {distinct} ids"
                    report("3 replicas + HAProxy, PostgreSQL", n, elapsed, latencies, acked, distinct)
                finally:
                    balancer.stop()
                    for r in replicas:
                        r.process.stop()
    finally:
        sandbox.process.stop()


if __name__ == "__main__":
    main()

"""A fleet (issue 16): three `intercom-mcp serve` replicas behind HAProxy, one PostgreSQL.

PostgreSQL is the distribution's server, started here as a throwaway cluster in a temporary
directory on a free loopback port (as the `postgres` user when run as root); HAProxy runs the
deployer's deploy/haproxy.cfg with a third server added. While signed webhooks arrive at the
balancer at a steady rate (some delivered twice, as Intercom does) and a bulk job runs, the
replica running the job is killed with SIGKILL and started again. Then, read back from the
database and the sandbox:

- every webhook is stored exactly once, and its conversation is in the mirror the replicas share
  (a subscriber on one replica hears of a webhook another replica received);
- the bulk job finished (resumed by a surviving replica) with exactly one applied write per item;
- the automation rule ran exactly once per triggering event across the replicas;
- fewer than 1% of the sandbox's answers were 429s (one rate budget for the fleet).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from mcp import Client

from conftest import REPO_ROOT, ManagedProcess, binary_path, free_port, serve_env, start_sandbox

HAPROXY_CONFIG = REPO_ROOT / "deploy" / "haproxy.cfg"
WEBHOOK_SECRET = "fleet-test-webhook-secret"
PG_PASSWORD = "fleet-test-pw"
RATE_LIMIT = 60  # requests per 10 s, for the whole fleet
BULK_ITEMS = 30
TRIGGERS = 12  # webhooks the automation rule reacts to (one per conversation)
OTHERS = 36  # webhooks it does not react to
RULES = """
[settings]
max_runs_per_object = 5
rate_window = "10m"

[[rules]]
name = "fleet-note"
topics = ["conversation.user.replied"]
actions = [{ note = "fleet-auto {{event.id}}" }]
"""


def pg_bin() -> Path:
    override = os.environ.get("INTERCOM_PG_BIN")
    if override:
        return Path(override)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    assert found, "PostgreSQL is not installed: run scripts/setup.sh (Debian's postgresql package)"
    return found[-1].parent


@dataclass
class Postgres:
    port: int
    data: Path
    as_server_user: list[str]

    @property
    def url(self) -> str:
        return f"postgres://postgres:{PG_PASSWORD}@127.0.0.1:{self.port}/postgres"

    def query(self, sql: str) -> list[tuple[str, ...]]:
        """Rows of `sql` through the server's own `psql` (each value as text)."""
        psql = pg_bin() / "psql"
        out = subprocess.run([str(psql if psql.exists() else "psql"), "-X", "-A", "-t", "-F", "\t", "-v",
                              "ON_ERROR_STOP=1", "-c", sql, self.url],
                             check=True, capture_output=True, text=True).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]


@contextmanager
def running_postgres() -> Iterator[Postgres]:
    """A throwaway cluster: initdb into a temporary directory, the server on a free loopback port."""
    bin_dir = pg_bin()
    root = os.geteuid() == 0
    runas = ["runuser", "-u", "postgres", "--"] if root else []
    base = Path(subprocess.check_output([*runas, "mktemp", "-d", "/tmp/intercom-fleet-pg.XXXXXX"], text=True).strip())
    pwfile = base / "pwfile"
    subprocess.run([*runas, "sh", "-c", f"printf %s '{PG_PASSWORD}' > {pwfile}"], check=True)
    data = base / "data"
    subprocess.run([*runas, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8", "--no-sync",
                    "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"],
                   check=True, capture_output=True)
    port = free_port()
    options = (f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c synchronous_commit=off -c max_connections=300")
    subprocess.run([*runas, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w",
                    "-o", options, "start"], check=True, capture_output=True)
    try:
        yield Postgres(port, data, runas)
    finally:
        subprocess.run([*runas, str(bin_dir / "pg_ctl"), "-D", str(data), "stop", "-m", "immediate"],
                       capture_output=True)
        subprocess.run([*runas, "rm", "-rf", str(base)], capture_output=True)


@pytest.fixture()
def postgres() -> Iterator[Postgres]:
    with running_postgres() as pg:
        yield pg


@dataclass
class Replica:
    name: str
    port: int
    process: ManagedProcess

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


def start_replica(name: str, port: int, env: dict[str, str], rules: Path | None,
                  pg: Postgres) -> Replica:
    argv = [str(binary_path()), "serve", "--transport", "http", "--host", "127.0.0.1", "--port", str(port),
            "--store", pg.url, "--replica-name", name]
    if rules is not None:
        argv += ["--automations", str(rules)]
    process = ManagedProcess(f"replica {name}", argv, env).start()
    process.wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200)
    return Replica(name, port, process)


def start_balancer(replicas: list[Replica], tmp_path: Path, env: dict[str, str],
                   stats_port: int | None = None) -> tuple[ManagedProcess, str]:
    """deploy/haproxy.cfg as the deployer runs it (REPLICA_1..3), optionally with a stats page
    at `http://127.0.0.1:{stats_port}/stats`; the process and the balancer's URL."""
    assert len(replicas) <= 3, "deploy/haproxy.cfg names up to three replicas"
    listen = free_port()
    configs = ["-f", str(HAPROXY_CONFIG)]
    if stats_port is not None:
        stats = tmp_path / "haproxy-stats.cfg"
        stats.write_text(f"frontend stats\n    bind 127.0.0.1:{stats_port}\n    stats enable\n    stats uri /stats\n")
        configs += ["-f", str(stats)]
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    assert Path(haproxy).exists(), "HAProxy is not installed: run scripts/setup.sh"
    addresses = {f"REPLICA_{i}": r.address for i, r in enumerate(replicas, 1)}
    unset = {k: v for k, v in env.items() if not k.startswith("REPLICA_")}
    balancer = ManagedProcess("haproxy", [haproxy, "-db", *configs],
                              unset | {"LISTEN": f"127.0.0.1:{listen}"} | addresses).start()
    front = f"http://127.0.0.1:{listen}"
    balancer.wait_until(lambda: httpx.get(f"{front}/healthz", timeout=5).status_code == 200)
    return balancer, front


def sign(body: bytes) -> str:
    return "sha1=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha1).hexdigest()


def notification(nid: str, topic: str, conversation: dict) -> bytes:
    return json.dumps({
        "type": "notification_event", "id": nid, "topic": topic, "app_id": "fleet",
        "created_at": int(time.time()), "data": {"type": "notification_event_data", "item": conversation},
    }).encode()


def deliver(url: str, body: bytes, deadline: float) -> int:
    """Delivers like Intercom: retried until acknowledged (a replica going away answers 502)."""
    attempts = 0
    while True:
        attempts += 1
        try:
            answer = httpx.post(url, content=body, timeout=10,
                                headers={"Content-Type": "application/json", "X-Hub-Signature": sign(body)})
            if answer.status_code == 200:
                return attempts
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"a webhook was never acknowledged ({attempts} attempts)"
        time.sleep(0.2)


def wait_for(check, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_three_replicas_survive_a_sigkill_with_every_effect_exactly_once(postgres: Postgres, tmp_path: Path) -> None:
    sandbox = start_sandbox(scale="small", seed=16)
    replicas: dict[str, Replica] = {}
    balancer: ManagedProcess | None = None
    try:
        with sandbox.client() as api:
            api_url = sandbox.base_url
            conversations = api.get("/conversations", params={"per_page": 50}).json()["conversations"]
            contacts = api.get("/contacts", params={"per_page": 50}).json()["data"][:BULK_ITEMS]
            assert len(conversations) >= TRIGGERS and len(contacts) == BULK_ITEMS
            full = [api.get(f"/conversations/{c['id']}").json() for c in conversations[:TRIGGERS]]
        # From here on the whole fleet shares RATE_LIMIT requests per 10 s.
        assert httpx.post(f"{api_url}/_sandbox/faults", json={"rate_limit": RATE_LIMIT}).status_code == 200

        env = serve_env(sandbox) | {
            "INTERCOM_CLIENT_SECRET": WEBHOOK_SECRET,
            "INTERCOM_MCP_JOB_LEASE_SECONDS": "3",
            "RUST_LOG": "info",
        }
        rules = tmp_path / "rules.toml"
        rules.write_text(RULES)
        ports = {name: free_port() for name in ("r1", "r2", "r3")}
        for name, port in ports.items():
            replicas[name] = start_replica(name, port, env, rules, postgres)

        balancer, front = start_balancer(list(replicas.values()), tmp_path, env)
        # Each replica's health check reports the database, never its password.
        for replica in replicas.values():
            health = httpx.get(f"http://{replica.address}/healthz", timeout=10)
            assert health.json()["store"]["reachable"] is True, health.text
            assert f"127.0.0.1:{postgres.port}/postgres" in health.json()["store"]["location"], health.text
            assert PG_PASSWORD not in health.text and PG_PASSWORD not in replica.process.output_full()
        before = httpx.get(f"{api_url}/_sandbox/stats").json()

        # The bulk job, through the balancer; it runs on whichever replica took the request.
        bulk_outcome: dict = {}

        def run_bulk() -> None:
            async def call() -> None:
                async with Client(f"{front}/mcp", mode="2026-07-28", read_timeout_seconds=300) as client:
                    result = await client.call_tool("bulk_update_contacts", {
                        "contact_ids": [c["id"] for c in contacts],
                        "attributes": {"custom_attributes": {"bulk_marker": "fleet-16"}},
                        "dry_run": False,
                    })
                    bulk_outcome["error"] = result.is_error
            try:
                asyncio.run(asyncio.wait_for(call(), 300))
            except Exception as e:  # the replica running it is killed: the call breaks
                bulk_outcome["exception"] = repr(e)

        bulk = threading.Thread(target=run_bulk, daemon=True)
        bulk.start()

        # Webhooks at a steady rate, ~8 per second; every fourth one delivered twice.
        sent: list[str] = []
        triggers: list[str] = []
        killed: dict = {}
        deadline = time.monotonic() + 240
        db = postgres

        def kill_the_bulk_runner() -> None:
            owners = db.query("SELECT owner FROM claims WHERE scope = 'bulk_job'")
            done = int(db.query("SELECT count(*) FROM bulk_items WHERE status = 'ok'")[0][0])
            if not owners or done < 3:
                return
            name = owners[0][0].split("#")[0]
            replica = replicas[name]
            os.killpg(replica.process.process.pid, signal.SIGKILL)
            replica.process.process.wait(timeout=10)
            killed.update(name=name, items_done=done)

        for i in range(TRIGGERS + OTHERS):
            trigger = i % 4 == 0 and len(triggers) < TRIGGERS
            conversation = full[len(triggers)] if trigger else full[i % len(full)]
            nid = f"notif_fleet_{i}"
            topic = "conversation.user.replied" if trigger else "conversation.admin.snoozed"
            body = notification(nid, topic, conversation)
            deliver(f"{front}/webhooks/intercom", body, deadline)
            sent.append(nid)
            if trigger:
                triggers.append(nid)
            if i % 4 == 1:
                deliver(f"{front}/webhooks/intercom", body, deadline)  # a redelivery
            if not killed:
                kill_the_bulk_runner()
            time.sleep(0.12)
        if not killed:
            wait_for(lambda: kill_the_bulk_runner() or killed, "the bulk job to start", timeout=120)
        assert len(triggers) == TRIGGERS
        assert killed["items_done"] < BULK_ITEMS, f"the job had finished before its replica was killed: {killed}"

        # The killed replica comes back under its name (same port).
        name = killed["name"]
        replicas[name] = start_replica(name, ports[name], env, rules, postgres)

        # A client subscribed on one surviving replica hears of a webhook another one received.
        listener, receiver = [r for r in replicas.values() if r.name != name]
        watched = dict(full[-1], updated_at=int(time.time()) + 5, title="Fleet subscription check")
        uri = f"intercom://conversations/{watched['id']}"
        heard: list[str] = []

        async def on_message(message: object) -> None:
            root = getattr(message, "root", message)
            params = getattr(root, "params", None)
            if getattr(root, "method", None) == "notifications/resources/updated" and params is not None:
                heard.append(str(getattr(params, "uri", "")))

        async def subscribe_and_wait() -> None:
            async with Client(f"http://{listener.address}/mcp", mode="legacy", read_timeout_seconds=60,
                              message_handler=on_message) as client:
                await client.subscribe_resource(uri)
                body = notification("notif_fleet_subscription", "conversation.admin.snoozed", watched)
                await asyncio.to_thread(deliver, f"http://{receiver.address}/webhooks/intercom", body,
                                        time.monotonic() + 30)
                sent.append("notif_fleet_subscription")
                until = time.monotonic() + 20
                while uri not in heard and time.monotonic() < until:
                    await asyncio.sleep(0.05)
        asyncio.run(asyncio.wait_for(subscribe_and_wait(), 90))
        assert uri in heard, f"{listener.name}'s subscriber never heard of the webhook {receiver.name} received: {heard}"

        # The bulk job finishes on a surviving replica (its lease ran out).
        def job_done():
            rows = db.query("SELECT state, (SELECT count(*) FROM bulk_items WHERE status = 'ok'), "
                            "(SELECT count(*) FROM bulk_items) FROM bulk_jobs")
            return rows[0] if rows and rows[0][0] == "completed" else None
        state, ok, total = wait_for(job_done, "the bulk job to be resumed and finished", timeout=180)
        assert (int(ok), int(total)) == (BULK_ITEMS, BULK_ITEMS)

        # Every webhook stored exactly once (redeliveries and retries included).
        rows = db.query("SELECT id, count(*) FROM events GROUP BY id")
        assert sorted(r[0] for r in rows) == sorted(sent)
        assert all(r[1] == "1" for r in rows)

        # The mirror the replicas share holds the conversation of every webhook, whichever replica
        # received it (no replica keeps a copy of its own).
        rows = db.query("SELECT e.id, c.id IS NOT NULL FROM events e "
                        "LEFT JOIN conversations c ON c.id = e.object_id WHERE e.source = 'webhook'")
        assert sorted(r[0] for r in rows) == sorted(sent)
        assert all(r[1] == "t" for r in rows), [r for r in rows if r[1] != "t"]

        # Each triggering event ran the rule exactly once across the fleet.
        def runs_settled():
            rows = db.query("SELECT event_id, status FROM automation_runs WHERE rule = 'fleet-note'")
            return rows if len(rows) == TRIGGERS and all(s != "claimed" for _, s in rows) else None
        runs = wait_for(runs_settled, "every automation run to end", timeout=120)
        assert sorted(e for e, _ in runs) == sorted(triggers)
        statuses = {s for _, s in runs}
        # A run in flight on the killed replica is closed as interrupted, never run twice.
        assert statuses <= {"applied", "interrupted"}, runs
        after = httpx.get(f"{api_url}/_sandbox/stats").json()
        notes_written = sum(1 for _, s in runs if s == "applied")
        interrupted = sum(1 for _, s in runs if s == "interrupted")
        routes = {k: v - before["requests_by_route"].get(k, 0) for k, v in after["requests_by_route"].items()
                  if v != before["requests_by_route"].get(k, 0)}
        # Exactly one contact update per bulk item (a read-back after the takeover is a GET).
        assert routes.get("PUT /contacts/{contact_id}") == BULK_ITEMS, routes
        notes_sent = routes.get("POST /conversations/{conversation_id}/reply", 0)
        assert notes_written <= notes_sent <= notes_written + interrupted, (routes, runs)

        # Read back with the limit lifted (the checks' own reads are not the fleet's).
        assert httpx.post(f"{api_url}/_sandbox/faults", json={"rate_limit": None}).status_code == 200
        with sandbox.client() as api:
            for conversation, nid in zip(full, triggers):
                parts = api.get(f"/conversations/{conversation['id']}").json()["conversation_parts"]["conversation_parts"]
                notes = [p for p in parts if f"fleet-auto {nid}" in (p.get("body") or "")]
                status = dict(runs)[nid]
                assert len(notes) == (1 if status == "applied" else len(notes)) and len(notes) <= 1, (nid, status, notes)
            # Exactly one applied write per bulk item, read back.
            for contact in contacts:
                got = api.get(f"/contacts/{contact['id']}").json()
                assert got["custom_attributes"].get("bulk_marker") == "fleet-16", contact["id"]
        # One rate budget: under 1% of the answers were 429s.
        requests = after["requests_total"] - before["requests_total"]
        limited = after["rate_limited"] - before["rate_limited"]
        assert limited * 100 < requests, f"{limited} of {requests} answers were 429"
        windows = after["controls"]["rate_windows"]
        assert max(w["allowed"] for w in windows) <= RATE_LIMIT
        bulk.join(timeout=60)
        print(f"killed {killed}, bulk call {bulk_outcome}, {requests} requests, {limited} 429s, runs {sorted(statuses)}")
    finally:
        if balancer is not None:
            balancer.stop()
        for replica in replicas.values():
            replica.process.stop()
        sandbox.process.stop()


def test_a_store_that_refuses_the_password_stops_the_replica_with_a_clear_error(postgres: Postgres) -> None:
    wrong = "not-the-" + PG_PASSWORD
    url = postgres.url.replace(PG_PASSWORD, wrong)
    argv = [str(binary_path()), "serve", "--transport", "http", "--host", "127.0.0.1", "--port", str(free_port()),
            "--store", url]
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERCOM_")}
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    said = done.stdout + done.stderr
    assert f"could not connect to PostgreSQL at 127.0.0.1:{postgres.port}/postgres as postgres" in said, said
    assert "password authentication failed" in said, said
    assert wrong not in said and PG_PASSWORD not in said, said
    # Other subcommands work on a SQLite file and say so, without echoing the URL.
    done = subprocess.run([str(binary_path()), "export", "--object", "contacts", "--store", url], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "only `serve` uses" in done.stderr, done.stderr
    assert wrong not in done.stdout + done.stderr

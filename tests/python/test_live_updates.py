"""Issue 5: a customer's reply reaches a subscribed MCP client (PyPI `mcp`) as a resource update.

The sandbox sends signed webhooks to `serve --sync`'s `/webhooks/intercom`; the client
subscribes to the conversation's resource and must hear `notifications/resources/updated`
for it within one second of the reply being written.
"""

from __future__ import annotations

import asyncio
import time

import httpx
from mcp import Client

from conftest import ManagedProcess, binary_path, free_port, serve_env, start_sandbox

WEBHOOK_SECRET = "live-update-test-secret"


def method_and_uri(message: object) -> tuple[str | None, str | None]:
    """The notification's method and `params.uri`, whatever wrapper the client hands us."""
    root = getattr(message, "root", message)
    method = getattr(root, "method", None)
    params = getattr(root, "params", None)
    uri = getattr(params, "uri", None) if params is not None else None
    return method, (str(uri) if uri is not None else None)


def test_customer_reply_reaches_a_subscribed_client_within_a_second(tmp_path) -> None:
    serve_port = free_port()
    sandbox = start_sandbox(
        extra=[
            "--webhook-url", f"http://127.0.0.1:{serve_port}/webhooks/intercom",
            "--webhook-secret", WEBHOOK_SECRET,
        ]
    )
    env = serve_env(sandbox)
    env["INTERCOM_CLIENT_SECRET"] = WEBHOOK_SECRET
    argv = [
        str(binary_path()), "serve", "--transport", "http", "--host", "127.0.0.1",
        "--port", str(serve_port), "--sync", "--store", str(tmp_path / "mirror.db"),
    ]
    server = ManagedProcess("intercom-mcp serve --sync", argv, env).start()
    try:
        server.wait_until(
            lambda: httpx.get(f"http://127.0.0.1:{serve_port}/healthz", timeout=5.0).status_code == 200
        )
        with sandbox.client() as api:
            found = api.post(
                "/conversations/search",
                json={"query": {"field": "state", "operator": "=", "value": "open"}},
            ).json()
            conversation = found["conversations"][0]
            conversation_id = str(conversation["id"])
            contact_id = conversation["contacts"]["contacts"][0]["id"]
        uri = f"intercom://conversations/{conversation_id}"
        updates: list[tuple[str, float]] = []

        async def on_message(message: object) -> None:
            method, got_uri = method_and_uri(message)
            if method == "notifications/resources/updated" and got_uri:
                updates.append((got_uri, time.monotonic()))

        async def scenario() -> float:
            async with Client(
                f"http://127.0.0.1:{serve_port}/mcp", mode="legacy", read_timeout_seconds=60,
                message_handler=on_message,
            ) as client:
                await client.subscribe_resource(uri)
                with sandbox.client() as api:
                    written_at = time.monotonic()
                    reply = api.post(
                        f"/conversations/{conversation_id}/reply",
                        json={"message_type": "comment", "type": "user",
                              "intercom_user_id": contact_id, "body": "Any news on my refund?"},
                    )
                    assert reply.status_code == 200, reply.text
                deadline = written_at + 5.0
                while time.monotonic() < deadline and not any(u == uri for u, _ in updates):
                    await asyncio.sleep(0.02)
                heard = [at for u, at in updates if u == uri]
                assert heard, f"no resources/updated for {uri}; heard {updates}"
                return heard[0] - written_at

        latency = asyncio.run(asyncio.wait_for(scenario(), 90))
        assert latency < 1.0, f"the update took {latency:.3f}s"
    finally:
        server.stop()
        sandbox.process.stop()

"""Sign in with Intercom across a fleet: two `serve --oauth` replicas share one PostgreSQL store.
A person starts signing in on one replica, Intercom (the sandbox) sends the browser back to the
other, the client trades its code on the first and calls tools on the second, acting as that
person. The sign-in is finished once fleet-wide: the same callback replayed on the first replica
is refused. Grants are in the database (sealed), not in either replica's files.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import httpx

from conftest import ManagedProcess, base_env, binary_path, free_port, start_sandbox
from test_fleet import Postgres, postgres  # noqa: F401
from test_oauth import CLIENT_REDIRECT, INTERCOM_CLIENT_ID, INTERCOM_CLIENT_SECRET, SEALING_KEY, hidden_fields, pkce


def start_oauth_replica(name: str, port: int, public_url: str, sandbox_url: str, pg: Postgres) -> ManagedProcess:
    argv = [str(binary_path()), "serve", "--transport", "http", "--host", "127.0.0.1", "--port", str(port),
            "--store", pg.url, "--replica-name", name,
            "--oauth", "--public-url", public_url, "--intercom-authorize-url", f"{sandbox_url}/oauth"]
    env = base_env() | {
        "INTERCOM_API_BASE": sandbox_url,
        "INTERCOM_CLIENT_ID": INTERCOM_CLIENT_ID,
        "INTERCOM_CLIENT_SECRET": INTERCOM_CLIENT_SECRET,
        "INTERCOM_MCP_OAUTH_KEY": SEALING_KEY,
    }
    process = ManagedProcess(f"replica {name} --oauth", argv, env).start()
    process.wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200)
    return process


def on(replica: str, url: str) -> str:
    """`url` with its scheme and host:port replaced by `replica`'s (the balancer's choice)."""
    parsed = urlparse(url)
    return urlunparse(parsed._replace(netloc=urlparse(replica).netloc))


def test_a_sign_in_started_on_one_replica_finishes_on_another(postgres: Postgres) -> None:
    public = f"http://127.0.0.1:{free_port()}"  # the balancer's address; replicas are reached directly
    sandbox = start_sandbox(extra=[
        "--oauth-client-id", INTERCOM_CLIENT_ID, "--oauth-client-secret", INTERCOM_CLIENT_SECRET,
        "--oauth-redirect-uri", f"{public}/oauth/callback",
    ])
    ports = {"a": free_port(), "b": free_port()}
    replicas: dict[str, ManagedProcess] = {}
    try:
        for name, port in ports.items():
            replicas[name] = start_oauth_replica(name, port, public, sandbox.base_url, postgres)
        a, b = (f"http://127.0.0.1:{ports[n]}" for n in ("a", "b"))
        with sandbox.client() as api:
            person = api.get("/admins").json()["admins"][1]

        registered = httpx.post(f"{a}/register", json={"client_name": "fleet", "redirect_uris": [CLIENT_REDIRECT]})
        assert registered.status_code == 201, registered.text
        client_id = registered.json()["client_id"]
        verifier, challenge = pkce()
        state = secrets.token_urlsafe(8)
        query = {"response_type": "code", "client_id": client_id, "redirect_uri": CLIENT_REDIRECT,
                 "code_challenge": challenge, "code_challenge_method": "S256", "state": state,
                 "resource": f"{public}/mcp"}

        with httpx.Client(timeout=30) as browser:
            # Replica a starts the sign-in and sends the browser to Intercom.
            to_intercom = browser.get(f"{a}/authorize?{urlencode(query)}")
            assert to_intercom.status_code in (302, 303, 307), to_intercom.text
            consent = browser.get(to_intercom.headers["location"])
            form = hidden_fields(consent.text) | {"admin_id": person["id"], "decision": "allow"}
            action = urlparse(to_intercom.headers["location"])
            back = browser.post(f"{action.scheme}://{action.netloc}/oauth", data=form)
            assert back.status_code in (302, 303), back.text
            callback = back.headers["location"]
            assert callback.startswith(f"{public}/oauth/callback?"), callback
            # The balancer sends Intercom's redirect to replica b, which finishes the sign-in.
            to_client = browser.get(on(b, callback))
            assert to_client.status_code in (302, 303), to_client.text
            landed = to_client.headers["location"]
            assert landed.startswith(CLIENT_REDIRECT), landed
            got = parse_qs(urlparse(landed).query)
            assert got["state"] == [state]
            # Intercom's redirect replayed at replica a: the sign-in was used up fleet-wide.
            replay = browser.get(on(a, callback))
            assert replay.status_code == 400 and "unknown or expired" in replay.text, replay.text

        # The code is traded on replica a, the token used on replica b.
        tokens = httpx.post(f"{a}/token", data={
            "grant_type": "authorization_code", "code": got["code"][0], "client_id": client_id,
            "redirect_uri": CLIENT_REDIRECT, "code_verifier": verifier, "resource": f"{public}/mcp"})
        assert tokens.status_code == 200, tokens.text
        access = tokens.json()["access_token"]
        headers = {"Authorization": f"Bearer {access}", "Accept": "application/json, text/event-stream",
                   "Content-Type": "application/json", "MCP-Protocol-Version": "2026-07-28",
                   "Mcp-Method": "tools/call", "Mcp-Name": "whoami"}
        meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientInfo": {"name": "fleet-oauth", "version": "1"},
                "io.modelcontextprotocol/clientCapabilities": {}}
        call = {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                "params": {"name": "whoami", "arguments": {}, "_meta": meta}}
        answer = httpx.post(f"{b}/mcp", headers=headers, json=call, timeout=30)
        assert answer.status_code == 200, answer.text
        assert person["name"] in answer.text or person["email"] in answer.text, answer.text
        # The code is one use fleet-wide too.
        again = httpx.post(f"{b}/token", data={
            "grant_type": "authorization_code", "code": got["code"][0], "client_id": client_id,
            "redirect_uri": CLIENT_REDIRECT, "code_verifier": verifier, "resource": f"{public}/mcp"})
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant", again.text

        # The grant is in the database, its Intercom token sealed; no replica keeps a grant file.
        rows = postgres.query("SELECT client_id, length(sealed_token) FROM oauth_grants")
        assert [r[0] for r in rows] == [client_id] and int(rows[0][1]) > 16
        assert access not in str(postgres.query("SELECT token_hash FROM oauth_tokens"))
    finally:
        for process in replicas.values():
            process.stop()
        sandbox.process.stop()

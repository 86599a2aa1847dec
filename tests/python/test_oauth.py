"""Sign in with Intercom (issue 15): `serve --oauth` as an OAuth 2.1 authorization server,
federated to the sandbox's Intercom OAuth, driven by the Python `mcp` package's own OAuth
client provider and by plain HTTP for the refusals.

The sandbox plays Intercom: its consent page is a real HTML form; the provider's redirect
handler fetches the authorize URL, follows to that page and submits it, as a person would.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
import subprocess
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from conftest import ManagedProcess, SandboxHandle, base_env, binary_path, free_port, start_sandbox

INTERCOM_CLIENT_ID = "sandbox-oauth-app"
INTERCOM_CLIENT_SECRET = "sandbox-oauth-secret-" + secrets.token_hex(8)
SEALING_KEY = secrets.token_hex(32)
CLIENT_REDIRECT = "http://127.0.0.1:9/callback"
SCENARIO_TIMEOUT_SECONDS = 120


@dataclass
class OAuthServer:
    base_url: str
    store: Path
    process: ManagedProcess
    argv: list[str]
    env: dict[str, str]

    @property
    def mcp_url(self) -> str:
        return f"{self.base_url}/mcp"

    def restart(self) -> None:
        self.process.stop()
        self.process = ManagedProcess("intercom-mcp serve --oauth", self.argv, self.env).start()
        self.process.wait_until(lambda: httpx.get(f"{self.base_url}/healthz", timeout=5).status_code == 200)


def start_oauth_server(sandbox: SandboxHandle, port: int, store: Path, access_ttl: int = 3600) -> OAuthServer:
    argv = [
        str(binary_path()), "serve", "--transport", "http", "--host", "127.0.0.1", "--port", str(port),
        "--oauth", "--public-url", f"http://127.0.0.1:{port}", "--oauth-store", str(store),
        "--intercom-authorize-url", f"{sandbox.base_url}/oauth", "--oauth-access-ttl", str(access_ttl),
    ]
    env = base_env()
    env.update({
        "INTERCOM_API_BASE": sandbox.base_url,
        "INTERCOM_CLIENT_ID": INTERCOM_CLIENT_ID,
        "INTERCOM_CLIENT_SECRET": INTERCOM_CLIENT_SECRET,
        "INTERCOM_MCP_OAUTH_KEY": SEALING_KEY,
    })
    process = ManagedProcess("intercom-mcp serve --oauth", argv, env).start()
    server = OAuthServer(f"http://127.0.0.1:{port}", store, process, argv, env)
    process.wait_until(lambda: httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200)
    return server


@pytest.fixture(scope="module")
def ports() -> tuple[int, int]:
    return free_port(), free_port()


@pytest.fixture(scope="module")
def oauth_sandbox(ports: tuple[int, int]) -> Iterator[SandboxHandle]:
    callbacks = ",".join(f"http://127.0.0.1:{p}/oauth/callback" for p in ports)
    handle = start_sandbox(extra=[
        "--oauth-client-id", INTERCOM_CLIENT_ID, "--oauth-client-secret", INTERCOM_CLIENT_SECRET,
        "--oauth-redirect-uri", callbacks,
    ])
    try:
        yield handle
    finally:
        handle.process.stop()


@pytest.fixture(scope="module")
def server(oauth_sandbox: SandboxHandle, ports: tuple[int, int]) -> Iterator[OAuthServer]:
    store = Path(tempfile.mkdtemp()) / "store.sqlite3"
    handle = start_oauth_server(oauth_sandbox, ports[0], store)
    try:
        yield handle
    finally:
        handle.process.stop()


@pytest.fixture(scope="module")
def short_lived(oauth_sandbox: SandboxHandle, ports: tuple[int, int]) -> Iterator[OAuthServer]:
    """A second server whose access tokens live 2 seconds."""
    store = Path(tempfile.mkdtemp()) / "store.sqlite3"
    handle = start_oauth_server(oauth_sandbox, ports[1], store, access_ttl=2)
    try:
        yield handle
    finally:
        handle.process.stop()


def admins(sandbox: SandboxHandle) -> list[dict]:
    with sandbox.client() as api:
        return api.get("/admins").json()["admins"]


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


async def sign_in_as(authorize_url: str, admin_id: str, decision: str = "allow") -> str:
    """What a person does in the browser: open the authorize URL, land on Intercom's (the
    sandbox's) consent page, pick an admin and press Allow. Returns where the browser ends up."""
    async with httpx.AsyncClient(timeout=30) as browser:
        to_intercom = await browser.get(authorize_url)
        assert to_intercom.status_code in (302, 303, 307), to_intercom.text
        consent = await browser.get(to_intercom.headers["location"])
        assert consent.status_code == 200 and "<form" in consent.text, consent.text
        assert f'value="{admin_id}"' in consent.text
        action = urlparse(to_intercom.headers["location"])
        form = hidden_fields(consent.text) | {"admin_id": admin_id, "decision": decision}
        back = await browser.post(f"{action.scheme}://{action.netloc}/oauth", data=form)
        assert back.status_code in (302, 303), back.text
        to_client = await browser.get(back.headers["location"])
        assert to_client.status_code in (302, 303), to_client.text
        return to_client.headers["location"]


class MemoryStorage:
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


def provider_for(server: OAuthServer, admin_id: str, storage: MemoryStorage) -> OAuthClientProvider:
    landed: dict[str, str] = {}

    async def redirect_handler(url: str) -> None:
        landed["url"] = await sign_in_as(url, admin_id)

    async def callback_handler() -> AuthorizationCodeResult:
        query = parse_qs(urlparse(landed["url"]).query)
        return AuthorizationCodeResult(
            code=query["code"][0], state=query.get("state", [None])[0], iss=query.get("iss", [None])[0])

    return OAuthClientProvider(
        server_url=server.mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name="python-mcp-oauth-test",
            redirect_uris=[CLIENT_REDIRECT],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )


def run(coroutine):
    try:
        return asyncio.run(asyncio.wait_for(coroutine, SCENARIO_TIMEOUT_SECONDS))
    except BaseExceptionGroup as group:
        error: BaseException = group
        while isinstance(error, BaseExceptionGroup) and error.exceptions:
            error = error.exceptions[0]
        raise error from None


def text_of(result) -> str:
    return "\n".join(getattr(b, "text", "") for b in result.content or [])


async def as_person(server: OAuthServer, admin_id: str, conversation_id: str, note: str) -> str:
    storage = MemoryStorage()
    auth = provider_for(server, admin_id, storage)
    async with httpx2.AsyncClient(auth=auth, timeout=60) as http:
        async with Client(streamable_http_client(server.mcp_url, http_client=http), mode="legacy",
                          read_timeout_seconds=60) as client:
            me = await client.call_tool("whoami", {})
            assert not me.is_error, text_of(me)
            reply = await client.call_tool("reply_to_conversation", {
                "id": conversation_id, "message_type": "note", "body": note,
            })
            assert not reply.is_error, text_of(reply)
    assert storage.tokens is not None and storage.tokens.refresh_token
    return text_of(me)


def test_two_people_sign_in_with_the_mcp_client_and_write_as_themselves(
    server: OAuthServer, oauth_sandbox: SandboxHandle
) -> None:
    people = admins(oauth_sandbox)[:2]
    assert len(people) == 2
    with oauth_sandbox.client() as api:
        conversation_id = str(api.post("/conversations/search", json={
            "query": {"field": "open", "operator": "=", "value": True}}).json()["conversations"][0]["id"])
    notes = {}
    for person in people:
        note = f"oauth note by {person['id']} {secrets.token_hex(4)}"
        whoami = run(as_person(server, person["id"], conversation_id, note))
        assert person["name"] in whoami or person["email"] in whoami, whoami
        notes[person["id"]] = note
    with oauth_sandbox.client() as api:
        parts = api.get(f"/conversations/{conversation_id}").json()["conversation_parts"]["conversation_parts"]
    for admin_id, note in notes.items():
        written = [p for p in parts if note in (p.get("body") or "")]
        assert len(written) == 1, f"note {note!r} not found exactly once"
        assert written[0]["author"]["id"] == admin_id
        assert written[0]["part_type"] == "note"


# ---- refusals, over plain HTTP -------------------------------------------------------------


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def register(server: OAuthServer) -> str:
    answer = httpx.post(f"{server.base_url}/register", json={
        "client_name": "negative-tests", "redirect_uris": [CLIENT_REDIRECT]})
    assert answer.status_code == 201, answer.text
    assert answer.json()["token_endpoint_auth_method"] == "none"
    return answer.json()["client_id"]


@dataclass
class Code:
    client_id: str
    code: str
    verifier: str


def authorize_url(server: OAuthServer, client_id: str, challenge: str, state: str, **extra: str) -> str:
    params = {
        "response_type": "code", "client_id": client_id, "redirect_uri": CLIENT_REDIRECT,
        "code_challenge": challenge, "code_challenge_method": "S256", "state": state,
        "resource": server.mcp_url, **extra,
    }
    return f"{server.base_url}/authorize?{urlencode(params)}"


def get_code(server: OAuthServer, sandbox: SandboxHandle) -> Code:
    client_id = register(server)
    verifier, challenge = pkce()
    state = secrets.token_urlsafe(8)
    landed = run(sign_in_as(authorize_url(server, client_id, challenge, state), admins(sandbox)[0]["id"]))
    query = parse_qs(urlparse(landed).query)
    assert landed.startswith(CLIENT_REDIRECT)
    assert query["state"] == [state]
    assert query["iss"] == [server.base_url]
    return Code(client_id, query["code"][0], verifier)


def token(server: OAuthServer, **form: str) -> httpx.Response:
    return httpx.post(f"{server.base_url}/token", data=form)


def exchange(server: OAuthServer, code: Code, **override: str) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code.code, "client_id": code.client_id,
            "redirect_uri": CLIENT_REDIRECT, "code_verifier": code.verifier, "resource": server.mcp_url}
    form.update(override)
    return token(server, **{k: v for k, v in form.items() if v is not None})


def mcp_status(server: OAuthServer, access_token: str) -> httpx.Response:
    return httpx.post(server.mcp_url, headers={
        "Authorization": f"Bearer {access_token}", "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json"}, json={
        "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "negative", "version": "1"}}})


def oauth_error(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    assert response.headers.get("cache-control") == "no-store"
    return response.json()["error"]


def test_discovery_metadata_and_401_challenge(server: OAuthServer) -> None:
    unauthenticated = httpx.post(server.mcp_url, json={})
    assert unauthenticated.status_code == 401
    challenge = unauthenticated.headers["www-authenticate"]
    assert f'resource_metadata="{server.base_url}/.well-known/oauth-protected-resource/mcp"' in challenge
    prm = httpx.get(f"{server.base_url}/.well-known/oauth-protected-resource/mcp").json()
    assert prm["resource"] == server.mcp_url
    assert prm["authorization_servers"] == [server.base_url]
    meta = httpx.get(f"{server.base_url}/.well-known/oauth-authorization-server").json()
    assert meta["issuer"] == server.base_url
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert "none" in meta["token_endpoint_auth_methods_supported"]
    assert meta["client_id_metadata_document_supported"] is True
    assert meta["registration_endpoint"] == f"{server.base_url}/register"


def test_pkce_verifier_missing_or_wrong_is_refused_and_the_code_stays_good(
    server: OAuthServer, oauth_sandbox: SandboxHandle
) -> None:
    code = get_code(server, oauth_sandbox)
    assert oauth_error(exchange(server, code, code_verifier=None)) == "invalid_request"
    assert oauth_error(exchange(server, code, code_verifier=pkce()[0])) == "invalid_grant"
    assert oauth_error(exchange(server, code, redirect_uri="http://127.0.0.1:9/other")) == "invalid_grant"
    assert oauth_error(exchange(server, code, resource="https://other.example/mcp")) == "invalid_target"
    granted = exchange(server, code)
    assert granted.status_code == 200, granted.text
    assert mcp_status(server, granted.json()["access_token"]).status_code == 200


def test_reused_code_is_refused_and_revokes_what_it_issued(
    server: OAuthServer, oauth_sandbox: SandboxHandle
) -> None:
    code = get_code(server, oauth_sandbox)
    first = exchange(server, code)
    assert first.status_code == 200
    access = first.json()["access_token"]
    assert mcp_status(server, access).status_code == 200
    assert oauth_error(exchange(server, code)) == "invalid_grant"
    assert mcp_status(server, access).status_code == 401
    assert oauth_error(token(server, grant_type="refresh_token", refresh_token=first.json()["refresh_token"],
                             client_id=code.client_id)) == "invalid_grant"


def test_authorize_refuses_unregistered_redirect_other_resource_and_plain_challenge(
    server: OAuthServer,
) -> None:
    client_id = register(server)
    _, challenge = pkce()
    wrong_redirect = httpx.get(authorize_url(server, client_id, challenge, "s", redirect_uri="https://evil.example/cb"))
    assert wrong_redirect.status_code == 400 and "location" not in wrong_redirect.headers
    assert wrong_redirect.json()["error"] == "invalid_request"
    other = httpx.get(authorize_url(server, client_id, challenge, "s1", resource="https://other.example/mcp"))
    assert other.status_code in (302, 303)
    query = parse_qs(urlparse(other.headers["location"]).query)
    assert query["error"] == ["invalid_target"] and query["state"] == ["s1"]
    plain = httpx.get(authorize_url(server, client_id, challenge, "s2", code_challenge_method="plain"))
    assert parse_qs(urlparse(plain.headers["location"]).query)["error"] == ["invalid_request"]
    unknown = httpx.get(authorize_url(server, "mcp-client-unknown", challenge, "s3"))
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_client"


def test_forged_state_at_the_callback_is_refused(server: OAuthServer) -> None:
    forged = httpx.get(f"{server.base_url}/oauth/callback", params={"code": "anything", "state": "forged"})
    assert forged.status_code == 400
    assert forged.json()["error"] == "invalid_request"
    assert "location" not in forged.headers


def test_refresh_rotation_and_reuse_revokes_the_family(server: OAuthServer, oauth_sandbox: SandboxHandle) -> None:
    code = get_code(server, oauth_sandbox)
    first = exchange(server, code).json()
    second = token(server, grant_type="refresh_token", refresh_token=first["refresh_token"], client_id=code.client_id)
    assert second.status_code == 200, second.text
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert mcp_status(server, second["access_token"]).status_code == 200
    reuse = token(server, grant_type="refresh_token", refresh_token=first["refresh_token"], client_id=code.client_id)
    assert oauth_error(reuse) == "invalid_grant"
    assert mcp_status(server, second["access_token"]).status_code == 401
    assert oauth_error(token(server, grant_type="refresh_token", refresh_token=second["refresh_token"],
                             client_id=code.client_id)) == "invalid_grant"


def test_revoked_token_is_refused(server: OAuthServer, oauth_sandbox: SandboxHandle) -> None:
    code = get_code(server, oauth_sandbox)
    tokens = exchange(server, code).json()
    assert mcp_status(server, tokens["access_token"]).status_code == 200
    revoked = httpx.post(f"{server.base_url}/revoke", data={"token": tokens["access_token"], "client_id": code.client_id})
    assert revoked.status_code == 200
    refused = mcp_status(server, tokens["access_token"])
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    assert oauth_error(token(server, grant_type="refresh_token", refresh_token=tokens["refresh_token"],
                             client_id=code.client_id)) == "invalid_grant"


def test_tampered_or_swapped_grant_is_refused_and_grants_survive_restart(
    server: OAuthServer, oauth_sandbox: SandboxHandle
) -> None:
    a = exchange(server, get_code(server, oauth_sandbox)).json()
    b = exchange(server, get_code(server, oauth_sandbox)).json()
    server.restart()
    assert mcp_status(server, a["access_token"]).status_code == 200, "a grant did not survive a restart"
    with sqlite3.connect(server.store) as db:
        rows = db.execute("SELECT grant_id, sealed_token FROM oauth_grants ORDER BY created_at").fetchall()
        assert rows and all(b"dG9rOm" not in bytes(r[1]) for r in rows), "an Intercom token is stored in clear"
        grant_a = db.execute(
            "SELECT grant_id FROM oauth_tokens WHERE token_hash = ?",
            (hashlib.sha256(a["access_token"].encode()).hexdigest(),)).fetchone()[0]
        grant_b = db.execute(
            "SELECT grant_id FROM oauth_tokens WHERE token_hash = ?",
            (hashlib.sha256(b["access_token"].encode()).hexdigest(),)).fetchone()[0]
        sealed_a = bytes(db.execute("SELECT sealed_token FROM oauth_grants WHERE grant_id = ?", (grant_a,)).fetchone()[0])
        flipped = sealed_a[:-1] + bytes([sealed_a[-1] ^ 1])
        db.execute("UPDATE oauth_grants SET sealed_token = ? WHERE grant_id = ?", (flipped, grant_a))
        db.execute("UPDATE oauth_grants SET sealed_token = ? WHERE grant_id = ?", (sealed_a, grant_b))
    refused_a = mcp_status(server, a["access_token"])
    assert refused_a.status_code == 401 and 'error="invalid_token"' in refused_a.headers["www-authenticate"]
    assert mcp_status(server, b["access_token"]).status_code == 401


def test_expired_access_token_is_refused_then_refresh_works(
    short_lived: OAuthServer, oauth_sandbox: SandboxHandle
) -> None:
    code = get_code(short_lived, oauth_sandbox)
    tokens = exchange(short_lived, code).json()
    assert tokens["expires_in"] == 2
    deadline = time.monotonic() + 15
    status = mcp_status(short_lived, tokens["access_token"]).status_code
    while status == 200 and time.monotonic() < deadline:
        time.sleep(0.25)
        status = mcp_status(short_lived, tokens["access_token"]).status_code
    expired = mcp_status(short_lived, tokens["access_token"])
    assert expired.status_code == 401
    assert "expired" in expired.headers["www-authenticate"]
    fresh = token(short_lived, grant_type="refresh_token", refresh_token=tokens["refresh_token"],
                  client_id=code.client_id)
    assert fresh.status_code == 200, fresh.text
    assert mcp_status(short_lived, fresh.json()["access_token"]).status_code == 200


# ---- the MCP conformance suite's authorization-server scenarios ------------------------------

CONFORMANCE_CLI = (Path(__file__).resolve().parents[1] / "node" / "node_modules" / "@modelcontextprotocol"
                   / "conformance" / "dist" / "index.js")


def node_binary() -> str:
    """Node 22 as scripts/setup.sh installs it (.tools/node-v*/bin), else the one on PATH."""
    tools = sorted((Path(__file__).resolve().parents[2] / ".tools").glob("node-v*/bin/node"))
    return str(tools[-1]) if tools else "node"


def conformance_authorization(server: OAuthServer, out_dir: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [node_binary(), str(CONFORMANCE_CLI), "authorization", "--url", server.base_url,
         "--resource", server.mcp_url, "-o", out_dir, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def all_passed(output: str) -> bool:
    """The suite's summary line, e.g. `Passed: 2/2, 0 failed, 0 warnings`."""
    summary = re.search(r"Passed: (\d+)/(\d+), (\d+) failed", output)
    return bool(summary) and summary[1] == summary[2] and int(summary[1]) > 0 and summary[3] == "0"


def finish(run: subprocess.Popen, seen: str) -> str:
    try:
        rest, _ = run.communicate(timeout=SCENARIO_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        run.kill()
        rest, _ = run.communicate()
    return seen + (rest or "")


def test_conformance_authorization_server_metadata(server: OAuthServer) -> None:
    assert CONFORMANCE_CLI.exists(), "the conformance suite is not installed: run scripts/setup.sh"
    run = conformance_authorization(server, tempfile.mkdtemp(), "--scenario", "authorization-server-metadata-endpoint")
    output = finish(run, "")
    assert run.returncode == 0, output
    assert all_passed(output), output


def test_conformance_authorization_code_grant(server: OAuthServer, oauth_sandbox: SandboxHandle) -> None:
    """The suite prints the authorize URL and waits on its own loopback callback; a person
    (here: sign_in_as) completes the sign-in on the sandbox's consent page in between."""
    assert CONFORMANCE_CLI.exists(), "the conformance suite is not installed: run scripts/setup.sh"
    callback_port = free_port()
    registered = httpx.post(f"{server.base_url}/register", json={
        "client_name": "mcp-conformance", "redirect_uris": [f"http://127.0.0.1:{callback_port}/callback"]})
    assert registered.status_code == 201, registered.text
    run = conformance_authorization(
        server, tempfile.mkdtemp(), "--client-id", registered.json()["client_id"], "-p", str(callback_port))
    seen = ""
    deadline = time.monotonic() + SCENARIO_TIMEOUT_SECONDS
    authorize = None
    assert run.stdout is not None
    while authorize is None and time.monotonic() < deadline:
        line = run.stdout.readline()
        if not line:
            break
        seen += line
        if line.startswith(f"{server.base_url}/authorize?"):
            authorize = line.strip()
    assert authorize is not None, f"the suite never asked for a sign-in:\n{seen}"
    landed = asyncio.run(sign_in_as(authorize, admins(oauth_sandbox)[0]["id"]))
    assert landed.startswith(f"http://127.0.0.1:{callback_port}/callback?"), landed
    assert httpx.get(landed, timeout=30).status_code == 200
    output = finish(run, seen)
    assert run.returncode == 0, output
    # Both scenarios ran (the grant needs the metadata one) and nothing failed.
    for scenario in ("authorization-server-metadata-endpoint", "authorization-code-grant"):
        assert re.search(rf"{scenario}: [1-9]\d* passed, 0 failed", output), output
    assert re.search(r"Total: [1-9]\d* passed, 0 failed", output), output


def test_client_id_metadata_documents_on_private_addresses_are_not_fetched(server: OAuthServer) -> None:
    """SSRF guard: a URL client_id on plain HTTP, or one whose host is a private or loopback
    address, is refused before anything is fetched (a listener there counts requests)."""
    import http.server
    import threading

    hits: list[str] = []

    class Document(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    listener = http.server.HTTPServer(("127.0.0.1", 0), Document)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    try:
        port = listener.server_address[1]
        _, challenge = pkce()
        for client_id in (f"http://127.0.0.1:{port}/client.json", f"https://127.0.0.1:{port}/client.json",
                          "https://10.0.0.7/client.json", "https://169.254.169.254/latest/meta-data"):
            answer = httpx.get(authorize_url(server, client_id, challenge, "s"), follow_redirects=False)
            assert answer.status_code == 400, (client_id, answer.text)
            assert answer.json()["error"] == "invalid_client", answer.text
    finally:
        listener.shutdown()
    assert hits == [], f"the server fetched a forbidden metadata document: {hits}"


def test_oauth_refuses_to_start_naming_what_is_missing() -> None:
    secret = "client-secret-" + secrets.token_hex(8)
    common = [str(binary_path()), "serve", "--transport", "http", "--port", "0", "--oauth"]
    env = base_env() | {"INTERCOM_ACCESS_TOKEN": "unused", "INTERCOM_CLIENT_SECRET": secret}
    nothing = subprocess.run(common, env=env, capture_output=True, text=True, timeout=30)
    assert nothing.returncode != 0
    for missing in ("--public-url", "INTERCOM_MCP_OAUTH_KEY", "INTERCOM_CLIENT_ID"):
        assert missing in nothing.stderr, nothing.stderr
    assert secret not in nothing.stderr + nothing.stdout
    plain = subprocess.run(
        common + ["--public-url", "http://mcp.example.com"],
        env=env | {"INTERCOM_CLIENT_ID": "app", "INTERCOM_MCP_OAUTH_KEY": SEALING_KEY},
        capture_output=True, text=True, timeout=30)
    assert plain.returncode != 0 and "https" in plain.stderr, plain.stderr
    assert SEALING_KEY not in plain.stderr + plain.stdout
    stdio = subprocess.run([str(binary_path()), "serve", "--oauth"], env=env, capture_output=True, text=True,
                           timeout=30)
    assert stdio.returncode != 0 and "--transport http" in stdio.stderr, stdio.stderr

"""Shared fixtures: the real `intercom-mcp` binary, a sandbox and an HTTP MCP server on free ports.

Every process started here is bounded: readiness is polled with a deadline, and each process is
terminated (then killed) when its fixture ends, so a broken build fails fast instead of hanging.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = Path(
    os.environ.get(
        "INTERCOM_OPENAPI_SPEC",
        REPO_ROOT.parent / "shared" / "intercom-openapi" / "api.intercom.io.yaml",
    )
)
API_VERSION = "2.16"
SANDBOX_TOKEN = "sandbox-test-token-python"
READY_TIMEOUT_SECONDS = 60.0


def binary_path() -> Path:
    """The debug binary that scripts/test.sh builds (override with INTERCOM_MCP_BIN)."""
    override = os.environ.get("INTERCOM_MCP_BIN")
    if override:
        return Path(override)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target"))
    return target / "debug" / "intercom-mcp"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ManagedProcess:
    """A child process whose stderr goes to a file, so a failure can show what it said."""

    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen | None = None
    log_path: Path = field(default_factory=lambda: Path(tempfile.mkstemp(suffix=".log")[1]))

    def start(self) -> "ManagedProcess":
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def output_full(self) -> str:
        """Everything the process has written so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def wait_until(self, ready: Callable[[], bool], timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Polls `ready` until it holds; fails with the process's output if it exits or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                pytest.fail(
                    f"{self.name} exited with {self.process.returncode} before it was ready.\n"
                    f"command: {' '.join(self.argv)}\noutput:\n{self.output()}"
                )
            try:
                if ready():
                    return
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"{self.name} was not ready within {timeout}s.\noutput:\n{self.output()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def base_env() -> dict[str, str]:
    """The environment for child processes, without any Intercom settings of the person running."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERCOM_")}
    env.setdefault("RUST_LOG", "warn")
    return env


@dataclass
class SandboxHandle:
    base_url: str
    token: str
    process: ManagedProcess

    def client(self, version: str = API_VERSION) -> httpx.Client:
        """A plain HTTP client for reading the sandbox's state back."""
        return httpx.Client(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Intercom-Version": version,
                "Accept": "application/json",
            },
            timeout=30.0,
        )


def start_sandbox(scale: str = "tiny", seed: int = 7, extra: list[str] | None = None) -> SandboxHandle:
    binary = binary_path()
    if not binary.exists():
        pytest.fail(f"{binary} does not exist: build it first (cargo build --workspace --all-features)")
    port = free_port()
    argv = [
        str(binary), "sandbox",
        "--host", "127.0.0.1", "--port", str(port),
        "--scale", scale, "--seed", str(seed),
        "--token", SANDBOX_TOKEN,
        "--rate-limit", "100000",
        *(extra or []),
    ]
    process = ManagedProcess("intercom-mcp sandbox", argv, base_env()).start()
    handle = SandboxHandle(f"http://127.0.0.1:{port}", SANDBOX_TOKEN, process)

    def answers() -> bool:
        with handle.client() as http:
            return http.get("/me").status_code == 200

    process.wait_until(answers)
    return handle


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    """A fresh tiny sandbox per test module, so one module's writes never surprise another."""
    handle = start_sandbox()
    try:
        yield handle
    finally:
        handle.process.stop()


@pytest.fixture(scope="module")
def api(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with sandbox.client() as http:
        yield http


def serve_env(sandbox: SandboxHandle) -> dict[str, str]:
    env = base_env()
    env["INTERCOM_API_BASE"] = sandbox.base_url
    env["INTERCOM_ACCESS_TOKEN"] = sandbox.token
    return env


@dataclass
class HttpServerHandle:
    base_url: str
    process: ManagedProcess

    @property
    def mcp_url(self) -> str:
        return f"{self.base_url}/mcp"

    @property
    def sse_url(self) -> str:
        return f"{self.base_url}/sse"


@pytest.fixture(scope="module")
def mcp_http_server(sandbox: SandboxHandle) -> Iterator[HttpServerHandle]:
    """`intercom-mcp serve --transport http` pointed at the module's sandbox."""
    port = free_port()
    argv = [str(binary_path()), "serve", "--transport", "http", "--host", "127.0.0.1", "--port", str(port)]
    process = ManagedProcess("intercom-mcp serve --transport http", argv, serve_env(sandbox)).start()
    handle = HttpServerHandle(f"http://127.0.0.1:{port}", process)

    def healthy() -> bool:
        return httpx.get(f"{handle.base_url}/healthz", timeout=5.0).status_code == 200

    process.wait_until(healthy)
    try:
        yield handle
    finally:
        process.stop()

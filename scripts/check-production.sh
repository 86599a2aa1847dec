#!/usr/bin/env bash
# The production configuration: `intercom-mcp` built without default features has no
# embedded emulator and no conformance fixtures. Checks the dependency graph, then the binary.
# Run by scripts/test.sh after the suites (it replaces target/debug/intercom-mcp for a moment
# and puts the test build back at the end).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

fail() { echo "production build: $*" >&2; exit 1; }

# No path from the server crate, nor from the production binary, to the sandbox.
cargo tree -p intercom-mcp-server -e normal --all-features --prefix none | grep -q '^intercom-sandbox ' \
    && fail "intercom-mcp-server depends on intercom-sandbox"
cargo tree -p intercom-mcp --no-default-features -e normal --prefix none | grep -q '^intercom-sandbox ' \
    && fail "intercom-mcp --no-default-features depends on intercom-sandbox"
echo "cargo tree: no intercom-sandbox under intercom-mcp-server, nor under intercom-mcp --no-default-features"

cargo build -p intercom-mcp --no-default-features
BIN=target/debug/intercom-mcp
if "$BIN" serve --help | grep -q -- '--sandbox\|--conformance-fixtures'; then
    fail "serve --help offers --sandbox or --conformance-fixtures"
fi
refusal="$("$BIN" serve --sandbox </dev/null 2>&1)" && fail "serve --sandbox started"
grep -q "built without the embedded sandbox" <<<"$refusal" || fail "unclear refusal: $refusal"
"$BIN" sandbox >/dev/null 2>&1 && fail "the sandbox subcommand exists"
# Fixture and emulator text must not be in the binary at all.
for marker in "This is a simple text response for testing." "Control surface:"; do
    grep -qF "$marker" "$BIN" && fail "the binary contains \"$marker\""
done
echo "binary: no --sandbox, no sandbox subcommand, no fixtures, no emulator; --sandbox refused with a clear error"

# Back to the build the suites use (scripts/test.sh's build step; nothing to compile).
cargo build --workspace --all-targets --all-features

#!/usr/bin/env bash
# The one command that runs every test of the project on a fresh machine:
#   scripts/test.sh
# It installs what the suites need (idempotently, see scripts/setup.sh), builds the workspace,
# runs fmt/clippy/the Rust tests, then the independent-client suites: Python (pytest), Node
# (node --test: official SDK, MCP Inspector, MCP conformance) and the Rust client through prism.
# Every step runs even when an earlier one failed (except those that need the build), each under
# a time bound; the run fails when any step fails. The last line is
# "N passed, N failed" over the steps.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

LOG_DIR="$REPO_ROOT/target/test-logs"
mkdir -p "$LOG_DIR"

STEP_NAMES=()
STEP_RESULTS=()
STEP_SECONDS=()
BUILD_OK=1

# run_step NAME TIMEOUT_SECONDS COMMAND...: runs one step, bounded, output shown and kept in a log.
run_step() {
    local name="$1" limit="$2"; shift 2
    local log_file="$LOG_DIR/$name.log" started status
    log "[$name] $*"
    started=$(date +%s)
    timeout --kill-after=20 "$limit" "$@" 2>&1 | tee "$log_file"
    status=${PIPESTATUS[0]}
    local elapsed=$(( $(date +%s) - started ))
    [ "$status" -eq 124 ] && echo "[$name] timed out after ${limit}s" | tee -a "$log_file"
    STEP_NAMES+=("$name")
    STEP_SECONDS+=("$elapsed")
    if [ "$status" -eq 0 ]; then STEP_RESULTS+=("passed"); else STEP_RESULTS+=("FAILED (exit $status)"); fi
    return "$status"
}

skip_step() {
    STEP_NAMES+=("$1"); STEP_SECONDS+=(0); STEP_RESULTS+=("FAILED (skipped: $2)")
}

total_started=$(date +%s)

if ! run_step setup 900 bash scripts/setup.sh; then
    die "installing the test tools failed; see $LOG_DIR/setup.log"
fi
activate_tools

if command -v cargo-nextest >/dev/null 2>&1; then
    RUST_TESTS=(cargo nextest run --workspace --no-fail-fast)
else
    RUST_TESTS=(cargo test --workspace --no-fail-fast)
fi

run_step build 1500 cargo build --workspace --all-targets || BUILD_OK=0
run_step fmt 120 cargo fmt --all --check
run_step clippy 1200 cargo clippy --workspace --all-targets -- -D warnings
run_step rust-tests 1200 "${RUST_TESTS[@]}"
run_step rust-doctests 600 cargo test --workspace --doc

if [ "$BUILD_OK" -eq 1 ]; then
    run_step python-suites 900 "$VENV_DIR/bin/python" -m pytest tests/python -q -p no:cacheprovider
    run_step node-suites 900 node --test --test-timeout=120000 'tests/node/*.test.mjs'
    run_step rust-through-prism 600 bash tests/rust-through-prism.sh
else
    for step in python-suites node-suites rust-through-prism; do
        skip_step "$step" "the build failed"
    done
fi

passed=0; failed=0
echo
echo "Summary (logs in ${LOG_DIR#"$REPO_ROOT"/}/):"
for i in "${!STEP_NAMES[@]}"; do
    printf '  %-20s %-36s %5ss\n' "${STEP_NAMES[$i]}" "${STEP_RESULTS[$i]}" "${STEP_SECONDS[$i]}"
    if [ "${STEP_RESULTS[$i]}" = passed ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "  total time: $(( $(date +%s) - total_started ))s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

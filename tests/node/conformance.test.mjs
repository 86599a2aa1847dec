// Issue 4: the official MCP conformance suite (npm `@modelcontextprotocol/conformance`) against
// `intercom-mcp serve --transport http`, for both protocol eras. Known gaps are listed, each with
// its reason, in tests/conformance/expected-failures-<version>.yml; the suite fails on any other
// failure and on a listed entry that now passes (so the lists never go stale).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { REPO_ROOT, useServerStack } from "./harness.mjs";

const require = createRequire(import.meta.url);
const CONFORMANCE = join(dirname(require.resolve("@modelcontextprotocol/conformance/package.json")), "dist", "index.js");
const RUN_TIMEOUT_MS = 8 * 60_000;

// The real server, plus the suite's fixture tools, resources and prompts (test_simple_text, ...),
// which the scenarios call by name: a binary built with the `conformance-fixtures` cargo feature
// (`cargo build --workspace --all-features`, as scripts/test.sh does).
const stack = useServerStack({ seed: 17, before, after, serverArgs: ["--conformance-fixtures"] });

function conformance(specVersion) {
  const baseline = join(REPO_ROOT, "tests", "conformance", `expected-failures-${specVersion}.yml`);
  const outputDir = mkdtempSync(join(tmpdir(), `conformance-${specVersion}-`));
  const args = [CONFORMANCE, "server", "--url", stack.server.mcpUrl, "--suite", "all", "--spec-version", specVersion,
    "--expected-failures", baseline, "--timeout", "20000", "-o", outputDir];
  return new Promise((resolveRun) => {
    execFile(process.execPath, args, { timeout: RUN_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolveRun({ code: error ? (error.code ?? 1) : 0, output: `${stdout}\n${stderr}`, outputDir });
    });
  });
}

for (const specVersion of ["2025-11-25", "2026-07-28"]) {
  test(`conformance suite, spec ${specVersion}`, { timeout: RUN_TIMEOUT_MS + 30_000 }, async () => {
    const run = await conformance(specVersion);
    assert.equal(run.code, 0,
      `conformance ${specVersion} failed beyond its expected failures (results in ${run.outputDir}):\n${run.output.slice(-15000)}`);
    assert.match(run.output, /pass/i, "the conformance run reported nothing");
  });
}

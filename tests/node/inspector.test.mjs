// Issue 4: the MCP Inspector CLI (npm `@modelcontextprotocol/inspector`, an independent client)
// drives `intercom-mcp serve` over stdio, Streamable HTTP (both eras) and legacy SSE.
// Results are compared with the sandbox's state, and a write is read back over REST.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { binaryPath, useServerStack } from "./harness.mjs";

const require = createRequire(import.meta.url);
const INSPECTOR = join(dirname(require.resolve("@modelcontextprotocol/inspector/package.json")),
  "clients", "launcher", "build", "index.js");
const INSPECTOR_TIMEOUT_MS = 90_000;

/**
 * Runs the Inspector CLI against `target` ({options, command}); resolves with its exit code and
 * output, whatever the code. A stdio command goes last, after `--`, so its flags stay its own.
 */
function inspector(target, args) {
  const command = target.command ? ["--", ...target.command] : [];
  return new Promise((resolveRun) => {
    execFile(process.execPath, [INSPECTOR, "--cli", ...target.options, ...args, "--format", "json", ...command], {
      timeout: INSPECTOR_TIMEOUT_MS,
      maxBuffer: 32 * 1024 * 1024,
      env: { ...process.env, MCP_CATALOG_PATH: join(process.env.TMPDIR ?? "/tmp", `inspector-${process.pid}.json`) },
    }, (error, stdout, stderr) => {
      resolveRun({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The error-severity blocks of --strict's report ("Error: tool ..." and its lines), if any. */
function strictErrors(stderr) {
  return stderr.split("\n\n").filter((block) => block.trimStart().startsWith("Error:")).join("\n\n");
}

function resultOf(run, what) {
  const detail = strictErrors(run.stderr) || `stdout: ${run.stdout.slice(0, 2000)}\nstderr: ${run.stderr.slice(-2000)}`;
  assert.equal(run.code, 0, `${what}: inspector exited ${run.code}\n${detail}`);
  return JSON.parse(run.stdout).result;
}

/** The tool result the Inspector printed, or undefined when it printed none (a protocol error). */
function parsedResult(run) {
  try {
    return JSON.parse(run.stdout).result;
  } catch {
    return undefined;
  }
}

function textOf(result) {
  return JSON.stringify(result.structuredContent ?? {}) + (result.content ?? []).map((block) => block.text ?? "").join("\n");
}

const stack = useServerStack({ seed: 13, before, after });

/** The ways the Inspector reaches the server, one per transport. */
function targets() {
  return {
    stdio: {
      options: ["-e", `INTERCOM_API_BASE=${stack.sandbox.baseUrl}`, "-e", `INTERCOM_ACCESS_TOKEN=${stack.sandbox.token}`, "--transport", "stdio"],
      command: [binaryPath(), "serve"],
    },
    "http (legacy era)": { options: ["--server-url", stack.server.mcpUrl, "--transport", "http", "--protocol-era", "legacy"] },
    "http (modern era)": { options: ["--server-url", stack.server.mcpUrl, "--transport", "http", "--protocol-era", "modern"] },
    sse: { options: ["--server-url", stack.server.sseUrl, "--transport", "sse"] },
  };
}

for (const transport of ["stdio", "http (legacy era)", "http (modern era)", "sse"]) {
  describe(`inspector over ${transport}`, () => {
    test("tools/list passes --strict and lists the catalogue", async () => {
      const run = await inspector(targets()[transport], ["--method", "tools/list", "--strict"]);
      const { tools } = resultOf(run, "tools/list --strict");
      const names = tools.map((tool) => tool.name);
      for (const name of ["search", "fetch", "get_conversation", "find_contact", "reply_to_conversation", "whoami"]) {
        assert.ok(names.includes(name), `tools/list lacks ${name}`);
      }
      assert.equal(new Set(names).size, names.length, "a tool is listed twice");
    });

    test("whoami answers with the token's admin", async () => {
      const me = await stack.sandbox.rest("GET", "/me");
      const run = await inspector(targets()[transport], ["--method", "tools/call", "--tool-name", "whoami"]);
      const text = textOf(resultOf(run, "whoami"));
      assert.ok(text.includes(String(me.id)) && text.includes(me.email), text.slice(0, 1000));
    });

    test("a note written through reply_to_conversation is in the sandbox", async () => {
      const { conversations: [conversation] } = await stack.sandbox.rest("GET", "/conversations?per_page=1");
      const note = `inspector ${transport} ${randomUUID()}`;
      const args = { id: String(conversation.id), message_type: "note", body: note };
      const run = await inspector(targets()[transport], ["--method", "tools/call", "--tool-name", "reply_to_conversation",
        "--tool-args-json", JSON.stringify(args)]);
      resultOf(run, "reply_to_conversation");
      const readBack = await stack.sandbox.rest("GET", `/conversations/${conversation.id}`);
      const carrying = readBack.conversation_parts.conversation_parts.filter((part) => (part.body ?? "").includes(note));
      assert.equal(carrying.length, 1, "the note was not applied exactly once");
      assert.equal(carrying[0].part_type, "note");
    });

    test("a missing conversation is an isError result (exit 5)", async () => {
      const run = await inspector(targets()[transport], ["--method", "tools/call", "--tool-name", "get_conversation",
        "--tool-args-json", JSON.stringify({ id: "999999999" })]);
      assert.equal(run.code, 5, `expected exit 5 (isError), got ${run.code}: ${run.stdout.slice(0, 1000)} ${run.stderr.slice(-1000)}`);
      const result = parsedResult(run);
      assert.equal(result?.isError, true, `expected an isError tool result, got stdout ${run.stdout.slice(0, 1000)} stderr ${run.stderr.slice(-1000)}`);
      assert.match(textOf(result), /not found/i);
    });
  });
}

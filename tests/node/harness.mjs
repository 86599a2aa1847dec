// Starts the real `intercom-mcp` binary (sandbox, HTTP server) on free ports for the Node suites.
// Every wait is bounded and every child is killed when its test file ends.

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const API_VERSION = "2.16";
export const SANDBOX_TOKEN = "sandbox-test-token-node";
const READY_TIMEOUT_MS = 60_000;

export function binaryPath() {
  if (process.env.INTERCOM_MCP_BIN) return process.env.INTERCOM_MCP_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? join(REPO_ROOT, "target");
  return join(target, "debug", "intercom-mcp");
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** The environment for children, without the Intercom settings of whoever runs the tests. */
export function baseEnv(extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("INTERCOM_")));
  return { RUST_LOG: "warn", ...env, ...extra };
}

/** A child process whose output is kept, so a failure can say what it printed. */
export class Child {
  constructor(name, argv, env) {
    if (!existsSync(argv[0])) throw new Error(`${argv[0]} does not exist: build it first (cargo build --workspace --all-features)`);
    this.name = name;
    this.output = "";
    this.exited = null;
    this.process = spawn(argv[0], argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
    const keep = (chunk) => {
      this.output = (this.output + chunk.toString()).slice(-8000);
    };
    this.process.stdout.on("data", keep);
    this.process.stderr.on("data", keep);
    this.process.on("exit", (code, signal) => {
      this.exited = { code, signal };
    });
  }

  async waitUntil(ready, timeoutMs = READY_TIMEOUT_MS) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) {
        throw new Error(`${this.name} exited (${JSON.stringify(this.exited)}) before it was ready:\n${this.output}`);
      }
      try {
        if (await ready()) return;
      } catch {
        // not listening yet
      }
      await new Promise((wake) => setTimeout(wake, 100));
    }
    this.stop();
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.output}`);
  }

  stop() {
    if (!this.exited) this.process.kill("SIGTERM");
    const child = this.process;
    setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }, 5000).unref();
  }
}

async function fetchWithTimeout(url, init = {}, timeoutMs = 5000) {
  return fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

/** Starts `intercom-mcp sandbox --scale tiny` and waits until it answers GET /me. */
export async function startSandbox({ seed = 11 } = {}) {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const argv = [binaryPath(), "sandbox", "--host", "127.0.0.1", "--port", String(port), "--scale", "tiny",
    "--seed", String(seed), "--token", SANDBOX_TOKEN, "--rate-limit", "100000"];
  const child = new Child("intercom-mcp sandbox", argv, baseEnv());
  const headers = { Authorization: `Bearer ${SANDBOX_TOKEN}`, "Intercom-Version": API_VERSION, Accept: "application/json" };
  await child.waitUntil(async () => (await fetchWithTimeout(`${baseUrl}/me`, { headers })).status === 200);

  /** Plain REST access, to read back what a client did. */
  async function rest(method, path, body) {
    const response = await fetchWithTimeout(`${baseUrl}${path}`, {
      method,
      headers: { ...headers, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    }, 30_000);
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${text.slice(0, 500)}`);
    return text ? JSON.parse(text) : {};
  }

  return { baseUrl, token: SANDBOX_TOKEN, child, rest, stop: () => child.stop() };
}

/** Starts `intercom-mcp serve --transport http [extraArgs]` against a sandbox; waits for /healthz. */
export async function startHttpServer(sandbox, extraArgs = []) {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const argv = [binaryPath(), "serve", "--transport", "http", "--host", "127.0.0.1", "--port", String(port), ...extraArgs];
  const child = new Child("intercom-mcp serve --transport http", argv,
    baseEnv({ INTERCOM_API_BASE: sandbox.baseUrl, INTERCOM_ACCESS_TOKEN: sandbox.token }));
  await child.waitUntil(async () => (await fetchWithTimeout(`${baseUrl}/healthz`)).status === 200);
  return { baseUrl, mcpUrl: `${baseUrl}/mcp`, sseUrl: `${baseUrl}/sse`, child, stop: () => child.stop() };
}

/**
 * Registers before/after hooks that run a sandbox and an HTTP server on it for the calling test
 * file; returns an object whose `sandbox` and `server` are set once the hooks have run.
 */
export function useServerStack({ seed, before, after, serverArgs = [] }) {
  const stack = { sandbox: undefined, server: undefined };
  before(async () => {
    stack.sandbox = await startSandbox({ seed });
    stack.server = await startHttpServer(stack.sandbox, serverArgs);
  });
  after(() => {
    stack.server?.stop();
    stack.sandbox?.stop();
  });
  return stack;
}

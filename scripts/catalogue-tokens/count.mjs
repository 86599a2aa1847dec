// Counts what intercom-mcp's tool catalogue costs a model, in tokens of an offline tokenizer.
// Usage: node count.mjs BINARY [--top N]
// "Model view" is each tool's name, description and input schema as compact JSON (what a client
// puts in the model's context); output schemas are counted apart, as most clients leave them out.
// The default is dynamic toolsets: what a session lists before it enables a toolset. Naming
// toolsets gives a static list.
import { execFileSync } from "node:child_process";
import { countTokens } from "@anthropic-ai/tokenizer";

const [binary, ...rest] = process.argv.slice(2);
if (!binary) {
  console.error("usage: node count.mjs PATH/TO/intercom-mcp [--top N]");
  process.exit(2);
}
const topIndex = rest.indexOf("--top");
const top = topIndex >= 0 ? Number(rest[topIndex + 1]) : 10;

function catalogue(extraArgs) {
  const out = execFileSync(binary, ["tools", "--json", ...extraArgs], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out);
}

function measure(tools) {
  const perTool = tools.map((t) => {
    const modelView = JSON.stringify({
      name: t.name,
      description: t.description,
      inputSchema: t.inputSchema,
    });
    const output = t.outputSchema ? JSON.stringify(t.outputSchema) : "";
    return {
      name: t.name,
      tokens: countTokens(modelView),
      bytes: Buffer.byteLength(modelView),
      outputTokens: output ? countTokens(output) : 0,
    };
  });
  const sum = (key) => perTool.reduce((n, t) => n + t[key], 0);
  return {
    tools: perTool.length,
    tokens: sum("tokens"),
    bytes: sum("bytes"),
    outputTokens: sum("outputTokens"),
    perTool,
  };
}

const runs = [
  ["default (dynamic start)", []],
  ["--toolsets default (static)", ["--toolsets", "default"]],
  ["--toolsets all", ["--toolsets", "all"]],
];
for (const [label, args] of runs) {
  const m = measure(catalogue(args));
  console.log(
    `${label}: ${m.tools} tools, ${m.tokens} tokens (${m.bytes} bytes) for names+descriptions+input schemas; output schemas ${m.outputTokens} tokens`,
  );
  if (label !== "--toolsets all") {
    console.log(`  worst ${top} (model view tokens / output schema tokens):`);
    for (const t of [...m.perTool].sort((a, b) => b.tokens - a.tokens).slice(0, top)) {
      console.log(`    ${t.name.padEnd(32)} ${String(t.tokens).padStart(6)} / ${t.outputTokens}`);
    }
  }
}

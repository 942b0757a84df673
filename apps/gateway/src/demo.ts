#!/usr/bin/env node
/**
 * The demo (`pnpm demo`): starts the two bundled demo backends as separate processes and a
 * gateway on them (memory store by default; the same flags as `serve`, e.g. `--store redis
 * --redis-url redis://127.0.0.1:6379`), then walks an MCP SDK client through a session and prints
 * what the store holds for it. On Redis it leaves a second session stored and prints the
 * `vmcp-gateway sessions show` and `delete` commands that find it, ready to paste. Exits 0 when
 * every step worked, 2 for bad flags or arguments.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { cliLauncher, sessionsCommand } from "./cli/inspect-command.js";
import { parseCommandLine } from "./cli/parse-flags.js";
import { formatSessionView, viewSession } from "./cli/session-view.js";
import { loadGatewayConfig } from "./config/load-config.js";
import { type SpawnedBackend, spawnDemoBackend } from "./demo-backends/spawn-backend.js";
import { GatewayConfigError } from "./errors.js";
import { type RunningGateway, startGateway } from "./gateway.js";
import { createLogger } from "./logger.js";

const DemoToken = "demo-token-for-newcomer";

function step(text: string): void {
  process.stdout.write(`\n== ${text}\n`);
}
function say(text: string): void {
  process.stdout.write(`   ${text}\n`);
}
function textOf(result: object): string {
  const content = "content" in result && Array.isArray(result.content) ? result.content : [];
  return content
    .map((c: { type?: string; text?: string }) =>
      c.type === "text" ? c.text : `[${c.type ?? "?"}]`,
    )
    .join(" ");
}

/** An MCP SDK client with the demo's bearer token, connected to the gateway at `url` (initialize done). */
async function connectClient(url: string) {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${DemoToken}` } },
  });
  const client = new Client({ name: "vmcp-demo-client", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport, sessionId: transport.sessionId ?? "" };
}

async function main(): Promise<number> {
  const parsed = parseCommandLine(process.argv.slice(2));
  if (parsed.positionals.length > 0) {
    process.stderr.write(
      `the demo takes no arguments, got ${JSON.stringify(parsed.positionals[0])} (it accepts the flags of serve, e.g. --store redis --redis-url URL)\n`,
    );
    return 2;
  }
  // Refuse bad flags before starting anything.
  await loadGatewayConfig({ flags: parsed.flags, env: {} });
  const backends: SpawnedBackend[] = [];
  let gateway: RunningGateway | undefined;
  try {
    step("starting the demo backends (two separate MCP servers over Streamable HTTP)");
    for (const name of ["alpha", "beta"] as const) {
      const backend = await spawnDemoBackend(name);
      backends.push(backend);
      say(`${name.padEnd(5)} at ${backend.url} (pid ${String(backend.child.pid)})`);
    }

    const config = await loadGatewayConfig({
      flags: {
        port: "0",
        "log-level": "warn",
        "binding-secret": "demo-binding-secret-change-me",
        ...parsed.flags,
        backend: backends.map((b) => `${b.name}=${b.url}`),
        "static-token": [`${DemoToken}=newcomer`],
      },
      env: {},
    });
    step(`starting the gateway (store: ${config.store.kind}, identity: static bearer tokens)`);
    gateway = await startGateway(config, createLogger(config.logLevel));
    say(`gateway at ${gateway.url}/mcp`);

    step("an MCP client connects: initialize");
    const { client, transport, sessionId } = await connectClient(gateway.url);
    say(`Mcp-Session-Id: ${sessionId}`);
    say(
      `server: ${client.getServerVersion()?.name ?? "?"}, protocol ${transport.protocolVersion ?? "?"}`,
    );

    step(
      "tools/list: one list over both backends (the conflicting `echo` is prefixed per backend)",
    );
    const { tools } = await client.listTools();
    for (const tool of tools) say(`${tool.name.padEnd(14)} ${tool.description ?? ""}`);

    step("tools/call: routed to the right backend");
    const calls: [string, Record<string, unknown>][] = [
      ["add", { a: 2, b: 40 }],
      ["reverse", { text: "stressed" }],
      ["alpha__echo", { text: "hello" }],
      ["beta__echo", { text: "hello" }],
    ];
    for (const [name, args] of calls) {
      const result = await client.callTool({ name, arguments: args });
      say(`${name}(${JSON.stringify(args)}) -> ${textOf(result)}`);
    }
    const resources = await client.listResources();
    say(`resources: ${resources.resources.map((r) => r.uri).join(", ")}`);
    const prompts = await client.listPrompts();
    say(`prompts:   ${prompts.prompts.map((p) => p.name).join(", ")}`);

    step("what the session store holds for this session (any replica can rebuild it from this)");
    const record = await gateway.storage.load(sessionId);
    if (record === undefined) throw new Error("the session is not in the store");
    process.stdout.write(`${formatSessionView(viewSession(record)).replace(/^/gm, "   ")}\n`);

    step("DELETE /mcp terminates the session");
    await transport.terminateSession();
    await client.close();
    const after = await gateway.storage.load(sessionId);
    say(
      after === undefined
        ? "the store no longer holds it; any replica now answers 404"
        : "STILL STORED?!",
    );
    if (after !== undefined) throw new Error("terminated session still stored");

    if (config.store.kind === "redis") {
      step("a second session, left in Redis for you to inspect (it expires in 30 minutes)");
      const kept = await connectClient(gateway.url);
      await kept.client.callTool({ name: "add", arguments: { a: 1, b: 1 } });
      await kept.client.close(); // no DELETE: the session stays stored
      const launcher = cliLauncher();
      say(
        launcher.cwd === undefined
          ? "inspect it:"
          : `inspect it, from the repository root (${launcher.cwd}):`,
      );
      say(`  ${sessionsCommand(launcher, "show", kept.sessionId, parsed.flags)}`);
      say("delete it:");
      say(`  ${sessionsCommand(launcher, "delete", kept.sessionId, parsed.flags)}`);
    }
    step("done");
    return 0;
  } finally {
    await gateway?.close();
    await Promise.all(backends.map((b) => b.stop()));
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const prefix = error instanceof GatewayConfigError ? "" : "demo failed: ";
    process.stderr.write(`${prefix}${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof GatewayConfigError ? 2 : 1);
  },
);

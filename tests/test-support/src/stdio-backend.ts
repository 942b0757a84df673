/**
 * Process entry of the stdio test backend (run it with `node`, path in `stdioBackendScript`):
 * one SDK `McpServer` over stdin/stdout with tools
 * - `shout` (`{ text }` → the text upper-cased, ` from <pid>`);
 * - `log` (`{ text }`: writes the text to stderr as is, answers `logged`);
 * - `tell` (`{ text }`: writes the text and a newline to stderr, answers the pid);
 * - `wait` (`{ ms }`: answers `waited in <pid>` after `ms` milliseconds);
 * - `pid` (answers the pid).
 *
 * Flags: `--announce` writes `backend ready, pid <pid>` to stderr at start; `--stubborn` keeps
 * the process running after its stdin closes and ignores SIGTERM, so only SIGKILL stops it (a
 * hung or badly written backend). Any other argument (e.g. `--tag calm`) is ignored: a test can
 * tag its processes to tell them apart in `ps`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const writeStderr = (text: string) =>
  new Promise<void>((resolve) => process.stderr.write(text, () => resolve()));

if (process.argv.includes("--stubborn")) {
  process.on("SIGTERM", () => undefined);
  setInterval(() => undefined, 1_000);
}
if (process.argv.includes("--announce")) await writeStderr(`backend ready, pid ${process.pid}\n`);

const server = new McpServer({ name: "stdio-backend", version: "1.0.0" });
server.registerTool(
  "shout",
  { description: "Upper-cases text", inputSchema: { text: z.string() } },
  async ({ text }) => ({
    content: [{ type: "text", text: `${text.toUpperCase()} from ${process.pid}` }],
  }),
);
server.registerTool(
  "log",
  { description: "Writes text to stderr as is", inputSchema: { text: z.string() } },
  async ({ text }) => {
    await writeStderr(text);
    return { content: [{ type: "text", text: "logged" }] };
  },
);
server.registerTool(
  "tell",
  { description: "Writes text and a newline to stderr", inputSchema: { text: z.string() } },
  async ({ text }) => {
    await writeStderr(`${text}\n`);
    return { content: [{ type: "text", text: String(process.pid) }] };
  },
);
server.registerTool(
  "wait",
  { description: "Answers after ms milliseconds", inputSchema: { ms: z.number() } },
  async ({ ms }) => {
    await sleep(ms);
    return { content: [{ type: "text", text: `waited in ${process.pid}` }] };
  },
);
server.registerTool("pid", { description: "Names this process" }, async () => ({
  content: [{ type: "text", text: String(process.pid) }],
}));
await server.connect(new StdioServerTransport());

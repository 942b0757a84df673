#!/usr/bin/env node
import { parseCommandLine, usage } from "./cli/parse-flags.js";
/**
 * The `vmcp-gateway` command: `serve`, `sessions list [--kind K]|show|delete`. Exit codes: 0 success,
 * 1 not found / failure, 2 bad configuration or usage (the message names the field), 3 store
 * unavailable.
 */
import { runServeCommand } from "./cli/serve-command.js";
import { runSessionsCommand } from "./cli/sessions-command.js";
import { loadGatewayConfig } from "./config/load-config.js";
import { GatewayConfigError } from "./errors.js";

const io = {
  out: (text: string) => process.stdout.write(`${text}\n`),
  err: (text: string) => process.stderr.write(`${text}\n`),
};

async function main(argv: readonly string[]): Promise<number | undefined> {
  const parsed = parseCommandLine(argv);
  const [command, ...rest] = parsed.positionals;
  if (parsed.help || command === undefined || command === "help") {
    io.out(usage());
    return command === undefined && !parsed.help ? 2 : 0;
  }
  if (command === "serve" && rest.length > 0) {
    io.err(
      `vmcp-gateway: serve takes no arguments, got ${JSON.stringify(rest[0])} (flags start with --, e.g. --port 4000; see vmcp-gateway --help)`,
    );
    return 2;
  }
  if (command === "serve" && parsed.kind !== undefined) {
    io.err("vmcp-gateway: --kind applies to sessions list only");
    return 2;
  }
  const config = await loadGatewayConfig({ flags: parsed.flags, env: process.env });
  if (command === "serve") {
    await runServeCommand(config, io);
    return undefined;
  }
  if (command === "sessions") {
    return runSessionsCommand(rest, config, { json: parsed.json, kind: parsed.kind }, io);
  }
  io.err(`vmcp-gateway: unknown command ${JSON.stringify(command)}\n\n${usage()}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof GatewayConfigError) {
      io.err(`vmcp-gateway: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    io.err(`vmcp-gateway: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);

import { type ParseArgsConfig, parseArgs } from "node:util";
import {
  type ConfigFlagName,
  ConfigFlags,
  type FlagValues,
  RepeatableFlags,
} from "../config/config-sources.js";
import { GatewayConfigError } from "../errors.js";

/** Parsed command line: positionals, config flag values and the boolean switches. */
export interface ParsedCommandLine {
  readonly positionals: readonly string[];
  readonly flags: FlagValues;
  readonly json: boolean;
  readonly help: boolean;
}

/**
 * Parses `argv` (without `node` and the script): every configuration flag of
 * {@link ConfigFlags}, `--json` and `--help`.
 * @throws {GatewayConfigError} naming an unknown flag or a flag without its value.
 */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const options: NonNullable<ParseArgsConfig["options"]> = {
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  };
  for (const flag of Object.keys(ConfigFlags) as ConfigFlagName[]) {
    options[flag] = { type: "string", multiple: RepeatableFlags.has(flag) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message;
    const flag = /'(-[^']+)'/.exec(message)?.[1] ?? "(flags)";
    throw new GatewayConfigError(flag, message);
  }
  const flags: FlagValues = {};
  for (const flag of Object.keys(ConfigFlags) as ConfigFlagName[]) {
    const value = parsed.values[flag];
    if (typeof value === "string") flags[flag] = value;
    else if (Array.isArray(value))
      flags[flag] = value.filter((v): v is string => typeof v === "string");
  }
  return {
    positionals: parsed.positionals,
    flags,
    json: parsed.values.json === true,
    help: parsed.values.help === true,
  };
}

/** The `--help` text. */
export function usage(): string {
  const flagLines = Object.entries(ConfigFlags).map(
    ([flag, { env, help }]) => `  --${flag.padEnd(20)} ${help} [${env}]`,
  );
  return [
    "usage: vmcp-gateway <command> [flags]",
    "",
    "commands:",
    "  serve                 run the gateway (Streamable HTTP MCP at /mcp)",
    "  sessions list         list stored sessions",
    "  sessions show <id>    show one session's metadata, decoded",
    "  sessions delete <id>  delete a stored session (terminates it on every replica)",
    "",
    "flags (precedence: flag > environment variable > config file > default):",
    ...flagLines,
    "  --json                 machine-readable output (sessions commands)",
    "  -h, --help             this text",
  ].join("\n");
}

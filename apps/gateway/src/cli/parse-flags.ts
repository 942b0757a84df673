import { type ParseArgsConfig, parseArgs } from "node:util";
import {
  type ConfigField,
  ConfigFields,
  type ConfigFlagName,
  fieldOfFlag,
  isRepeatable,
  metavarOf,
} from "../config/config-fields.js";
import type { FlagValues } from "../config/config-sources.js";
import { nearestName } from "../config/nearest-name.js";
import { GatewayConfigError } from "../errors.js";
import { StoredRecordKinds } from "./session-view.js";

/** Parsed command line: positionals, config flag values and the switches. */
export interface ParsedCommandLine {
  readonly positionals: readonly string[];
  readonly flags: FlagValues;
  readonly json: boolean;
  readonly help: boolean;
  /** `--kind K` (sessions list): which records to print; `undefined` when not given. */
  readonly kind: string | undefined;
}

const fields: readonly ConfigField[] = ConfigFields;

/** The switches that are not configuration fields: `--json` and `-h`/`--help`. */
const switches = [
  { flag: "json", short: undefined, help: "machine-readable output (sessions commands)" },
  { flag: "help", short: "h", help: "this text" },
] as const;

/** The options with a value that are not configuration fields: `--kind` of `sessions list`. */
const commandOptions = [
  {
    flag: "kind",
    metavar: `all|${StoredRecordKinds.join("|")}`,
    help: "sessions list: which records to print; default all, each marked with its kind (only session is a client session)",
  },
] as const;

/**
 * Parses `argv` (without `node` and the script) with `node:util` `parseArgs`: every flag of
 * `ConfigFields` (config-fields.ts), `--json` and `--help`. A value may follow its flag
 * (`--port 4000`) or be joined to it (`--port=4000`, needed for a value starting with `-`); a
 * boolean field's flag alone (last, or before another flag) means `true`: `--tracing`.
 * @throws {GatewayConfigError} whose `field` is the flag, for an unknown flag (with the closest
 *   known one), a flag without its value, or a value given to a switch.
 */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const s of switches) {
    options[s.flag] =
      s.short === undefined ? { type: "boolean" } : { type: "boolean", short: s.short };
  }
  for (const option of commandOptions) options[option.flag] = { type: "string" };
  for (const field of fields) {
    options[field.flag] = { type: "string", multiple: isRepeatable(field) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: withBareSwitches(argv),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw commandLineError(error as Error & { code?: string });
  }
  const flags: FlagValues = {};
  for (const field of fields) {
    const value = parsed.values[field.flag];
    const name = field.flag as ConfigFlagName;
    if (typeof value === "string") flags[name] = value;
    else if (Array.isArray(value)) {
      flags[name] = value.filter((v): v is string => typeof v === "string");
    }
  }
  return {
    positionals: parsed.positionals,
    flags,
    json: parsed.values.json === true,
    help: parsed.values.help === true,
    kind: typeof parsed.values.kind === "string" ? parsed.values.kind : undefined,
  };
}

/** The flags of `boolean` fields, as written: `--tracing`. */
const booleanFlags = new Set(fields.filter((f) => f.kind === "boolean").map((f) => `--${f.flag}`));

/**
 * `argv` with `true` after each boolean field's flag given alone (last, or followed by another
 * flag): `--tracing --metrics` reads as `--tracing true --metrics true`.
 */
function withBareSwitches(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    out.push(arg);
    const next = argv[i + 1];
    if (booleanFlags.has(arg) && (next === undefined || next.startsWith("-"))) out.push("true");
  }
  return out;
}

function commandLineError(error: Error & { code?: string }): GatewayConfigError {
  const option = /'(-[^' ]+)/.exec(error.message)?.[1];
  if (option === undefined)
    return new GatewayConfigError("(flags)", error.message, { cause: error });
  const name = option.replace(/^-+/, "");
  if (error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const near = closestFlag(name);
    const guess = near === undefined ? "" : `; did you mean --${near}?`;
    return new GatewayConfigError(option, `unknown flag${guess} (see --help)`, { cause: error });
  }
  const command = commandOptions.find((o) => o.flag === name);
  if (command !== undefined) {
    return new GatewayConfigError(option, `needs a value (--${command.flag} ${command.metavar})`, {
      cause: error,
    });
  }
  const field = fieldOfFlag(name);
  if (field === undefined) {
    return new GatewayConfigError(option, "takes no value", { cause: error });
  }
  const form = `--${field.flag} ${metavarOf(field)}`;
  const dash = /ambiguous/.test(error.message)
    ? `; a value starting with "-" goes as --${field.flag}=VALUE`
    : "";
  return new GatewayConfigError(option, `needs a value (${form}, env ${field.env})${dash}`, {
    cause: error,
  });
}

/** The known flag nearest to `name`, when it is near enough to be a typo. */
function closestFlag(name: string): string | undefined {
  return nearestName(name, [
    ...switches.map((s) => s.flag),
    ...commandOptions.map((o) => o.flag),
    ...fields.map((f) => f.flag),
  ]);
}

/** The `--help` text: the commands, then one line per flag of `ConfigFields` with its default and env variable. */
export function usage(): string {
  const rows = fields.map((field) => {
    const extras = [
      ...(field.defaultShown === undefined ? [] : [`default ${field.defaultShown}`]),
      isRepeatable(field) ? `repeatable; env ${field.env}, comma-separated` : `env ${field.env}`,
    ];
    return [`--${field.flag} ${metavarOf(field)}`, `${field.help} (${extras.join("; ")})`];
  });
  rows.push(
    ...commandOptions.map((o) => [`--${o.flag} ${o.metavar}`, o.help]),
    ...switches.map((s) => [
      s.short === undefined ? `--${s.flag}` : `-${s.short}, --${s.flag}`,
      s.help,
    ]),
  );
  // The flag column fits most flags; a longer flag stands on a line of its own, its help below.
  const width = Math.min(FlagColumns, Math.max(...rows.map(([left = ""]) => left.length)));
  return [
    "usage: vmcp-gateway <command> [flags]",
    "",
    "commands:",
    "  serve                 run the gateway (Streamable HTTP MCP at /mcp)",
    "  sessions list         list stored sessions and the other records beside them, by kind",
    "  sessions show <id>    show one record's metadata, decoded (a session's, or what the record is)",
    "  sessions delete <id>  delete a stored session (terminates it on every replica)",
    "",
    "flags (precedence: flag > environment variable > config file > default):",
    ...rows.flatMap(([left = "", right = ""]) => {
      const lines = wrap(right, HelpColumns - width - 4).map(
        (text) => `  ${"".padEnd(width)}  ${text}`,
      );
      if (left.length > width) return [`  ${left}`, ...lines];
      return lines.map((line, i) =>
        i === 0 ? `  ${left.padEnd(width)}${line.slice(width + 2)}` : line,
      );
    }),
  ].join("\n");
}

/** Width of `--help` lines, characters (a line holding one long word may be longer). */
const HelpColumns = 100;

/** Width of the flag column of `--help`, characters; a longer flag gets a line of its own. */
const FlagColumns = 34;

function wrap(text: string, columns: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > columns) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

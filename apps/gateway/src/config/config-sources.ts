/**
 * Turns each configuration source (flags, environment variables) into a raw, unvalidated
 * fragment of the config file's shape, so all three merge and validate in one place.
 */

import { GatewayConfigError } from "../errors.js";
import { shellWord } from "../shell-word.js";
import {
  type ConfigField,
  ConfigFields,
  type ConfigFlagName,
  configHint,
  isRepeatable,
} from "./config-fields.js";

/** A raw configuration fragment, not yet validated. */
export type RawConfig = Record<string, unknown>;

/** Collected values by flag: one string, or a list for repeatable flags. */
export type FlagValues = Partial<Record<ConfigFlagName, string | string[]>>;

/** Where flag values came from: the command line or `VMCP_*` environment variables. */
export type ConfigSource = "flag" | "env";

const fields: readonly ConfigField[] = ConfigFields;

/**
 * Reads the `VMCP_*` variables of `env` named in {@link ConfigFields} into flag values; an empty
 * variable counts as unset; repeatable fields' variables are comma-separated lists.
 */
export function flagValuesFromEnv(env: Readonly<Record<string, string | undefined>>): FlagValues {
  const values: FlagValues = {};
  for (const field of fields) {
    const value = env[field.env];
    if (value === undefined || value === "") continue;
    values[field.flag as ConfigFlagName] = isRepeatable(field) ? splitList(value) : value;
  }
  return values;
}

/**
 * Maps flag values (from the command line, or from env with `source` `"env"`) onto the config
 * file's shape, as {@link ConfigFields} says: each field's text becomes its value kind, and a
 * field that implies a `kind` (e.g. `--redis-url`) sets it when none is given.
 * @throws {GatewayConfigError} for a value that is not of its kind (e.g. `--port abc`), naming
 *   the field and the flag or environment variable.
 */
export function rawConfigFromFlags(values: FlagValues, source: ConfigSource = "flag"): RawConfig {
  const raw: RawConfig = {};
  const implied: { readonly path: string; readonly value: string }[] = [];
  for (const field of fields) {
    const given = values[field.flag as ConfigFlagName];
    if (field.path === undefined || given === undefined) continue;
    const texts = Array.isArray(given) ? given : [given];
    if (texts.length === 0) continue;
    setPath(raw, field.path, convertText(field, field.path, texts, source));
    if (field.implies !== undefined) implied.push(field.implies);
  }
  for (const { path, value } of implied) {
    if (getPath(raw, path) === undefined) setPath(raw, path, value);
  }
  return raw;
}

function convertText(
  field: ConfigField,
  path: string,
  texts: readonly string[],
  source: ConfigSource,
): unknown {
  const last = texts[texts.length - 1] ?? "";
  const refuse = (expected: string): never => {
    const name = source === "flag" ? `--${field.flag}` : field.env;
    throw new GatewayConfigError(path, `${name} expects ${expected}, got ${JSON.stringify(last)}`);
  };
  switch (field.kind) {
    case "string":
    case "file":
      return last;
    case "integer":
      return /^-?\d+$/.test(last) ? Number(last) : refuse("a whole number");
    case "boolean":
      return last === "true" ? true : last === "false" ? false : refuse("true or false");
    case "backend":
      return texts.map((entry, index) => parseBackendFlag(entry, index, source));
    case "static-token": {
      const tokens: Record<string, { issuer: string; subject: string }> = {};
      for (const entry of texts) {
        const eq = entry.indexOf("=");
        tokens[eq === -1 ? entry : entry.slice(0, eq)] = {
          issuer: "static",
          subject: eq === -1 ? "" : entry.slice(eq + 1),
        };
      }
      return tokens;
    }
    case "redis-sentinel": {
      const at = last.indexOf("@");
      return {
        masterName: at === -1 ? "" : last.slice(0, at),
        sentinels: splitList(last.slice(at + 1)),
      };
    }
    case "redis-cluster":
      return { nodes: splitList(last) };
    case "redis-durability": {
      const [replicas = "", timeoutMs] = last.split(":");
      const whole = (text: string): number =>
        /^-?\d+$/.test(text) ? Number(text) : refuse("REPLICAS[:TIMEOUT_MS] in whole numbers");
      return timeoutMs === undefined
        ? { replicas: whole(replicas) }
        : { replicas: whole(replicas), timeoutMs: whole(timeoutMs) };
    }
  }
}

function setPath(target: RawConfig, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (isPlainObject(next)) node = next;
    else {
      const created: RawConfig = {};
      node[key] = created;
      node = created;
    }
  }
  node[keys[keys.length - 1] ?? path] = value;
}

function getPath(source: RawConfig, path: string): unknown {
  let node: unknown = source;
  for (const key of path.split(".")) {
    if (!isPlainObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

/**
 * `ID=URL`, `ID=URL#era=ERA` (the backend's era pin, see `BackendEraPins`) or
 * `ID=stdio:COMMAND ARG...` to a raw backend entry.
 * @throws {GatewayConfigError} naming `backends.<index>` and the expected form, for an entry
 *   without `ID=` (a bare URL or `stdio:` command, even one whose own text holds a `=`).
 */
function parseBackendFlag(entry: string, index: number, source: ConfigSource): RawConfig {
  const eq = entry.indexOf("=");
  const workloadId = eq === -1 ? entry : entry.slice(0, eq);
  const target = eq === -1 ? "" : entry.slice(eq + 1);
  const bare = /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || entry.startsWith("stdio:");
  if (eq === -1 || bare) {
    const name = source === "flag" ? "--backend" : "VMCP_BACKENDS";
    const example = bare ? `alpha=${entry}` : `${entry}=http://127.0.0.1:5001/mcp`;
    const shown = source === "flag" ? `--backend ${shellWord(example)}` : example;
    throw new GatewayConfigError(
      `backends.${index}`,
      `${name} expects ID=URL or "ID=stdio:COMMAND ARG ...", got ${JSON.stringify(entry)}; name the backend, e.g. ${shown}${configHint("backends")}`,
    );
  }
  if (target.startsWith("stdio:")) {
    const [command = "", ...args] = target.slice("stdio:".length).trim().split(/\s+/);
    return args.length > 0 ? { workloadId, command, args } : { workloadId, command };
  }
  const pinned = /#era=([^#]*)$/.exec(target);
  if (pinned === null) return { workloadId, url: target };
  // The era, validated with the rest (`backends.<index>.era`); a URL's fragment is never sent.
  return { workloadId, url: target.slice(0, pinned.index), era: pinned[1] };
}

function splitList(value: string): string[] {
  return value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

/**
 * Overlays `top` on `base`: objects merge key by key, everything else (arrays included) is
 * replaced. A `store` or `identity` whose `kind` changes replaces the base one whole, so a
 * `--store redis` never inherits memory-only fields from the file.
 */
export function mergeRawConfig(base: RawConfig, top: RawConfig): RawConfig {
  const out: RawConfig = { ...base };
  for (const [key, value] of Object.entries(top)) {
    const prev = out[key];
    if (isPlainObject(value) && isPlainObject(prev)) {
      const kindChanged =
        (key === "store" || key === "identity") &&
        value.kind !== undefined &&
        prev.kind !== undefined &&
        value.kind !== prev.kind;
      out[key] = kindChanged ? value : mergeRawConfig(prev, value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function isPlainObject(value: unknown): value is RawConfig {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

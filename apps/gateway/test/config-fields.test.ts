import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DefaultKeyPrefix } from "@vmcp/store-redis";
import { describe, expect, it } from "vitest";
import { parseCommandLine, usage } from "../dist/cli/parse-flags.js";
import { type ConfigField, ConfigFields } from "../dist/config/config-fields.js";
import { loadGatewayConfig } from "../dist/config/load-config.js";
import { DefaultJwksRefreshMs } from "../dist/identity/jwks-source.js";
import { DefaultRequireExp } from "../dist/identity/jwt-verifier.js";

const fields: readonly ConfigField[] = ConfigFields;
const byFlag = new Map(fields.map((f) => [f.flag, f]));
const secret = "s".repeat(32);

const dir = await mkdtemp(join(tmpdir(), "vmcp-config-fields-"));
async function file(content: unknown): Promise<string> {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  await writeFile(path, JSON.stringify(content));
  return path;
}
const portFile = await file({ port: 1234 });
const redisFile = await file({ store: { kind: "redis", url: "redis://127.0.0.1:1" } });
const jwtFile = await file({ identity: { kind: "jwt", secret } });
const requireExpFile = await file({ identity: { kind: "jwt", secret, requireExp: "no" } });
const tracingFile = await file({ tracing: "yes" });
const metricsFile = await file({ metrics: "yes" });

type Text = string | readonly string[];
/** A value for one field, the value expected at `at` (default: the field's path), and other flags it needs. */
interface Sample {
  readonly value: Text;
  readonly expected: unknown;
  readonly at?: string;
  readonly with?: Readonly<Record<string, string>>;
}

/** A good value for every field, unlike its default (checked below), so a field that is not read fails. */
const samples: Record<string, Sample> = {
  config: { value: portFile, at: "port", expected: 1234 },
  host: { value: "0.0.0.0", expected: "0.0.0.0" },
  port: { value: "4321", expected: 4321 },
  "session-ttl-ms": { value: "60000", expected: 60_000 },
  "max-body-bytes": { value: "2048", expected: 2048 },
  "connect-timeout-ms": { value: "500", expected: 500 },
  "shutdown-timeout-ms": { value: "0", expected: 0 },
  "max-live-sessions": { value: "5", expected: 5 },
  "headers-timeout-ms": { value: "2000", expected: 2000 },
  "body-timeout-ms": { value: "3000", expected: 3000 },
  "max-header-bytes": { value: "4096", expected: 4096 },
  "max-token-bytes": { value: "1024", expected: 1024 },
  "max-json-depth": { value: "16", expected: 16 },
  "log-level": { value: "debug", expected: "debug" },
  "log-max-value-chars": { value: "256", expected: 256 },
  "backend-failure-log-interval-ms": { value: "0", expected: 0 },
  tracing: { value: "true", expected: true },
  metrics: { value: "true", expected: true },
  "binding-secret": { value: "0123456789abcdef", expected: "0123456789abcdef" },
  backend: {
    value: ["a=http://127.0.0.1:1/mcp", "b=stdio:node server.js --stdio"],
    expected: [
      { workloadId: "a", url: "http://127.0.0.1:1/mcp" },
      { workloadId: "b", command: "node", args: ["server.js", "--stdio"] },
    ],
  },
  "idle-timeout-ms": { value: "0", expected: 0 },
  "backend-retry-initial-delay-ms": { value: "100", expected: 100 },
  "backend-retry-max-delay-ms": { value: "2000", expected: 2000 },
  "backend-retry-wait-ms": { value: "0", expected: 0 },
  "stdio-stop-grace-ms": { value: "300", expected: 300 },
  store: {
    value: "memory",
    at: "store",
    expected: { kind: "memory" },
    with: { config: redisFile },
  },
  "redis-url": {
    value: "redis://127.0.0.1:6379",
    at: "store",
    expected: { kind: "redis", url: "redis://127.0.0.1:6379" },
  },
  "redis-sentinel": {
    value: "main@127.0.0.1:26379,127.0.0.1:26380",
    at: "store",
    expected: {
      kind: "redis",
      sentinel: { masterName: "main", sentinels: ["127.0.0.1:26379", "127.0.0.1:26380"] },
    },
  },
  "redis-cluster": {
    value: "127.0.0.1:7000,127.0.0.1:7001",
    at: "store",
    expected: { kind: "redis", cluster: { nodes: ["127.0.0.1:7000", "127.0.0.1:7001"] } },
  },
  "redis-key-prefix": {
    value: "app:",
    expected: "app:",
    with: { "redis-url": "redis://127.0.0.1:6379" },
  },
  "redis-durability": {
    value: "1:500",
    expected: { replicas: 1, timeoutMs: 500 },
    with: { "redis-url": "redis://127.0.0.1:6379" },
  },
  identity: {
    value: "none",
    at: "identity",
    expected: { kind: "none" },
    with: { config: jwtFile },
  },
  "static-token": {
    value: ["t1=alice", "t2=bob"],
    at: "identity",
    expected: {
      kind: "static",
      tokens: {
        t1: { issuer: "static", subject: "alice" },
        t2: { issuer: "static", subject: "bob" },
      },
    },
  },
  "jwt-secret": { value: secret, at: "identity", expected: { kind: "jwt", secret } },
  "jwt-jwks-file": {
    value: "/etc/vmcp/jwks.json",
    at: "identity",
    expected: { kind: "jwt", jwksFile: "/etc/vmcp/jwks.json" },
  },
  "jwt-jwks-url": {
    value: "https://idp.example/jwks.json",
    at: "identity",
    expected: { kind: "jwt", jwksUrl: "https://idp.example/jwks.json" },
  },
  "jwt-jwks-refresh-ms": { value: "5000", expected: 5000, with: { "jwt-secret": secret } },
  "jwt-require-exp": { value: "false", expected: false, with: { "jwt-secret": secret } },
  "jwt-issuer": { value: "https://idp", expected: "https://idp", with: { "jwt-secret": secret } },
  "jwt-audience": { value: "gw", expected: "gw", with: { "jwt-secret": secret } },
  "max-batch-length": { value: "10", expected: 10 },
  "max-concurrent-backend-requests": { value: "4", expected: 4 },
  "max-queued-backend-requests": { value: "0", expected: 0 },
  "list-refresh-interval-ms": { value: "0", expected: 0 },
  "server-request-timeout-ms": { value: "500", expected: 500 },
  "answer-ack-timeout-ms": { value: "300", expected: 300 },
  "max-pending-server-requests": { value: "4", expected: 4 },
  "max-input-rounds": { value: "3", expected: 3 },
  "stream-heartbeat-ms": { value: "1000", expected: 1000 },
  "max-stream-buffer-bytes": { value: "65536", expected: 65536 },
  "max-sessions-per-caller": { value: "3", expected: 3 },
  "initialize-per-minute": { value: "5", expected: 5 },
  "initialize-burst": { value: "2", expected: 2 },
  "max-modern-requests-per-caller": { value: "7", expected: 7 },
  "loopback-callers": { value: "limited", expected: "limited" },
  "max-client-info-bytes": { value: "1024", expected: 1024 },
  "max-metadata-value-bytes": { value: "2048", expected: 2048 },
  "max-metadata-bytes": { value: "4096", expected: 4096 },
  "modern-verdict-ttl-ms": { value: "60000", expected: 60000 },
  "modern-probe-retry-ms": { value: "0", expected: 0 },
  "modern-max-subscriptions": { value: "8", expected: 8 },
  "modern-max-resource-subscriptions": { value: "16", expected: 16 },
  "modern-change-coalesce-ms": { value: "0", expected: 0 },
  "modern-keep-alive-ms": { value: "0", expected: 0 },
  "modern-list-ttl-cap-ms": { value: "1000", expected: 1000 },
  "modern-call-timeout-ms": { value: "5000", expected: 5000 },
  "modern-task-route-ttl-ms": { value: "60000", expected: 60000 },
  "modern-pooled-session-ttl-ms": { value: "60000", expected: 60000 },
  "modern-max-pooled-sessions": { value: "16", expected: 16 },
  "modern-max-pooled-sessions-per-caller": { value: "2", expected: 2 },
  "modern-max-parked-calls": { value: "8", expected: 8 },
  "modern-park-timeout-ms": { value: "5000", expected: 5000 },
  "modern-park-ack-timeout-ms": { value: "500", expected: 500 },
  "modern-park-heartbeat-ms": { value: "250", expected: 250 },
  "modern-park-missed-heartbeats": { value: "5", expected: 5 },
  "modern-park-batch-ms": { value: "5", expected: 5 },
  "modern-max-parked-notifications": { value: "8", expected: 8 },
};

/** A value of every field that converts but fails validation (a whole number: -1, below every bound). */
const badSamples: Record<string, Omit<Sample, "expected">> = {
  config: { value: join(dir, "missing.json") },
  host: { value: "" },
  "log-level": { value: "loud" },
  "binding-secret": { value: "short" },
  backend: { value: "a=ftp://127.0.0.1/mcp" },
  store: { value: "sqlite" },
  "redis-url": { value: "http://127.0.0.1:6379" },
  "redis-sentinel": { value: "main@no-port" },
  "redis-cluster": { value: "no-port" },
  "redis-key-prefix": { value: "", with: { "redis-url": "redis://127.0.0.1:6379" } },
  "redis-durability": { value: "1:1500", with: { "redis-url": "redis://127.0.0.1:6379" } },
  identity: { value: "magic" },
  "static-token": { value: "t1=" },
  "jwt-secret": { value: "short" },
  "jwt-jwks-file": { value: "" },
  "jwt-jwks-url": { value: "ftp://idp/jwks.json" },
  "jwt-jwks-refresh-ms": { value: "-1", with: { "jwt-secret": secret } },
  // true and false are both valid, so the bad value comes from the file; the hint names the flag.
  "jwt-require-exp": { value: [], with: { config: requireExpFile } },
  tracing: { value: [], with: { config: tracingFile } },
  metrics: { value: [], with: { config: metricsFile } },
  "jwt-issuer": { value: "", with: { "jwt-secret": secret } },
  "jwt-audience": { value: "", with: { "jwt-secret": secret } },
  "loopback-callers": { value: "always" },
};

function at(config: unknown, path: string): unknown {
  let node = config;
  for (const key of path.split(".")) {
    node =
      typeof node === "object" && node !== null
        ? (node as Record<string, unknown>)[key]
        : undefined;
  }
  return node;
}

function argv(values: Readonly<Record<string, Text>>): string[] {
  return Object.entries(values).flatMap(([flag, value]) =>
    (typeof value === "string" ? [value] : value).map((v) => `--${flag}=${v}`),
  );
}

function env(values: Readonly<Record<string, Text>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([flag, value]) => [
      byFlag.get(flag)?.env ?? flag,
      typeof value === "string" ? value : value.join(","),
    ]),
  );
}

async function loadVia(
  source: "flag" | "env",
  values: Readonly<Record<string, Text>>,
): Promise<unknown> {
  return source === "flag"
    ? loadGatewayConfig({ flags: parseCommandLine(["serve", ...argv(values)]).flags })
    : loadGatewayConfig({ env: env(values) });
}

async function refusal(promise: Promise<unknown>): Promise<{ field: string; message: string }> {
  return promise.then(
    () => expect.fail("accepted"),
    (error: { code?: string; field: string; message: string }) => {
      expect(error.code).toBe("VMCP_GATEWAY_CONFIG");
      return error;
    },
  );
}

describe("the configuration table", () => {
  it("has one row per flag and per env variable, and a sample for each", () => {
    expect(new Set(fields.map((f) => f.flag)).size).toBe(fields.length);
    expect(new Set(fields.map((f) => f.env)).size).toBe(fields.length);
    expect(Object.keys(samples).sort()).toEqual(fields.map((f) => f.flag).sort());
    const needBad = fields.filter((f) => f.kind !== "integer").map((f) => f.flag);
    for (const flag of needBad) expect(badSamples, flag).toHaveProperty(flag);
  });

  it("shows the defaults derived from the schema: its own, and those a module applies", async () => {
    const defaults = await loadGatewayConfig({});
    let compared = 0;
    for (const field of fields) {
      const value = field.path === undefined ? undefined : at(defaults, field.path);
      if (value === undefined || typeof value === "object") continue;
      expect(field.defaultShown, field.flag).toBe(String(value));
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(30);
    // Left absent by the schema; shown from the constant of the module that applies it.
    expect(byFlag.get("redis-key-prefix")?.defaultShown).toBe(DefaultKeyPrefix);
    expect(byFlag.get("jwt-jwks-refresh-ms")?.defaultShown).toBe(String(DefaultJwksRefreshMs));
    expect(byFlag.get("jwt-require-exp")?.defaultShown).toBe(String(DefaultRequireExp));
    expect(byFlag.get("binding-secret")?.defaultShown).toBe("a random key per process");
    expect(fields.filter((f) => f.defaultShown === undefined).map((f) => f.flag)).toEqual([
      "config",
      "backend",
      "redis-url",
      "redis-sentinel",
      "redis-cluster",
      "redis-durability",
      "static-token",
      "jwt-secret",
      "jwt-jwks-file",
      "jwt-jwks-url",
      "jwt-issuer",
      "jwt-audience",
    ]);
  });

  for (const source of ["flag", "env"] as const) {
    it.each(fields.map((f) => [f.flag, f] as const))(`sets %s by ${source}`, async (flag) => {
      const sample = samples[flag] as Sample;
      const path = sample.at ?? byFlag.get(flag)?.path ?? "";
      const baseline = await loadVia(source, sample.with ?? {});
      const config = await loadVia(source, { ...sample.with, [flag]: sample.value });
      expect(at(config, path)).toEqual(sample.expected);
      expect(at(baseline, path)).not.toEqual(sample.expected);
    });
  }

  it.each(fields.map((f) => [f.flag, f] as const))(
    "a bad --%s is refused naming the field, its flag and its env variable",
    async (flag, field) => {
      const bad = badSamples[flag] ?? { value: "-1" };
      const error = await refusal(loadVia("flag", { ...bad.with, [flag]: bad.value }));
      expect(error.field.startsWith(field.path ?? "config"), error.field).toBe(true);
      expect(error.message).toContain(`flag --${flag}, env ${field.env})`);
    },
  );

  it.each(
    fields
      .filter((f) => f.kind === "integer" || f.kind === "boolean")
      .map((f) => [f.flag, f] as const),
  )(
    "a non-number or non-boolean --%s is refused naming the flag, or the env variable",
    async (flag, field) => {
      const byFlagError = await refusal(loadVia("flag", { [flag]: "1.5x" }));
      expect(byFlagError.field).toBe(field.path);
      expect(byFlagError.message).toContain(`--${flag} expects`);
      expect(byFlagError.message).toContain('"1.5x"');
      const byEnvError = await refusal(loadVia("env", { [flag]: "1.5x" }));
      expect(byEnvError.field).toBe(field.path);
      expect(byEnvError.message).toContain(`${field.env} expects`);
    },
  );
});

describe("the command line", () => {
  it("reads every flag, joined (--x=v) or separate (--x v); repeatable ones as lists", () => {
    for (const field of fields) {
      const repeatable = field.kind === "backend" || field.kind === "static-token";
      const joined = parseCommandLine(["serve", `--${field.flag}=v1`]).flags;
      const separate = parseCommandLine([
        `--${field.flag}`,
        "v1",
        `--${field.flag}`,
        "v2",
        "serve",
      ]);
      expect(joined).toEqual({ [field.flag]: repeatable ? ["v1"] : "v1" });
      expect(separate.flags).toEqual({ [field.flag]: repeatable ? ["v1", "v2"] : "v2" });
      expect(separate.positionals).toEqual(["serve"]);
    }
  });

  it("refuses an unknown flag, naming it and the closest known one", () => {
    expect(() => parseCommandLine(["serve", "--prot", "1"])).toThrow(
      expect.objectContaining({
        field: "--prot",
        message: expect.stringMatching(/did you mean --port\?/),
      }),
    );
    expect(() => parseCommandLine(["serve", "--max-batch-lenght=3"])).toThrow(
      /did you mean --max-batch-length\?/,
    );
    expect(() => parseCommandLine(["serve", "--zzzzzzzz"])).toThrow(
      expect.objectContaining({
        field: "--zzzzzzzz",
        message: expect.not.stringMatching(/did you mean/),
      }),
    );
  });

  it("refuses a flag without its value, naming its form and env variable", () => {
    expect(() => parseCommandLine(["serve", "--port"])).toThrow(
      expect.objectContaining({
        code: "VMCP_GATEWAY_CONFIG",
        field: "--port",
        message: expect.stringContaining("needs a value (--port N, env VMCP_PORT)"),
      }),
    );
    expect(() => parseCommandLine(["serve", "--idle-timeout-ms", "-1"])).toThrow(
      /--idle-timeout-ms: needs a value .*--idle-timeout-ms=VALUE/,
    );
    expect(() => parseCommandLine(["serve", "--json=yes"])).toThrow(/--json: takes no value/);
  });

  it("reads a boolean flag given alone as true: last, or before another flag", () => {
    const parsed = parseCommandLine(["serve", "--tracing", "--metrics"]);
    expect(parsed.flags).toEqual({ tracing: "true", metrics: "true" });
    expect(parsed.positionals).toEqual(["serve"]);
    expect(parseCommandLine(["--metrics", "false", "--tracing", "--port", "1", "serve"])).toEqual(
      expect.objectContaining({
        flags: { metrics: "false", tracing: "true", port: "1" },
        positionals: ["serve"],
      }),
    );
    // A flag that takes a number still needs its value.
    expect(() => parseCommandLine(["serve", "--port", "--tracing"])).toThrow(
      /--port: needs a value/,
    );
  });

  it("--help lists every flag with its env variable and default", () => {
    const text = usage();
    expect(Math.max(...text.split("\n").map((l) => l.length))).toBeLessThanOrEqual(100);
    for (const field of fields) {
      // A flag's entry: its line and the indented lines that continue it, joined.
      const at = text.split("\n").findIndex((l) => l.trimStart().startsWith(`--${field.flag} `));
      expect(at, field.flag).toBeGreaterThan(-1);
      const rest = text.split("\n").slice(at + 1);
      const more = rest.findIndex((l) => !/^ {10,}\S/.test(l));
      const line = [text.split("\n")[at], ...rest.slice(0, more === -1 ? rest.length : more)]
        .map((l) => l?.trim())
        .join(" ");
      expect(line).toContain(field.env);
      expect(line).toContain(field.help);
      if (field.defaultShown !== undefined) expect(line).toContain(`default ${field.defaultShown}`);
    }
    expect(text).toMatch(/^ {2}--json {2,}/m);
    expect(text).toMatch(/^ {2}-h, --help {2,}/m);
  });
});

/** A README table row with a flag: the field's path (section-prefixed), flag, env and, when the table has one, its default. */
interface ReadmeRow {
  readonly path: string | undefined;
  readonly flag: string;
  readonly env: string;
  readonly defaultShown?: string;
}

async function readmeRows(): Promise<ReadmeRow[]> {
  const text = await readFile(new URL("../README.md", import.meta.url), "utf8");
  const start = text.indexOf("## Configuration reference");
  const end = text.indexOf("\n## ", start + 1);
  const rows: ReadmeRow[] = [];
  let prefix = "";
  let header: string[] | undefined;
  for (const line of text.slice(start, end).split("\n")) {
    const section = /^### `(\w+)`/.exec(line);
    if (section) prefix = `${section[1]}.`;
    else if (line.startsWith("### ")) prefix = "";
    if (!line.startsWith("|")) {
      header = undefined;
      continue;
    }
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim());
    if (header === undefined) {
      header = cells;
      continue;
    }
    const flagAt = header.indexOf("flag");
    const envAt = header.indexOf("env");
    if (flagAt === -1 || envAt === -1 || /^-+$/.test(cells[0] ?? "")) continue;
    const flag = /`--([a-z0-9-]+)/.exec(cells[flagAt] ?? "")?.[1];
    if (flag === undefined) continue;
    const name = /^`(\w+)`/.exec(cells[0] ?? "")?.[1];
    const defaultAt = header.indexOf("default");
    const defaultCell = cells[defaultAt] ?? "";
    rows.push({
      path: name === undefined ? undefined : `${prefix}${name}`,
      flag,
      env: /`(VMCP_\w+)`/.exec(cells[envAt] ?? "")?.[1] ?? "",
      ...(defaultAt === -1
        ? {}
        : { defaultShown: /^`([^`]*)`/.exec(defaultCell)?.[1] ?? defaultCell }),
    });
  }
  return rows;
}

describe("the README's configuration tables", () => {
  it("list every field of the table, with its path, env variable and default", async () => {
    const rows = new Map((await readmeRows()).map((r) => [r.flag, r]));
    for (const field of fields) {
      const row = rows.get(field.flag);
      expect(row, `README row of --${field.flag}`).toBeDefined();
      expect({ path: row?.path, env: row?.env }).toEqual({ path: field.path, env: field.env });
      if (row?.defaultShown !== undefined) {
        expect(row.defaultShown, field.flag).toBe(field.defaultShown ?? "none");
      }
    }
  });

  it("list no flag the table lacks, and no flag twice", async () => {
    const rows = await readmeRows();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const field = byFlag.get(row.flag);
      expect(field, `--${row.flag} of the README`).toBeDefined();
      expect({ path: row.path, env: row.env }).toEqual({ path: field?.path, env: field?.env });
    }
    expect(new Set(rows.map((r) => r.flag)).size).toBe(rows.length);
  });
});

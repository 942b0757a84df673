import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DefaultTimeoutMs } from "@vmcp/store-redis";
import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../dist/cli/parse-flags.js";
import { RedisStoreTimeoutMs } from "../dist/config/gateway-config.js";
import { loadGatewayConfig, validateGatewayConfig } from "../dist/config/load-config.js";
import { runCli } from "./helpers/processes.js";

async function configFile(content: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "vmcp-gateway-config-"));
  const path = join(dir, "gateway.json");
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

function fieldOf(error: unknown): string {
  return (error as { field: string }).field;
}

describe("gateway configuration", () => {
  it("fills defaults: memory store, port 4000, 30 minute TTL, anonymous identity", async () => {
    const config = await loadGatewayConfig({});
    expect(config.store).toEqual({ kind: "memory" });
    expect(config.port).toBe(4000);
    expect(config.sessionTtlMs).toBe(30 * 60_000);
    expect(config.identity).toEqual({ kind: "none" });
    expect(config.backends).toEqual([]);
  });

  it("layers file < env < flags", async () => {
    const path = await configFile({
      port: 1111,
      sessionTtlMs: 60_000,
      backends: [{ workloadId: "files", url: "http://127.0.0.1:9/mcp" }],
    });
    const config = await loadGatewayConfig({
      env: { VMCP_CONFIG: path, VMCP_PORT: "2222", VMCP_LOG_LEVEL: "debug" },
      flags: { port: "3333" },
    });
    expect(config.port).toBe(3333);
    expect(config.logLevel).toBe("debug");
    expect(config.sessionTtlMs).toBe(60_000);
    expect(config.backends).toEqual([{ workloadId: "files", url: "http://127.0.0.1:9/mcp" }]);
  });

  it("reads redis url, sentinel and cluster from flags", async () => {
    expect(
      (await loadGatewayConfig({ flags: { "redis-url": "redis://127.0.0.1:6379" } })).store,
    ).toEqual({
      kind: "redis",
      url: "redis://127.0.0.1:6379",
    });
    expect(
      (
        await loadGatewayConfig({
          flags: { "redis-sentinel": "main@127.0.0.1:26379,127.0.0.1:26380" },
        })
      ).store,
    ).toEqual({
      kind: "redis",
      sentinel: { masterName: "main", sentinels: ["127.0.0.1:26379", "127.0.0.1:26380"] },
    });
    expect(
      (await loadGatewayConfig({ env: { VMCP_REDIS_CLUSTER: "127.0.0.1:7000,127.0.0.1:7001" } }))
        .store,
    ).toEqual({
      kind: "redis",
      cluster: { nodes: ["127.0.0.1:7000", "127.0.0.1:7001"] },
    });
  });

  it("reads the redis store's write durability from a flag, the environment and the file", async () => {
    const url = "redis://127.0.0.1:1";
    expect(
      (await loadGatewayConfig({ flags: { "redis-url": url, "redis-durability": "1" } })).store,
    ).toEqual({ kind: "redis", url, durability: { replicas: 1 } });
    expect(
      (await loadGatewayConfig({ env: { VMCP_REDIS_URL: url, VMCP_REDIS_DURABILITY: "2:400" } }))
        .store,
    ).toEqual({ kind: "redis", url, durability: { replicas: 2, timeoutMs: 400 } });
    const path = await configFile({ store: { kind: "redis", url, durability: { replicas: 1 } } });
    expect((await loadGatewayConfig({ flags: { config: path } })).store).toEqual({
      kind: "redis",
      url,
      durability: { replicas: 1 },
    });
  });

  it("bounds the WAIT timeout by the store's own bound", () => {
    expect(RedisStoreTimeoutMs).toBe(DefaultTimeoutMs);
  });

  it("a --store flag of another kind replaces the file's store instead of merging into it", async () => {
    const path = await configFile({ store: { kind: "memory", maxSessions: 5 } });
    const config = await loadGatewayConfig({
      flags: { config: path, store: "redis", "redis-url": "redis://127.0.0.1:1" },
    });
    expect(config.store).toEqual({ kind: "redis", url: "redis://127.0.0.1:1" });
  });

  it("parses http and stdio backends from flags and static tokens", async () => {
    const config = await loadGatewayConfig({
      flags: {
        backend: ["a=http://127.0.0.1:1/mcp", "b=stdio:node server.js --stdio"],
        "static-token": ["t1=alice"],
      },
    });
    expect(config.backends).toEqual([
      { workloadId: "a", url: "http://127.0.0.1:1/mcp" },
      { workloadId: "b", command: "node", args: ["server.js", "--stdio"] },
    ]);
    expect(config.identity).toEqual({
      kind: "static",
      tokens: { t1: { issuer: "static", subject: "alice" } },
    });
  });

  it("reads the HTTP edge limits, the JWKS URL, its refresh bound and requireExp from flags and env, with safe defaults", async () => {
    const defaults = await loadGatewayConfig({});
    expect(defaults).toMatchObject({
      headersTimeoutMs: 10_000,
      bodyTimeoutMs: 30_000,
      maxHeaderBytes: 16_384,
      maxTokenBytes: 8192,
      maxJsonDepth: 64,
      logMaxValueChars: 1024,
      backendFailureLogIntervalMs: 10_000,
    });
    const config = await loadGatewayConfig({
      env: {
        VMCP_HEADERS_TIMEOUT_MS: "2000",
        VMCP_JWT_REQUIRE_EXP: "false",
        VMCP_BACKEND_FAILURE_LOG_INTERVAL_MS: "0",
      },
      flags: {
        "body-timeout-ms": "3000",
        "max-header-bytes": "4096",
        "max-token-bytes": "1024",
        "max-json-depth": "16",
        "log-max-value-chars": "256",
        "jwt-jwks-url": "https://idp.example/jwks.json",
        "jwt-jwks-refresh-ms": "5000",
      },
    });
    expect(config).toMatchObject({
      headersTimeoutMs: 2000,
      bodyTimeoutMs: 3000,
      maxHeaderBytes: 4096,
      maxTokenBytes: 1024,
      maxJsonDepth: 16,
      logMaxValueChars: 256,
      backendFailureLogIntervalMs: 0,
    });
    expect(config.identity).toEqual({
      kind: "jwt",
      jwksUrl: "https://idp.example/jwks.json",
      jwksRefreshMs: 5000,
      requireExp: false,
    });
  });

  it.each([
    [{ port: "abc" }, "port"],
    [{ port: 70000 }, "port"],
    [{ store: { kind: "redis" } }, "store.url"],
    [{ store: { kind: "redis", url: "http://x" } }, "store.url"],
    [{ store: { kind: "sqlite" } }, "store.kind"],
    [
      { store: { kind: "redis", url: "redis://x:1", durability: { replicas: 0 } } },
      "store.durability.replicas",
    ],
    [
      {
        store: { kind: "redis", url: "redis://x:1", durability: { replicas: 1, timeoutMs: 1500 } },
      },
      "store.durability.timeoutMs",
    ],
    [{ backends: [{ workloadId: "a,b", url: "http://127.0.0.1:1" }] }, "backends.0.workloadId"],
    [
      {
        backends: [
          { workloadId: "a", url: "http://127.0.0.1:1" },
          { workloadId: "a", url: "http://127.0.0.1:2" },
        ],
      },
      "backends.1.workloadId",
    ],
    [{ identity: { kind: "jwt" } }, "identity.secret"],
    [
      { identity: { kind: "jwt", jwksFile: "/k.json", jwksUrl: "https://idp/k.json" } },
      "identity.secret",
    ],
    [{ identity: { kind: "jwt", jwksUrl: "ftp://idp/k.json" } }, "identity.jwksUrl"],
    [
      { identity: { kind: "jwt", secret: "s".repeat(32), requireExp: "no" } },
      "identity.requireExp",
    ],
    [{ headersTimeoutMs: 10 }, "headersTimeoutMs"],
    [{ maxJsonDepth: 100_000 }, "maxJsonDepth"],
    [{ identity: { kind: "static", tokens: {} } }, "identity.tokens"],
    [{ sessionTtlMs: 5 }, "sessionTtlMs"],
    [{ surprise: true }, "surprise"],
    [
      {
        store: { kind: "redis", url: "redis://127.0.0.1:6379" },
        identity: { kind: "static", tokens: { t: { issuer: "i", subject: "s" } } },
      },
      "bindingSecret",
    ],
  ])("refuses %j naming %s", (raw, field) => {
    let caught: unknown;
    try {
      validateGatewayConfig(raw);
    } catch (error) {
      caught = error;
    }
    expect((caught as { code?: string }).code).toBe("VMCP_GATEWAY_CONFIG");
    expect(fieldOf(caught)).toBe(field);
    expect((caught as Error).message).toContain(field);
  });

  it("names the config file, the line and the column when it is not JSON", async () => {
    const path = await configFile('{\n  "port": 4000,\n  "host": "127.0.0.1",\n}\n');
    const error = await loadGatewayConfig({ flags: { config: path } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "VMCP_GATEWAY_CONFIG", field: "config" });
    expect((error as Error).message).toContain(
      `${path}:4:1: not valid JSON: expected a property name in double quotes (a trailing comma?), found "}"`,
    );
    const cli = await runCli(["serve", "--config", path]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain(`${path}:4:1: not valid JSON`);
    const viaEnv = await loadGatewayConfig({ env: { VMCP_CONFIG: await configFile("{ nope") } })
      .then(() => "accepted")
      .catch((e: Error) => e.message);
    expect(viaEnv).toMatch(
      /gateway\.json:1:3: not valid JSON: expected a property name in double quotes, found "nope"/,
    );
    // A byte order mark before the JSON is not an error.
    const bom = await configFile('\uFEFF{"port": 4001}');
    expect((await loadGatewayConfig({ flags: { config: bom } })).port).toBe(4001);
  });

  it("refuses an unknown key of the config file with the nearest known key of its object", async () => {
    const path = await configFile({ limits: { initialiseBurst: 3 } });
    const error = await loadGatewayConfig({ flags: { config: path } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "VMCP_GATEWAY_CONFIG", field: "limits.initialiseBurst" });
    expect((error as Error).message).toBe(
      `invalid configuration: limits.initialiseBurst: unknown key; did you mean limits.initializeBurst? (in ${path})`,
    );
    const cases: [unknown, string, string][] = [
      [{ prot: 4000 }, "prot", "did you mean port?"],
      [
        { store: { kind: "redis", urll: "redis://h:6379" } },
        "store.urll",
        "did you mean store.url?",
      ],
      [
        { store: { kind: "memory", maxsessions: 5 } },
        "store.maxsessions",
        "did you mean store.maxSessions?",
      ],
      [
        { backends: [{ workloadId: "a", comand: "node" }] },
        "backends.0.comand",
        "did you mean backends.0.command?",
      ],
      [
        { identity: { kind: "jwt", secet: "s".repeat(32) } },
        "identity.secet",
        "did you mean identity.secret?",
      ],
      [
        {
          store: { kind: "redis", sentinel: { masterName: "m", sentinels: ["h:1"], pasword: "p" } },
        },
        "store.sentinel.pasword",
        "did you mean store.sentinel.password?",
      ],
      // Nothing near: the keys known there; several unknown keys: the others named too.
      [
        { limits: { zzzzzzzz: 1, yyyyyyyy: 2 } },
        "limits.zzzzzzzz",
        "(known here: maxBatchLength, ",
      ],
      [
        { limits: { zzzzzzzz: 1, yyyyyyyy: 2 } },
        "limits.zzzzzzzz",
        "also unknown: limits.yyyyyyyy",
      ],
    ];
    for (const [raw, field, hint] of cases) {
      let caught: unknown;
      try {
        validateGatewayConfig(raw);
      } catch (e) {
        caught = e;
      }
      expect(fieldOf(caught), JSON.stringify(raw)).toBe(field);
      expect((caught as Error).message).toContain(`${field}: unknown key`);
      expect((caught as Error).message).toContain(hint);
    }
  });

  it("refuses --backend URL (or VMCP_BACKENDS) without ID= with the form it expects", async () => {
    const byFlag = await loadGatewayConfig({
      flags: parseCommandLine(["serve", "--backend", "http://127.0.0.1:5001/mcp"]).flags,
    }).catch((e: unknown) => e);
    expect(byFlag).toMatchObject({ code: "VMCP_GATEWAY_CONFIG", field: "backends.0" });
    expect((byFlag as Error).message).toBe(
      'invalid configuration: backends.0: --backend expects ID=URL or "ID=stdio:COMMAND ARG ...", got "http://127.0.0.1:5001/mcp"; name the backend, e.g. --backend alpha=http://127.0.0.1:5001/mcp (flag --backend, env VMCP_BACKENDS)',
    );
    // A URL whose query holds "=", and a stdio command, are still bare; the second entry is named.
    const query = await loadGatewayConfig({
      flags: parseCommandLine([
        "serve",
        "--backend",
        "a=http://h/mcp",
        "--backend",
        "http://h/mcp?x=1",
      ]).flags,
    }).catch((e: Error) => e);
    expect(query).toMatchObject({ field: "backends.1" });
    expect((query as Error).message).toContain("e.g. --backend 'alpha=http://h/mcp?x=1'");
    const byEnv = await loadGatewayConfig({ env: { VMCP_BACKENDS: "stdio:node server.js" } }).catch(
      (e: Error) => e,
    );
    expect((byEnv as Error).message).toContain(
      'VMCP_BACKENDS expects ID=URL or "ID=stdio:COMMAND ARG ...", got "stdio:node server.js"; name the backend, e.g. alpha=stdio:node server.js',
    );
    // A workload ID may hold a colon: only a URL or stdio: before the "=" is refused.
    const named = await loadGatewayConfig({
      flags: parseCommandLine(["serve", "--backend", "team:alpha=http://127.0.0.1:5001/mcp"]).flags,
    });
    expect(named.backends).toEqual([
      { workloadId: "team:alpha", url: "http://127.0.0.1:5001/mcp" },
    ]);
    const cli = await runCli(["serve", "--backend", "http://127.0.0.1:5001/mcp"]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain("--backend expects ID=URL");
  });

  it("refuses arguments that serve and sessions do not take, with a usage error and exit 2", async () => {
    const serve = await runCli(["serve", "extra-arg"]);
    expect(serve.code).toBe(2);
    expect(serve.stdout).toBe("");
    expect(serve.stderr).toMatch(/serve takes no arguments, got "extra-arg"/);
    const list = await runCli(["sessions", "list", "extra-arg"]);
    expect(list.code).toBe(2);
    expect(list.stderr).toMatch(
      /unexpected argument "extra-arg"; usage: vmcp-gateway sessions list \[--json\]/,
    );
    const show = await runCli(["sessions", "show", "id-1", "id-2"]);
    expect(show.code).toBe(2);
    expect(show.stderr).toMatch(
      /unexpected argument "id-2"; usage: vmcp-gateway sessions show <id>/,
    );
  });

  it("the CLI exits 2 naming the bad field, for flags, env and unknown flags", async () => {
    const bad = await runCli(["serve", "--port", "abc"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid configuration: port/);
    const badEnv = await runCli(["serve"], { VMCP_STORE: "redis" });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/store\.url/);
    const unknown = await runCli(["serve", "--prot", "1"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--prot/);
  });
});

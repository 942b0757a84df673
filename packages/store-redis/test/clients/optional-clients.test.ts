/**
 * ioredis and node-redis are both optional peers: a node-redis user installs no ioredis. Here the
 * built package is copied to a folder outside the workspace where `ioredis` cannot be resolved,
 * with only its `@vmcp` peers (`session-core`, `session-keys`) beside it, and used from a child
 * process.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RedisServer, requireRedisServer, startRedisServer } from "@vmcp/redis-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniquePrefix } from "../fixtures.js";
import { runNode } from "./run-node.js";

requireRedisServer();

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(join(packageDir, "package.json"));
let server: RedisServer;
let dir: string;

beforeAll(async () => {
  server = await startRedisServer();
  dir = mkdtempSync(join(tmpdir(), "vmcp-no-ioredis-"));
  const installed = join(dir, "node_modules", "@vmcp", "store-redis");
  mkdirSync(installed, { recursive: true });
  cpSync(join(packageDir, "dist"), join(installed, "dist"), { recursive: true });
  cpSync(join(packageDir, "package.json"), join(installed, "package.json"));
  for (const peer of ["session-core", "session-keys"]) {
    const peerDir = dirname(require.resolve(`@vmcp/${peer}/package.json`));
    symlinkSync(peerDir, join(dir, "node_modules", "@vmcp", peer), "dir");
  }
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await server?.close();
});

describe("without ioredis installed", () => {
  it("building a client throws RedisClientMissingError naming ioredis; a node-redis client works", async () => {
    // node-redis comes from the workspace by its path: the folder itself has no `redis` either.
    const redisEntry = require.resolve("redis");
    writeFileSync(
      join(dir, "use.mjs"),
      `import { RedisStorage } from "@vmcp/store-redis";
import { createRequire } from "node:module";
const out = {};
try {
  createRequire(import.meta.url).resolve("ioredis");
  out.ioredisResolvable = true;
} catch {
  out.ioredisResolvable = false;
}
try {
  new RedisStorage({ url: ${JSON.stringify(server.url)} });
} catch (error) {
  out.error = { name: error.name, code: error.code, packageName: error.packageName, message: error.message };
}
const { createClient } = await import(${JSON.stringify(redisEntry)});
const client = createClient({ url: ${JSON.stringify(server.url)} });
await client.connect();
const storage = new RedisStorage({ client, keyPrefix: ${JSON.stringify(uniquePrefix("no-ioredis"))} });
out.created = await storage.create({ id: "s", metadata: { a: "1" } });
out.loaded = (await storage.load("s"))?.metadata;
await storage.close();
client.destroy();
console.log(JSON.stringify(out));
// node-redis's destroy() has been seen to leave its socket open here for a while (the storage
// opens none of its own): do not wait for it.
process.exit(0);
`,
    );
    const stdout = await runNode(join(dir, "use.mjs"), dir);
    expect(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}")).toEqual({
      ioredisResolvable: false,
      error: {
        name: "RedisClientMissingError",
        code: "VMCP_REDIS_CLIENT_MISSING",
        packageName: "ioredis",
        message: expect.stringContaining("npm i ioredis"),
      },
      created: true,
      loaded: { a: "1" },
    });
  });
});

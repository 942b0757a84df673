import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtemp, rename, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { exportJWK, type JWK, SignJWT } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { JwtVerifier } from "../dist/identity/jwt-verifier.js";
import { startLoggedGateway } from "./helpers/in-process.js";
import { initializeBody, rawPost } from "./helpers/mcp-client.js";

interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly jwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    kid,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" },
  };
}

function tokenOf(
  key: SigningKey,
  claims: Record<string, unknown> = {},
  exp = true,
): Promise<string> {
  const jwt = new SignJWT({ iss: "https://idp.test", sub: "carol", ...claims }).setProtectedHeader({
    alg: "ES256",
    kid: key.kid,
  });
  return (exp ? jwt.setExpirationTime("5m") : jwt).sign(key.privateKey);
}

/** Replaces the file atomically (write, then rename), as the docs ask. */
async function writeJwks(path: string, keys: SigningKey[]): Promise<void> {
  await writeFile(`${path}.tmp`, JSON.stringify({ keys: keys.map((k) => k.jwk) }));
  await rename(`${path}.tmp`, path);
}

async function accepts(verifier: JwtVerifier, token: string): Promise<boolean> {
  return verifier.verify(token).then(
    () => true,
    () => false,
  );
}

/** How many whole `periodMs` fit in `elapsedMs`: the extra fetches a stall of that length allows. */
function ticks(elapsedMs: number, periodMs: number): number {
  return Math.floor(elapsedMs / periodMs);
}

/** ms until `check` holds (polling every 20 ms), or Infinity after `boundMs`. */
async function msUntil(check: () => Promise<boolean>, boundMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < boundMs) {
    if (await check()) return performance.now() - started;
    await sleep(20);
  }
  return Number.POSITIVE_INFINITY;
}

const refreshMs = 400;
/**
 * Slack on the refusal bound, ms. A loaded 2-core machine stalls a process for seconds (a Cluster
 * reshard in the other test worker); a key that is never refused still fails the bound.
 */
const slackMs = 5_000;

describe("JWT keys that rotate", () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it("a JWKS file is followed: two verifiers (two replicas) refuse a removed key within jwksRefreshMs and take a new one at once", async () => {
    const [k1, k2] = await Promise.all([signingKey("k1"), signingKey("k2")]);
    const path = join(await mkdtemp(join(tmpdir(), "vmcp-jwks-")), "jwks.json");
    await writeJwks(path, [k1]);
    const replicas = await Promise.all([
      JwtVerifier.fromJwksFile(path, {}, { refreshMs, cooldownMs: 0 }),
      JwtVerifier.fromJwksFile(path, {}, { refreshMs, cooldownMs: 0 }),
    ]);
    const old = await tokenOf(k1);
    const fresh = await tokenOf(k2);
    for (const replica of replicas) expect(await accepts(replica, old)).toBe(true);

    await writeJwks(path, [k2]);
    const rotatedAt = performance.now();
    // A new kid is looked up at once (cooldown 0): no wait for the refresh.
    for (const replica of replicas) expect(await accepts(replica, fresh)).toBe(true);
    // The removed key: refused by every replica within the bound.
    const refusedAfter = await Promise.all(
      replicas.map((replica) =>
        msUntil(async () => !(await accepts(replica, old)), refreshMs + slackMs),
      ),
    );
    for (const ms of refusedAfter) expect(ms).toBeLessThan(refreshMs + slackMs);
    expect(performance.now() - rotatedAt).toBeLessThan(refreshMs + slackMs);
    for (const replica of replicas) expect(await accepts(replica, fresh)).toBe(true);
  });

  it("a JWKS URL is fetched once, cached, refetched for an unknown kid at most once per cooldown, and a removed key is refused within jwksRefreshMs", async () => {
    const [k1, k2] = await Promise.all([signingKey("u1"), signingKey("u2")]);
    let served = [k1];
    let fetches = 0;
    const server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: served.map((k) => k.jwk) }));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    const cooldownMs = 300;
    const replicas = [
      JwtVerifier.fromJwksUrl(url, {}, { refreshMs, cooldownMs }),
      JwtVerifier.fromJwksUrl(url, {}, { refreshMs, cooldownMs }),
    ];
    const old = await tokenOf(k1);
    const warmStarted = performance.now();
    for (const replica of replicas) {
      expect(await accepts(replica, old)).toBe(true);
      expect(await accepts(replica, old)).toBe(true);
    }
    // One fetch per replica, then the cache (again only if a stall aged it past refreshMs).
    expect(fetches).toBeGreaterThanOrEqual(2);
    expect(fetches).toBeLessThanOrEqual(
      2 * (1 + ticks(performance.now() - warmStarted, refreshMs)),
    );

    // Unknown kids in a burst cost at most one refetch per replica.
    const stranger = await tokenOf(await signingKey("nobody"));
    await sleep(cooldownMs);
    const before = fetches;
    const burstStarted = performance.now();
    for (let i = 0; i < 10; i++)
      expect(await accepts(replicas[0] as JwtVerifier, stranger)).toBe(false);
    // One refetch, and one more per cooldown (or refresh) a stalled burst outlasted.
    const burstMs = performance.now() - burstStarted;
    expect(fetches - before).toBeGreaterThanOrEqual(1);
    expect(fetches - before).toBeLessThanOrEqual(
      1 + ticks(burstMs, Math.min(cooldownMs, refreshMs)),
    );

    served = [k2];
    const fresh = await tokenOf(k2);
    for (const replica of replicas) {
      expect(await msUntil(() => accepts(replica, fresh), refreshMs + slackMs)).toBeLessThan(
        refreshMs + slackMs,
      );
      expect(
        await msUntil(async () => !(await accepts(replica, old)), refreshMs + slackMs),
      ).toBeLessThan(refreshMs + slackMs);
    }
  });

  it("a token without exp is refused unless requireExp is false", async () => {
    const key = await signingKey("e1");
    const path = join(await mkdtemp(join(tmpdir(), "vmcp-jwks-")), "jwks.json");
    await writeJwks(path, [key]);
    const noExp = await tokenOf(key, {}, false);
    const strict = await JwtVerifier.fromJwksFile(path, {});
    await expect(strict.verify(noExp)).rejects.toMatchObject({
      code: "VMCP_UNAUTHENTICATED",
      message: expect.stringMatching(/exp/),
    });
    expect(await accepts(strict, await tokenOf(key))).toBe(true);
    const lenient = await JwtVerifier.fromJwksFile(path, { requireExp: false });
    expect(await accepts(lenient, noExp)).toBe(true);
    const secret = "a-test-secret-that-is-at-least-32-characters";
    const hs = await new SignJWT({ iss: "i", sub: "s" })
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode(secret));
    expect(await accepts(new JwtVerifier({ secret }), hs)).toBe(false);
  });

  it("a gateway configured with jwksFile and jwksRefreshMs answers 401 for a removed key without a restart", async () => {
    const [k1, k2] = await Promise.all([signingKey("g1"), signingKey("g2")]);
    const path = join(await mkdtemp(join(tmpdir(), "vmcp-jwks-")), "jwks.json");
    await writeJwks(path, [k1, k2]);
    const gateway = await startLoggedGateway({
      identity: { kind: "jwt", jwksFile: path, jwksRefreshMs: refreshMs },
    });
    try {
      const auth = { authorization: `Bearer ${await tokenOf(k1)}` };
      expect((await rawPost(gateway.url, initializeBody(), auth)).status).toBe(200);
      await writeJwks(path, [k2]);
      const refused = await msUntil(
        async () => (await rawPost(gateway.url, initializeBody(), auth)).status === 401,
        refreshMs + slackMs,
      );
      expect(refused).toBeLessThan(refreshMs + slackMs);
      const other = { authorization: `Bearer ${await tokenOf(k2)}` };
      expect((await rawPost(gateway.url, initializeBody(), other)).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });
});

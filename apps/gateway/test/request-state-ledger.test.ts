import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import {
  ErrorCode,
  type SessionStorage,
  StorageClosedError,
  StorageUnavailableError,
} from "@vmcp/session-core";
import { ReferenceStorage } from "@vmcp/session-core/testing";
import { MetadataKeyRecordKind, RecordKind, recordKindOf } from "@vmcp/session-keys";
import { RedisStorage } from "@vmcp/store-redis";
import { waitUntil } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestRequestArguments } from "../src/http/mcp-2026-07-28/request-state/request-args-digest.js";
import {
  type RequestStateBinding,
  type RequestStateContents,
  sealRequestState,
} from "../src/http/mcp-2026-07-28/request-state/request-state-codec.js";
import { InvalidRequestStateError } from "../src/http/mcp-2026-07-28/request-state/request-state-errors.js";
import { RequestStateKey } from "../src/http/mcp-2026-07-28/request-state/request-state-key.js";
import {
  DefaultRetainAfterExpiryMs,
  RequestStateLedger,
} from "../src/http/mcp-2026-07-28/request-state/request-state-ledger.js";
import { redeemRequestState } from "../src/http/mcp-2026-07-28/request-state/request-state-redeem.js";

const secret = "a-binding-secret-shared-by-every-replica";
const binding: RequestStateBinding = {
  owner: { issuer: "https://idp.example", subject: "alice" },
  method: "tools/call",
  target: "deploy",
  argsDigest: digestRequestArguments({ name: "deploy", arguments: { env: "prod" } }),
};
const contents: RequestStateContents = {
  binding,
  route: { workloadId: "github" },
  backendState: "b-17",
};

/** 22 base64url characters, distinct per `i`: a nonce as a state carries it. */
function nonceOf(i: number): string {
  return `nonce${String(i).padStart(17, "0")}`;
}

/** The reason `redeem` is refused with; fails the test when it is accepted. */
async function refusal(redeem: Promise<unknown>): Promise<string> {
  const error = await redeem.then(
    () => new Error("the state was accepted"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidRequestStateError);
  return (error as InvalidRequestStateError).reason;
}

/**
 * Two replicas' ledgers (each with its own key derived from the shared secret, over its own
 * storage client when `storages` gives two) racing to consume each of 100 nonces, `contenders`
 * calls per replica per nonce, all at once: exactly one call per nonce wins.
 */
async function race(
  storages: readonly [SessionStorage, SessionStorage],
  contenders = 4,
): Promise<void> {
  const ledgers = storages.map((s) => new RequestStateLedger(s, new RequestStateKey(secret)));
  const expiresAt = Date.now() + 60_000;
  const rounds = Array.from({ length: 100 }, (_, i) => {
    const nonce = nonceOf(i);
    const calls = ledgers.flatMap((ledger) =>
      Array.from({ length: contenders }, () => ledger.consume(nonce, expiresAt)),
    );
    return Promise.all(calls);
  });
  const results = await Promise.all(rounds);
  for (const wins of results) expect(wins.filter(Boolean)).toHaveLength(1);
}

describe("request state ledger over ReferenceStorage", () => {
  it("records a nonce once: the second consume, by any ledger sharing the secret, is false", async () => {
    const storage = new ReferenceStorage();
    const a = new RequestStateLedger(storage, new RequestStateKey(secret));
    const b = new RequestStateLedger(storage, new RequestStateKey(secret));
    const expiresAt = Date.now() + 60_000;
    expect(await a.consume(nonceOf(1), expiresAt)).toBe(true);
    expect(await a.consume(nonceOf(1), expiresAt)).toBe(false);
    expect(await b.consume(nonceOf(1), expiresAt)).toBe(false);
    expect(await b.consume(nonceOf(2), expiresAt)).toBe(true);
  });

  it("writes a request-state record under a keyed ID, kept retainAfterExpiryMs past the deadline", async () => {
    const storage = new ReferenceStorage();
    const key = new RequestStateKey(secret);
    const expiresAt = Date.now() + 60_000;
    await new RequestStateLedger(storage, key).consume(nonceOf(3), expiresAt);
    const record = await storage.load(key.ledgerRecordId(nonceOf(3)));
    expect(record?.metadata).toEqual({ [MetadataKeyRecordKind]: RecordKind.RequestState });
    expect(recordKindOf(record?.metadata ?? {})).toBe("request-state");
    expect(record?.expiresAt).toBe(expiresAt + DefaultRetainAfterExpiryMs);
    await new RequestStateLedger(storage, key, { retainAfterExpiryMs: 0 }).consume(
      nonceOf(4),
      expiresAt,
    );
    expect((await storage.load(key.ledgerRecordId(nonceOf(4))))?.expiresAt).toBe(expiresAt);
    expect(() => new RequestStateLedger(storage, key, { retainAfterExpiryMs: -1 })).toThrow(
      RangeError,
    );
  });

  it("lets exactly one of two racing ledgers through, 100 nonces at once", async () => {
    const storage = new ReferenceStorage();
    await race([storage, storage]);
  });

  it("propagates the store's typed error, unchanged", async () => {
    const storage = new ReferenceStorage();
    await storage.close();
    const ledger = new RequestStateLedger(storage, new RequestStateKey(secret));
    await expect(ledger.consume(nonceOf(5), Date.now() + 60_000)).rejects.toBeInstanceOf(
      StorageClosedError,
    );
  });
});

describe("redeemRequestState", () => {
  it("accepts a state once, then refuses it as replayed on every replica", async () => {
    const storage = new ReferenceStorage();
    const [keyA, keyB] = [new RequestStateKey(secret), new RequestStateKey(secret)];
    const [ledgerA, ledgerB] = [
      new RequestStateLedger(storage, keyA),
      new RequestStateLedger(storage, keyB),
    ];
    const now = Date.now();
    const state = sealRequestState(contents, keyA, now);
    const opened = await redeemRequestState(state, keyB, ledgerB, binding, now);
    expect(opened).toMatchObject({ route: { workloadId: "github" }, backendState: "b-17" });
    expect(await refusal(redeemRequestState(state, keyB, ledgerB, binding, now))).toBe("replayed");
    expect(await refusal(redeemRequestState(state, keyA, ledgerA, binding, now))).toBe("replayed");
  });

  it("reports an expired state as expired, not replayed, and never asks the ledger", async () => {
    const storage = new ReferenceStorage();
    const key = new RequestStateKey(secret);
    const ledger = new RequestStateLedger(storage, key);
    const now = Date.now();
    const unused = sealRequestState(contents, key, now, { ttlMs: 1000 });
    const used = sealRequestState(contents, key, now, { ttlMs: 1000 });
    await redeemRequestState(used, key, ledger, binding, now);
    expect(storage.calls.create).toBe(1);
    expect(await refusal(redeemRequestState(used, key, ledger, binding, now + 1000))).toBe(
      "expired",
    );
    expect(await refusal(redeemRequestState(unused, key, ledger, binding, now + 1000))).toBe(
      "expired",
    );
    expect(storage.calls.create).toBe(1);
  });

  it("refuses a forged or misbound state before the ledger, so it cannot burn a nonce", async () => {
    const storage = new ReferenceStorage();
    const key = new RequestStateKey(secret);
    const ledger = new RequestStateLedger(storage, key);
    const now = Date.now();
    const state = sealRequestState(contents, key, now);
    const mallory = { ...binding, owner: { issuer: "https://idp.example", subject: "mallory" } };
    expect(await refusal(redeemRequestState(state, key, ledger, mallory, now))).toBe("bind");
    expect(await refusal(redeemRequestState(`${state}x`, key, ledger, binding, now))).toBe("mac");
    expect(await refusal(redeemRequestState("not-a-state", key, ledger, binding, now))).toBe(
      "malformed",
    );
    expect(storage.calls.create).toBe(0);
    expect((await redeemRequestState(state, key, ledger, binding, now)).route.workloadId).toBe(
      "github",
    );
  });
});

describe("request state ledger over Redis", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("lets exactly one of two replicas (two clients) through, 100 nonces raced at once", async () => {
    const a = new RedisStorage({ url: server.url, keyPrefix: "rs-race:" });
    const b = new RedisStorage({ url: server.url, keyPrefix: "rs-race:" });
    try {
      await race([a, b]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("once the state and its record expire, the state is refused as expired", async () => {
    const storage = new RedisStorage({ url: server.url, keyPrefix: "rs-expiry:" });
    try {
      const key = new RequestStateKey(secret);
      const ledger = new RequestStateLedger(storage, key, { retainAfterExpiryMs: 0 });
      const sealedAt = Date.now();
      const state = sealRequestState(contents, key, sealedAt, { ttlMs: 300 });
      const opened = await redeemRequestState(state, key, ledger, binding, Date.now());
      const id = key.ledgerRecordId(opened.nonce);
      expect(recordKindOf((await storage.load(id))?.metadata ?? {})).toBe("request-state");
      expect(await refusal(redeemRequestState(state, key, ledger, binding, Date.now()))).toBe(
        "replayed",
      );
      await waitUntil(
        async () => (await storage.load(id)) === undefined,
        10_000,
        "the record expired",
      );
      expect(Date.now()).toBeGreaterThanOrEqual(opened.expiresAt);
      expect(await refusal(redeemRequestState(state, key, ledger, binding, Date.now()))).toBe(
        "expired",
      );
    } finally {
      await storage.close();
    }
  });

  it("a store that is down is a StorageUnavailableError within its bound, not a refusal", async () => {
    const storage = new RedisStorage({ url: server.url, keyPrefix: "rs-down:", timeoutMs: 500 });
    const key = new RequestStateKey(secret);
    const ledger = new RequestStateLedger(storage, key);
    try {
      await storage.ping();
      await server.stop();
      const now = Date.now();
      const state = sealRequestState(contents, key, now);
      const started = performance.now();
      const error = await redeemRequestState(state, key, ledger, binding, now).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect((error as StorageUnavailableError).code).toBe(ErrorCode.StorageUnavailable);
      expect(performance.now() - started).toBeLessThan(500 + 4_500); // its bound, with slack for a busy machine
      await server.restart();
      await waitUntil(
        () =>
          storage.ping().then(
            () => true,
            () => false,
          ),
        10_000,
        "the store answers",
      );
      // The refused state may still be used up (the client library sends its queued write once the
      // store is back), so the client starts over: a new round's state goes through.
      const next = sealRequestState(contents, key, Date.now());
      expect(
        (await redeemRequestState(next, key, ledger, binding, Date.now())).route.workloadId,
      ).toBe("github");
    } finally {
      await storage.close();
    }
  });
});

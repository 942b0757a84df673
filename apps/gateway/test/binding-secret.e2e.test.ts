import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { connectClient, rawPost } from "./helpers/mcp-client.js";

const AliceToken = "alice-token-0123456789";
const MalloryToken = "mallory-token-0123456789";
const RightSecret = "the-shared-binding-secret";
const WrongSecret = "a-replica-with-another-secret";

const listBody = JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list" });

/** The info lines about refused sessions. */
function refusals(gateway: LoggedGateway): Record<string, unknown>[] {
  return gateway
    .records()
    .filter((r) => typeof r.msg === "string" && r.msg.startsWith("session refused"));
}

describe("a replica with another binding secret is told apart from another identity (Redis, real gateways)", () => {
  let redis: RedisServer;
  let right: LoggedGateway;
  let wrong: LoggedGateway;

  beforeAll(async () => {
    redis = await startRedisServer();
    const config = (bindingSecret: string) => ({
      logLevel: "info",
      bindingSecret,
      store: { kind: "redis", url: redis.url },
      identity: {
        kind: "static",
        tokens: {
          [AliceToken]: { issuer: "static", subject: "alice" },
          [MalloryToken]: { issuer: "static", subject: "mallory" },
        },
      },
    });
    [right, wrong] = await Promise.all([
      startLoggedGateway(config(RightSecret)),
      startLoggedGateway(config(WrongSecret)),
    ]);
  });

  afterAll(async () => {
    await right?.close();
    await wrong?.close();
    await redis?.close();
  });

  it("the owner on the misconfigured replica and another identity get the same 403; the logs say which at info", async () => {
    const alice = await connectClient(right.url, AliceToken);
    try {
      const id = alice.sessionId;
      const ownerOnWrong = await rawPost(wrong.url, listBody, {
        "mcp-session-id": id,
        authorization: `Bearer ${AliceToken}`,
      });
      const malloryOnRight = await rawPost(right.url, listBody, {
        "mcp-session-id": id,
        authorization: `Bearer ${MalloryToken}`,
      });
      // The client learns nothing more: same status, same body.
      expect(ownerOnWrong.status).toBe(403);
      expect(malloryOnRight.status).toBe(403);
      expect(ownerOnWrong.body).toEqual(malloryOnRight.body);
      expect(ownerOnWrong.body).toMatchObject({
        error: {
          code: -32002,
          message: `session "${id}" belongs to another identity`,
          data: { code: "VMCP_SESSION_OWNER_MISMATCH" },
        },
      });

      expect(refusals(wrong)).toEqual([
        expect.objectContaining({
          level: 30,
          status: 403,
          sessionId: id,
          reason: "unverified-binding",
          msg: "session refused: the caller is its owner, but its binding does not verify under this replica's binding secret (do all replicas share one bindingSecret?)",
        }),
      ]);
      expect(refusals(right)).toEqual([
        expect.objectContaining({
          level: 30,
          status: 403,
          sessionId: id,
          reason: "other-identity",
          msg: "session refused: it is bound to another identity",
        }),
      ]);
      // The owner is still served where the secret is right.
      expect((await alice.client.listTools()).tools).toBeDefined();

      const logs = [...right.lines(), ...wrong.lines()].join("\n");
      for (const secret of [AliceToken, MalloryToken, RightSecret, WrongSecret]) {
        expect(logs).not.toContain(secret);
      }
    } finally {
      await alice.client.close();
    }
  });
});

import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { StorageScriptError, StorageUnavailableError } from "@vmcp/session-core";
import { ReferenceStorage } from "@vmcp/session-core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { CursorCodec } from "../src/http/routing/cursor.js";
import { RequestRouter } from "../src/http/routing/router.js";
import { AnonymousVerifier, createLogger, McpEndpoint, type SessionService } from "../src/index.js";

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.close();
    await once(server, "close");
  }
});

/** An endpoint whose session service fails every `get` with `error`; its URL. */
async function endpointFailingWith(error: Error): Promise<string> {
  const sessions: SessionService = {
    create: () => Promise.reject(error),
    get: () => Promise.reject(error),
    terminate: () => Promise.reject(error),
  };
  const endpoint = new McpEndpoint({
    sessions,
    verifier: new AnonymousVerifier(),
    log: createLogger("silent"),
    maxBodyBytes: 65_536,
    router: new RequestRouter({ cursors: new CursorCodec(), storage: new ReferenceStorage() }),
  });
  const server = createServer((req, res) => void endpoint.handle(req, res));
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

async function listTools(url: string): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-session-id": "session-1",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
}

describe("store failures by code", () => {
  it("a store script failure is a 500 internal error with its code and no Retry-After", async () => {
    const reply = await listTools(
      await endpointFailingWith(new StorageScriptError("load", "ERR user_script:1: boom")),
    );
    expect(reply.status).toBe(500);
    expect(reply.headers.get("retry-after")).toBeNull();
    expect(await reply.json()).toMatchObject({
      jsonrpc: "2.0",
      error: { code: -32603, data: { code: "VMCP_STORAGE_SCRIPT" } },
    });
  });

  it("an unreachable store is still a 503 with Retry-After", async () => {
    const reply = await listTools(await endpointFailingWith(new StorageUnavailableError("down")));
    expect(reply.status).toBe(503);
    expect(reply.headers.get("retry-after")).toBe("1");
    expect(await reply.json()).toMatchObject({
      error: { code: -32000, data: { code: "VMCP_STORAGE_UNAVAILABLE" } },
    });
  });
});

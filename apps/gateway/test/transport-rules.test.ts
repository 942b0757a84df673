import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TransportRules } from "../dist/http/guards/transport-rules.js";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { initializeBody } from "./helpers/mcp-client.js";

const bothAccept = "application/json, text/event-stream";

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

/** One HTTP request with full control of `Host` (which fetch does not let a caller set). */
function send(
  baseUrl: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Reply> {
  const url = new URL(`${baseUrl}/mcp`);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: "/mcp", method, headers, timeout: 10_000 },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.end(body);
  });
}

function post(baseUrl: string, headers: Record<string, string>, body = initializeBody()) {
  return send(baseUrl, "POST", { "content-type": "application/json", ...headers }, body);
}

function expectRefusal(reply: Reply, status: number, message: RegExp): void {
  expect(reply.status).toBe(status);
  expect(reply.headers["content-type"]).toBe("application/json");
  expect(reply.body).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } });
  expect((reply.body as { error: { message: string } }).error.message).toMatch(message);
}

describe("transport rules on a gateway bound to loopback with the defaults", () => {
  let gw: LoggedGateway;
  let hostHeader: string;

  beforeAll(async () => {
    gw = await startLoggedGateway({ host: "127.0.0.1" });
    hostHeader = new URL(gw.url).host;
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("a POST whose Accept lacks application/json is 406 with a JSON-RPC body", async () => {
    for (const accept of [undefined, "text/event-stream", "*/*"]) {
      const headers: Record<string, string> = { host: hostHeader };
      if (accept !== undefined) headers.accept = accept;
      const reply = await post(gw.url, headers);
      expectRefusal(reply, 406, /Not Acceptable/);
      expect(reply.headers["mcp-session-id"]).toBeUndefined();
    }
    const refusedByQ = await post(gw.url, {
      host: hostHeader,
      accept: "application/json;q=0, text/event-stream",
    });
    expect(refusedByQ.status).toBe(406);
  });

  it("a POST that accepts only application/json is served, in plain JSON", async () => {
    const reply = await post(gw.url, { host: hostHeader, accept: "application/json" });
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("application/json");
  });

  it("a POST that accepts both (in any order, with parameters) is served", async () => {
    const reply = await post(gw.url, {
      host: hostHeader,
      accept: "Text/Event-Stream;q=0.5, application/json",
    });
    expect(reply.status).toBe(200);
    expect(typeof reply.headers["mcp-session-id"]).toBe("string");
  });

  it("initialize carrying an existing Mcp-Session-Id is 400 and makes no new session", async () => {
    const first = await post(gw.url, { host: hostHeader, accept: bothAccept });
    const sessionId = first.headers["mcp-session-id"] as string;
    const again = await post(gw.url, {
      host: hostHeader,
      accept: bothAccept,
      "mcp-session-id": sessionId,
    });
    expectRefusal(again, 400, /must not carry an Mcp-Session-Id/);
    expect(again.headers["mcp-session-id"]).toBeUndefined();
    // the existing session still serves
    const ping = await post(
      gw.url,
      { host: hostHeader, accept: bothAccept, "mcp-session-id": sessionId },
      JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" }),
    );
    expect(ping.status).toBe(200);
    expect(ping.body).toMatchObject({ id: 2, result: {} });
  });

  it("loopback Host names are served; a foreign Host is 403 on POST, GET and DELETE", async () => {
    const port = new URL(gw.url).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, "LOCALHOST"]) {
      const reply = await post(gw.url, { host, accept: bothAccept });
      expect(reply.status, host).toBe(200);
    }
    for (const method of ["POST", "GET", "DELETE"]) {
      const reply =
        method === "POST"
          ? await post(gw.url, { host: `evil.example:${port}`, accept: bothAccept })
          : await send(gw.url, method, { host: "evil.example", "mcp-session-id": "abc" });
      expectRefusal(reply, 403, /Host "evil\.example.*" is not allowed/);
    }
    const rebinding = await post(gw.url, { host: `127.0.0.1.evil.example`, accept: bothAccept });
    expect(rebinding.status).toBe(403);
  });

  it("a loopback Origin or none is served; a foreign Origin is 403", async () => {
    const ok = await post(gw.url, {
      host: hostHeader,
      origin: "http://localhost:3000",
      accept: bothAccept,
    });
    expect(ok.status).toBe(200);
    for (const origin of ["http://evil.example", "null", "http://localhost.evil.example"]) {
      const reply = await post(gw.url, { host: hostHeader, origin, accept: bothAccept });
      expectRefusal(reply, 403, /Origin .* is not allowed/);
    }
  });
});

describe("transport rules with allowedHosts and allowedOrigins configured", () => {
  let gw: LoggedGateway;

  beforeAll(async () => {
    gw = await startLoggedGateway({
      host: "127.0.0.1",
      allowedHosts: ["gw.example.com"],
      allowedOrigins: ["https://app.example.com"],
    });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("only the configured Host names and Origins are served", async () => {
    const served = await post(gw.url, {
      host: "GW.example.com:443",
      origin: "https://app.example.com",
      accept: bothAccept,
    });
    expect(served.status).toBe(200);
    const loopback = await post(gw.url, { host: new URL(gw.url).host, accept: bothAccept });
    expectRefusal(loopback, 403, /Host/);
    const otherOrigin = await post(gw.url, {
      host: "gw.example.com",
      origin: "https://evil.example.com",
      accept: bothAccept,
    });
    expectRefusal(otherOrigin, 403, /Origin/);
    const loopbackOrigin = await post(gw.url, {
      host: "gw.example.com",
      origin: "http://localhost",
      accept: bothAccept,
    });
    expect(loopbackOrigin.status).toBe(403);
  });
});

describe("TransportRules defaults by listen address", () => {
  it("bound to a non-loopback address without lists, any Host and Origin pass", () => {
    const rules = new TransportRules({ listenHost: "0.0.0.0" });
    expect(() =>
      rules.checkHostAndOrigin({ host: "anything.example", origin: "https://x.example" }),
    ).not.toThrow();
  });

  it("bound to localhost or ::1, the loopback-only default holds", () => {
    for (const listenHost of ["localhost", "::1", "127.0.0.2"]) {
      const rules = new TransportRules({ listenHost });
      expect(() => rules.checkHostAndOrigin({ host: "localhost:1" })).not.toThrow();
      expect(() => rules.checkHostAndOrigin({ host: "evil.example" })).toThrow(/not allowed/);
      expect(() => rules.checkHostAndOrigin({})).toThrow(/not allowed/);
    }
  });
});

import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LoggedGateway,
  rawExchange,
  startLoggedGateway,
  waitFor,
} from "./helpers/in-process.js";
import { initializeBody, rawPost } from "./helpers/mcp-client.js";

const token = "edge-test-token";
const auth = { authorization: `Bearer ${token}` };

function requestHead(lines: string[]): string {
  return `${["POST /mcp HTTP/1.1", "host: 127.0.0.1", "accept: application/json, text/event-stream", ...lines].join("\r\n")}\r\n\r\n`;
}

describe("the HTTP edge: timeouts, header limits and refusals all answer with a JSON-RPC body", () => {
  let edge: LoggedGateway;

  beforeAll(async () => {
    edge = await startLoggedGateway({
      identity: { kind: "static", tokens: { [token]: { issuer: "static", subject: "edge" } } },
      headersTimeoutMs: 500,
      bodyTimeoutMs: 800,
      maxHeaderBytes: 8192,
      maxTokenBytes: 2048,
    });
  });

  afterAll(async () => {
    await edge?.close();
  });

  it("a trickled header is answered 408 with a JSON-RPC body once headersTimeoutMs has passed", async () => {
    const reply = await rawExchange(edge.url, "POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\n", {
      trickle: Array.from({ length: 40 }, (_, i) => `x-slow-${i}: y\r\n`),
      everyMs: 100,
    });
    expect(reply.status).toBe(408);
    expect(reply.headers["content-type"]).toBe("application/json");
    expect(reply.body).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } });
    expect(reply.elapsedMs).toBeGreaterThanOrEqual(450);
    expect(reply.elapsedMs).toBeLessThan(3000);
  });

  it("a trickled body is answered 408 with a JSON-RPC body once bodyTimeoutMs has passed", async () => {
    const body = initializeBody();
    const reply = await rawExchange(
      edge.url,
      requestHead([
        "content-type: application/json",
        `content-length: ${body.length}`,
        `authorization: Bearer ${token}`,
      ]),
      { trickle: body.match(/.{1,4}/g) ?? [], everyMs: 100 },
    );
    expect(reply.status).toBe(408);
    expect(reply.body).toMatchObject({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32600, message: "request body not received within 800 ms" },
    });
    expect(reply.elapsedMs).toBeGreaterThanOrEqual(750);
    expect(reply.elapsedMs).toBeLessThan(3000);
  });

  it("headers over maxHeaderBytes are answered 431 with a JSON-RPC body", async () => {
    const reply = await rawExchange(
      edge.url,
      requestHead([
        "content-type: application/json",
        `x-pad: ${"p".repeat(20_000)}`,
        "content-length: 2",
        "",
        "{}",
      ]),
    );
    expect(reply.status).toBe(431);
    expect(reply.body).toMatchObject({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32600, message: "request headers larger than 8192 bytes" },
    });
  });

  it("a bearer token over maxTokenBytes is answered 431 with a typed JSON-RPC error, before it is verified", async () => {
    const reply = await rawPost(edge.url, initializeBody(), {
      authorization: `Bearer ${"t".repeat(3000)}`,
    });
    expect(reply.status).toBe(431);
    expect(reply.body).toMatchObject({
      jsonrpc: "2.0",
      error: { code: -32003, data: { code: "VMCP_TOKEN_TOO_LARGE" } },
    });
    expect((await rawPost(edge.url, initializeBody(), auth)).status).toBe(200);
  });

  it("a malformed request line or header is answered 400 with a JSON-RPC body", async () => {
    const reply = await rawExchange(
      edge.url,
      "POST /mcp HTTP/1.1\r\nhost: x\r\nbad header line\r\n\r\n",
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } });
  });

  it("application/json-seq and other look-alikes are refused as not JSON (415)", async () => {
    for (const type of ["application/json-seq", "application/jsonx", "text/json"]) {
      const reply = await rawPost(edge.url, initializeBody(), { ...auth, "content-type": type });
      expect(reply.status, type).toBe(415);
      expect(reply.body).toMatchObject({ error: { code: -32600 } });
    }
    const withCharset = await rawPost(edge.url, initializeBody(), {
      ...auth,
      "content-type": "Application/JSON; charset=utf-8",
    });
    expect(withCharset.status).toBe(200);
  });

  it("deep JSON nesting is a typed 400 refusal, not -32603 'Maximum call stack size exceeded'", async () => {
    const depth = 100_000;
    const deep = `${"[".repeat(depth)}${"]".repeat(depth)}`;
    const body = initializeBody().replace(
      '"capabilities":{}',
      `"capabilities":{"experimental":{"x":${deep}}}`,
    );
    const reply = await rawPost(edge.url, body, auth);
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({
      jsonrpc: "2.0",
      error: { code: -32600, message: "the body nests arrays and objects deeper than 64 levels" },
    });
    const parseError = await rawPost(edge.url, `{"token": "${token}"`, auth);
    expect(parseError.body).toMatchObject({ error: { code: -32700 } });
    expect(JSON.stringify(parseError.body)).not.toContain(token);
  });

  it("a client that disconnects mid-body is one debug line, not an error with a stack", async () => {
    const before = edge.lines().length;
    const head = requestHead([
      "content-type: application/json",
      "content-length: 1000",
      `authorization: Bearer ${token}`,
    ]);
    const reply = await rawExchange(edge.url, `${head}{"jsonrpc":`, { boundMs: 300 });
    expect(reply.status).toBe(0);
    await waitFor("the abort to be logged", () =>
      edge
        .lines()
        .slice(before)
        .some((line) => line.includes("closed the connection")),
    );
    const fresh = edge.records().slice(before);
    expect(fresh.filter((r) => (r.level as number) >= 50)).toEqual([]);
    expect(JSON.stringify(fresh)).not.toContain("stack");
    expect(fresh.find((r) => String(r.msg).includes("closed the connection"))?.level).toBe(20);
  });
  it("an over-long batch is refused while it arrives, and the connection then serves the next request", async () => {
    // Its own gateway: a body bound long enough that the rest of the batch, sent after the
    // refusal, is never cut off on a loaded machine.
    const roomy = await startLoggedGateway({
      identity: { kind: "static", tokens: { [token]: { issuer: "static", subject: "edge" } } },
      bodyTimeoutMs: 30_000,
    });
    const socket = connect(Number(new URL(roomy.url).port), "127.0.0.1");
    try {
      let received = "";
      socket.on("data", (chunk: Buffer) => {
        received += chunk.toString("utf8");
      });
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      const batch = Buffer.from(
        JSON.stringify(
          Array.from({ length: 10_000 }, (_, id) => ({
            jsonrpc: "2.0",
            id,
            method: "tools/call",
            params: { name: `nope-${id}`, arguments: {} },
          })),
        ),
      );
      const head = requestHead([
        "content-type: application/json",
        `content-length: ${batch.length}`,
        `authorization: Bearer ${token}`,
      ]);
      // The head and the first 16 KB (about 190 entries): the refusal comes before the rest.
      socket.write(Buffer.concat([Buffer.from(head), batch.subarray(0, 16_384)]));
      await waitFor(
        "the refusal of the batch's first entries",
        () => /\r\n\r\n\{/.test(received),
        10_000,
      );
      expect(received).toMatch(/^HTTP\/1\.1 400 /);
      expect(received).toContain("VMCP_BATCH_TOO_LONG");
      expect(received).toMatch(/a batch of at least \d+ messages is longer than the limit of 50/);
      expect(received.toLowerCase()).not.toContain("connection: close");

      // The rest is read and dropped; the same connection then serves the next request.
      socket.write(batch.subarray(16_384));
      const body = initializeBody();
      socket.write(
        `${requestHead(["content-type: application/json", `content-length: ${Buffer.byteLength(body)}`, `authorization: Bearer ${token}`])}${body}`,
      );
      await waitFor(
        "the answer to the next request",
        () => (received.match(/HTTP\/1\.1 /g) ?? []).length === 2,
        10_000,
      );
      expect(received.slice(received.lastIndexOf("HTTP/1.1 "))).toMatch(/^HTTP\/1\.1 200 /);
    } finally {
      socket.destroy();
      await roomy.close();
    }
  });
});

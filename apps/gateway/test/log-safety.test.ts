import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LoggedGateway,
  rawExchange,
  startLoggedGateway,
  waitFor,
} from "./helpers/in-process.js";
import { initializeBody, rawPost } from "./helpers/mcp-client.js";

const token = `log-scan-${Math.random().toString(36).slice(2)}-token`;

/** Every place `needle` hides in a parsed log value: plain text, or bytes written as a number array. */
function leaks(value: unknown, needle: string): boolean {
  if (typeof value === "string") return value.includes(needle);
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => Number.isInteger(v) && v >= 0 && v < 256)) {
      if (
        Buffer.from(value as number[])
          .toString("latin1")
          .includes(needle)
      )
        return true;
    }
    return value.some((v) => leaks(v, needle));
  }
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).some(([k, v]) => k.includes(needle) || leaks(v, needle));
  }
  return false;
}

function head(lines: string[]): string {
  return `${["POST /mcp HTTP/1.1", "host: 127.0.0.1", "accept: application/json, text/event-stream", ...lines].join("\r\n")}\r\n\r\n`;
}

describe("logs at debug level hold no token and no request bytes, and cut long values", () => {
  let edge: LoggedGateway;

  beforeAll(async () => {
    edge = await startLoggedGateway({
      logLevel: "debug",
      identity: { kind: "static", tokens: { [token]: { issuer: "static", subject: "scan" } } },
      headersTimeoutMs: 400,
      bodyTimeoutMs: 400,
      maxHeaderBytes: 4096,
      maxTokenBytes: 1024,
      logMaxValueChars: 200,
    });
  });

  afterAll(async () => {
    await edge?.close();
  });

  it("a known bearer token sent in many shapes never reaches the log", async () => {
    const bearer = `authorization: Bearer ${token}`;
    // valid: initialize and a call in the session
    const init = await rawPost(edge.url, initializeBody(), { authorization: `Bearer ${token}` });
    expect(init.status).toBe(200);
    const sessionId = init.headers.get("mcp-session-id") ?? "";
    await rawPost(edge.url, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }), {
      authorization: `Bearer ${token}`,
      "mcp-session-id": sessionId,
    });
    // a wrong token that contains the known one, and a token over maxTokenBytes
    await rawPost(edge.url, initializeBody(), { authorization: `Bearer ${token}x` });
    const oversized = await rawPost(edge.url, initializeBody(), {
      authorization: `Bearer ${token.repeat(64)}`,
    });
    expect(oversized.status).toBe(431);
    // headers over maxHeaderBytes, a malformed header, a trickled header: parser errors whose raw packet holds the token
    const overflow = await rawExchange(edge.url, head([bearer, `x-pad: ${"p".repeat(8000)}`]));
    expect(overflow.status).toBe(431);
    const malformed = await rawExchange(edge.url, head([bearer, "not a header"]));
    expect(malformed.status).toBe(400);
    const slow = await rawExchange(edge.url, `POST /mcp HTTP/1.1\r\n${bearer}\r\n`, {
      trickle: Array.from({ length: 20 }, (_, i) => `x-${i}: y\r\n`),
    });
    expect(slow.status).toBe(408);
    // a body that is not JSON and holds the token; a body aborted mid-way; a body too slow
    await rawPost(edge.url, `{"token":"${token}"`, { authorization: `Bearer ${token}` });
    await rawExchange(
      edge.url,
      `${head(["content-type: application/json", "content-length: 500", bearer])}{"t":"${token}`,
      { boundMs: 200 },
    );
    const trickled = await rawExchange(
      edge.url,
      head(["content-type: application/json", "content-length: 500", bearer]),
      { trickle: [`{"t":"${token}`, "  "] },
    );
    expect(trickled.status).toBe(408);

    await waitFor("the aborted body to be logged", () =>
      edge.lines().some((line) => line.includes("closed the connection")),
    );
    const records = edge.records();
    // The refusals were logged (so the scan looks at something) ...
    expect(records.filter((r) => r.msg === "client error").length).toBeGreaterThanOrEqual(3);
    expect(records.filter((r) => r.msg === "request refused").length).toBeGreaterThanOrEqual(3);
    // ... and not one of them holds the token, as text or as bytes.
    const leaking = records.filter((r) => leaks(r, token));
    expect(leaking).toEqual([]);
    expect(edge.lines().join("\n")).not.toContain(token);
  });

  it("long values (a 10 KB client name) are cut to logMaxValueChars in log lines", async () => {
    const before = edge.lines().length;
    const body = initializeBody().replace('"name":"raw"', `"name":"${"n".repeat(10_000)}"`);
    expect((await rawPost(edge.url, body, { authorization: `Bearer ${token}` })).status).toBe(200);
    const created = edge
      .lines()
      .slice(before)
      .find((line) => line.includes("session created"));
    expect(created).toBeDefined();
    expect(created?.length).toBeLessThan(1000);
    expect(created).toContain("(+9800 chars)");
  });
});

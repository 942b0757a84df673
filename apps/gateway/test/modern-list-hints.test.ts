import { describe, expect, it } from "vitest";
import { aggregateHint } from "../dist/http/mcp-2026-07-28/lists/cache-hints.js";
import { ModernListCursors } from "../dist/http/mcp-2026-07-28/lists/list-cursor.js";
import { CursorCodec } from "../dist/http/routing/cursor.js";

describe("the caching hint of an aggregated list page", () => {
  const cap = { capMs: 60_000, perCaller: false };

  it("takes the least backend ttlMs, capped, and stays public only when every backend says public", () => {
    const pub = (ttlMs: unknown) => ({ ttlMs, cacheScope: "public" });
    expect(aggregateHint([pub(30_000), pub(20_000)], cap)).toEqual({
      ttlMs: 20_000,
      cacheScope: "public",
    });
    expect(aggregateHint([pub(90_000)], cap)).toEqual({ ttlMs: 60_000, cacheScope: "public" });
    expect(aggregateHint([pub(30_000), { ttlMs: 10_000, cacheScope: "private" }], cap)).toEqual({
      ttlMs: 10_000,
      cacheScope: "private",
    });
    // A page without hints is the SDK's default: not cacheable, private.
    expect(aggregateHint([pub(30_000), {}], cap)).toEqual({ ttlMs: 0, cacheScope: "private" });
    for (const bad of [-1, 1.5, "10", null]) {
      expect(aggregateHint([pub(bad)], cap).ttlMs).toBe(0);
    }
    expect(aggregateHint([], cap)).toEqual({ ttlMs: 0, cacheScope: "public" });
  });

  it("is private for a gateway that verifies identities, or when an earlier page of the walk was", () => {
    const pages = [{ ttlMs: 5_000, cacheScope: "public" }];
    expect(aggregateHint(pages, { ...cap, perCaller: true }).cacheScope).toBe("private");
    expect(aggregateHint(pages, { ...cap, earlierScope: "private" }).cacheScope).toBe("private");
    expect(aggregateHint(pages, { ...cap, earlierScope: "public" }).cacheScope).toBe("public");
    expect(aggregateHint(pages, { capMs: 0, perCaller: false }).ttlMs).toBe(0);
  });
});

describe("modern list cursors", () => {
  const secret = "a-shared-binding-secret";
  const position = { list: "tools/list", workloadId: "a", backendCursor: "2" };

  it("round-trip on any replica sharing the secret, keeping the walk's scope", () => {
    const made = new ModernListCursors(new CursorCodec(secret)).encode(
      "anonymous",
      "private",
      position,
    );
    const elsewhere = new ModernListCursors(new CursorCodec(secret));
    expect(elsewhere.decode("anonymous", "tools/list", made)).toEqual({
      position,
      scope: "private",
    });
    const pub = elsewhere.encode("anonymous", "public", position);
    expect(elsewhere.decode("anonymous", "tools/list", pub).scope).toBe("public");
  });

  it("refuses another caller, another list, another secret, a forgery and a non-string", () => {
    const cursors = new ModernListCursors(new CursorCodec(secret));
    const made = cursors.encode('["iss","alice"]', "public", position);
    const refused = (f: () => unknown) =>
      expect(f).toThrow(expect.objectContaining({ code: "VMCP_INVALID_CURSOR" }));
    refused(() => cursors.decode('["iss","bob"]', "tools/list", made));
    expect(() => cursors.decode('["iss","alice"]', "prompts/list", made)).toThrow(
      /belongs to tools\/list/,
    );
    refused(() =>
      new ModernListCursors(new CursorCodec("another-secret-value")).decode(
        '["iss","alice"]',
        "tools/list",
        made,
      ),
    );
    refused(() => cursors.decode('["iss","alice"]', "tools/list", `${made.slice(0, -3)}abc`));
    refused(() => cursors.decode('["iss","alice"]', "tools/list", 42));
  });
});

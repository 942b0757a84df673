import { createHmac } from "node:crypto";
import { isValidSessionId } from "@vmcp/session-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../src/error-codes.js";
import { digestRequestArguments } from "../src/http/mcp-2026-07-28/request-state/request-args-digest.js";
import {
  DefaultMaxRequestStateBytes,
  DefaultRequestStateTtlMs,
  openRequestState,
  type RequestStateBinding,
  type RequestStateContents,
  sealRequestState,
} from "../src/http/mcp-2026-07-28/request-state/request-state-codec.js";
import {
  InvalidRequestStateError,
  type RequestStateRefusal,
  RequestStateTooLargeError,
  refuseRequestState,
} from "../src/http/mcp-2026-07-28/request-state/request-state-errors.js";
import { RequestStateKey } from "../src/http/mcp-2026-07-28/request-state/request-state-key.js";

const secret = "a-binding-secret-shared-by-every-replica";
const key = new RequestStateKey(secret);
const now = 1_800_000_000_000;
const alice = { issuer: "https://idp.example", subject: "alice" };
const params = { name: "deploy", arguments: { env: "prod", replicas: 3 } };
const binding: RequestStateBinding = {
  owner: alice,
  method: "tools/call",
  target: "deploy",
  argsDigest: digestRequestArguments(params),
};
const contents: RequestStateContents = {
  binding,
  route: { workloadId: "github", parked: { replicaId: "replica-b", callId: "call-17" } },
  backendState: "the backend's own opaque state: ünïcode too",
};

/** The reason `open` refuses with; fails the test when it does not refuse. */
function refusal(open: () => unknown): RequestStateRefusal {
  try {
    open();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestStateError);
    expect((error as InvalidRequestStateError).code).toBe(ErrorCode.InvalidRequestState);
    return (error as InvalidRequestStateError).reason;
  }
  throw new Error("the state was accepted");
}

/** `state` with the character at `index` replaced by `char`. */
function replaceAt(state: string, index: number, char: string): string {
  return state.slice(0, index) + char + state.slice(index + 1);
}

/** A base64url character other than `c`. */
function otherChar(c: string): string {
  return c === "A" ? "B" : "A";
}

/** A key that counts the MACs it computes, to show what is refused before any crypto. */
class CountingKey extends RequestStateKey {
  macs = 0;
  override mac(text: string): string {
    this.macs++;
    return super.mac(text);
  }
}

describe("request state: seal and open", () => {
  it("round-trips the route and the backend's state, with a fresh nonce and the deadline", () => {
    const state = sealRequestState(contents, key, now);
    expect(state).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const opened = openRequestState(state, key, binding, now + 1000);
    expect(opened).toEqual({
      route: contents.route,
      backendState: contents.backendState,
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      expiresAt: now + DefaultRequestStateTtlMs,
    });
    const again = openRequestState(sealRequestState(contents, key, now), key, binding, now);
    expect(again.nonce).not.toBe(opened.nonce);
  });

  it("gives every state its own nonce, across refills of the random pool", () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 600; i++) {
      nonces.add(openRequestState(sealRequestState(contents, key, now), key, binding, now).nonce);
    }
    expect(nonces.size).toBe(600);
  });

  it("round-trips a modern backend's route without a parked call or a state, for an anonymous caller", () => {
    const anonymous = { ...binding, owner: undefined };
    const state = sealRequestState({ binding: anonymous, route: { workloadId: "w" } }, key, now);
    expect(openRequestState(state, key, anonymous, now)).toEqual({
      route: { workloadId: "w" },
      nonce: expect.any(String),
      expiresAt: now + DefaultRequestStateTtlMs,
    });
  });

  it("is opened by another replica that shares the binding secret", () => {
    const state = sealRequestState(contents, key, now);
    const other = new RequestStateKey(Buffer.from(secret, "utf8"));
    expect(openRequestState(state, other, binding, now).route).toEqual(contents.route);
  });

  it("carries neither the caller's issuer and subject nor the arguments in clear", () => {
    const state = sealRequestState(contents, key, now);
    const payload = Buffer.from(state.split(".")[1] ?? "", "base64url").toString("utf8");
    expect(payload).not.toContain("alice");
    expect(payload).not.toContain("idp.example");
    expect(payload).not.toContain("prod");
    expect(payload).toContain("github"); // signed, not encrypted: the route is readable
  });

  it("honours the configured lifetime: accepted until the last ms, expired at the deadline", () => {
    const state = sealRequestState(contents, key, now, { ttlMs: 5000 });
    expect(openRequestState(state, key, binding, now + 4999).expiresAt).toBe(now + 5000);
    expect(refusal(() => openRequestState(state, key, binding, now + 5000))).toBe("expired");
    expect(refusal(() => openRequestState(state, key, binding, now + 86_400_000))).toBe("expired");
  });
});

describe("request state: refusals", () => {
  const state = sealRequestState(contents, key, now);
  const [, payload = "", mac = ""] = state.split(".");

  it("a changed payload byte: mac", () => {
    const index = 3 + Math.floor(payload.length / 2);
    expect(
      refusal(() =>
        openRequestState(replaceAt(state, index, otherChar(state[index] ?? "")), key, binding, now),
      ),
    ).toBe("mac");
  });

  it("a changed MAC byte: mac", () => {
    const index = state.length - 1 - Math.floor(mac.length / 2);
    expect(
      refusal(() =>
        openRequestState(replaceAt(state, index, otherChar(state[index] ?? "")), key, binding, now),
      ),
    ).toBe("mac");
  });

  it("a payload re-sealed by the client (with its own forged MAC): mac", () => {
    const forged = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    forged.w = "another-backend";
    const body = Buffer.from(JSON.stringify(forged)).toString("base64url");
    const forgedMac = createHmac("sha256", secret).update(`v1.${body}`).digest("base64url");
    expect(refusal(() => openRequestState(`v1.${body}.${forgedMac}`, key, binding, now))).toBe(
      "mac",
    );
  });

  it("a state sealed under another binding secret: mac", () => {
    const other = new RequestStateKey("another-secret-of-another-deployment");
    expect(refusal(() => openRequestState(state, other, binding, now))).toBe("mac");
  });

  it("an expired state: expired", () => {
    expect(
      refusal(() => openRequestState(state, key, binding, now + DefaultRequestStateTtlMs)),
    ).toBe("expired");
  });

  it("another caller: bind (another subject, another issuer, anonymous for a named one and back)", () => {
    const others = [
      { ...binding, owner: { ...alice, subject: "mallory" } },
      { ...binding, owner: { ...alice, issuer: "https://other-idp.example" } },
      // the parts stay apart: moving text from issuer to subject is another caller
      { ...binding, owner: { issuer: "https://idp.examplea", subject: "lice" } },
      { ...binding, owner: undefined },
    ];
    for (const other of others)
      expect(refusal(() => openRequestState(state, key, other, now))).toBe("bind");
    const anonymous = { ...binding, owner: undefined };
    const anonymousState = sealRequestState({ ...contents, binding: anonymous }, key, now);
    expect(refusal(() => openRequestState(anonymousState, key, binding, now))).toBe("bind");
  });

  it("another method, name, URI or arguments: bind", () => {
    const others: RequestStateBinding[] = [
      { ...binding, method: "prompts/get" },
      { ...binding, target: "destroy" },
      {
        ...binding,
        argsDigest: digestRequestArguments({ ...params, arguments: { env: "dev", replicas: 3 } }),
      },
      { ...binding, argsDigest: digestRequestArguments({ name: "deploy" }) },
    ];
    for (const other of others)
      expect(refusal(() => openRequestState(state, key, other, now))).toBe("bind");
    const read = {
      owner: alice,
      method: "resources/read" as const,
      target: "file:///a",
      argsDigest: digestRequestArguments({ uri: "file:///a" }),
    };
    const readState = sealRequestState({ binding: read, route: { workloadId: "fs" } }, key, now);
    expect(
      refusal(() => openRequestState(readState, key, { ...read, target: "file:///b" }, now)),
    ).toBe("bind");
  });

  it("an oversize state: malformed, before any MAC is computed", () => {
    const counting = new CountingKey(secret);
    const big = `v1.${"A".repeat(DefaultMaxRequestStateBytes)}.${mac}`;
    expect(refusal(() => openRequestState(big, counting, binding, now))).toBe("malformed");
    const small = sealRequestState(contents, counting, now);
    counting.macs = 0;
    expect(
      refusal(() =>
        openRequestState(small, counting, binding, now, { maxStateBytes: small.length - 1 }),
      ),
    ).toBe("malformed");
    expect(counting.macs).toBe(0);
    expect(
      openRequestState(small, counting, binding, now, { maxStateBytes: small.length }).nonce,
    ).toBeTruthy();
  });

  it("garbage, the empty string and non-strings: malformed, before any MAC is computed", () => {
    const counting = new CountingKey(secret);
    const garbage: unknown[] = [
      "",
      "garbage",
      "v1",
      "v1.",
      "v1..",
      `v1..${mac}`,
      `v1.${payload}.`,
      `v1.${payload}`,
      `v2.${payload}.${mac}`,
      `V1.${payload}.${mac}`,
      `.v1.${payload}.${mac}`,
      `v1.${payload}.${mac}.`,
      `v1.${payload}=.${mac}`,
      `v1.${payload}.${mac.slice(0, -1)}é`,
      `v1.${payload} .${mac}`,
      42,
      null,
      undefined,
      { state },
      [state],
    ];
    for (const value of garbage) {
      expect(
        refusal(() => openRequestState(value, counting, binding, now)),
        String(value),
      ).toBe("malformed");
    }
    expect(counting.macs).toBe(0);
  });

  it("any single character changed anywhere (to any byte) is refused", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: state.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        (index, code) => {
          const char = String.fromCharCode(code);
          fc.pre(char !== state[index]);
          refusal(() => openRequestState(replaceAt(state, index, char), key, binding, now));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("any character removed or inserted anywhere is refused", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: state.length }),
        fc.integer({ min: 0, max: 255 }),
        (index, code) => {
          const removed = state.slice(0, index) + state.slice(index + 1);
          if (removed !== state) refusal(() => openRequestState(removed, key, binding, now));
          const inserted = state.slice(0, index) + String.fromCharCode(code) + state.slice(index);
          refusal(() => openRequestState(inserted, key, binding, now));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("request state: sealing limits", () => {
  it("refuses a backend state over its bound, in UTF-8 bytes", () => {
    const limit = 64;
    const fits = { ...contents, backendState: "é".repeat(32) }; // 64 bytes
    expect(() => sealRequestState(fits, key, now, { maxBackendStateBytes: limit })).not.toThrow();
    const over = { ...contents, backendState: "é".repeat(33) }; // 66 bytes, 33 characters
    const error = (() => {
      try {
        sealRequestState(over, key, now, { maxBackendStateBytes: limit });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RequestStateTooLargeError);
    expect(error).toMatchObject({
      code: ErrorCode.RequestStateTooLarge,
      subject: "backend state",
      bytes: 66,
      limit,
    });
  });

  it("refuses to seal a state it would refuse to open", () => {
    const state = sealRequestState(contents, key, now);
    expect(() => sealRequestState(contents, key, now, { maxStateBytes: state.length - 1 })).toThrow(
      RequestStateTooLargeError,
    );
    // a backend state of the default bound, all escapes in JSON, does not fit the default state bound
    const escapes = { ...contents, backendState: "\u0001".repeat(32 * 1024) };
    expect(() => sealRequestState(escapes, key, now)).toThrow(
      expect.objectContaining({ subject: "request state", limit: DefaultMaxRequestStateBytes }),
    );
  });

  it("refuses options that are not positive integers", () => {
    expect(() => sealRequestState(contents, key, now, { ttlMs: 0 })).toThrow(RangeError);
    expect(() => openRequestState("x", key, binding, now, { maxStateBytes: 1.5 })).toThrow(
      RangeError,
    );
    expect(() => new RequestStateKey("")).toThrow(RangeError);
  });
});

describe("request state: keys", () => {
  it("derives keys that are not the identity-binding key (the raw secret)", () => {
    const text = "v1.abc";
    expect(key.mac(text)).not.toBe(createHmac("sha256", secret).update(text).digest("base64url"));
    expect(key.mac(text)).toHaveLength(43);
  });

  it("names a used nonce's record with a valid session ID that does not contain the nonce", () => {
    const nonce = "AAAAAAAAAAAAAAAAAAAAAA";
    const id = key.ledgerRecordId(nonce);
    expect(isValidSessionId(id)).toBe(true);
    expect(id).not.toContain(nonce);
    expect(id).toBe(new RequestStateKey(secret).ledgerRecordId(nonce));
    expect(
      new RequestStateKey("another-secret-of-another-deployment").ledgerRecordId(nonce),
    ).not.toBe(id);
  });
});

describe("request state: the client's error", () => {
  it("is the spec's -32602 for every reason, in-band, and the log line names the reason", () => {
    const reasons: RequestStateRefusal[] = ["malformed", "mac", "expired", "bind", "replayed"];
    const lines: Record<string, unknown>[] = [];
    const log = {
      info: (fields: Record<string, unknown>, message: string) =>
        lines.push({ ...fields, message }),
    };
    for (const reason of reasons) {
      expect(
        refuseRequestState(new InvalidRequestStateError(reason), log, { method: "tools/call" }),
      ).toEqual({
        code: -32602,
        message: "Invalid or expired requestState",
        data: { reason: "invalid_request_state" },
      });
    }
    expect(lines).toEqual(
      reasons.map((reason) => ({
        method: "tools/call",
        reason,
        code: "VMCP_INVALID_REQUEST_STATE",
        message: "requestState refused",
      })),
    );
  });
});

describe("request state: the arguments digest", () => {
  it("ignores key order, inputResponses, requestState and _meta, at every depth of order", () => {
    const a = digestRequestArguments({
      name: "t",
      arguments: { x: 1, y: { p: [1, { q: 2, r: 3 }], o: null } },
    });
    const b = digestRequestArguments({
      arguments: { y: { o: null, p: [1, { r: 3, q: 2 }] }, x: 1 },
      name: "t",
      inputResponses: { k: { action: "accept" } },
      requestState: "v1.x.y",
      _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" },
    });
    expect(a).toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(digestRequestArguments(undefined)).toBe(digestRequestArguments({}));
  });

  it("differs for any other change: a value, a key, array order, a nested _meta, a type", () => {
    const base = digestRequestArguments({ name: "t", arguments: { x: 1, list: [1, 2] } });
    const changed = [
      { name: "t", arguments: { x: 2, list: [1, 2] } },
      { name: "u", arguments: { x: 1, list: [1, 2] } },
      { name: "t", arguments: { x: 1, list: [2, 1] } },
      { name: "t", arguments: { x: "1", list: [1, 2] } },
      { name: "t", arguments: { x: 1, list: [1, 2], _meta: {} } },
      { name: "t", arguments: { x: 1, list: [1, 2] }, task: { ttl: 1 } },
    ];
    for (const params of changed) expect(digestRequestArguments(params)).not.toBe(base);
  });

  it("keeps a __proto__ key from parsed JSON as an ordinary key", () => {
    const withProto = JSON.parse('{"name":"t","arguments":{"__proto__":{"x":1}}}');
    expect(digestRequestArguments(withProto)).not.toBe(
      digestRequestArguments({ name: "t", arguments: {} }),
    );
  });
});

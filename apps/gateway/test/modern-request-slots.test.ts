import { describe, expect, it } from "vitest";
import { ModernRequestSlots } from "../dist/http/guards/modern-request-slots.js";
import { CallerLimitError } from "../dist/http/guards/request-limits.js";
import { httpErrorOf } from "../dist/json-rpc/error-mapping.js";

describe("ModernRequestSlots", () => {
  it("admits up to the bound per caller, refuses beyond with a typed 429, and each release frees one slot once", () => {
    const slots = new ModernRequestSlots(2);
    const first = slots.admit("id:alice");
    slots.admit("id:alice");
    expect(slots.inFlight("id:alice")).toBe(2);
    let refusal: unknown;
    try {
      slots.admit("id:alice");
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(CallerLimitError);
    expect(refusal).toMatchObject({ code: "VMCP_TOO_MANY_MODERN_REQUESTS", retryAfterSec: 1 });
    expect(httpErrorOf(refusal)).toMatchObject({
      status: 429,
      body: { code: -32005, data: { code: "VMCP_TOO_MANY_MODERN_REQUESTS" } },
      headers: { "retry-after": "1" },
    });
    // Another caller has its own slots.
    slots.admit("addr:10.0.0.7");
    expect(slots.inFlight("addr:10.0.0.7")).toBe(1);

    first();
    first(); // a second call gives nothing back twice
    expect(slots.inFlight("id:alice")).toBe(1);
    slots.admit("id:alice");
    expect(() => slots.admit("id:alice")).toThrow(CallerLimitError);
  });

  it("never counts an exempt caller (undefined); a caller whose calls all ended starts again from zero", () => {
    const slots = new ModernRequestSlots(1);
    for (let i = 0; i < 5; i++) slots.admit(undefined);
    const release = slots.admit("id:bob");
    release();
    expect(slots.inFlight("id:bob")).toBe(0);
    slots.admit("id:bob");
    expect(() => slots.admit("id:bob")).toThrow(CallerLimitError);
  });

  it("refuses a bound that is not a positive integer", () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => new ModernRequestSlots(bad)).toThrow(RangeError);
    }
  });
});

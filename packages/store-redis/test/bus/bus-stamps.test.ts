import { describe, expect, it } from "vitest";
import { DeliveryFilter, PublisherStamp } from "../../src/bus/stamps.js";

// The Cluster bus's defence against a message reaching a subscription twice while the
// subscription moves from a shard's old primary to its new one (seen in the CLUSTER FAILOVER
// fault test: message 13 delivered twice). The fault test exercises it end to end; these pin
// the rule itself.
describe("PublisherStamp and DeliveryFilter", () => {
  it("delivers each stamped message once, without its stamp", () => {
    const stamp = new PublisherStamp();
    const filter = new DeliveryFilter();
    const first = stamp.stamp("a");
    const second = stamp.stamp("b\nwith a newline: and a colon");
    expect(filter.accept(first)).toBe("a");
    expect(filter.accept(first)).toBeUndefined();
    expect(filter.accept(second)).toBe("b\nwith a newline: and a colon");
    expect(filter.accept(second)).toBeUndefined();
  });

  it("never delivers a publisher's message after a later one of the same publisher", () => {
    const stamp = new PublisherStamp();
    const filter = new DeliveryFilter();
    const [m1, m2, m3] = [stamp.stamp("1"), stamp.stamp("2"), stamp.stamp("3")];
    expect(filter.accept(m1)).toBe("1");
    expect(filter.accept(m3)).toBe("3");
    expect(filter.accept(m2)).toBeUndefined();
  });

  it("keeps publishers apart, and drops what carries no stamp", () => {
    const a = new PublisherStamp();
    const b = new PublisherStamp();
    const filter = new DeliveryFilter();
    expect(filter.accept(a.stamp("a1"))).toBe("a1");
    expect(filter.accept(b.stamp("b1"))).toBe("b1");
    expect(filter.accept(a.stamp("a2"))).toBe("a2");
    expect(filter.accept("no stamp at all")).toBeUndefined();
    expect(filter.accept("x:notanumber\nm")).toBeUndefined();
  });

  it("remembers a bounded number of publishers, forgetting the least recently heard", () => {
    const filter = new DeliveryFilter();
    const first = new PublisherStamp();
    const early = first.stamp("early");
    expect(filter.accept(early)).toBe("early");
    for (let i = 0; i < 256; i++) filter.accept(new PublisherStamp().stamp("other"));
    // The first publisher was forgotten: its repeat gets through again, so the memory is bounded.
    expect(filter.accept(early)).toBe("early");
  });
});

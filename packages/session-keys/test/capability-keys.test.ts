import { describe, expect, it } from "vitest";
import {
  MetadataKeyLoggingLevel,
  parseSubscriptionKey,
  parseTaskRouteKey,
  subscriptionKey,
  taskRouteKey,
} from "../src/index.js";

describe("capability keys", () => {
  it("subscription and task keys round-trip any URI or ID, commas and dots included", () => {
    for (const uri of ["file:///a,b.txt", "mem://x/{y}", "a b%c", "ü://ß"]) {
      expect(subscriptionKey(uri).startsWith("vmcp.subscription.")).toBe(true);
      expect(subscriptionKey(uri)).not.toMatch(/[,\s]/);
      expect(parseSubscriptionKey(subscriptionKey(uri))).toBe(uri);
    }
    for (const id of ["task-1", "t/1,2", "ä"]) {
      expect(parseTaskRouteKey(taskRouteKey(id))).toBe(id);
    }
  });

  it("other keys, empty suffixes and bad encodings parse to undefined", () => {
    expect(parseSubscriptionKey(taskRouteKey("x"))).toBeUndefined();
    expect(parseTaskRouteKey(subscriptionKey("x"))).toBeUndefined();
    expect(parseSubscriptionKey("vmcp.subscription.")).toBeUndefined();
    expect(parseTaskRouteKey("vmcp.task.%E0%A4%A")).toBeUndefined();
    expect(parseSubscriptionKey(MetadataKeyLoggingLevel)).toBeUndefined();
  });
});

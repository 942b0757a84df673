import { aggregateCapabilities, type BackendInfo, combineInstructions } from "@vmcp/session-core";
import { describe, expect, it } from "vitest";

const info = (
  workloadId: string,
  capabilities: BackendInfo["capabilities"],
  instructions?: string,
): BackendInfo => ({ workloadId, capabilities, instructions });

describe("aggregateCapabilities", () => {
  it("declares what at least one backend declares, and nothing no backend declares", () => {
    const caps = aggregateCapabilities([
      info("a", { tools: { listChanged: true }, logging: {} }),
      info("b", {
        resources: { subscribe: true, listChanged: true },
        completions: {},
        tasks: { list: {}, requests: { tools: { call: {} } } },
      }),
      info("c", { tasks: { cancel: {} }, experimental: { x: {} } }),
    ]);
    expect(caps).toEqual({
      tools: {},
      logging: {},
      resources: { subscribe: true },
      completions: {},
      tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
    });
  });

  it("declares listChanged only when the gateway passes the notifications on", () => {
    const caps = aggregateCapabilities(
      [
        info("a", { tools: { listChanged: true }, prompts: {} }),
        info("b", { prompts: { listChanged: true } }),
      ],
      { listChanged: true },
    );
    expect(caps).toEqual({ tools: { listChanged: true }, prompts: { listChanged: true } });
  });

  it("no backends: nothing; unknown capabilities: the three lists", () => {
    expect(aggregateCapabilities([])).toEqual({});
    expect(aggregateCapabilities([info("a", undefined)])).toEqual({
      tools: {},
      prompts: {},
      resources: {},
    });
  });
});

describe("combineInstructions", () => {
  it("keeps each backend's text under its workload ID, after the preamble, skipping empty ones", () => {
    const text = combineInstructions(
      [
        info("alpha", {}, "Use alpha for math.\nTwo lines."),
        info("beta", {}, "  "),
        info("gamma", {}, "Gamma text."),
      ],
      "Gateway.",
    );
    expect(text).toBe(
      "Gateway.\n\n## alpha\nUse alpha for math.\nTwo lines.\n\n## gamma\nGamma text.",
    );
  });
});

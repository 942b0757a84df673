import {
  applyBackendChangePlan,
  encodeBackends,
  InvalidBackendListError,
  planBackendChange,
  withBackend,
  withoutBackend,
} from "@vmcp/session-keys";
import { describe, expect, it } from "vitest";

const stored = {
  ...encodeBackends([
    { workloadId: "alpha", sessionId: "a1", protocolVersion: "2025-11-25" },
    {
      workloadId: "beta",
      sessionId: "b1",
      capabilities: { tools: {} },
      instructions: "Ask beta first.",
    },
    { workloadId: "gamma", sessionId: "" },
  ]),
  "app.other": "kept",
};

describe("backend changes", () => {
  it("drops a backend: its keys go and the list is rewritten", () => {
    const plan = planBackendChange(stored, { drop: ["beta"] });
    expect(plan).toEqual({
      set: { "vmcp.backend.ids": "alpha,gamma" },
      remove: [
        "vmcp.backend.session.beta",
        "vmcp.backend.capabilities.beta",
        "vmcp.backend.instructions.beta",
      ],
      backendIds: "alpha,gamma",
      changed: true,
    });
    expect(applyBackendChangePlan(stored, plan)).toEqual({
      "vmcp.backend.ids": "alpha,gamma",
      "vmcp.backend.session.alpha": "a1",
      "vmcp.backend.protocol.alpha": "2025-11-25",
      "vmcp.backend.session.gamma": "",
      "app.other": "kept",
    });
  });

  it("dropping every backend removes the list key as well", () => {
    const plan = planBackendChange(stored, { drop: ["alpha", "beta", "gamma"] });
    expect(plan.backendIds).toBeUndefined();
    expect(plan.remove).toContain("vmcp.backend.ids");
    expect(Object.keys(applyBackendChangePlan(stored, plan))).toEqual(["app.other"]);
  });

  it("writes only the keys whose value changes, and never for a backend no longer listed", () => {
    const plan = planBackendChange(stored, {
      drop: ["gamma"],
      set: {
        "vmcp.backend.session.alpha": "a1",
        "vmcp.backend.session.beta": "b2",
        "vmcp.backend.session.gamma": "g2",
        "vmcp.backend.session.delta": "d1",
      },
    });
    expect(plan.set).toEqual({
      "vmcp.backend.session.beta": "b2",
      "vmcp.backend.ids": "alpha,beta",
    });
  });

  it("unsets per-backend keys that are present, and nothing for keys absent", () => {
    const plan = planBackendChange(stored, {
      set: { "vmcp.backend.session.beta": "b2" },
      unset: ["vmcp.backend.instructions.beta", "vmcp.backend.instructions.alpha"],
    });
    expect(plan).toEqual({
      set: { "vmcp.backend.session.beta": "b2" },
      remove: ["vmcp.backend.instructions.beta"],
      backendIds: "alpha,beta,gamma",
      changed: true,
    });
    expect(applyBackendChangePlan(stored, plan)).not.toHaveProperty(
      "vmcp.backend.instructions.beta",
    );
    expect(planBackendChange(stored, { unset: ["vmcp.backend.instructions.alpha"] }).changed).toBe(
      false,
    );
  });

  it("a key both set and unset is set; a dropped backend's key is removed once", () => {
    const plan = planBackendChange(stored, {
      drop: ["beta"],
      set: { "vmcp.backend.instructions.alpha": "new" },
      unset: ["vmcp.backend.instructions.alpha", "vmcp.backend.instructions.beta"],
    });
    expect(plan.set).toMatchObject({ "vmcp.backend.instructions.alpha": "new" });
    expect(plan.remove.filter((k) => k === "vmcp.backend.instructions.beta")).toHaveLength(1);
    expect(plan.remove).not.toContain("vmcp.backend.instructions.alpha");
  });

  it("reports no change when nothing differs", () => {
    const plan = planBackendChange(stored, {
      drop: ["delta"],
      set: { "vmcp.backend.session.alpha": "a1" },
    });
    expect(plan).toEqual({ set: {}, remove: [], backendIds: "alpha,beta,gamma", changed: false });
    expect(applyBackendChangePlan(stored, plan)).toEqual(stored);
  });

  it("refuses a corrupt stored list with a typed error", () => {
    expect(() => planBackendChange({ "vmcp.backend.ids": "a,,b" }, { drop: ["a"] })).toThrow(
      InvalidBackendListError,
    );
  });

  it("withBackend replaces a backend's keys and lists it; withoutBackend takes it out again", () => {
    const replaced = withBackend(stored, { workloadId: "beta", sessionId: "b2" });
    expect(replaced["vmcp.backend.session.beta"]).toBe("b2");
    expect(replaced).not.toHaveProperty("vmcp.backend.capabilities.beta");
    expect(replaced).not.toHaveProperty("vmcp.backend.instructions.beta");
    expect(replaced["vmcp.backend.ids"]).toBe("alpha,beta,gamma");
    const added = withBackend(stored, { workloadId: "delta", sessionId: "d1" });
    expect(added["vmcp.backend.ids"]).toBe("alpha,beta,delta,gamma");
    expect(withoutBackend(added, "delta")).toEqual(stored);
    expect(withBackend({}, { workloadId: "a", sessionId: "" })).toEqual(
      encodeBackends([{ workloadId: "a", sessionId: "" }]),
    );
    expect(withoutBackend(withBackend({}, { workloadId: "a", sessionId: "" }), "a")).toEqual({});
  });
});

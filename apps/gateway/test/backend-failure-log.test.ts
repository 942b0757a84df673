import { BackendConnectError } from "@vmcp/session-core";
import { describe, expect, it } from "vitest";
import { BackendFailureLog, describeBackend } from "../dist/backend-failure-log.js";
import { createLogger } from "../dist/logger.js";

/** A real logger writing into memory, and its parsed lines. */
function memoryLogger() {
  let text = "";
  const log = createLogger("info", {
    destination: {
      write: (chunk: string) => {
        text += chunk;
      },
    },
  });
  const records = () =>
    text
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, records };
}

const backends = [
  { workloadId: "web", url: "https://user:secret@backend.example:8443/mcp?api_key=k#frag" },
  { workloadId: "files", command: "/opt/files-server", args: ["--token", "t0ken"] },
];

const refused = new BackendConnectError("web", "fetch failed", {
  cause: new Error("connect ECONNREFUSED 10.0.0.9:8443"),
});

describe("BackendFailureLog", () => {
  it("names a backend by its URL without credentials, query or fragment, or by its command without arguments", () => {
    expect(describeBackend(backends[0] as never)).toEqual({
      url: "https://backend.example:8443/mcp",
    });
    expect(describeBackend(backends[1] as never)).toEqual({ command: "/opt/files-server" });
  });

  it("writes one warn line per backend per interval, and the next line counts the failures left out", () => {
    const { log, records } = memoryLogger();
    let now = 0;
    const failures = new BackendFailureLog(log, backends as never, 10_000, () => now);
    const at = (sessionId: string) => ({ phase: "initialize" as const, sessionId });

    failures.record("web", refused, at("s1"));
    failures.record("files", new Error("spawn /opt/files-server ENOENT"), at("s1"));
    for (let i = 2; i <= 50; i++) {
      now += 100;
      failures.record("web", refused, at(`s${i}`));
    }
    expect(records()).toHaveLength(2);
    expect(records()[0]).toMatchObject({
      level: 40,
      msg: "backend failed to connect",
      workloadId: "web",
      url: "https://backend.example:8443/mcp",
      phase: "initialize",
      sessionId: "s1",
      reason:
        'backend "web" could not be connected: fetch failed: connect ECONNREFUSED 10.0.0.9:8443',
    });
    expect(records()[0]).not.toHaveProperty("suppressed");
    expect(records()[1]).toMatchObject({
      workloadId: "files",
      command: "/opt/files-server",
      reason: "spawn /opt/files-server ENOENT",
    });

    now = 10_000;
    failures.record("web", refused, { phase: "restore", sessionId: "s51" });
    expect(records()).toHaveLength(3);
    expect(records()[2]).toMatchObject({
      workloadId: "web",
      phase: "restore",
      sessionId: "s51",
      suppressed: 49,
    });
    const text = JSON.stringify(records());
    for (const secret of ["secret", "api_key", "t0ken", "user:"])
      expect(text).not.toContain(secret);
  });

  it("an interval of 0 logs every failure", () => {
    const { log, records } = memoryLogger();
    const failures = new BackendFailureLog(log, backends as never, 0, () => 0);
    for (let i = 0; i < 3; i++)
      failures.record("web", refused, { phase: "initialize", sessionId: `s${i}` });
    expect(records().map((r) => r.sessionId)).toEqual(["s0", "s1", "s2"]);
  });
});

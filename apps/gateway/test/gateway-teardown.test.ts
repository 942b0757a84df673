import { describe, expect, it } from "vitest";
import { GatewayTeardown } from "../dist/gateway-teardown.js";
import { createLogger } from "../dist/logger.js";

/** A logger that keeps its JSON lines. */
function recordingLog() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger("info", {
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  return { log, lines };
}

/** A teardown whose every part records its stop in `stopped`; `failing` parts reject. */
function teardownOf(failing: readonly string[] = []) {
  const stopped: string[] = [];
  const stop = (name: string) => async () => {
    stopped.push(name);
    if (failing.includes(name)) throw new Error(`${name} broke`);
  };
  const { log, lines } = recordingLog();
  const teardown = new GatewayTeardown(log, 1234);
  const parts = {
    http: {
      url: "http://127.0.0.1:1",
      inFlight: () => 0,
      close: async (timeoutMs: number) => {
        await stop(`http(${timeoutMs})`)();
      },
    },
    modern: { close: stop("modern") },
    relay: { endStreams: () => void stopped.push("streams"), close: stop("relay") },
    manager: { close: stop("manager") },
    connector: { close: stop("connector") },
    serverEvents: { close: stop("serverEvents") },
    bus: { close: stop("bus") },
    storage: { close: stop("storage") },
    telemetry: { shutdown: stop("telemetry") },
  };
  return { teardown, parts, stopped, lines };
}

describe("GatewayTeardown", () => {
  it("stops every part in one order: streams and HTTP first, the server events before their bus, the store and telemetry last", async () => {
    const { teardown, parts, stopped } = teardownOf();
    Object.assign(teardown, parts);
    await teardown.run();
    expect(stopped).toEqual([
      "modern",
      "streams",
      "http(1234)",
      "relay",
      "manager",
      "connector",
      "serverEvents",
      "bus",
      "storage",
      "telemetry",
    ]);
  });

  it("stops only what started (a failed start before the HTTP server leaves streams alone)", async () => {
    const { teardown, parts, stopped } = teardownOf();
    teardown.telemetry = parts.telemetry as never;
    teardown.storage = parts.storage as never;
    teardown.relay = parts.relay as never;
    await teardown.run();
    expect(stopped).toEqual(["relay", "storage", "telemetry"]);
  });

  it("logs a step that fails and still runs the rest; it never rejects", async () => {
    const { teardown, parts, stopped, lines } = teardownOf(["manager", "storage"]);
    Object.assign(teardown, parts);
    await expect(teardown.run()).resolves.toBeUndefined();
    expect(stopped).toContain("telemetry");
    expect(lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual([
      "closing sessions failed",
      "closing the store failed",
    ]);
  });
});

import { setTimeout as sleep } from "node:timers/promises";
import { BackendConnectError, type BackendTarget, McpBackendConnector } from "@vmcp/session-core";
import { stdioBackendScript } from "@vmcp/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { childPids, exists } from "./fixtures/processes.js";

// The same test backend twice: calm (tagged, so `ps` tells the two apart) and stubborn.
const server = `${stdioBackendScript} --tag calm`;
const stubborn = `${stdioBackendScript} --stubborn`;

function stdio(workloadId: string, commandLine: string): BackendTarget {
  const args = commandLine.split(" ");
  return { workloadId, transport: { kind: "stdio", command: process.execPath, args } };
}

describe("McpBackendConnector and its stdio processes", () => {
  const connectors: McpBackendConnector[] = [];
  const make = (options: ConstructorParameters<typeof McpBackendConnector>[0] = {}) => {
    const connector = new McpBackendConnector(options);
    connectors.push(connector);
    return connector;
  };
  afterEach(async () => {
    for (const connector of connectors.splice(0)) {
      connector.killStdioProcesses();
      await connector.close();
    }
  });

  it("hands each stderr line to onStderrLine with its workload ID, long lines cut, nothing raw", async () => {
    const lines: Array<[string, string]> = [];
    const connector = make({
      onStderrLine: (workloadId, line) => lines.push([workloadId, line]),
      stderrMaxLineLength: 100,
    });
    const connection = await connector.connect(
      stdio("files", server),
      undefined,
      AbortSignal.timeout(10_000),
    );
    const long = "x".repeat(250);
    await connection.callTool("log", { text: `first line\r\nsecond line\n\n${long}\nafter\n` });
    // Lines split over separate writes are joined; a long one is cut even across writes.
    await connection.callTool("log", { text: "par" });
    await connection.callTool("log", { text: "tial\n" });
    await connection.callTool("log", { text: "y".repeat(60) });
    await connection.callTool("log", { text: `${"y".repeat(60)}\nlast words without newline` });
    await connection.close(); // the stream ends with the process, so every line is in
    expect(lines).toEqual([
      ["files", "first line"],
      ["files", "second line"],
      ["files", `${"x".repeat(100)}…`],
      ["files", "after"],
      ["files", "partial"],
      ["files", `${"y".repeat(100)}…`],
      ["files", "last words without newline"],
    ]);
  });

  it("close() of a stdio connection resolves only once its process is gone, even one that ignores EOF and SIGTERM", async () => {
    const connector = make();
    const connection = await connector.connect(
      stdio("stubborn", stubborn),
      undefined,
      AbortSignal.timeout(10_000),
    );
    const [pid] = childPids(stubborn);
    expect(pid).toBeDefined();
    expect(connector.stdioProcessIds).toEqual([pid]);
    await connection.close();
    expect(exists(pid as number)).toBe(false);
    expect(connector.stdioProcessIds).toEqual([]);
  }, 20_000);

  it("connector.close() stops the processes nobody closed, then refuses new connects", async () => {
    const connector = make({ stdioStopGraceMs: 200 });
    await Promise.all(
      [stdio("a", stubborn), stdio("b", server)].map((t) =>
        connector.connect(t, undefined, AbortSignal.timeout(10_000)),
      ),
    );
    const pids = [...childPids(stubborn), ...childPids(server)];
    expect(pids).toHaveLength(2);
    expect([...connector.stdioProcessIds].sort()).toEqual([...pids].sort());
    const started = performance.now();
    await connector.close();
    expect(performance.now() - started).toBeLessThan(5_000); // 200 ms grace, then SIGKILL
    for (const pid of pids) expect(exists(pid)).toBe(false);
    await expect(
      connector.connect(stdio("c", server), undefined, AbortSignal.timeout(10_000)),
    ).rejects.toBeInstanceOf(BackendConnectError);
    expect(childPids(server)).toEqual([]);
  }, 20_000);

  it("killStdioProcesses() sends SIGKILL to every process at once, synchronously", async () => {
    const connector = make();
    await connector.connect(stdio("stubborn", stubborn), undefined, AbortSignal.timeout(10_000));
    const [pid] = connector.stdioProcessIds;
    connector.killStdioProcesses();
    const deadline = performance.now() + 5_000;
    while (connector.stdioProcessIds.length > 0 && performance.now() < deadline) {
      await sleep(20);
    }
    expect(connector.stdioProcessIds).toEqual([]);
    expect(exists(pid as number)).toBe(false);
  }, 20_000);
});

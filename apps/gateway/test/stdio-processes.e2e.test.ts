import { readFileSync } from "node:fs";
import { stdioBackendScript, waitUntil } from "@vmcp/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { connectClient, resultText } from "./helpers/mcp-client.js";
import {
  childProcessesRunning,
  type GatewayProcess,
  processGone,
  startGatewayProcess,
} from "./helpers/processes.js";

/** The shared stdio test backend; both gateway backends below run it, announcing themselves. */
const fixture = stdioBackendScript;

/** PIDs of the live (not zombie) children of `parent` running the fixture. */
function fixtureChildren(parent: number): number[] {
  return childProcessesRunning(parent, fixture);
}

const exists = (pid: number): boolean => !processGone(pid);

/** Whether `pid` is a live process: it exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** The JSON log lines of a gateway's stderr; throws on any line that is not JSON. */
function logRecords(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`raw text in the JSON log: ${JSON.stringify(line)}`);
      }
    });
}

describe("a gateway's stdio backend processes", () => {
  const leftovers: number[] = [];
  let gateway: GatewayProcess | undefined;
  afterEach(async () => {
    await gateway?.kill();
    gateway = undefined;
    for (const pid of leftovers.splice(0)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone, as it should be
      }
    }
  });

  const start = (extra: string[] = []) =>
    startGatewayProcess([
      "--backend",
      `calm=stdio:${process.execPath} ${fixture} --announce`,
      "--backend",
      `stubborn=stdio:${process.execPath} ${fixture} --announce --stubborn`,
      "--stdio-stop-grace-ms",
      "500",
      ...extra,
    ]);

  it("log each stderr line as one JSON record with its workload ID, and are all gone when the gateway exits on SIGTERM", async () => {
    gateway = await start();
    const clients = await Promise.all([connectClient(gateway.url), connectClient(gateway.url)]);
    const told = await clients[0]?.client.callTool({
      name: "stubborn__tell",
      arguments: { text: "disk almost full" },
    });
    const children = fixtureChildren(gateway.child.pid ?? 0);
    leftovers.push(...children);
    expect(children).toHaveLength(4); // two sessions, two stdio backends each
    expect(children).toContain(Number(resultText(told ?? { content: [] })));
    for (const { client } of clients) await client.close(); // no DELETE, like most clients

    await waitUntil(() => gateway?.stderr().includes("disk almost full") ?? false, 5_000);
    const records = logRecords(gateway.stderr());
    const lines = records.filter((r) => r.msg === "backend stderr");
    expect(lines.filter((r) => r.workloadId === "calm")).toHaveLength(2);
    expect(lines.filter((r) => r.workloadId === "stubborn")).toHaveLength(3);
    expect(lines).toContainEqual(
      expect.objectContaining({ workloadId: "stubborn", stderr: "disk almost full", level: 30 }),
    );
    for (const r of lines)
      expect(String(r.stderr)).toMatch(/^(backend ready, pid \d+|disk almost full)$/);

    expect(await gateway.stop()).toBe(0);
    // At the moment the gateway has exited, every child is already gone (and reaped).
    expect(children.filter(exists)).toEqual([]);
  });

  it("a second signal during the graceful shutdown still takes every stdio child down with the gateway", async () => {
    gateway = await start();
    const { client } = await connectClient(gateway.url);
    await client.callTool({ name: "stubborn__tell", arguments: { text: "x" } });
    const children = fixtureChildren(gateway.child.pid ?? 0);
    leftovers.push(...children);
    expect(children).toHaveLength(2);
    gateway.child.kill("SIGTERM");
    // The stubborn child holds the graceful shutdown for seconds: signal again meanwhile.
    await waitUntil(() => gateway?.stderr().includes("signal received") ?? false, 5_000);
    gateway.child.kill("SIGTERM");
    expect(await gateway.stop()).toBe(1);
    // SIGKILL was sent before the gateway exited; give the kernel a moment to finish them.
    // (Their zombies now belong to init, which reaps them in its own time.)
    await waitUntil(() => !children.some(running), 5_000);
  });

  it("idle sessions stop their stdio processes; the next request restores the session", async () => {
    gateway = await start(["--idle-timeout-ms", "1500"]);
    const { client } = await connectClient(gateway.url);
    const pid = gateway.child.pid ?? 0;
    const first = Number(
      resultText(await client.callTool({ name: "calm__tell", arguments: { text: "one" } })),
    );
    leftovers.push(...fixtureChildren(pid));
    expect(fixtureChildren(pid)).toHaveLength(2);
    await waitUntil(() => fixtureChildren(pid).length === 0, 10_000);
    const again = Number(
      resultText(await client.callTool({ name: "calm__tell", arguments: { text: "two" } })),
    );
    leftovers.push(...fixtureChildren(pid));
    expect(again).not.toBe(first);
    expect(fixtureChildren(pid)).toHaveLength(2);
    await client.close();
  });
});

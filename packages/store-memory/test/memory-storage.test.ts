import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { MemoryStorage } from "@vmcp/store-memory";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

describe("MemoryStorage bounds and clock", () => {
  it("keeps at most maxSessions, evicting the least recently used", async () => {
    const storage = new MemoryStorage({ maxSessions: 3 });
    for (const id of ["s1", "s2", "s3"]) await storage.create({ id });
    await storage.load("s1"); // s2 is now the least recently used
    await storage.create({ id: "s4" });
    expect(storage.size).toBe(3);
    expect(await storage.load("s2")).toBeUndefined();
    for (const id of ["s1", "s3", "s4"]) expect(await storage.load(id)).toBeDefined();
  });

  it("refuses a maxSessions that is not a positive integer", () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => new MemoryStorage({ maxSessions: bad })).toThrow(RangeError);
    }
  });

  it("expires by the injected clock, to the millisecond", async () => {
    let now = 1_000_000;
    const storage = new MemoryStorage({ now: () => now });
    await storage.create({ id: "s", expiresAt: now + 100 });
    now += 99;
    expect(await storage.load("s")).toBeDefined();
    now += 1;
    expect(await storage.load("s")).toBeUndefined();
    expect(storage.size).toBe(0);
  });

  it("stamps createdAt and updatedAt from the injected clock", async () => {
    let now = 5_000;
    const storage = new MemoryStorage({ now: () => now });
    await storage.create({ id: "s" });
    now = 7_000;
    await storage.update("s", { set: { a: "1" } });
    expect(await storage.load("s")).toMatchObject({
      createdAt: 5_000,
      updatedAt: 7_000,
      version: 2,
    });
  });
});

describe("MemoryStorage close", () => {
  it("leaves nothing behind: a process that used and closed it exits on its own", async () => {
    const entry = fileURLToPath(new URL("../dist/index.js", import.meta.url));
    const script = `
      const { MemoryStorage } = await import(${JSON.stringify(entry)});
      const storage = new MemoryStorage();
      await storage.create({ id: "s", expiresAt: Date.now() + 3_600_000 });
      await storage.load("s", { slideExpiresAt: Date.now() + 7_200_000 });
      await storage.close();
      console.log("closed");
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
      timeout: 10_000,
    });
    expect(stdout.trim()).toBe("closed");
  });
});

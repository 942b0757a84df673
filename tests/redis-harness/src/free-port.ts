import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The offset Redis Cluster adds to a node's port for its bus port. */
const ClusterBusOffset = 10_000;

/**
 * Where ports are reserved across processes: one file per port, holding the owner's PID. A
 * killed server frees its port at the OS level while its test still means to restart it there
 * (and a Sentinel may still reconfigure whatever answers on it), so a port stays reserved until
 * its server is closed or its process exits.
 */
const ReservationDir = join(tmpdir(), "vmcp-redis-harness-ports");

/** Whether `port` can be bound on 127.0.0.1 right now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

const handedOut = new Set<number>();
let exitHookInstalled = false;

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function tryCreate(path: string): boolean {
  try {
    writeFileSync(path, String(process.pid), { flag: "wx" });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** Reserves `port` for this process; false when another live process holds it. */
function reserve(port: number): boolean {
  mkdirSync(ReservationDir, { recursive: true });
  const path = join(ReservationDir, String(port));
  if (tryCreate(path)) return true;
  let owner = Number.NaN;
  try {
    owner = Number(readFileSync(path, "utf8"));
  } catch {
    // removed meanwhile: try again below
  }
  if (isAlive(owner)) return false;
  // Left by a process that is gone: take it over (one of several racing processes wins).
  try {
    unlinkSync(path);
  } catch {
    // another process took it over first
  }
  return tryCreate(path);
}

/** Gives up this process's reservation of `port` (a server on it was closed). */
export function releasePort(port: number): void {
  if (!handedOut.delete(port)) return;
  try {
    unlinkSync(join(ReservationDir, String(port)));
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const port of [...handedOut]) releasePort(port);
  });
}

/**
 * A loopback port that is free now, from 20000 to 29999 (below the OS's ephemeral range, so
 * outgoing connections do not take it), whose Cluster bus port (+10000) is free too, reserved
 * for this process until {@link releasePort} or its exit, so no other test process running the
 * harness takes it while a server on it is stopped or killed.
 * @throws {Error} after 200 tries without a free port.
 */
export async function freePort(): Promise<number> {
  installExitHook();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (handedOut.has(port)) continue;
    if (!(await canBind(port)) || !(await canBind(port + ClusterBusOffset))) continue;
    if (!reserve(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error("no free loopback port pair found for redis-server");
}

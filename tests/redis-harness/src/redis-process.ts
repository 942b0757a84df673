import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, releasePort } from "./free-port.js";
import { redisCli } from "./redis-cli.js";
import { requireRedisServer } from "./require-redis.js";

/** A host and port, as ioredis takes them for Sentinel and Cluster. */
export interface HostPort {
  /** Always `127.0.0.1`: the harness listens on loopback only. */
  readonly host: string;
  /** The TCP port. */
  readonly port: number;
}

/**
 * One throwaway `redis-server` process on a loopback port, in its own temp directory, with the
 * controls a fault test needs. `stop`, `kill` and `pause` are faults (the port and the directory
 * stay reserved, `restart` brings the server back on the same port); `close` is the cleanup.
 */
export interface RedisServer extends HostPort {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** The server's temp directory (its working dir; removed by `close`). */
  readonly dir: string;
  /** Whether the process is running now (also true while paused). */
  readonly running: boolean;
  /** Graceful stop (SIGTERM, nothing saved); resolves when the process has exited. Idempotent. */
  stop(): Promise<void>;
  /** Hard stop (SIGKILL); resolves when the process has exited. Idempotent. */
  kill(): Promise<void>;
  /**
   * The `SHUTDOWN NOSAVE` command, as an operator would send it (a master first waits up to
   * Redis's `shutdown-timeout` for its replicas to catch up); resolves when the process has
   * exited. Idempotent.
   */
  shutdown(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open but nothing answers. */
  pause(): void;
  /** Thaws a paused process (SIGCONT). */
  resume(): void;
  /** Stops the process if it runs, starts it again on the same port and waits until it answers PING. */
  restart(): Promise<void>;
  /** Runs `redis-cli` against this server and resolves its output, trimmed. */
  cli(...args: string[]): Promise<string>;
  /** The last lines the server printed (for diagnostics). */
  logs(): string;
  /** Kills the process and removes its temp directory. Idempotent; `restart` is refused afterwards. */
  close(): Promise<void>;
}

/** How long a server may take to answer its first PING, ms. */
const StartTimeoutMs = 10_000;
const MaxLogChars = 16_000;

const live = new Set<ManagedRedis>();
let exitHookInstalled = false;

/** Last-resort cleanup: a test run that forgets `close()` still leaves no process or directory. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const server of live) server.closeSync();
  });
}

/** What {@link spawnRedis} starts. */
export interface SpawnOptions {
  /** Extra `--name value` arguments, e.g. `["--cluster-enabled", "yes"]`. */
  readonly args?: readonly string[];
  /**
   * Writes a config file into the server's directory and starts from it instead of arguments
   * (Sentinel needs a writable config file). Receives the port and the directory.
   */
  readonly configFile?: (port: number, dir: string) => string;
  /** Start as a Sentinel (`--sentinel`). */
  readonly sentinel?: boolean;
  /** The directory name prefix, for readable temp paths. */
  readonly label?: string;
}

class ManagedRedis implements RedisServer {
  readonly host = "127.0.0.1";
  readonly port: number;
  readonly dir: string;
  readonly #options: SpawnOptions;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #log = "";
  #closed = false;

  constructor(port: number, dir: string, options: SpawnOptions) {
    this.port = port;
    this.dir = dir;
    this.#options = options;
    live.add(this);
    installExitHook();
  }

  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Spawns the process and waits for PONG; rejects (with the server's log) if it exits first. */
  async start(): Promise<void> {
    if (this.#closed) throw new Error(`redis-server on port ${this.port} is closed`);
    if (this.#child !== undefined) return;
    const { redisServer } = requireRedisServer();
    const args =
      this.#options.configFile === undefined
        ? [
            "--port",
            String(this.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            this.dir,
            "--protected-mode",
            "no",
            // A replica's first sync would otherwise wait 5 s for more replicas to join it.
            "--repl-diskless-sync-delay",
            "0",
            ...(this.#options.args ?? []),
          ]
        : [this.#options.configFile(this.port, this.dir)];
    if (this.#options.sentinel === true) args.push("--sentinel");
    const child = spawn(redisServer, args, { cwd: this.dir, stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    const append = (chunk: Buffer): void => {
      this.#log = (this.#log + chunk.toString("utf8")).slice(-MaxLogChars);
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    let exitedEarly = false;
    this.#exited = new Promise((resolve) => {
      child.once("exit", () => {
        exitedEarly = true;
        if (this.#child === child) this.#child = undefined;
        resolve();
      });
      child.once("error", (error) => {
        append(Buffer.from(String(error)));
        exitedEarly = true;
        if (this.#child === child) this.#child = undefined;
        resolve();
      });
    });
    const deadline = Date.now() + StartTimeoutMs;
    for (;;) {
      if (exitedEarly) {
        throw new Error(`redis-server on port ${this.port} exited during start:\n${this.#log}`);
      }
      try {
        // A server started with --requirepass answers NOAUTH: it is up all the same.
        if (/^(PONG|NOAUTH)/.test(await redisCli(this.port, ["PING"], 2_000))) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(
          `redis-server on port ${this.port} did not answer within ${StartTimeoutMs} ms:\n${this.#log}`,
        );
      }
      await delay(50);
    }
  }

  async stop(): Promise<void> {
    await this.#signal("SIGTERM");
  }

  async kill(): Promise<void> {
    await this.#signal("SIGKILL");
  }

  async shutdown(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    const exited = this.#exited;
    // The server closes the connection instead of replying: redis-cli's outcome says nothing.
    await redisCli(this.port, ["SHUTDOWN", "NOSAVE"]).catch(() => undefined);
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  }

  pause(): void {
    this.#child?.kill("SIGSTOP");
  }

  resume(): void {
    this.#child?.kill("SIGCONT");
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  cli(...args: string[]): Promise<string> {
    return redisCli(this.port, args);
  }

  logs(): string {
    return this.#log;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.kill();
    this.closeSync();
  }

  /** Synchronous cleanup for the exit hook. */
  closeSync(): void {
    this.#closed = true;
    this.#child?.kill("SIGKILL");
    live.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
    releasePort(this.port);
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    // A paused process ignores SIGTERM until it runs again.
    child.kill("SIGCONT");
    child.kill(signal);
    const exited = this.#exited;
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Starts one `redis-server` on a free loopback port in a new temp directory and waits until it
 * answers PING (within 10 s). Retries on another port if the chosen one is taken meanwhile.
 * @throws {RedisServerMissingError} when redis-server is not installed.
 */
export async function spawnRedis(options: SpawnOptions = {}): Promise<RedisServer> {
  requireRedisServer();
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), `vmcp-redis-${options.label ?? "server"}-${port}-`));
    const server = new ManagedRedis(port, dir, options);
    try {
      await server.start();
      return server;
    } catch (error) {
      lastError = error;
      await server.close();
      if (!/Address already in use/i.test(String(error))) throw error;
    }
  }
  throw lastError;
}

/**
 * How long the harness waits by default for a topology change (a failover, a promotion, nodes
 * agreeing on the slot map) to be seen everywhere, ms. Generous on purpose: on a starved machine
 * Redis gossip runs late, and a wait that ends early costs nothing.
 */
export const TopologyWaitMs = 45_000;

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` every 100 ms until it resolves `true`, rejecting with `what` after `timeoutMs`.
 * Errors thrown by `check` count as "not yet".
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await delay(100);
  }
}

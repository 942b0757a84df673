import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { freePort, waitUntil } from "@vmcp/redis-harness";

/** The bound on verdaccio answering its ping after the spawn, ms. */
export const RegistryStartTimeoutMs = 60_000;

/** The bound on one HTTP request to the local registry, ms. */
export const RegistryRequestTimeoutMs = 10_000;

/** A throwaway npm registry (verdaccio) on a loopback port, with no uplink. */
export interface LocalRegistry {
  /** Its base URL, with a trailing slash: `http://127.0.0.1:<port>/`. */
  readonly url: string;
  readonly port: number;
  /**
   * An npm user config file (`.npmrc`) that names this registry as the default one and holds a
   * publish token for it, and for no other registry. Point `NPM_CONFIG_USERCONFIG` at it.
   */
  readonly userConfig: string;
  /** The packument of `name` (`GET /<name>`), or `undefined` on 404. */
  packument(name: string): Promise<Packument | undefined>;
  /** Stops verdaccio and removes its storage. Idempotent. */
  close(): Promise<void>;
}

/** The parts of a registry packument the tests read. */
export interface Packument {
  readonly name: string;
  readonly "dist-tags": Readonly<Record<string, string>>;
  readonly versions: Readonly<Record<string, PublishedManifest>>;
}

/** One published version's manifest, as the registry serves it. */
export interface PublishedManifest {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly dist: { readonly tarball: string; readonly integrity?: string };
}

/** verdaccio failed to start or to answer. */
export class LocalRegistryError extends Error {
  override readonly name = "LocalRegistryError";
  readonly code = "LOCAL_REGISTRY_ERROR";
}

const verdaccioBin = join(
  dirname(createRequire(import.meta.url).resolve("verdaccio/package.json")),
  "bin",
  "verdaccio",
);

/**
 * Starts verdaccio (the devDependency) on a free loopback port with its storage in a temp folder
 * and no uplink, so it serves only what is published to it and never proxies or forwards a
 * package anywhere; registers one user and writes a user config with that user's token.
 * @throws {LocalRegistryError} when verdaccio does not answer within
 * {@link RegistryStartTimeoutMs} or refuses the user.
 */
export async function startLocalRegistry(): Promise<LocalRegistry> {
  const root = mkdtempSync(join(tmpdir(), "vmcp-registry-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const storage = join(root, "storage");
  mkdirSync(storage);
  const config = join(root, "config.yaml");
  writeFileSync(
    config,
    [
      `storage: ${JSON.stringify(storage)}`,
      "auth:",
      "  htpasswd:",
      `    file: ${JSON.stringify(join(root, "htpasswd"))}`,
      "    max_users: 1",
      // No `uplinks:` and no `proxy:` on any package: nothing is fetched from, or sent to,
      // another registry.
      "packages:",
      "  '**':",
      "    access: $all",
      "    publish: $authenticated",
      "    unpublish: $authenticated",
      "web:",
      "  enable: false",
      "log: { type: stdout, format: pretty, level: warn }",
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(
    process.execPath,
    [verdaccioBin, "--config", config, "--listen", `127.0.0.1:${port}`],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    process.removeListener("exit", killOnExit);
    if (!exited) {
      const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(root, { recursive: true, force: true });
  };
  const killOnExit = () => {
    if (!exited) child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);

  const request = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(new URL(path, url), { ...init, signal: AbortSignal.timeout(RegistryRequestTimeoutMs) });

  try {
    // Done when verdaccio answers its ping, or when it has exited (then the error says why).
    await waitUntil(
      "verdaccio to answer its ping",
      async () => exited || (await request("-/ping")).ok,
      RegistryStartTimeoutMs,
    );
    if (exited) throw new LocalRegistryError(`verdaccio exited while starting:\n${output}`);
    const user = "release-test";
    const response = await request(`-/user/org.couchdb.user:${user}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: user, password: `pw-${port}-${Date.now()}` }),
    });
    const body = (await response.json()) as { token?: string };
    if (!response.ok || typeof body.token !== "string") {
      throw new LocalRegistryError(`verdaccio refused the user: ${JSON.stringify(body)}`);
    }
    const userConfig = join(root, "npmrc");
    writeFileSync(userConfig, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${body.token}\n`);
    return {
      url,
      port,
      userConfig,
      async packument(name) {
        const res = await request(name.replace("/", "%2f"));
        if (res.status === 404) return undefined;
        if (!res.ok) throw new LocalRegistryError(`GET ${name}: HTTP ${res.status}`);
        return (await res.json()) as Packument;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The bundled demo backends. */
export type DemoBackendName = "alpha" | "beta";

/** A demo backend running as a child process. */
export interface SpawnedBackend {
  readonly name: DemoBackendName;
  /** Its Streamable HTTP endpoint. */
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGTERM, then waits for exit. */
  stop(): Promise<void>;
  /** SIGKILL, then waits for exit. */
  kill(): Promise<void>;
}

/** The path of a demo backend's entry script (`dist/demo-backends/<name>.js`). */
export function demoBackendScript(name: DemoBackendName): string {
  return fileURLToPath(new URL(`./${name}.js`, import.meta.url));
}

/**
 * Starts a demo backend as a separate Node process on a free loopback port and resolves once it
 * printed its URL; rejects if it exits first or takes longer than `timeoutMs` (default 10,000 ms).
 */
export function spawnDemoBackend(
  name: DemoBackendName,
  options: { port?: number; timeoutMs?: number } = {},
): Promise<SpawnedBackend> {
  const child = spawn(
    process.execPath,
    [demoBackendScript(name), "--port", String(options.port ?? 0)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`demo backend ${name} did not start within ${options.timeoutMs ?? 10_000} ms`),
      );
    }, options.timeoutMs ?? 10_000);
    const early = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`demo backend ${name} exited with code ${String(code)} before listening`));
    };
    child.once("exit", early);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once("line", (line) => {
      clearTimeout(timer);
      try {
        const { url } = JSON.parse(line) as { url: string };
        child.off("exit", early);
        resolve({ name, url, child, stop: () => signal("SIGTERM"), kill: () => signal("SIGKILL") });
      } catch (error) {
        reject(error);
      }
    });
  });
}

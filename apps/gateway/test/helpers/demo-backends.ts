import { type SpawnedBackend, spawnDemoBackend } from "../../dist/demo-backends/spawn-backend.js";

/** Both demo backends, each its own process. */
export interface DemoBackends {
  readonly alpha: SpawnedBackend;
  readonly beta: SpawnedBackend;
  /** Stops both. */
  stop(): Promise<void>;
}

/** Starts both demo backends as separate processes. */
export async function startDemoBackends(): Promise<DemoBackends> {
  const [alpha, beta] = await Promise.all([spawnDemoBackend("alpha"), spawnDemoBackend("beta")]);
  return {
    alpha,
    beta,
    stop: async () => {
      await Promise.all([alpha.stop(), beta.stop()]);
    },
  };
}

/** `--backend` flags for the demo backends. */
export function backendFlags(...backends: SpawnedBackend[]): string[] {
  return backends.flatMap((b) => ["--backend", `${b.name}=${b.url}`]);
}

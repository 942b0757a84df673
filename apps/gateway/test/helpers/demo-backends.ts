import { type SpawnedBackend, spawnDemoBackend } from "../../dist/demo-backends/spawn-backend.js";

/** Starts both demo backends as separate processes. */
export async function startDemoBackends(): Promise<{
  alpha: SpawnedBackend;
  beta: SpawnedBackend;
  stop(): Promise<void>;
}> {
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

/**
 * Process entry of {@link startRemoteJsonBackends}: runs JSON backends in their own process.
 * Started with `fork`; argv: count, initialize delay (ms), name prefix. Sends `{ urls }` once
 * listening; answers `"counts"` with `{ counts: { method: n } }` summed over its backends; closes
 * them and exits on `"close"`.
 */
import { startJsonBackend } from "./json-backend.js";

const count = Number(process.argv[2] ?? 1);
const initializeDelayMs = Number(process.argv[3] ?? 0);
const prefix = process.argv[4] ?? "b";
const backends = await Promise.all(
  Array.from({ length: count }, (_, i) =>
    startJsonBackend({ name: `${prefix}${i}`, initializeDelayMs }),
  ),
);
process.send?.({ urls: backends.map((b) => b.url) });
process.on("message", async (message: unknown) => {
  if (message === "counts") {
    const counts: Record<string, number> = {};
    for (const b of backends) {
      for (const [m, n] of b.methods) counts[m] = (counts[m] ?? 0) + n;
    }
    process.send?.({ counts });
  } else if (message === "close") {
    await Promise.all(backends.map((b) => b.close()));
    process.exit(0);
  }
});

import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Runs a bus in a child process with `options` (JSON): subscribes twice, publishes, waits for
 * the message, unsubscribes one subscription, leaves the other open, closes the bus. Resolves
 * what the child printed; it must exit on its own (nothing left open) within 15 s.
 */
export async function useBusInChild(options: object): Promise<string> {
  const entry = fileURLToPath(new URL("../../dist/index.js", import.meta.url));
  const script = `
    const { RedisMessageBus } = await import(${JSON.stringify(entry)});
    const bus = new RedisMessageBus(${JSON.stringify(options)});
    let resolve;
    const arrived = new Promise((r) => { resolve = r; });
    const first = await bus.subscribe("exit-check", resolve);
    await bus.subscribe("exit-check-2", () => {});
    await bus.publish("exit-check", "hello");
    const message = await arrived;
    await first.unsubscribe();
    await bus.close();
    console.log(message);
  `;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
    timeout: 15_000,
  });
  return stdout.trim();
}

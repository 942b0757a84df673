import { randomBytes } from "node:crypto";

/** A key prefix no other test uses, so each test starts from an empty storage. */
export function uniquePrefix(label = "t"): string {
  return `test:${label}:${randomBytes(6).toString("hex")}:`;
}

/** Every value an async iterable yields. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

/** Settles `promise` and reports how long it took, ms, and how it ended. */
export async function timed<T>(
  promise: Promise<T>,
): Promise<{ ms: number; value?: T; error?: unknown }> {
  const start = performance.now();
  try {
    const value = await promise;
    return { ms: performance.now() - start, value };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}

/** The Cluster hash slot of `key` (CRC16/XMODEM of its hash tag, mod 16384), as Redis computes it. */
export function keySlot(key: string): number {
  const open = key.indexOf("{");
  let hashed = key;
  if (open !== -1) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) hashed = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(hashed, "utf8")) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc % 16384;
}

/** The first IDs `<label>-<n>` whose keys (under `keyOf`) hash into a slot `accept` takes. */
export function idsInSlots(
  label: string,
  count: number,
  keyOf: (id: string) => string,
  accept: (slot: number) => boolean,
): string[] {
  const ids: string[] = [];
  for (let n = 0; ids.length < count; n++) {
    if (n > 1_000_000) throw new Error(`no ${count} IDs found for ${label}`);
    const id = `${label}-${n}`;
    if (accept(keySlot(keyOf(id)))) ids.push(id);
  }
  return ids;
}

/** The key prefix used when none is configured: {@link RedisStorageOptions.keyPrefix}. */
export const DefaultKeyPrefix = "vmcp:session:";

/**
 * Reserved hash fields of a session hash. Metadata fields are stored as `m:<key>`, so no metadata
 * key can collide with these.
 */
export const Field = {
  /** createdAt, epoch ms, decimal. */
  createdAt: "@c",
  /** updatedAt, epoch ms, decimal. */
  updatedAt: "@u",
  /** expiresAt, epoch ms, decimal; absent when the session has no deadline. */
  expiresAt: "@e",
  /** version, a positive decimal integer. */
  version: "@v",
} as const;

/** The prefix of every metadata field in a session hash. */
export const MetadataFieldPrefix = "m:";

/**
 * Where one session lives: the key `<prefix>{<id>}`, a hash. The braces are a Cluster hash tag:
 * the prefix may not hold braces and the ID is written with `%`, `{` and `}` escaped as `%25`,
 * `%7B` and `%7D` (IDs without them are written as they are), so the tag is always exactly the
 * whole, non-empty ID and every key ever derived from `<prefix>{<id>}` lands in the same slot.
 */
export class KeyLayout {
  readonly prefix: string;
  readonly #open: string;

  /** @throws {TypeError} when `prefix` holds `{` or `}` (it would break the hash tag). */
  constructor(prefix: string = DefaultKeyPrefix) {
    if (typeof prefix !== "string" || /[{}]/.test(prefix)) {
      throw new TypeError(`keyPrefix may not contain "{" or "}", got ${JSON.stringify(prefix)}`);
    }
    this.prefix = prefix;
    this.#open = `${prefix}{`;
  }

  /** The hash key of session `id`. */
  sessionKey(id: string): string {
    return `${this.#open}${escapeId(id)}}`;
  }

  /** The session ID a key names, or `undefined` for a key outside this layout. */
  idFromKey(key: string): string | undefined {
    if (!key.startsWith(this.#open) || !key.endsWith("}")) return undefined;
    const written = key.slice(this.#open.length, -1);
    if (written.length === 0 || /[{}]/.test(written)) return undefined;
    return unescapeId(written);
  }

  /** The SCAN `MATCH` glob for every session key of this layout. */
  scanPattern(): string {
    return `${escapeGlob(this.#open)}*}`;
  }
}

function escapeId(id: string): string {
  return /[%{}]/.test(id) ? id.replace(/[%{}]/g, (char) => escapes[char] ?? char) : id;
}

function unescapeId(written: string): string {
  return written.includes("%")
    ? written.replace(/%(25|7B|7D)/g, (_, hex: string) =>
        String.fromCharCode(Number.parseInt(hex, 16)),
      )
    : written;
}

const escapes: Record<string, string> = { "%": "%25", "{": "%7B", "}": "%7D" };

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}

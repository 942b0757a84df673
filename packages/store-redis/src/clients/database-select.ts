import { StorageUnavailableError } from "@vmcp/session-core/storage";
import type { ClusterOptions, RedisOptions } from "ioredis";

/**
 * Redis refused the database index the storage selects on every connection (`SELECT <n>`, from
 * the URL's `/n` or the `db` option): the server has fewer databases (its `databases` setting,
 * 16 by default) or is a Cluster node, which has only database 0. ioredis would go on silently
 * in database 0; the storage stops instead: it closes the connection it built and every call
 * rejects with this error until the storage is closed (retrying cannot help). A
 * `StorageUnavailableError` (code `VMCP_STORAGE_UNAVAILABLE`), so a front end answers it as an
 * unavailable store, and tells it apart by `instanceof` or its `database` field.
 */
export class RedisDatabaseError extends StorageUnavailableError {
  /** The database index the storage was configured to select. */
  readonly database: number;

  /** @param reply Redis's error reply to the `SELECT`, e.g. `ERR DB index is out of range`. */
  constructor(database: number, reply: string, options?: ErrorOptions) {
    super(
      `Redis refused database ${database} (${reply}): the server has fewer databases (its "databases" setting) or is a Cluster node, which has only database 0; use a database index the server has`,
      options,
    );
    this.database = database;
  }
}

/** The database index a standalone or Sentinel client selects when it connects: `0` when none. */
export function configuredDatabase(options: Pick<RedisOptions, "db">): number {
  const db: unknown = options.db;
  const index = typeof db === "string" ? Number.parseInt(db, 10) : db;
  return typeof index === "number" && Number.isSafeInteger(index) ? index : 0;
}

/**
 * The error reply of a refused `SELECT` that ioredis reports as an `error` event while it sets a
 * connection up (then goes on in database 0), or `undefined` for any other error. Only `ERR`
 * replies count (`ERR DB index is out of range`, `ERR SELECT is not allowed in cluster mode`):
 * a `NOAUTH` or `LOADING` reply is a passing condition, not a wrong index.
 */
export function selectRefusal(error: unknown): string | undefined {
  if (!(error instanceof Error) || !error.message.startsWith("ERR")) return undefined;
  const command = (error as { command?: { name?: unknown } }).command;
  return command?.name === "select" ? error.message : undefined;
}

/**
 * Refuses a database index other than 0 for a Cluster client (a Cluster has only database 0;
 * ioredis would send `SELECT`, have it refused and go on in database 0).
 * @throws {TypeError} naming the index.
 */
export function assertClusterDatabase(options: ClusterOptions): void {
  const database = configuredDatabase(options.redisOptions ?? {});
  if (database !== 0) {
    throw new TypeError(
      `a Redis Cluster has only database 0; remove db ${database} from the cluster's redisOptions`,
    );
  }
}

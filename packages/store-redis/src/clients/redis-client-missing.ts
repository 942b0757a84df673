import { VmcpSessionError } from "@vmcp/session-keys";

/**
 * The storage needs a Redis client library that is not installed (code
 * `VMCP_REDIS_CLIENT_MISSING`, owned by this package). ioredis and node-redis
 * (`redis`) are both optional peer dependencies: install the one your application uses. The
 * storage builds an ioredis client from `url`, `redis` or `cluster`; with a node-redis client,
 * pass it as `client`.
 */
export class RedisClientMissingError extends VmcpSessionError {
  readonly code = "VMCP_REDIS_CLIENT_MISSING";
  /** The npm package to install, e.g. `"ioredis"`. */
  readonly packageName: string;

  constructor(packageName: string, options?: ErrorOptions) {
    super(
      `RedisStorage needs ${packageName}, an optional peer dependency that is not installed: run \`npm i ${packageName}\` (or pass a node-redis client as \`client\`)`,
      options,
    );
    this.packageName = packageName;
  }
}

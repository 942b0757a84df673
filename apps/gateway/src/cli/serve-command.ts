import type { GatewayConfig } from "../config/gateway-config.js";
import { startGateway } from "../gateway.js";
import { createLogger } from "../logger.js";
import type { Output } from "./sessions-command.js";

/**
 * `serve`: starts the gateway, prints `vmcp-gateway listening on <url>/mcp` to stdout, and on
 * SIGTERM or SIGINT shuts down gracefully and exits 0 (a second signal exits 1 at once, after
 * SIGKILL to the stdio backend processes).
 */
export async function runServeCommand(config: GatewayConfig, io: Output): Promise<void> {
  const log = createLogger(config.logLevel, { maxValueChars: config.logMaxValueChars });
  const gateway = await startGateway(config, log);
  io.out(`vmcp-gateway listening on ${gateway.url}/mcp`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, "second signal: exiting now");
      gateway.killBackendProcesses();
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, "signal received");
    gateway.close().then(
      () => log.flush(() => process.exit(0)),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        log.flush(() => process.exit(1));
      },
    );
  };
  // Whatever way the process ends, no stdio backend process outlives it.
  process.once("exit", () => gateway.killBackendProcesses());
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

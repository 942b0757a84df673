import { type Logger, pino } from "pino";

/** The gateway's logger type (pino). */
export type GatewayLogger = Logger;

/**
 * A pino logger writing JSON lines to stderr (stdout stays free for command output) at `level`,
 * with `name: "vmcp-gateway"`. Authorization headers are never logged.
 */
export function createLogger(level: string): GatewayLogger {
  return pino(
    { name: "vmcp-gateway", level, redact: ["req.headers.authorization", "authorization"] },
    pino.destination({ fd: 2, sync: false }),
  );
}

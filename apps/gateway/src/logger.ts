import { type DestinationStream, type Logger, pino } from "pino";
import { DefaultMaxLogValueChars, sanitizeLogValue, truncateText } from "./log-redaction.js";

/** The gateway's logger type (pino). */
export type GatewayLogger = Logger;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Where the JSON lines go. Default: stderr (fd 2, asynchronous). */
  readonly destination?: DestinationStream;
  /**
   * String values (and messages) longer than this many characters are cut, with a marker of
   * how much was left out. Default {@link DefaultMaxLogValueChars} (1024).
   */
  readonly maxValueChars?: number;
}

/**
 * A pino logger writing JSON lines to stderr (stdout stays free for command output) at `level`,
 * with `name: "vmcp-gateway"`. What it writes is log-safe at every level: `Authorization` headers
 * are redacted, bytes (`Buffer`s, typed arrays) are never written, errors are short records
 * (`type`, `message`, `code`, a few known fields; a stack only for unexpected errors, see
 * `log-redaction.ts`), and strings are cut at `maxValueChars`.
 */
export function createLogger(level: string, options: LoggerOptions = {}): GatewayLogger {
  const max = options.maxValueChars ?? DefaultMaxLogValueChars;
  return pino(
    {
      name: "vmcp-gateway",
      level,
      redact: ["req.headers.authorization", "headers.authorization", "authorization"],
      formatters: {
        log: (object) => sanitizeLogValue(object, max) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const safe = args.map((arg: unknown) =>
            typeof arg === "string" ? truncateText(arg, max) : arg,
          );
          method.apply(this, safe as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

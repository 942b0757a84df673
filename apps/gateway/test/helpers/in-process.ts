import { connect } from "node:net";
import { waitUntil } from "@vmcp/test-support";
import { validateGatewayConfig } from "../../dist/config/load-config.js";
import { type RunningGateway, type StartGatewayOptions, startGateway } from "../../dist/gateway.js";
import { createLogger } from "../../dist/logger.js";

/** A gateway started in this process, whose log lines are kept in memory. */
export interface LoggedGateway {
  readonly url: string;
  readonly gateway: RunningGateway;
  /** Every log line written so far (JSON text). */
  lines(): string[];
  /** Every log line written so far, parsed. */
  records(): Record<string, unknown>[];
  close(): Promise<void>;
}

/**
 * Starts a gateway in this process from a raw config (validated like a config file), on a free
 * loopback port, logging at `logLevel` (default debug) into memory through the real logger.
 * `options` go to `startGateway` as they are (a shared store and bus for replicas, telemetry).
 */
export async function startLoggedGateway(
  raw: Record<string, unknown>,
  options: StartGatewayOptions = {},
): Promise<LoggedGateway> {
  const config = validateGatewayConfig({ port: 0, logLevel: "debug", ...raw });
  let text = "";
  const log = createLogger(config.logLevel, {
    destination: {
      write: (chunk: string) => {
        text += chunk;
      },
    },
    maxValueChars: config.logMaxValueChars,
  });
  const gateway = await startGateway(config, log, options);
  const lines = () => text.split("\n").filter((line) => line !== "");
  return {
    url: gateway.url,
    gateway,
    lines,
    records: () => lines().map((line) => JSON.parse(line) as Record<string, unknown>),
    close: () => gateway.close(),
  };
}

/** What came back on a raw socket. */
export interface RawExchange {
  /** The HTTP status, or 0 when no response came. */
  readonly status: number;
  /** Response headers, lower-case names. */
  readonly headers: Record<string, string>;
  /** The response body, parsed as JSON when it is JSON. */
  readonly body: unknown;
  /** ms from the first byte sent to the socket's close (or the bound). */
  readonly elapsedMs: number;
}

/**
 * Opens a TCP connection to `baseUrl`, writes `first`, then each of `trickle` every `everyMs` ms
 * while the connection is open, and collects what comes back until the server closes the
 * connection or `boundMs` passes (then the socket is destroyed and `status` may be 0).
 */
export function rawExchange(
  baseUrl: string,
  first: string | Buffer,
  options: { trickle?: readonly string[]; everyMs?: number; boundMs?: number } = {},
): Promise<RawExchange> {
  const url = new URL(baseUrl);
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const pending = [...(options.trickle ?? [])];
    let ticker: NodeJS.Timeout | undefined;
    const bound = setTimeout(() => socket.destroy(), options.boundMs ?? 5000);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => undefined);
    socket.once("connect", () => {
      socket.write(first);
      ticker = setInterval(() => {
        const next = pending.shift();
        if (next === undefined || socket.destroyed || !socket.writable) {
          clearInterval(ticker);
          return;
        }
        socket.write(next);
      }, options.everyMs ?? 100);
    });
    socket.once("close", () => {
      clearTimeout(bound);
      clearInterval(ticker);
      resolve({
        ...parseResponse(Buffer.concat(chunks).toString("utf8")),
        elapsedMs: performance.now() - started,
      });
    });
  });
}

function parseResponse(text: string): Omit<RawExchange, "elapsedMs"> {
  const split = text.indexOf("\r\n\r\n");
  if (split === -1) return { status: 0, headers: {}, body: text };
  const [statusLine = "", ...headerLines] = text.slice(0, split).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = text.slice(split + 4);
  let body: unknown = rest;
  try {
    body = JSON.parse(rest);
  } catch {
    // keep the text
  }
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body };
}

/** Resolves once `check` holds, polling every 25 ms; rejects after `timeoutMs` (default 5,000). */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  await waitUntil(check, timeoutMs, what, 25);
}

/** Splitting a child process's stderr into lines, each bounded in length. */
import type { Readable } from "node:stream";

/** Default bound on one stderr line handed to `onStderrLine`: 8,192 characters (the rest is cut). */
export const DefaultStderrMaxLineLength = 8_192;

/**
 * Reads `stream` as UTF-8 and calls `onLine` once per line (without its `\n` or `\r\n`; empty
 * lines are skipped). A line longer than `maxLength` characters is cut there, with `…` appended,
 * and the rest of it up to the next newline is dropped, so a child that never writes a newline
 * cannot grow the gateway's memory. A last line without a newline is delivered when the stream
 * ends. An exception thrown by `onLine` is swallowed: logging must never break the connection.
 */
export function forwardLines(
  stream: Readable,
  maxLength: number,
  onLine: (line: string) => void,
): void {
  let buffer = "";
  let dropping = false;
  const emit = (line: string) => {
    const trimmed = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (trimmed === "") return;
    try {
      onLine(trimmed);
    } catch {
      // ignored: see above
    }
  };
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf("\n", start);
      const piece = chunk.slice(start, newline === -1 ? undefined : newline);
      if (!dropping) {
        buffer += piece;
        if (buffer.length > maxLength) {
          emit(`${buffer.slice(0, maxLength)}…`);
          buffer = "";
          dropping = true;
        }
      }
      if (newline === -1) break;
      if (!dropping) emit(buffer);
      buffer = "";
      dropping = false;
      start = newline + 1;
    }
  });
  stream.on("end", () => {
    if (!dropping) emit(buffer);
    buffer = "";
  });
  stream.on("error", () => undefined);
}

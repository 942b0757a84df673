import { fileURLToPath } from "node:url";

/**
 * The absolute path of the stdio test backend's entry (`dist/stdio-backend.js`); run it as
 * `node <path> [--announce] [--stubborn]` (see that file for its tools and flags).
 */
export const stdioBackendScript: string = fileURLToPath(
  new URL("./stdio-backend.js", import.meta.url),
);

/**
 * The absolute path of the streaming stdio backend's entry (`dist/streaming-stdio-backend.js`):
 * `node <path> --tag NAME --events FILE` serves `makeStreamingServer` over stdin/stdout.
 */
export const streamingStdioBackendScript: string = fileURLToPath(
  new URL("./streaming-stdio-backend.js", import.meta.url),
);

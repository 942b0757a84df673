import { fileURLToPath } from "node:url";

/**
 * The absolute path of the stdio test backend's entry (`dist/stdio-backend.js`); run it as
 * `node <path> [--announce] [--stubborn]` (see that file for its tools and flags).
 */
export const stdioBackendScript: string = fileURLToPath(
  new URL("./stdio-backend.js", import.meta.url),
);

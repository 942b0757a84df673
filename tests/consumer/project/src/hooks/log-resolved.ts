/**
 * A module resolve hook (node:module `register`) that appends every URL the loader resolves to a
 * file, one per line, so a test can tell which packages a program loaded.
 */
import { appendFileSync } from "node:fs";
import type { InitializeHook, ResolveHook } from "node:module";

let logFile: string | undefined;

/** Receives `{ logFile }` from `register()`. */
export const initialize: InitializeHook<{ logFile: string }> = (data) => {
  logFile = data.logFile;
};

/** Resolves as Node would, then records the resolved URL. */
export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  const result = await nextResolve(specifier, context);
  if (logFile !== undefined) appendFileSync(logFile, `${result.url}\n`);
  return result;
};

/**
 * `@vmcp/session-core/defaults`: the defaults of the options a deployment's configuration layer
 * surfaces with their effective value (the demo gateway's config schema fills them in, prints
 * them in `--help` and validates against them), so that layer imports each default from its one
 * source instead of copying the number. Every other option's default is stated by `@default` in
 * the option's JSDoc: leave the option out to get it.
 * @packageDocumentation
 */
export {
  DefaultBackendRetryInitialDelayMs,
  DefaultBackendRetryMaxDelayMs,
  DefaultBackendRetryWaitMs,
} from "./backends/backend-retry.js";
export { DefaultStdioStopGraceMs } from "./backends/stdio-processes.js";
export { DefaultIdleTimeoutMs } from "./sessions/idle-sweeper.js";
export { DefaultListRefreshIntervalMs } from "./sessions/list-refresh.js";
export { DefaultSessionTtlMs } from "./sessions/session-manager-options.js";

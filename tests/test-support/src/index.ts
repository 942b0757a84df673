export {
  type ConformanceBackend,
  type ConformanceBackendOptions,
  startConformanceBackend,
} from "./conformance-backend.js";
export {
  type ConformanceCheck,
  type ConformanceScenarioOutcome,
  formatConformanceFailures,
  readConformanceResults,
} from "./conformance-results.js";
export {
  type ConformanceRun,
  RequiredServerScenarios20260728,
  type RunConformanceOptions,
  runConformance,
} from "./conformance-run.js";
export {
  type ConformanceTool,
  ConformanceToolError,
  type ConformanceToolErrorCode,
  type GetConformanceToolOptions,
  getConformanceTool,
} from "./conformance-tool.js";
export {
  type JsonBackend,
  type JsonBackendOptions,
  startJsonBackend,
} from "./json-backend.js";
export { startMcpBackend, type TestBackend, type TestBackendOptions } from "./mcp-backend.js";
export { type RemoteJsonBackends, startRemoteJsonBackends } from "./remote-json-backends.js";
export { stdioBackendScript, streamingStdioBackendScript } from "./stdio-script.js";
export {
  makeStreamingServer,
  type StreamingEvent,
  StreamingLogCount,
  StreamingProgressSteps,
  type StreamingServerOptions,
} from "./streaming-server.js";
export { makeTestServer } from "./test-server.js";
export { waitUntil } from "./wait-until.js";

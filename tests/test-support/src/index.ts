export {
  type JsonBackend,
  type JsonBackendOptions,
  startJsonBackend,
} from "./json-backend.js";
export { startMcpBackend, type TestBackend, type TestBackendOptions } from "./mcp-backend.js";
export { type RemoteJsonBackends, startRemoteJsonBackends } from "./remote-json-backends.js";
export { stdioBackendScript } from "./stdio-script.js";
export { makeTestServer } from "./test-server.js";
export { waitUntil } from "./wait-until.js";

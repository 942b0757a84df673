/**
 * @vmcp/gateway (private): the demo virtual MCP gateway, also usable from code: start a gateway
 * from a validated configuration, or plug in your own identity verifier.
 * @packageDocumentation
 */
export {
  type BackendConfig,
  DefaultMaxBodyBytes,
  DefaultPort,
  DefaultSessionTtlMs,
  type GatewayConfig,
  type IdentityConfig,
  type StoreConfig,
} from "./config/gateway-config.js";
export { loadGatewayConfig, validateGatewayConfig } from "./config/load-config.js";
export { GatewayConfigError, UnauthenticatedError } from "./errors.js";
export { backendTarget, type RunningGateway, startGateway } from "./gateway.js";
export { McpEndpoint, type McpEndpointOptions } from "./http/mcp-endpoint.js";
export type { ServedSession, SessionService } from "./http/session-service.js";
export { AnonymousVerifier } from "./identity/anonymous-verifier.js";
export { type CreateVerifierOptions, createVerifier } from "./identity/create-verifier.js";
export {
  bearerTokenOf,
  type IdentityVerifier,
} from "./identity/identity-verifier.js";
export {
  DefaultJwksCooldownMs,
  DefaultJwksRefreshMs,
  DefaultJwksTimeoutMs,
  type JwksRefreshOptions,
} from "./identity/jwks-source.js";
export { JwtVerifier, type JwtVerifierOptions } from "./identity/jwt-verifier.js";
export { StaticTokenVerifier } from "./identity/static-token-verifier.js";
export {
  DefaultMaxTokenBytes,
  TokenSizeLimitedVerifier,
  TokenTooLargeError,
} from "./identity/token-size-limit.js";
export { createLogger, type GatewayLogger, type LoggerOptions } from "./logger.js";
export { createStorage, describeStore } from "./store/create-storage.js";

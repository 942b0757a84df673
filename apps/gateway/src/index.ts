/**
 * @vmcp/gateway (private): the demo virtual MCP gateway, also usable from code: start a gateway
 * from a validated configuration, or plug in your own identity verifier. Exports what the
 * README's "From code" section documents, nothing more.
 * @packageDocumentation
 */
export type { GatewayConfig } from "./config/gateway-config.js";
export { loadGatewayConfig, validateGatewayConfig } from "./config/load-config.js";
export { GatewayConfigError, UnauthenticatedError } from "./errors.js";
export { type RunningGateway, type StartGatewayOptions, startGateway } from "./gateway.js";
export { McpEndpoint, type McpEndpointOptions } from "./http/endpoint/mcp-endpoint.js";
export {
  SessionRelay,
  type SessionRelayOptions,
} from "./http/mcp-2025-11-25/relay/session-relay.js";
export type { ServedSession, SessionService } from "./http/routing/session-service.js";
export { AnonymousVerifier } from "./identity/anonymous-verifier.js";
export { type CreateVerifierOptions, createVerifier } from "./identity/create-verifier.js";
export type { IdentityVerifier } from "./identity/identity-verifier.js";
export { JwtVerifier, type JwtVerifierOptions } from "./identity/jwt-verifier.js";
export { StaticTokenVerifier } from "./identity/static-token-verifier.js";
export { TokenSizeLimitedVerifier } from "./identity/token-size-limit.js";
export { createLogger, type GatewayLogger, type LoggerOptions } from "./logger.js";
export { createStorage } from "./store/create-storage.js";

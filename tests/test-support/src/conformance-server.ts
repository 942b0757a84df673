import {
  McpServer,
  type RequestStateCodec,
  type ServerNotifier,
} from "@modelcontextprotocol/server";
import {
  type ConformanceRequestState,
  registerInputRequiredTools,
} from "./conformance-input-required.js";
import { registerPendingScenarioTools } from "./conformance-pending-tools.js";
import { registerConformancePromptsAndResources } from "./conformance-prompts-resources.js";
import { registerConformanceTools } from "./conformance-tools.js";

/** What {@link makeConformanceServer} needs from the handler that serves it. */
export interface ConformanceServerDeps {
  /** Publishes list changes to the handler's open `subscriptions/listen` streams. */
  readonly notify: ServerNotifier;
  /** Seals and verifies the `requestState` of the multi-round tools. */
  readonly codec: RequestStateCodec<ConformanceRequestState>;
}

/**
 * One instance of the conformance backend's server (SDK v2 `McpServer`, built per request by
 * `createMcpHandler`, the same for both eras): every tool, prompt, resource, template and
 * completion the 2026-07-28 server scenarios of `@modelcontextprotocol/conformance` call (the 37
 * required ones, and the pending `json-schema-2020-12` and `http-custom-header-server-validation`;
 * not the tasks extension, for which SDK 2.4.0 has no runtime). It
 * advertises `logging`, `completions` and `listChanged` for tools, prompts and resources (the
 * listen router honours only advertised change types), and verifies every echoed `requestState`
 * with `deps.codec` before a handler runs.
 */
export function makeConformanceServer(deps: ConformanceServerDeps): McpServer {
  const server = new McpServer(
    { name: "vmcp-conformance-backend", version: "0.0.0" },
    {
      capabilities: {
        logging: {},
        completions: {},
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { listChanged: true },
      },
      requestState: { verify: (state, ctx) => deps.codec.verify(state, ctx) },
    },
  );
  registerConformanceTools(server, deps.notify);
  registerInputRequiredTools(server, deps.codec);
  registerConformancePromptsAndResources(server);
  registerPendingScenarioTools(server);
  return server;
}

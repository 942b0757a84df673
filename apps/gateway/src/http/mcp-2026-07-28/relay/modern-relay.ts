import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type Notification,
} from "@modelcontextprotocol/client";
import {
  BackendUnavailableError,
  type FetchFunction,
  type SessionOwner,
  UnknownToolError,
} from "@vmcp/session-core";
import type { GatewayLogger } from "../../../logger.js";
import { InvalidRequestParamsError } from "../../routing/router-errors.js";
import type { MirroredMeta } from "../backends/mirrored-meta.js";
import type {
  ModernBackend,
  ModernBackendSet,
  ModernBackends,
} from "../backends/modern-backends.js";
import { ParkedRouteKey } from "../backends/pooled-channel.js";
import { callerKey } from "../caller-auth.js";
import type { ListAggregator } from "../lists/aggregate-list.js";
import { ListKinds, type ListMethod } from "../lists/list-kinds.js";
import type { ListWalk, NamedRoute, RouteTables } from "../lists/route-tables.js";
import {
  InvalidRequestStateError,
  type ParkedCallRoute,
  type RequestStateBinding,
  type RequestStatePort,
  RequestStateUnavailableError,
} from "../request-state/request-state-port.js";
import { callBackend, type RelayedRequest, type RelayedResult } from "./backend-call.js";
import { CallFailures } from "./call-failures.js";
import { assertInputRequestsCovered } from "./input-coverage.js";
import { checkParamHeaders } from "./param-header-check.js";

type Params = Readonly<Record<string, unknown>>;

/** Longest list walk followed when building a route table, pages, so a looping backend cannot hang it. */
const MaxWalkPages = 1_000;

/** One 2026-07-28 request as the relay serves it (what the SDK handler context holds). */
export interface ModernRequest {
  /** The backends the request is served from. */
  readonly set: ModernBackendSet;
  /** The verified caller; absent for an anonymous one. */
  readonly owner?: SessionOwner;
  /** The caller's `_meta`, mirrored for the backend. */
  readonly meta: MirroredMeta;
  /** Fires when the caller goes away. */
  readonly signal: AbortSignal;
  /** Sends a notification on the caller's response stream. */
  readonly notify: (notification: Notification) => Promise<void>;
  /** `Mcp-Param-*` headers of the caller's request. */
  readonly paramHeaders?: Readonly<Record<string, string>>;
  /** A multi-round-trip retry's `inputResponses`, as the SDK lifted them. */
  readonly inputResponses?: Readonly<Record<string, unknown>>;
  /** A multi-round-trip retry's `requestState` (the gateway's own token), verbatim. */
  readonly requestState?: string;
}

/** What the relay asks of the tasks extension (`TaskRelay` answers it). */
export interface TaskCalls {
  /** Whether a `tools/call` to `backend` may be answered with a task (caller and backend declare the extension). */
  mayMakeTask(backend: ModernBackend, request: ModernRequest): boolean;
  /** Sends that `tools/call` (the SDK client refuses a task result); errors are the raw call's. */
  callTool(backend: ModernBackend, params: Params, request: RelayedRequest): Promise<RelayedResult>;
  /**
   * A task a backend answered with, routed for the caller in the store before the answer leaves;
   * resolves what the caller gets.
   */
  made(
    backend: ModernBackend,
    result: RelayedResult,
    request: ModernRequest,
  ): Promise<RelayedResult>;
}

/** A retry that resumes a parked call (what the relay hands over). */
export interface ParkedResume {
  /** The backend the call went to (named in errors). */
  readonly workloadId: string;
  /** The client's answers, by the keys of the round's `inputRequests`. */
  readonly inputResponses: Readonly<Record<string, unknown>>;
  /** Sends a notification on the retry's response. */
  readonly notify: (notification: Notification) => Promise<void>;
  /** The retry's progress token; absent when it asked for none. */
  readonly progressToken?: string | number;
  /** Whether the retry set a log level. */
  readonly logs: boolean;
  /** Fires when the retry's caller goes away: the call is cancelled on its holder. */
  readonly signal: AbortSignal;
  /** The retry's verified caller (the state is bound to it); absent for an anonymous one. */
  readonly owner?: SessionOwner;
}

/** What the relay asks of the parked calls (`ParkedCallRouter` answers it). */
export interface ParkedCallResumer {
  /**
   * The parked call `route`, resumed with a retry's answers: its result, another round
   * (`input_required`, its route under `ParkedRouteKey`), or its error.
   */
  resume(route: ParkedCallRoute, request: ParkedResume): Promise<RelayedResult>;
}

/** Options of {@link ModernRelay}. */
export interface ModernRelayOptions {
  readonly backends: ModernBackends;
  readonly routes: RouteTables;
  readonly lists: ListAggregator;
  /** Seals the gateway's `requestState`; without it a backend's `input_required` is an error. */
  readonly requestState?: RequestStatePort;
  /**
   * The tasks extension's side of `tools/call` (see `TaskRelay`); without it no call is relayed
   * so that a backend may answer it with a task.
   */
  readonly tasks?: TaskCalls;
  /**
   * Resumes a 2025-era backend's call parked for its client's input, wherever it is held (see
   * `ParkedCallRouter`); without it a state with a parked route is refused as gone.
   */
  readonly parked?: ParkedCallResumer;
  /** Bound on one backend call, ms (reset by its progress). */
  readonly callTimeoutMs: number;
  /** The fetch of every backend transport; default the global one. */
  readonly fetch?: FetchFunction;
  readonly log: GatewayLogger;
}

/**
 * Serves 2026-07-28 requests from 2026-07-28 backends: the four lists aggregated (see
 * `ListAggregator`), and `tools/call`, `prompts/get`, `resources/read` and `completion/complete`
 * relayed to the backend that owns the name, URI or reference (see `RouteTables`), each through
 * its own SDK client (`callBackend`). A backend's `input_required` goes back to the client with
 * the gateway's own `requestState` (sealed by the {@link RequestStatePort}) wrapping the backend's
 * state and route, so the retry, on any replica, reaches the same backend with the backend's own
 * state. A transport or era failure of a backend call has its verdict replaced (`ModernBackends.failed`)
 * and answers -32004 naming the backend; a backend's own JSON-RPC error passes through.
 *
 * Tasks extension: a `tools/call` from a caller that declares the extension, routed to a backend
 * that declares it, goes through the {@link TaskCalls} (the SDK client refuses a task result),
 * which route a task it answers for the caller before the answer leaves.
 */
export class ModernRelay {
  readonly #o: ModernRelayOptions;
  readonly #failures: CallFailures;

  constructor(options: ModernRelayOptions) {
    this.#o = options;
    this.#failures = new CallFailures(options);
  }

  /** One page of an aggregated list, with its caching hint. */
  list(method: ListMethod, params: Params, request: ModernRequest): Promise<RelayedResult> {
    return this.#o.lists.page(ListKinds[method], {
      set: request.set,
      caller: callerKey(request.owner),
      params,
      fetch: (backend, p) => this.#quiet(backend, method, p, request),
      walk: this.#walker(request),
    });
  }

  /**
   * `tools/call`, routed by the exposed tool name, once its `Mcp-Param-*` headers agree with its
   * arguments (`checkParamHeaders`, against the tool's schema as listed). A retry whose tool is no
   * longer listed goes where its sealed state says, unchecked.
   * @throws {ParamHeaderMismatchError} when a header the tool declares is missing, malformed or
   *   disagrees with the arguments: nothing reaches the backend.
   */
  async callTool(params: Params, request: ModernRequest): Promise<RelayedResult> {
    const name = stringParam(params, "name");
    objectParam(params, "arguments");
    const route = await this.#toolRoute(name, request);
    if (route !== undefined) {
      checkParamHeaders(route.paramHeaders, params.arguments, request.paramHeaders ?? {});
    }
    return this.#inputCapable("tools/call", name, params, request, async () => {
      // Only a first round routes by name, and its route was found (or UnknownToolError thrown).
      if (route === undefined) throw new UnknownToolError(name);
      return { backend: route.backend, target: route.name };
    });
  }

  /** The exposed tool's route; on a retry (which carries its own route) `undefined` when unknown. */
  async #toolRoute(name: string, request: ModernRequest): Promise<NamedRoute | undefined> {
    try {
      return await this.#o.routes.named(request.set, "tools", name, this.#walker(request));
    } catch (error) {
      if (request.requestState !== undefined && error instanceof UnknownToolError) return undefined;
      throw error;
    }
  }

  /** `prompts/get`, routed by the exposed prompt name. */
  getPrompt(params: Params, request: ModernRequest): Promise<RelayedResult> {
    const name = stringParam(params, "name");
    objectParam(params, "arguments");
    return this.#inputCapable("prompts/get", name, params, request, async () => {
      const route = await this.#o.routes.named(request.set, "prompts", name, this.#walker(request));
      return { backend: route.backend, target: route.name };
    });
  }

  /** `resources/read`, routed by URI (listed, else matched by a template). */
  readResource(params: Params, request: ModernRequest): Promise<RelayedResult> {
    const uri = stringParam(params, "uri");
    return this.#inputCapable("resources/read", uri, params, request, async () => {
      const backend = await this.#o.routes.resourceOwner(request.set, uri, this.#walker(request));
      return { backend, target: uri };
    });
  }

  /** `completion/complete`, routed by its `ref`: a prompt by name, a resource template by URI. */
  async complete(params: Params, request: ModernRequest): Promise<RelayedResult> {
    const ref = params.ref;
    if (typeof ref !== "object" || ref === null)
      throw new InvalidRequestParamsError("ref is required");
    const r = ref as Params;
    const walk = this.#walker(request);
    if (r.type === "ref/prompt") {
      const route = await this.#o.routes.named(
        request.set,
        "prompts",
        stringParam(r, "name", "ref.name"),
        walk,
      );
      return this.#call(
        route.backend,
        "completion/complete",
        { ...params, ref: { ...r, name: route.name } },
        request,
      );
    }
    if (r.type === "ref/resource") {
      const backend = await this.#o.routes.templateOwner(
        request.set,
        stringParam(r, "uri", "ref.uri"),
        walk,
      );
      return this.#call(backend, "completion/complete", params, request);
    }
    throw new InvalidRequestParamsError("ref.type must be ref/prompt or ref/resource");
  }

  /**
   * A method whose backend may answer `input_required`: a first round is routed by `route`; a
   * retry carrying the gateway's `requestState` goes where its sealed route says, with the
   * backend's own state and the client's `inputResponses`.
   */
  async #inputCapable(
    method: "tools/call" | "prompts/get" | "resources/read",
    name: string,
    params: Params,
    request: ModernRequest,
    route: () => Promise<{ backend: ModernBackend; target: string }>,
  ): Promise<RelayedResult> {
    const binding: RequestStateBinding = {
      ...(request.owner === undefined ? {} : { owner: request.owner }),
      method,
      name,
      args: params.arguments,
    };
    const port = this.#o.requestState;
    let backend: ModernBackend;
    let target: string;
    let backendState: string | undefined;
    if (request.requestState !== undefined) {
      if (port === undefined)
        throw new InvalidRequestStateError("malformed", "this gateway issues no requestState");
      const opened = await port.open(request.requestState, binding);
      const { parked } = opened.route;
      if (parked !== undefined) {
        const { workloadId, target: parkedTarget } = opened.route;
        const result = await this.#resume(parked, workloadId, request);
        return this.#answer(result, { workloadId, target: parkedTarget }, binding, request);
      }
      const found = request.set.backends.find((b) => b.workloadId === opened.route.workloadId);
      if (found === undefined) {
        throw new BackendUnavailableError(
          opened.route.workloadId,
          "not served to 2026-07-28 clients now",
        );
      }
      backend = found;
      target = opened.route.target;
      backendState = opened.backendState;
    } else {
      ({ backend, target } = await route());
    }
    const { _meta: _, ...rest } = params;
    const forwarded: Record<string, unknown> = {
      ...rest,
      ...(method === "resources/read" ? { uri: target } : { name: target }),
      ...(request.inputResponses === undefined ? {} : { inputResponses: request.inputResponses }),
      ...(backendState === undefined ? {} : { requestState: backendState }),
    };
    const result = await this.#call(backend, method, forwarded, request);
    if (result.resultType === "task" && method === "tools/call" && this.#o.tasks !== undefined) {
      return this.#o.tasks.made(backend, result, request);
    }
    return this.#answer(result, { workloadId: backend.workloadId, target }, binding, request);
  }

  /**
   * What the caller gets for a backend's answer: the answer itself, or for `input_required` the
   * round with the gateway's own sealed state, whose route leads the retry back (to the backend
   * with its own state, or, for a parked 2025-era call, to that call).
   */
  async #answer(
    result: RelayedResult,
    route: { workloadId: string; target: string },
    binding: RequestStateBinding,
    request: ModernRequest,
  ): Promise<RelayedResult> {
    if (result.resultType !== "input_required") return result;
    // The SDK checks this for its registered handlers; tools/call goes through its fallback.
    assertInputRequestsCovered(result.inputRequests, callerCapabilities(request));
    const port = this.#o.requestState;
    if (port === undefined) throw new RequestStateUnavailableError(route.workloadId);
    const parked = (result as { [ParkedRouteKey]?: ParkedCallRoute })[ParkedRouteKey];
    const state = typeof result.requestState === "string" ? result.requestState : undefined;
    const token = await port.seal(
      parked === undefined ? route : { ...route, parked },
      state,
      binding,
    );
    return { ...result, requestState: token };
  }

  /** A retry of a parked 2025-era call: its answers go to the replica holding it. */
  async #resume(
    parked: ParkedCallRoute,
    workloadId: string,
    request: ModernRequest,
  ): Promise<RelayedResult> {
    if (this.#o.parked === undefined) {
      throw new BackendUnavailableError(workloadId, "this gateway parks no calls");
    }
    const token = request.meta.progressToken;
    return this.#o.parked.resume(parked, {
      workloadId,
      inputResponses: request.inputResponses ?? {},
      notify: request.notify,
      ...(token === undefined ? {} : { progressToken: token }),
      logs: request.meta.logs,
      signal: request.signal,
      ...(request.owner === undefined ? {} : { owner: request.owner }),
    });
  }

  #relayed(request: ModernRequest): RelayedRequest {
    return {
      meta: request.meta,
      signal: request.signal,
      notify: request.notify,
      timeoutMs: this.#o.callTimeoutMs,
      ...(this.#o.fetch === undefined ? {} : { fetch: this.#o.fetch }),
      ...(request.paramHeaders === undefined ? {} : { paramHeaders: request.paramHeaders }),
    };
  }

  /** One relayed call; a transport or era failure replaces the verdict and answers -32004. */
  async #call(
    backend: ModernBackend,
    method: string,
    params: Params,
    request: ModernRequest,
  ): Promise<RelayedResult> {
    try {
      if (method === "tools/call" && this.#o.tasks?.mayMakeTask(backend, request)) {
        return await this.#o.tasks.callTool(backend, params, this.#relayed(request));
      }
      return await callBackend(backend, method, params, this.#relayed(request));
    } catch (error) {
      throw this.#failures.of(backend, error, request.signal);
    }
  }

  /** One list page (no progress, no logs); a backend that fails for transport or era is left out. */
  async #quiet(
    backend: ModernBackend,
    method: ListMethod,
    params: Params,
    request: ModernRequest,
  ): Promise<RelayedResult | undefined> {
    try {
      return await callBackend(backend, method, params, {
        meta: { meta: request.meta.meta, logs: false },
        signal: request.signal,
        notify: request.notify,
        timeoutMs: this.#o.callTimeoutMs,
        ...(this.#o.fetch === undefined ? {} : { fetch: this.#o.fetch }),
      });
    } catch (error) {
      const failure = this.#failures.of(backend, error, request.signal);
      if (failure instanceof BackendUnavailableError && !request.signal.aborted) return undefined;
      throw failure;
    }
  }

  #walker(request: ModernRequest): ListWalk {
    return async (backend, method) => {
      const items: Record<string, unknown>[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < MaxWalkPages; i++) {
        const page = await this.#quiet(
          backend,
          method,
          cursor === undefined ? {} : { cursor },
          request,
        );
        if (page === undefined) return undefined;
        const field = ListKinds[method].field;
        if (Array.isArray(page[field])) items.push(...(page[field] as Record<string, unknown>[]));
        const next = page.nextCursor;
        cursor = typeof next === "string" && next !== "" ? next : undefined;
        if (cursor === undefined) break;
      }
      return items;
    };
  }
}

/** The client capabilities the caller's request envelope declares. */
export function callerCapabilities(request: ModernRequest): ClientCapabilities | undefined {
  const declared = request.meta.meta[CLIENT_CAPABILITIES_META_KEY];
  return typeof declared === "object" && declared !== null
    ? (declared as ClientCapabilities)
    : undefined;
}

/** @throws {InvalidRequestParamsError} when `params[name]` is no string. */
export function stringParam(params: Params, name: string, label = name): string {
  const value = params[name];
  if (typeof value !== "string") throw new InvalidRequestParamsError(`${label} must be a string`);
  return value;
}

function objectParam(params: Params, name: string): void {
  const value = params[name];
  if (
    value !== undefined &&
    (typeof value !== "object" || value === null || Array.isArray(value))
  ) {
    throw new InvalidRequestParamsError(`${name} must be an object`);
  }
}

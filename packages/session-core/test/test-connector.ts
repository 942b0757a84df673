import type {
  BackendConnectContext,
  BackendConnection,
  BackendConnector,
  BackendReattachHint,
  BackendRequestOptions,
  BackendTarget,
} from "@vmcp/session-core";
import { BackendSessionExpiredError } from "@vmcp/session-core";

/** How the test connector behaves for one workload ID. */
export interface FakeBackendSpec {
  /** Session IDs handed out by successive fresh connects (the last repeats). Default `${id}-s1`, `${id}-s2`, ... */
  sessionIds?: string[];
  /** Reject every connect with this error. */
  fail?: Error;
  /** Reject this many fresh connects (then succeed), as a backend resetting a few connections would. */
  failFreshTimes?: number;
  /** Never settle (ignore the abort signal), to prove the factory's own bound. */
  hang?: boolean;
  /** Tools by name. Default `["echo"]`. */
  tools?: string[];
  /** The session IDs this backend still knows; a reattach to another one is a 404. */
  knownSessions?: Set<string>;
  /** Generic requests (`request`) answer once this settles. Default at once. */
  gate?: Promise<void>;
}

/** One connect call as the test connector saw it. */
export interface ConnectCall {
  workloadId: string;
  hint: BackendReattachHint | undefined;
  /** What the factory asked the connector to declare to the backend. */
  context?: BackendConnectContext | undefined;
}

/** An injected `BackendConnector` with scripted backends and a log of what was asked of it. */
export class FakeConnector implements BackendConnector {
  readonly calls: ConnectCall[] = [];
  readonly connections: FakeConnection[] = [];
  readonly specs = new Map<string, FakeBackendSpec>();
  readonly #fresh = new Map<string, number>();

  constructor(specs: Record<string, FakeBackendSpec> = {}) {
    for (const [id, spec] of Object.entries(specs)) this.specs.set(id, spec);
  }

  /**
   * Makes backend `workloadId` forget every session it handed out (its next answer to them is a
   * 404), and scripts how its later fresh connects go. Returns its spec.
   */
  expireSessions(
    workloadId: string,
    then: Pick<FakeBackendSpec, "fail" | "failFreshTimes"> = {},
  ): FakeBackendSpec {
    const spec = this.specs.get(workloadId) ?? {};
    this.specs.set(workloadId, spec);
    spec.knownSessions?.clear();
    if (then.fail !== undefined) spec.fail = then.fail;
    if (then.failFreshTimes !== undefined) spec.failFreshTimes = then.failFreshTimes;
    return spec;
  }

  /** Fresh `initialize`s per workload ID. */
  initializeCount(workloadId: string): number {
    return this.#fresh.get(workloadId) ?? 0;
  }

  async connect(
    target: BackendTarget,
    hint: BackendReattachHint | undefined,
    signal: AbortSignal,
    context?: BackendConnectContext,
  ): Promise<BackendConnection> {
    const id = target.workloadId;
    this.calls.push({ workloadId: id, hint, context });
    let spec = this.specs.get(id);
    if (spec === undefined) {
      spec = {};
      this.specs.set(id, spec);
    }
    if (spec.hang) return new Promise<BackendConnection>(() => undefined);
    await Promise.resolve();
    signal.throwIfAborted();
    if (spec.fail) throw spec.fail;
    spec.knownSessions ??= new Set();
    if (hint !== undefined) {
      if (!spec.knownSessions.has(hint.sessionId)) {
        throw new BackendSessionExpiredError(id, hint.sessionId);
      }
      const connection = new FakeConnection(id, hint.sessionId, spec, hint.protocolVersion);
      this.connections.push(connection);
      return connection;
    }
    if (spec.failFreshTimes !== undefined && spec.failFreshTimes > 0) {
      spec.failFreshTimes--;
      throw new Error("read ECONNRESET");
    }
    const n = (this.#fresh.get(id) ?? 0) + 1;
    this.#fresh.set(id, n);
    const ids = spec.sessionIds ?? [];
    const sessionId = ids.length === 0 ? `${id}-s${n}` : (ids[Math.min(n, ids.length) - 1] ?? "");
    if (sessionId !== "") spec.knownSessions.add(sessionId);
    const connection = new FakeConnection(id, sessionId, spec, "2025-06-18");
    this.connections.push(connection);
    return connection;
  }
}

/** A scripted connection: tools echo their backend and arguments. */
export class FakeConnection implements BackendConnection {
  readonly capabilities = { tools: {}, resources: {}, prompts: {} };
  closed = false;
  terminated = false;
  readonly toolCalls: string[] = [];
  /** Every notification sent to this connection, in order. */
  readonly notifications: { method: string; params?: Record<string, unknown> }[] = [];
  #requests = 0;

  constructor(
    readonly workloadId: string,
    readonly sessionId: string,
    readonly spec: FakeBackendSpec,
    readonly protocolVersion: string | undefined,
  ) {}

  #check(): void {
    if (this.closed) throw new Error("connection closed");
    if (this.sessionId !== "" && !this.spec.knownSessions?.has(this.sessionId)) {
      throw new BackendSessionExpiredError(this.workloadId, this.sessionId);
    }
  }

  async request(
    method: string,
    _params: Record<string, unknown> | undefined,
    options: BackendRequestOptions = {},
  ): Promise<Record<string, unknown>> {
    this.#check();
    options.onRequestId?.(++this.#requests);
    await this.spec.gate;
    return { method };
  }

  async notify(method: string, params?: Record<string, unknown>): Promise<void> {
    this.notifications.push(params === undefined ? { method } : { method, params });
  }

  async listTools() {
    this.#check();
    return (this.spec.tools ?? ["echo"]).map((name) => ({
      name,
      inputSchema: { type: "object" as const },
    }));
  }

  async callTool(name: string, args: Record<string, unknown> | undefined) {
    this.#check();
    this.toolCalls.push(name);
    return {
      content: [
        { type: "text" as const, text: `${this.workloadId}:${name}:${JSON.stringify(args ?? {})}` },
      ],
    };
  }

  async listResources() {
    this.#check();
    return [
      { uri: `mem://${this.workloadId}/a`, name: "a" },
      { uri: "mem://shared", name: "shared" },
    ];
  }

  async readResource(uri: string) {
    this.#check();
    return { contents: [{ uri, text: `${this.workloadId}:${uri}` }] };
  }

  async listPrompts() {
    this.#check();
    return [{ name: "greet" }];
  }

  async getPrompt(name: string) {
    this.#check();
    return {
      messages: [
        {
          role: "user" as const,
          content: { type: "text" as const, text: `${this.workloadId}:${name}` },
        },
      ],
    };
  }

  async close() {
    this.closed = true;
  }

  async terminate() {
    if (!this.closed && this.sessionId !== "") this.spec.knownSessions?.delete(this.sessionId);
    this.terminated = true;
    this.closed = true;
  }
}

/** Backend targets for the given workload IDs (the fake connector ignores the transport). */
export function targets(...ids: string[]): BackendTarget[] {
  return ids.map((workloadId) => ({
    workloadId,
    transport: { kind: "streamable-http", url: `http://127.0.0.1:1/${workloadId}` },
  }));
}

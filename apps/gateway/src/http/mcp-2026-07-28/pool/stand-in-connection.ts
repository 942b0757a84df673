import { type BackendConnection, BackendUnavailableError } from "@vmcp/session-core";

type ServerCapabilitiesOf = BackendConnection["capabilities"];

/**
 * The place of a 2026-07-28 backend in a pooled backend session. Such a backend needs no backend
 * session (the stateless relay reaches it with each call), but the session still names it: its
 * metadata records it with an empty backend session ID and its protocol (`2026-07-28`), so the
 * record says what the caller reaches. Every request on it fails with `BackendUnavailableError`:
 * should the backend's era verdict turn 2025-era, the pooled session's recovery then connects it
 * for real (`initialize`) and writes the new backend session back, as for an expired one.
 */
export class StandInConnection implements BackendConnection {
  readonly workloadId: string;
  readonly sessionId = "";
  readonly protocolVersion: string;
  readonly capabilities: ServerCapabilitiesOf | undefined;
  readonly instructions: string | undefined;

  /**
   * @param protocolVersion the revision the backend speaks (`2026-07-28`).
   * @param capabilities and `instructions`: what its `server/discover` answered.
   */
  constructor(
    workloadId: string,
    protocolVersion: string,
    capabilities: ServerCapabilitiesOf | undefined,
    instructions: string | undefined,
  ) {
    this.workloadId = workloadId;
    this.protocolVersion = protocolVersion;
    this.capabilities = capabilities;
    this.instructions = instructions;
  }

  request(): Promise<Record<string, unknown>> {
    return this.#refuse();
  }

  listTools(): Promise<never[]> {
    return this.#refuse();
  }

  callTool(): Promise<never> {
    return this.#refuse();
  }

  listResources(): Promise<never[]> {
    return this.#refuse();
  }

  readResource(): Promise<never> {
    return this.#refuse();
  }

  listPrompts(): Promise<never[]> {
    return this.#refuse();
  }

  getPrompt(): Promise<never> {
    return this.#refuse();
  }

  async close(): Promise<void> {}

  async terminate(): Promise<void> {}

  #refuse(): Promise<never> {
    return Promise.reject(
      new BackendUnavailableError(
        this.workloadId,
        `it speaks ${this.protocolVersion}: reached without a backend session`,
      ),
    );
  }
}

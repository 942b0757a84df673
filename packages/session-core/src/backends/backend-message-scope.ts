import { AsyncResource } from "node:async_hooks";
import type {
  BackendMessage,
  BackendMessageHandler,
  BackendMessageOrigin,
  BackendProgress,
} from "./backend-messages.js";

/**
 * One backend connection's side of a {@link BackendMessageHandler}: hands the backend's own
 * messages to the handler with their origin, and, for a transport that carries no relation
 * between a message and a request (stdio), runs the handler in the asynchronous context of the
 * oldest request in flight on the connection. Internal to the connector.
 */
export class BackendMessageScope {
  readonly #origin: BackendMessageOrigin;
  readonly #handler: BackendMessageHandler;
  readonly #byOrder: boolean;
  /** The contexts of the requests in flight, oldest first (stdio only). */
  readonly #active: AsyncResource[] = [];

  /** @param byOrder attribute messages to the oldest request in flight (a transport without relation). */
  constructor(origin: BackendMessageOrigin, handler: BackendMessageHandler, byOrder: boolean) {
    this.#origin = origin;
    this.#handler = handler;
    this.#byOrder = byOrder;
  }

  /** Runs one backend request, recording its context while it is in flight. */
  async track<T>(send: () => Promise<T>): Promise<T> {
    if (!this.#byOrder) return send();
    const resource = new AsyncResource("vmcp.backend-request");
    this.#active.push(resource);
    try {
      return await send();
    } finally {
      const at = this.#active.indexOf(resource);
      if (at >= 0) this.#active.splice(at, 1);
    }
  }

  /** A backend notification (never throws). */
  notification(message: BackendMessage): void {
    this.#run(() => {
      try {
        this.#handler.notification(this.#origin, message);
      } catch {
        // The handler must not throw; one that does loses only this message.
      }
    });
  }

  /** A backend's progress for the request the client tagged with `progressToken` (its own token, unchanged). */
  progress(progressToken: string | number, progress: BackendProgress): void {
    this.notification({
      method: "notifications/progress",
      params: { ...progress, progressToken },
    });
  }

  /** A backend's server-to-client request. */
  request(message: BackendMessage, signal: AbortSignal): Promise<Record<string, unknown>> {
    return this.#run(() => this.#handler.request(this.#origin, message, signal));
  }

  #run<T>(call: () => T): T {
    const oldest = this.#byOrder ? this.#active[0] : undefined;
    return oldest === undefined ? call() : oldest.runInAsyncScope(call);
  }
}

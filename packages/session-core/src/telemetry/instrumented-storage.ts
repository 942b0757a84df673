import type { Attributes } from "@opentelemetry/api";
import type { NewSession, SessionPatch, SessionRecord } from "../storage/session-record.js";
import type {
  ListOptions,
  LoadOptions,
  SessionStorage,
  UpdateOptions,
} from "../storage/session-storage.js";
import { context, SpanKind, trace } from "./otel-api.js";
import { errorType, failSpan, sessionInstruments, sessionTracer } from "./telemetry.js";

/** Marks a storage already wrapped, so wrapping twice records each operation once. */
const Instrumented: unique symbol = Symbol("vmcp.instrumentedStorage");

type StorageOperation = "create" | "update" | "load" | "touch" | "delete" | "ping";

/**
 * Wraps any `SessionStorage` so each operation (`create`, `update`, `load`, `touch`, `delete`,
 * `ping`) runs in an INTERNAL span `vmcp.storage.<operation>` (attributes
 * `vmcp.storage.operation`, `mcp.session.id`; `error.type` on failure) and records
 * `vmcp.storage.operation.duration` (seconds) and, when it throws, `vmcp.storage.errors`, both by
 * operation. `listIds` and `close` pass through. The store itself never depends on OpenTelemetry:
 * this is the one place its calls are observed. Without a registered SDK every call costs a
 * clock read and two no-op calls. Wrapping an already wrapped storage returns it unchanged.
 */
export function instrumentStorage(storage: SessionStorage): SessionStorage {
  if ((storage as { [Instrumented]?: true })[Instrumented] === true) return storage;
  return new InstrumentedStorage(storage);
}

class InstrumentedStorage implements SessionStorage {
  readonly [Instrumented] = true as const;
  readonly #inner: SessionStorage;

  constructor(inner: SessionStorage) {
    this.#inner = inner;
  }

  create(session: NewSession): Promise<boolean> {
    return this.#observe("create", session.id, () => this.#inner.create(session));
  }

  update(id: string, patch: SessionPatch, options?: UpdateOptions): Promise<boolean> {
    return this.#observe("update", id, () => this.#inner.update(id, patch, options));
  }

  load(id: string, options?: LoadOptions): Promise<SessionRecord | undefined> {
    return this.#observe("load", id, () => this.#inner.load(id, options));
  }

  touch(id: string, expiresAt: number): Promise<boolean> {
    return this.#observe("touch", id, () => this.#inner.touch(id, expiresAt));
  }

  delete(id: string): Promise<boolean> {
    return this.#observe("delete", id, () => this.#inner.delete(id));
  }

  listIds(options?: ListOptions): AsyncIterable<string> {
    return this.#inner.listIds(options);
  }

  ping(): Promise<void> {
    return this.#observe("ping", undefined, () => this.#inner.ping());
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  async #observe<T>(
    operation: StorageOperation,
    sessionId: string | undefined,
    run: () => Promise<T>,
  ): Promise<T> {
    const parent = context.active();
    const span = sessionTracer().startSpan(
      `vmcp.storage.${operation}`,
      { kind: SpanKind.INTERNAL },
      parent,
    );
    if (span.isRecording()) {
      span.setAttribute("vmcp.storage.operation", operation);
      if (typeof sessionId === "string") span.setAttribute("mcp.session.id", sessionId);
    }
    const attributes: Attributes = { "vmcp.storage.operation": operation };
    const started = performance.now();
    const instruments = sessionInstruments();
    try {
      return await context.with(trace.setSpan(parent, span), run);
    } catch (error) {
      const type = errorType(error);
      attributes["error.type"] = type;
      failSpan(span, error, type);
      instruments.storageErrors.add(1, attributes);
      throw error;
    } finally {
      span.end();
      instruments.storageDuration.record((performance.now() - started) / 1000, attributes);
    }
  }
}

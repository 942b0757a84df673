/**
 * The one place session-core gets `@opentelemetry/api` from. The API is an optional peer
 * dependency (like the MCP SDK), so an install of the storage contract and a store does not bring
 * it. When the application has it installed, this loads it synchronously with `require` (the
 * package ships CommonJS; spans start on the request path, and a top-level `await` would break
 * `require()` of this ESM package): every copy of API 1.x keeps its registrations on the global
 * `Symbol.for("opentelemetry.js.api.1")`, so the copy loaded here sees the SDK the application
 * registered through its own. When it is not installed, a small no-op stand-in of the members
 * session-core calls takes its place: no span, no metric, nothing injected.
 */
import { createRequire } from "node:module";
import type {
  Context,
  ContextAPI,
  Meter,
  PropagationAPI,
  Span,
  SpanContext,
  SpanKind as SpanKindEnum,
  SpanStatusCode as SpanStatusCodeEnum,
  TraceAPI,
  Tracer,
} from "@opentelemetry/api";

/** The package name, as the application installs it. */
export const OtelApiPackage = "@opentelemetry/api";

/** The tracer members session-core calls. */
export type SessionTracer = Pick<Tracer, "startSpan">;

/** The meter members session-core calls. */
export type SessionMeter = Pick<
  Meter,
  "createHistogram" | "createCounter" | "createObservableUpDownCounter"
>;

/** The meter provider member session-core calls. */
export interface SessionMeterProvider {
  getMeter(name: string): SessionMeter;
}

/** The members of `@opentelemetry/api` session-core calls; the real module satisfies it. */
export interface OtelApi {
  readonly context: Pick<ContextAPI, "active" | "with">;
  readonly trace: Pick<TraceAPI, "setSpan"> & { getTracer(name: string): SessionTracer };
  readonly propagation: Pick<PropagationAPI, "inject">;
  readonly metrics: { getMeterProvider(): SessionMeterProvider };
  readonly SpanKind: Pick<typeof SpanKindEnum, "INTERNAL" | "CLIENT" | "PRODUCER">;
  readonly SpanStatusCode: Pick<typeof SpanStatusCodeEnum, "ERROR">;
}

/** The context of the stand-in: holds nothing. */
const emptyContext: Context = {
  getValue: () => undefined,
  setValue: () => emptyContext,
  deleteValue: () => emptyContext,
};

/** All zeros: the API's invalid span context, which no propagator injects. */
const invalidSpanContext: SpanContext = {
  traceId: "00000000000000000000000000000000",
  spanId: "0000000000000000",
  traceFlags: 0,
};

/** The span of the stand-in: records nothing. */
const nonRecordingSpan: Span = {
  spanContext: () => invalidSpanContext,
  setAttribute: () => nonRecordingSpan,
  setAttributes: () => nonRecordingSpan,
  addEvent: () => nonRecordingSpan,
  addLink: () => nonRecordingSpan,
  addLinks: () => nonRecordingSpan,
  setStatus: () => nonRecordingSpan,
  updateName: () => nonRecordingSpan,
  end: () => {},
  isRecording: () => false,
  recordException: () => {},
};

/** One instrument that is every kind of instrument the stand-in meter makes. */
const noopInstrument = {
  add: () => {},
  record: () => {},
  addCallback: () => {},
  removeCallback: () => {},
};

const noopMeter: SessionMeter = {
  createHistogram: () => noopInstrument,
  createCounter: () => noopInstrument,
  createObservableUpDownCounter: () => noopInstrument,
};

/**
 * What session-core uses when `@opentelemetry/api` is not installed: the same members, doing
 * nothing (the enum values are the API's).
 */
export const noopOtelApi: OtelApi = {
  context: {
    active: () => emptyContext,
    with: (_context, fn, thisArg, ...args) => fn.call(thisArg, ...args),
  },
  trace: {
    getTracer: () => ({ startSpan: () => nonRecordingSpan }),
    setSpan: (context) => context,
  },
  propagation: { inject: () => {} },
  metrics: { getMeterProvider: () => ({ getMeter: () => noopMeter }) },
  SpanKind: { INTERNAL: 0, CLIENT: 2, PRODUCER: 3 },
  SpanStatusCode: { ERROR: 2 },
};

/** True when `error` says the API package itself cannot be found. */
function isApiMissing(error: unknown): boolean {
  const code =
    typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
  const message = error instanceof Error ? error.message : "";
  return (
    code === "MODULE_NOT_FOUND" &&
    (message.includes(`'${OtelApiPackage}'`) || message.includes(`"${OtelApiPackage}"`))
  );
}

/**
 * `@opentelemetry/api` as `load` (a `require`) finds it, or `noopOtelApi` when the package is
 * not installed. Any other failure (a broken install of the package) is thrown as it is.
 */
export function loadOtelApi(load: (id: string) => unknown): OtelApi {
  try {
    return load(OtelApiPackage) as OtelApi;
  } catch (error) {
    if (isApiMissing(error)) return noopOtelApi;
    throw error;
  }
}

/** The API session-core records through: the application's when installed, else the stand-in. */
export const otelApi: OtelApi = loadOtelApi(createRequire(import.meta.url));

export const { context, trace, propagation, metrics, SpanKind, SpanStatusCode } = otelApi;

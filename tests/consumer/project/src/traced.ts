/**
 * An application that traces: it has `@opentelemetry/api` installed (session-core's optional
 * peer) and registers a tracer provider through its own import of the API, as an SDK does. A
 * session manager over the memory store then records its spans into that provider. Prints the
 * span names, as JSON.
 */
import { type Span, TraceFlags, type Tracer, trace } from "@opentelemetry/api";
import { MultiSessionFactory, SessionManager } from "@vmcp/session-core";
import { MemoryStorage } from "@vmcp/store-memory";

const spans: string[] = [];
const tracer = {
  startSpan(name: string): Span {
    spans.push(name);
    return trace.wrapSpanContext({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: TraceFlags.SAMPLED,
    });
  },
  startActiveSpan(): never {
    throw new Error("not used by session-core");
  },
} as Tracer;
trace.setGlobalTracerProvider({ getTracer: () => tracer });

const manager = new SessionManager({
  storage: new MemoryStorage(),
  factory: new MultiSessionFactory({ backends: [] }),
});
const session = await manager.create();
await manager.terminate(session.id);
await manager.close();
console.log(JSON.stringify({ spans }));

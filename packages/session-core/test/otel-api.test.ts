import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { promisify } from "node:util";
import * as api from "@opentelemetry/api";
import { instrumentStorage } from "@vmcp/session-core";
import { ReferenceStorage } from "@vmcp/session-core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { loadOtelApi, noopOtelApi, OtelApiPackage, otelApi } from "../dist/telemetry/otel-api.js";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/**
 * A tracer provider that records the name of every span started through it, the way an SDK's
 * would see them. Its spans carry a sampled, valid span context.
 */
function recordingProvider(): { provider: api.TracerProvider; names: string[] } {
  const names: string[] = [];
  const tracer = {
    startSpan(name: string): api.Span {
      names.push(name);
      return api.trace.wrapSpanContext({
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        traceFlags: api.TraceFlags.SAMPLED,
      });
    },
    startActiveSpan(): never {
      throw new Error("session-core does not call startActiveSpan");
    },
  } as api.Tracer;
  return { provider: { getTracer: () => tracer }, names };
}

/** A second copy of the API module: its files loaded afresh, as another package's copy would be. */
function freshApiCopy(): typeof api {
  const root = dirname(require.resolve(OtelApiPackage));
  const cached = Object.keys(require.cache).filter((file) => file.startsWith(root));
  const saved = new Map(cached.map((file) => [file, require.cache[file]]));
  for (const file of cached) delete require.cache[file];
  try {
    return require(OtelApiPackage) as typeof api;
  } finally {
    for (const file of Object.keys(require.cache)) {
      if (file.startsWith(root)) delete require.cache[file];
    }
    for (const [file, module] of saved) require.cache[file] = module;
  }
}

afterEach(() => {
  api.trace.disable();
});

describe("loading @opentelemetry/api", () => {
  it("uses the installed API when require finds it", () => {
    expect(loadOtelApi(require)).toBe(require(OtelApiPackage));
    // In this workspace the API is installed, so session-core records through it.
    expect(otelApi).toBe(require(OtelApiPackage));
  });

  it("falls back to the no-op stand-in when the package is not installed", () => {
    const missing = (id: string): never => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: "MODULE_NOT_FOUND" });
    };
    expect(loadOtelApi(missing)).toBe(noopOtelApi);
  });

  it("throws a broken install (a file of the package missing) as it is", () => {
    const broken = (): never => {
      throw Object.assign(new Error("Cannot find module './api/context'"), {
        code: "MODULE_NOT_FOUND",
      });
    };
    expect(() => loadOtelApi(broken)).toThrow("./api/context");
  });

  it("a separately loaded copy of the API shares the application's registration", () => {
    const copy = freshApiCopy();
    expect(copy.trace).not.toBe(api.trace);
    const { provider, names } = recordingProvider();
    expect(api.trace.setGlobalTracerProvider(provider)).toBe(true);
    copy.trace.getTracer("copy").startSpan("from the copy").end();
    expect(names).toEqual(["from the copy"]);
  });

  it("session-core's spans reach a tracer provider the application registers", async () => {
    const { provider, names } = recordingProvider();
    api.trace.setGlobalTracerProvider(provider);
    const storage = instrumentStorage(new ReferenceStorage());
    await storage.create({ id: "s1", metadata: {} });
    await storage.load("s1");
    await storage.close();
    expect(names).toEqual(["vmcp.storage.create", "vmcp.storage.load"]);
  });
});

describe("the no-op stand-in", () => {
  it("uses the API's enum values", () => {
    expect(noopOtelApi.SpanKind).toEqual({
      INTERNAL: api.SpanKind.INTERNAL,
      CLIENT: api.SpanKind.CLIENT,
      PRODUCER: api.SpanKind.PRODUCER,
    });
    expect(noopOtelApi.SpanStatusCode.ERROR).toBe(api.SpanStatusCode.ERROR);
  });

  it("runs the function of context.with with its this and arguments, records and injects nothing", async () => {
    const { context, trace, propagation, metrics } = noopOtelApi;
    const parent = context.active();
    const result = context.with(
      parent,
      function (this: { base: number }, a: number, b: number) {
        return this.base + a + b;
      },
      { base: 1 },
      2,
      3,
    );
    expect(result).toBe(6);
    const span = trace.getTracer("x").startSpan("y", {}, parent);
    expect(span.isRecording()).toBe(false);
    span.setAttribute("k", "v").setStatus({ code: noopOtelApi.SpanStatusCode.ERROR });
    span.end();
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(parent, span), carrier);
    expect(carrier).toEqual({});
    const meter = metrics.getMeterProvider().getMeter("x");
    meter.createCounter("c").add(1);
    meter.createHistogram("h").record(0.5);
    const live = meter.createObservableUpDownCounter("u");
    const observe = (): void => {};
    live.addCallback(observe);
    live.removeCallback(observe);
    expect(await context.with(parent, async () => "awaited")).toBe("awaited");
  });
});

// A preload that answers every require and import of @opentelemetry/api the way Node does when
// the package is not installed (it is an optional peer dependency).
const esmHook = `
export async function resolve(specifier, context, next) {
  if (specifier === "@opentelemetry/api" || specifier.startsWith("@opentelemetry/api/")) {
    throw Object.assign(new Error("Cannot find package '" + specifier + "'"), { code: "ERR_MODULE_NOT_FOUND" });
  }
  return next(specifier, context);
}`;
const hideApi = `
import Module, { register } from "node:module";
register("data:text/javascript,${encodeURIComponent(esmHook)}");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "@opentelemetry/api" || request.startsWith("@opentelemetry/api/")) {
    throw Object.assign(new Error("Cannot find module '" + request + "'"), { code: "MODULE_NOT_FOUND" });
  }
  return resolve.call(this, request, ...rest);
};`;

describe("without @opentelemetry/api installed", () => {
  it("a session manager creates, finds and terminates sessions, and the API is never loaded", async () => {
    const script = `
      import { createRequire } from "node:module";
      const core = await import("@vmcp/session-core");
      const { ReferenceStorage } = await import("@vmcp/session-core/testing");
      const manager = new core.SessionManager({
        storage: new ReferenceStorage(),
        factory: new core.MultiSessionFactory({ backends: [] }),
      });
      const session = await manager.create();
      const found = (await manager.get(session.id))?.id === session.id;
      const terminated = await manager.terminate(session.id);
      await manager.close();
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes("@opentelemetry"));
      console.log(JSON.stringify({ found, terminated, loaded }));`;
    const preload = `data:text/javascript,${encodeURIComponent(hideApi)}`;
    const { stdout } = await run(
      process.execPath,
      ["--import", preload, "--input-type=module", "-e", script],
      { cwd: import.meta.dirname },
    );
    expect(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}")).toEqual({
      found: true,
      terminated: true,
      loaded: [],
    });
  });

  it("the preload really hides the API (the test above could fail)", async () => {
    const script = `
      import { createRequire } from "node:module";
      const codes = [];
      try { createRequire(import.meta.url)("@opentelemetry/api"); codes.push("required"); }
      catch (error) { codes.push(error.code); }
      try { await import("@opentelemetry/api"); codes.push("imported"); }
      catch (error) { codes.push(error.code); }
      console.log(codes.join(" "));`;
    const preload = `data:text/javascript,${encodeURIComponent(hideApi)}`;
    const { stdout } = await run(
      process.execPath,
      ["--import", preload, "--input-type=module", "-e", script],
      { cwd: import.meta.dirname },
    );
    expect(stdout.trim()).toBe("MODULE_NOT_FOUND ERR_MODULE_NOT_FOUND");
  });
});

/**
 * Issue #10, one gateway on the memory store: an SDK client receives through the gateway every
 * server-to-client message it receives straight from the backend (progress, logs, sampling,
 * elicitation in form and URL mode, roots, list_changed, resources/updated), over an HTTP and a
 * stdio backend, and a cancellation reaches the backend's tool. The "direct" rows run the same
 * client code and the same checks against the backends themselves: they prove the checks.
 */
import { afterAll, afterEach, beforeAll, describe, it } from "vitest";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import {
  checkCancellation,
  checkEverything,
  checkListChanged,
  checkResourceUpdated,
  newBackendSessionStreaming,
  type Target,
  waitForGetStream,
} from "./helpers/server-to-client-checks.js";
import {
  connectRecordingClient,
  type RecordingClient,
  type StreamingBackend,
  type StreamingHttpBackend,
  type StreamingStdioBackend,
  startStreamingHttpBackend,
  streamingStdioBackend,
} from "./helpers/streaming-backends.js";

function rows(targets: () => Record<string, Target>) {
  for (const row of [
    "direct HTTP",
    "direct stdio",
    "gateway, HTTP backend",
    "gateway, stdio backend",
  ]) {
    describe(row, () => {
      const target = () => targets()[row] as Target;
      let rc: RecordingClient | undefined;
      const open = async (options: { ready?: boolean } = {}) => {
        rc = await target().open();
        if (options.ready === true) await target().ready(rc);
        return rc;
      };
      afterEachClose(() => rc);

      it("relays every progress, log, sampling, elicitation (form, URL) and roots request of a call, and every answer", async () => {
        const client = await open();
        await checkEverything(client, target().tool("everything"), target().backend.tag);
      });

      it("a cancellation reaches the backend: its tool observes the abort signal", async () => {
        const client = await open();
        await checkCancellation(client, target().tool("wait-cancel"), target().backend);
      });

      it("list_changed of tools, prompts and resources reach the client, and the lists hold the additions", async () => {
        const client = await open({ ready: true });
        await checkListChanged(client, target().tool("change-lists"), target().backend.tag);
      });

      it("resources/updated of a subscribed resource reaches the client", async () => {
        const client = await open({ ready: true });
        await checkResourceUpdated(client, target().tool("touch"), target().backend.tag);
      });
    });
  }
}

function afterEachClose(current: () => RecordingClient | undefined) {
  afterEach(async () => {
    await current()
      ?.close()
      .catch(() => undefined);
  });
}

describe("server-to-client messages: one gateway on memory vs direct", () => {
  let directWeb: StreamingHttpBackend;
  let directPipe: StreamingStdioBackend;
  let web: StreamingHttpBackend;
  let pipe: StreamingStdioBackend;
  let gw: LoggedGateway;
  const targets: Record<string, Target> = {};
  let sessionsBefore = new Set<string>();

  beforeAll(async () => {
    [directWeb, web] = await Promise.all([
      startStreamingHttpBackend("web"),
      startStreamingHttpBackend("web"),
    ]);
    directPipe = streamingStdioBackend("pipe");
    pipe = streamingStdioBackend("pipe");
    gw = await startLoggedGateway({
      logLevel: "info",
      bindingSecret: "server-to-client-binding-secret-1",
      backends: [
        { workloadId: "web", url: web.url },
        { workloadId: "pipe", command: pipe.command, args: [...pipe.args] },
      ],
    });
    targets["direct HTTP"] = {
      backend: directWeb,
      tool: (name) => name,
      open: () => connectRecordingClient({ url: directWeb.url }),
      ready: (rc) => waitForGetStream(rc),
    };
    targets["direct stdio"] = {
      backend: directPipe,
      tool: (name) => name,
      open: () => connectRecordingClient({ command: directPipe.command, args: directPipe.args }),
      ready: async () => undefined,
    };
    const viaGateway = (backend: StreamingBackend): Target => ({
      backend,
      // Both backends offer the same tools: the gateway prefixes them with the workload ID.
      tool: (name) => `${backend.tag}__${name}`,
      open: async () => {
        sessionsBefore = new Set(web.backend.sessionIds);
        return connectRecordingClient({ url: gw.url });
      },
      ready: async (rc) => {
        await waitForGetStream(rc);
        // The gateway must hold its own GET stream to the HTTP backend to hear what it sends.
        await newBackendSessionStreaming(web, sessionsBefore);
      },
    });
    targets["gateway, HTTP backend"] = viaGateway(web);
    targets["gateway, stdio backend"] = viaGateway(pipe);
  });

  afterAll(async () => {
    await gw?.close();
    await Promise.all([directWeb?.close(), web?.close(), directPipe?.close(), pipe?.close()]);
  });

  rows(() => targets);
});

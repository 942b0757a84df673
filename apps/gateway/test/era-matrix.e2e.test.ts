/**
 * The end-to-end era matrix (issue 20, "Tests and figures"): every client era against every
 * backend kind, over HTTP, through one gateway and through two replicas sharing a real Redis with
 * requests alternating between them (a round-robin proxy). Each cell covers tools (list and
 * call), prompts (list and get), resources (list, read, a templated read), completion (a prompt
 * argument and a template variable), progress, and an `input_required` round where both ends
 * speak 2026-07-28. The cells across eras (issue 21) are served like the others: a 2026-07-28
 * client reaches the SDK v1 backend through its pooled backend session (its mid-call requests
 * become rounds), and a 2025-era client reaches the modern-only backend statelessly.
 *
 * One set of backends, one single gateway, one pair of replicas and one Redis serve every cell:
 * each gateway is configured with all three backends, and a cell reaches its backend through
 * names only that backend offers (`<id>_steps`, `<id>_greet`, `<id>://readme`...).
 */
import type { Client } from "@modelcontextprotocol/client";
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import type { TestBackend } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { connectLegacyV2Client } from "./helpers/legacy-v2-client.js";
import { startV1MatrixBackend } from "./helpers/matrix-backends.js";
import { resultText } from "./helpers/mcp-client.js";
import { type ModernBackendFixture, startModernBackend } from "./helpers/modern-backends.js";
import { connectModernClient } from "./helpers/modern-client.js";
import { type RoundRobinProxy, startRoundRobinProxy } from "./helpers/round-robin-proxy.js";

const BindingSecret = "era-matrix-binding-secret-0123456789";

type Result = Record<string, unknown>;

/** The client eras of the matrix. */
const Clients = {
  modern: "SDK v2 pinned to 2026-07-28",
  legacy: "SDK v2 on 2025-11-25",
} as const;
type ClientKind = keyof typeof Clients;

/** The backend kinds of the matrix, by the workload ID each runs under. */
const Backends = {
  modern: "SDK v2 modern-only",
  dual: "SDK v2 dual-era",
  v1: "SDK v1",
} as const;
type BackendKind = keyof typeof Backends;

const Topologies = {
  single: "one gateway",
  replicas: "two replicas on Redis, requests alternating",
} as const;
type Topology = keyof typeof Topologies;

interface Cell {
  readonly client: ClientKind;
  readonly backend: BackendKind;
  readonly name: string;
}

const cells: Cell[] = (Object.keys(Clients) as ClientKind[]).flatMap((client) =>
  (Object.keys(Backends) as BackendKind[]).map((backend) => ({
    client,
    backend,
    name: `${Clients[client]} → ${Backends[backend]}`,
  })),
);

/** Every item of a list, following `nextCursor`. */
async function listAll(client: Client, method: string, field: string): Promise<Result[]> {
  const items: Result[] = [];
  let cursor: string | undefined;
  do {
    const page = (await client.request({
      method,
      params: cursor === undefined ? {} : { cursor },
    } as never)) as Result;
    items.push(...(page[field] as Result[]));
    cursor = page.nextCursor as string | undefined;
  } while (cursor !== undefined);
  return items;
}

/**
 * What every served cell checks, through `client`, of the backend `id`: tools, prompts,
 * resources, completion and progress; and with `inputRounds`, a two-round `input_required` call.
 */
async function exerciseCell(client: Client, id: string, inputRounds: boolean): Promise<void> {
  const tools = await listAll(client, "tools/list", "tools");
  expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining([`${id}_steps`]));

  const progress: unknown[] = [];
  const steps = await client.request(
    { method: "tools/call", params: { name: `${id}_steps`, arguments: { count: 2 } } },
    { onprogress: (p) => progress.push(p) },
  );
  expect(resultText(steps)).toBe("2 steps done");
  expect(progress).toEqual([
    { progress: 1, total: 2, message: "step 1" },
    { progress: 2, total: 2, message: "step 2" },
  ]);

  const prompts = await listAll(client, "prompts/list", "prompts");
  expect(prompts.map((p) => p.name)).toContain(`${id}_greet`);
  const prompt = (await client.request({
    method: "prompts/get",
    params: { name: `${id}_greet`, arguments: { name: "ann" } },
  })) as Result;
  expect(JSON.stringify(prompt.messages)).toContain(`${id} greets ann`);

  const resources = await listAll(client, "resources/list", "resources");
  expect(resources.map((r) => r.uri)).toContain(`${id}://readme`);
  const readme = (await client.request({
    method: "resources/read",
    params: { uri: `${id}://readme` },
  })) as Result;
  expect(readme.contents).toEqual([expect.objectContaining({ text: `${id} readme` })]);
  const item = (await client.request({
    method: "resources/read",
    params: { uri: `${id}://items/7` },
  })) as Result;
  expect(item.contents).toEqual([expect.objectContaining({ text: `${id} item 7` })]);

  const byPrompt = (await client.request({
    method: "completion/complete",
    params: {
      ref: { type: "ref/prompt", name: `${id}_greet` },
      argument: { name: "name", value: "an" },
    },
  })) as Result;
  expect(byPrompt.completion).toMatchObject({ values: ["ann", "anna"] });
  const byTemplate = (await client.request({
    method: "completion/complete",
    params: {
      ref: { type: "ref/resource", uri: `${id}://items/{item}` },
      argument: { name: "item", value: "" },
    },
  })) as Result;
  expect(byTemplate.completion).toMatchObject({ values: ["1", "2", "3"] });

  if (!inputRounds) {
    // A 2025-era client answers the same two questions as server-to-client requests on its
    // session: the v1 backend's own, or the gateway's for a modern backend's rounds.
    const asked: string[] = [];
    client.setRequestHandler("elicitation/create", async (request) => {
      const text = JSON.stringify(request.params);
      asked.push(text);
      return text.includes("colour")
        ? { action: "accept", content: { colour: "blue" } }
        : { action: "accept", content: { name: "ann" } };
    });
    const answered = await client.request({
      method: "tools/call",
      params: { name: `${id}_ask`, arguments: {} },
    });
    expect(resultText(answered)).toBe("ann likes blue");
    expect(asked).toHaveLength(2);
    return;
  }
  const ask = (params: Result) =>
    client.request(
      { method: "tools/call", params: { name: `${id}_ask`, arguments: {}, ...params } },
      { allowInputRequired: true },
    ) as Promise<Result>;
  // The only key of a round's inputRequests: the backend's own (modern), or the gateway's (v1).
  const onlyKey = (round: Result): string => {
    const keys = Object.keys(round.inputRequests as Result);
    expect(keys).toHaveLength(1);
    return keys[0] as string;
  };
  const round1 = await ask({});
  expect(round1).toMatchObject({ resultType: "input_required" });
  const name = onlyKey(round1);
  expect((round1.inputRequests as Result)[name]).toMatchObject({ method: "elicitation/create" });
  const round2 = await ask({
    inputResponses: { [name]: { action: "accept", content: { name: "ann" } } },
    requestState: round1.requestState,
  });
  expect(round2).toMatchObject({ resultType: "input_required" });
  const colour = onlyKey(round2);
  expect(JSON.stringify((round2.inputRequests as Result)[colour])).toContain("colour");
  const done = await ask({
    inputResponses: { [colour]: { action: "accept", content: { colour: "blue" } } },
    requestState: round2.requestState,
  });
  expect(resultText(done)).toBe("ann likes blue");
}

describe("the era matrix: clients × backends, on one gateway and on two replicas", () => {
  let redis: RedisServer;
  let modern: ModernBackendFixture;
  let dual: ModernBackendFixture;
  let v1: TestBackend;
  let single: LoggedGateway;
  const replicas: LoggedGateway[] = [];
  let proxy: RoundRobinProxy;

  beforeAll(async () => {
    [redis, modern, dual, v1] = await Promise.all([
      startRedisServer(),
      startModernBackend("modern", { legacy: "reject" }),
      startModernBackend("dual", { legacy: "stateless" }),
      startV1MatrixBackend("v1"),
    ]);
    const backends = [
      { workloadId: "modern", url: modern.url },
      { workloadId: "dual", url: dual.url },
      { workloadId: "v1", url: v1.url },
    ];
    const shared = { bindingSecret: BindingSecret, backends };
    const onRedis = { ...shared, store: { kind: "redis", url: redis.url } };
    const started = await Promise.all([
      startLoggedGateway(shared),
      startLoggedGateway(onRedis),
      startLoggedGateway(onRedis),
    ]);
    single = started[0];
    replicas.push(started[1], started[2]);
    proxy = await startRoundRobinProxy(replicas.map((r) => r.url));
  });

  afterAll(async () => {
    await proxy?.close();
    await Promise.all([single?.close(), ...replicas.map((r) => r.close())]);
    await Promise.all([modern?.close(), dual?.close(), v1?.close()]);
    await redis?.close();
  });

  const urlOf = (topology: Topology) => (topology === "single" ? single.url : proxy.url);
  /** POSTs the cell's backend has received in the cell's client era so far. */
  const eraPosts = (cell: Cell): number => {
    if (cell.backend === "v1") return v1.methods.get("tools/call") ?? 0;
    // A backend that answers server/discover is reached statelessly by clients of both eras.
    const fixture = cell.backend === "modern" ? modern : dual;
    return fixture.methods.get("tools/call") ?? 0;
  };

  describe.each(Object.keys(Topologies) as Topology[])("%s", (topology) => {
    for (const cell of cells) {
      it(`${cell.name}: tools, prompts, resources, completion, progress, ${cell.client === "modern" ? "input_required rounds" : "elicitation on the session"}`, async () => {
        const from = proxy.requests.length;
        const eraPostsBefore = eraPosts(cell);
        if (cell.client === "modern") {
          const client = await connectModernClient(urlOf(topology));
          try {
            await exerciseCell(client, cell.backend, true);
          } finally {
            await client.close();
          }
        } else {
          const legacy = await connectLegacyV2Client(urlOf(topology));
          try {
            await exerciseCell(legacy.client, cell.backend, false);
          } finally {
            await legacy.close();
          }
        }
        // The backend was reached in its own era: 2026-07-28 POSTs (an Mcp-Method header) for a
        // modern or dual-era backend, whatever the client's era; 2025-era POSTs for SDK v1.
        expect(eraPosts(cell)).toBeGreaterThan(eraPostsBefore);
        if (topology === "replicas") {
          const served = new Set(proxy.requests.slice(from).map((r) => r.replica));
          expect([...served].sort()).toEqual([0, 1]);
        }
      });
    }
  });
});

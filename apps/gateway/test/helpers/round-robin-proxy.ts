import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

/** What the proxy saw of one HTTP request and where it sent it. */
export interface ProxiedRequest {
  /** Arrival order, from 1. */
  readonly seq: number;
  /** `GET`, `POST`, `DELETE`. */
  readonly httpMethod: string;
  /** Index of the replica that served it. */
  readonly replica: number;
  /**
   * What the body held: the JSON-RPC method (`tools/call`, `notifications/cancelled`), or
   * `response` for a JSON-RPC response (the client's answer to a server-to-client request),
   * comma-joined for a batch; `` for a GET or DELETE.
   */
  readonly rpc: string;
  /** The JSON-RPC ID of a request or response, when one message carried one. */
  readonly id?: string | number;
  /** The HTTP status the replica answered (0 while waiting; 502 when the replica was gone). */
  status: number;
  /** The response's content type. */
  contentType: string;
  /** A JSON response body, parsed (not an SSE stream), once it ended. */
  body?: unknown;
  /** When the response's headers came back (performance.now() ms). */
  headersAt?: number;
  /** Whether the exchange is over (the response ended, or either side closed). */
  closed: boolean;
}

/** Picks the replica for one request; `undefined` leaves it to strict alternation. */
export type ProxyRouter = (request: {
  readonly httpMethod: string;
  readonly rpc: string;
  readonly id?: string | number;
}) => number | undefined;

/** A round-robin HTTP proxy in front of gateway replicas, written for the tests. */
export interface RoundRobinProxy {
  /** Base URL (MCP at `${url}/mcp`). */
  readonly url: string;
  /** Every request so far, in arrival order. */
  readonly requests: readonly ProxiedRequest[];
  /** Replaces the routing rule (`undefined`: alternate strictly among the replicas up). */
  setRouter(router: ProxyRouter | undefined): void;
  /** Marks a replica down (alternation and routers' picks skip it) or up again. */
  setDown(replica: number, down: boolean): void;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

function summarize(body: Buffer): { rpc: string; id?: string | number } {
  if (body.length === 0) return { rpc: "" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return { rpc: "(not JSON)" };
  }
  const messages = (Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, unknown>>;
  const rpc = messages
    .map((m) =>
      typeof m.method === "string" ? m.method : "result" in m || "error" in m ? "response" : "?",
    )
    .join(",");
  const first = messages[0];
  const id = messages.length === 1 ? first?.id : undefined;
  return typeof id === "string" || typeof id === "number" ? { rpc, id } : { rpc };
}

/**
 * Starts a proxy on a free loopback port that forwards each request to one of `replicas` (base
 * URLs such as `http://127.0.0.1:4001`): by default strictly in turn (request 1 to replica 0,
 * request 2 to replica 1, ...), or where the router says. Bodies stream both ways (SSE
 * included); the request body is read first, to record what it carries. A replica that cannot
 * be reached answers 502 with a JSON-RPC error.
 */
export async function startRoundRobinProxy(replicas: readonly string[]): Promise<RoundRobinProxy> {
  const targets = replicas.map((r) => new URL(r));
  const down = new Set<number>();
  const requests: ProxiedRequest[] = [];
  const agent = new Agent({ keepAlive: true });
  let router: ProxyRouter | undefined;
  let turn = 0;

  const nextInTurn = (): number => {
    for (let i = 0; i < targets.length; i++) {
      const candidate = (turn + i) % targets.length;
      if (!down.has(candidate)) {
        turn = candidate + 1;
        return candidate;
      }
    }
    return turn++ % targets.length;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const what = summarize(body);
    const httpMethod = req.method ?? "GET";
    const picked = router?.({ httpMethod, ...what });
    const replica = picked !== undefined && !down.has(picked) ? picked : nextInTurn();
    const record: ProxiedRequest = {
      seq: requests.length + 1,
      httpMethod,
      replica,
      ...what,
      status: 0,
      contentType: "",
      closed: false,
    };
    requests.push(record);
    const target = targets[replica] as URL;
    const headers = { ...req.headers, host: target.host };
    delete headers["content-length"];
    if (body.length > 0) headers["content-length"] = String(body.length);
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        method: httpMethod,
        headers,
        agent,
      },
      (answer) => {
        record.status = answer.statusCode ?? 0;
        record.contentType = String(answer.headers["content-type"] ?? "");
        record.headersAt = performance.now();
        res.writeHead(record.status, answer.headers);
        res.flushHeaders();
        const json = record.contentType.includes("application/json");
        const kept: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => {
          if (json) kept.push(chunk);
          res.write(chunk);
        });
        answer.on("end", () => {
          if (json) {
            try {
              record.body = JSON.parse(Buffer.concat(kept).toString("utf8"));
            } catch {
              record.body = Buffer.concat(kept).toString("utf8");
            }
          }
          res.end();
        });
        answer.on("error", () => res.destroy());
        answer.on("aborted", () => res.destroy());
      },
    );
    res.on("close", () => {
      record.closed = true;
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.on("error", (error) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      record.status = 502;
      record.contentType = "application/json";
      record.body = {
        jsonrpc: "2.0",
        id: null,
        error: { code: -32603, message: `proxy: replica ${replica} unreachable: ${error.message}` },
      };
      res.writeHead(502, { "content-type": "application/json" }).end(JSON.stringify(record.body));
    });
    upstream.end(body);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setRouter: (next) => {
      router = next;
    },
    setDown: (replica, isDown) => {
      if (isDown) down.add(replica);
      else down.delete(replica);
    },
    close: async () => {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

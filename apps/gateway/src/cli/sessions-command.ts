import type { SessionRecord, SessionStorage } from "@vmcp/session-core";
import type { GatewayConfig } from "../config/gateway-config.js";
import { ErrorCode, errorCodeOf } from "../error-codes.js";
import { createStorage, describeStore, storeRefusal } from "../store/create-storage.js";
import { formatSessionView, table, viewSession } from "./session-view.js";

/** Where the sessions commands write. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/**
 * `sessions list | show <id> | delete <id>` against the configured store. Resolves the exit code:
 * 0 done, 1 session not found, 2 usage error or a store that refuses its configuration (a Redis
 * database index the server lacks), 3 store unavailable, 4 list incomplete (part of the
 * store, e.g. a Cluster primary, was unreachable: the sessions that could be read are printed,
 * then a warning naming the missing part).
 */
export async function runSessionsCommand(
  args: readonly string[],
  config: GatewayConfig,
  json: boolean,
  io: Output,
): Promise<number> {
  const [action, id] = args;
  if (action === undefined || !["list", "show", "delete"].includes(action)) {
    io.err("usage: vmcp-gateway sessions list|show <id>|delete <id> [--json]");
    return 2;
  }
  if (action !== "list" && id === undefined) {
    io.err(`usage: vmcp-gateway sessions ${action} <id>`);
    return 2;
  }
  const extra = args[action === "list" ? 1 : 2];
  if (extra !== undefined) {
    io.err(
      `vmcp-gateway: unexpected argument ${JSON.stringify(extra)}; usage: vmcp-gateway sessions ${action === "list" ? "list" : `${action} <id>`} [--json] [store flags]`,
    );
    return 2;
  }
  if (config.store.kind === "memory") {
    io.err(
      "note: the memory store lives inside each gateway process, so this command sees an empty store; use --store redis to inspect shared sessions",
    );
  }
  const storage = await createStorage(config.store);
  try {
    if (action === "list") return await list(storage, config, json, io);
    if (action === "show") return await show(storage, id ?? "", json, io);
    return await remove(storage, id ?? "", json, io);
  } catch (error) {
    const refused = await storeRefusal(config.store, error);
    if (refused !== undefined) {
      io.err(`vmcp-gateway: ${refused.message}`);
      return 2;
    }
    const code = errorCodeOf(error);
    io.err(`vmcp-gateway: ${(error as Error).message}`);
    return code === ErrorCode.StorageUnavailable ? 3 : code === ErrorCode.InvalidSessionId ? 2 : 1;
  } finally {
    await storage.close();
  }
}

async function list(
  storage: SessionStorage,
  config: GatewayConfig,
  json: boolean,
  io: Output,
): Promise<number> {
  const records: SessionRecord[] = [];
  const seen = new Set<string>();
  let incomplete: Error | undefined;
  try {
    for await (const id of storage.listIds()) {
      if (seen.has(id)) continue;
      seen.add(id);
      const record = await storage.load(id).catch((error: unknown) => {
        io.err(`vmcp-gateway: ${(error as Error).message}`);
        return undefined;
      });
      if (record !== undefined) records.push(record);
    }
  } catch (error) {
    // Every reachable session was listed; print them, then say what is missing.
    if (errorCodeOf(error) !== ErrorCode.StorageListIncomplete) throw error;
    incomplete = error as Error;
  }
  print(records, config, json, io);
  if (incomplete === undefined) return 0;
  io.err(
    `vmcp-gateway: warning: ${incomplete.message}; the ${records.length} session(s) above are only those that could be read`,
  );
  return 4;
}

function print(records: SessionRecord[], config: GatewayConfig, json: boolean, io: Output): void {
  records.sort((a, b) => a.createdAt - b.createdAt);
  const views = records.map(viewSession);
  if (json) {
    io.out(JSON.stringify(views, null, 2));
    return;
  }
  io.out(`store: ${describeStore(config.store)}, ${views.length} session(s)`);
  if (views.length > 0) {
    const rows = views.map((v) => [
      v.id,
      v.owner === undefined ? "(anonymous)" : v.owner.subject,
      v.backends.map((b) => b.workloadId).join(",") || "(none)",
      v.createdAt,
      v.expiresAt ?? "never",
      v.kind,
    ]);
    io.out(
      table(["SESSION ID", "OWNER", "BACKENDS", "CREATED", "EXPIRES", "KIND"], rows).join("\n"),
    );
  }
}

async function show(
  storage: SessionStorage,
  id: string,
  json: boolean,
  io: Output,
): Promise<number> {
  const record = await storage.load(id);
  if (record === undefined) {
    io.err(`session ${JSON.stringify(id)} not found`);
    return 1;
  }
  const view = viewSession(record);
  io.out(json ? JSON.stringify(view, null, 2) : formatSessionView(view));
  return 0;
}

async function remove(
  storage: SessionStorage,
  id: string,
  json: boolean,
  io: Output,
): Promise<number> {
  const existed = await storage.delete(id);
  if (json) io.out(JSON.stringify({ id, deleted: existed }));
  else io.out(existed ? `deleted session ${id}` : `session ${JSON.stringify(id)} not found`);
  return existed ? 0 : 1;
}

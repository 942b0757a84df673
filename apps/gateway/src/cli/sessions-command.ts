import type { SessionRecord, SessionStorage } from "@vmcp/session-core";
import type { GatewayConfig } from "../config/gateway-config.js";
import { ErrorCode, errorCodeOf } from "../error-codes.js";
import { createStorage, describeStore, storeRefusal } from "../store/create-storage.js";
import {
  formatSessionView,
  type SessionView,
  type StoredRecordKind,
  StoredRecordKinds,
  table,
  viewSession,
} from "./session-view.js";

/** Where the sessions commands write. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** The switches of the sessions commands (from the command line). */
export interface SessionsOptions {
  /** `--json`: machine-readable output. */
  readonly json: boolean;
  /**
   * `--kind`: which records `list` prints: `all` (default: every record, each marked with its
   * kind), or one {@link StoredRecordKind} (`session` for client sessions only).
   */
  readonly kind?: string | undefined;
}

/** What `sessions list` prints: every record, or those of one kind. */
type KindFilter = StoredRecordKind | "all";

const KindUsage = `all|${StoredRecordKinds.join("|")}`;

/**
 * `sessions list [--kind K] | show <id> | delete <id>` against the configured store. The store
 * holds client sessions and other records (backend era verdicts, used `requestState`s): `list`
 * marks each with its kind and prints every record unless `--kind` names one; `show` names the
 * kind. Resolves the exit code:
 * 0 done, 1 session not found, 2 usage error or a store that refuses its configuration (a Redis
 * database index the server lacks), 3 store unavailable, 4 list incomplete (part of the
 * store, e.g. a Cluster primary, was unreachable: the sessions that could be read are printed,
 * then a warning naming the missing part).
 */
export async function runSessionsCommand(
  args: readonly string[],
  config: GatewayConfig,
  options: SessionsOptions,
  io: Output,
): Promise<number> {
  const { json } = options;
  const [action, id] = args;
  if (action === undefined || !["list", "show", "delete"].includes(action)) {
    io.err(
      `usage: vmcp-gateway sessions list [--kind ${KindUsage}]|show <id>|delete <id> [--json]`,
    );
    return 2;
  }
  if (options.kind !== undefined && action !== "list") {
    io.err(`vmcp-gateway: --kind applies to sessions list only, not to sessions ${action}`);
    return 2;
  }
  const kind = options.kind ?? "all";
  if (!isKindFilter(kind)) {
    io.err(`vmcp-gateway: --kind ${JSON.stringify(kind)} is not one of ${KindUsage}`);
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
    if (action === "list") return await list(storage, config, { json, kind }, io);
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

function isKindFilter(kind: string): kind is KindFilter {
  return kind === "all" || (StoredRecordKinds as readonly string[]).includes(kind);
}

async function list(
  storage: SessionStorage,
  config: GatewayConfig,
  shown: { readonly json: boolean; readonly kind: KindFilter },
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
  records.sort((a, b) => a.createdAt - b.createdAt);
  const views = records
    .map(viewSession)
    .filter((v) => shown.kind === "all" || v.kind === shown.kind);
  print(views, config, shown.json, io);
  if (incomplete === undefined) return 0;
  io.err(
    `vmcp-gateway: warning: ${incomplete.message}; the ${views.length} record(s) above are only those that could be read`,
  );
  return 4;
}

function print(views: SessionView[], config: GatewayConfig, json: boolean, io: Output): void {
  if (json) {
    io.out(JSON.stringify(views, null, 2));
    return;
  }
  io.out(`store: ${describeStore(config.store)}, ${count(views)}`);
  if (views.length > 0) {
    const rows = views.map((v) =>
      v.kind === "session"
        ? [
            v.id,
            v.pool === undefined ? v.kind : "pooled",
            v.owner === undefined ? "(anonymous)" : v.owner.subject,
            v.backends.map((b) => b.workloadId).join(",") || "(none)",
            v.createdAt,
            v.expiresAt ?? "never",
          ]
        : [v.id, v.kind, "-", "-", v.createdAt, v.expiresAt ?? "never"],
    );
    io.out(table(["ID", "KIND", "OWNER", "BACKENDS", "CREATED", "EXPIRES"], rows).join("\n"));
  }
}

/** `3 session(s)`, then `, 2 other record(s) (1 backend-era, 1 request-state)` when there are any. */
function count(views: readonly SessionView[]): string {
  const sessions = views.filter((v) => v.kind === "session").length;
  const others = StoredRecordKinds.filter((k) => k !== "session")
    .map((k) => [k, views.filter((v) => v.kind === k).length] as const)
    .filter(([, n]) => n > 0);
  const otherCount = views.length - sessions;
  const detail = others.map(([k, n]) => `${n} ${k}`).join(", ");
  return otherCount === 0
    ? `${sessions} session(s)`
    : `${sessions} session(s), ${otherCount} other record(s) (${detail}): not client sessions`;
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

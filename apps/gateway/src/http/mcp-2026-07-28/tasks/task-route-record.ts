import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import type { SessionOwner } from "@vmcp/session-core";
import {
  decodeIdentity,
  encodeIdentity,
  MetadataKeyRecordKind,
  RecordKind,
  taskRouteKey,
} from "@vmcp/session-keys";

/** The prefix of every task route record's ID, so an operator tells them from client sessions. */
export const TaskRouteRecordPrefix = "vmcp.task-route.";

/**
 * The key material when no binding secret is configured: fixed, so replicas without a secret
 * still share task routes (as they share era verdicts). A deployment with owners sets
 * `bindingSecret`, and then no one who can write the store can forge an owner binding.
 */
const DefaultIkm = "vmcp.task-route.v1";

/** What each derived key is for (HKDF `info`). */
const Purpose = { id: "vmcp.task-route.v1.id", bind: "vmcp.task-route.v1.bind" } as const;

/** Bytes of each derived key: 32 (HMAC-SHA256's). */
const KeyBytes = 32;

/**
 * The keys of the task route records, derived with HKDF-SHA256 from the binding secret under a
 * purpose label each (so neither equals the identity binding key of sessions, the cursor key or
 * the request-state keys), the same on every replica that shares the secret.
 */
export class TaskRouteKeys {
  readonly #id: Buffer;
  readonly #bind: Buffer;

  /**
   * @param secret the binding secret (a string as UTF-8, or bytes); default a fixed key (see
   *   `DefaultIkm`).
   * @throws {RangeError} for an empty secret.
   */
  constructor(secret?: string | Uint8Array) {
    const ikm =
      secret === undefined
        ? Buffer.from(DefaultIkm, "utf8")
        : typeof secret === "string"
          ? Buffer.from(secret, "utf8")
          : Buffer.from(secret);
    if (ikm.length === 0) throw new RangeError("the task route secret is empty");
    const derive = (info: string) =>
      Buffer.from(hkdfSync("sha256", ikm, Buffer.alloc(0), info, KeyBytes));
    this.#id = derive(Purpose.id);
    this.#bind = derive(Purpose.bind);
  }

  /**
   * The ID of the record routing `taskId`: {@link TaskRouteRecordPrefix} and the base64url
   * HMAC-SHA256 of the task ID (59 visible ASCII characters, a valid session ID). Keyed, so a
   * client that knows a task ID still cannot name its record as an `Mcp-Session-Id`.
   */
  recordId(taskId: string): string {
    return `${TaskRouteRecordPrefix}${createHmac("sha256", this.#id).update(taskId).digest("base64url")}`;
  }

  /** The binding of `owner` (`vmcp.identity.binding`): base64url HMAC-SHA256 of issuer and subject. */
  bindingFor(owner: SessionOwner): string {
    return createHmac("sha256", this.#bind)
      .update(JSON.stringify([owner.issuer, owner.subject]))
      .digest("base64url");
  }
}

/** Where a task lives, as its record holds it. */
export interface StoredTaskRoute {
  /** The backend that made the task. */
  readonly workloadId: string;
  /** The owner's binding (`vmcp.identity.binding`); absent for a task an anonymous caller made. */
  readonly binding?: string;
}

/**
 * The metadata of the record routing `taskId`: `vmcp.kind` `task-route`, the backend under
 * `vmcp.task.<taskId>` (`taskRouteKey`, the key 2025 sessions keep their task routes under), and
 * the owner under `vmcp.identity.*` (issuer and subject for operators, the binding for checks;
 * never a token). An anonymous caller's task has no identity keys.
 */
export function encodeTaskRoute(
  taskId: string,
  workloadId: string,
  owner: SessionOwner | undefined,
  keys: TaskRouteKeys,
): Record<string, string> {
  return {
    [MetadataKeyRecordKind]: RecordKind.TaskRoute,
    [taskRouteKey(taskId)]: workloadId,
    ...(owner === undefined ? {} : encodeIdentity({ ...owner, binding: keys.bindingFor(owner) })),
  };
}

/**
 * The route a record's metadata holds for `taskId`; `undefined` when it is no task route record
 * for exactly this task ID, or its identity keys are incomplete (a foreign or corrupt record
 * routes nothing).
 */
export function decodeTaskRoute(
  taskId: string,
  metadata: Readonly<Record<string, string>>,
): StoredTaskRoute | undefined {
  if (metadata[MetadataKeyRecordKind] !== RecordKind.TaskRoute) return undefined;
  const workloadId = metadata[taskRouteKey(taskId)];
  if (workloadId === undefined || workloadId === "") return undefined;
  let binding: string | undefined;
  try {
    binding = decodeIdentity(metadata)?.binding;
  } catch {
    return undefined;
  }
  return binding === undefined ? { workloadId } : { workloadId, binding };
}

/**
 * Whether `owner` is the one a route is bound to: the same binding (compared in constant time)
 * for a bound route, no owner for an anonymous one.
 */
export function ownsTaskRoute(
  route: StoredTaskRoute,
  owner: SessionOwner | undefined,
  keys: TaskRouteKeys,
): boolean {
  if (route.binding === undefined || owner === undefined) {
    return route.binding === undefined && owner === undefined;
  }
  const expected = Buffer.from(keys.bindingFor(owner), "utf8");
  const actual = Buffer.from(route.binding, "utf8");
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

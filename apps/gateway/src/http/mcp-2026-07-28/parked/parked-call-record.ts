import { createHmac, hkdfSync } from "node:crypto";
import type { SessionStorage } from "@vmcp/session-core";
import { MetadataKeyRecordKind, RecordKind } from "@vmcp/session-keys";

/** The prefix of every parked call record's ID, so an operator tells them from client sessions. */
export const ParkedCallRecordPrefix = "vmcp.parked.";

/** Metadata keys of a parked call record. */
const Keys = {
  session: "vmcp.parked.session",
  workload: "vmcp.parked.workload",
  request: "vmcp.parked.request",
} as const;

/** What another replica needs to cancel a parked call's backend request. */
export interface ParkedCallInfo {
  /** The pooled backend session the call runs in. */
  readonly sessionId: string;
  /** The backend. */
  readonly workloadId: string;
  /** The backend's JSON-RPC request ID (on that backend session). */
  readonly requestId: string | number;
}

/**
 * The records of calls parked for input (`vmcp.kind` `parked-call`), one per parked call to an
 * HTTP backend while it is parked: the pooled session, the backend and the backend's request ID,
 * so that the replica a retry lands on can cancel that request (`notifications/cancelled` on the
 * restored session) when the holder is gone. The ID is `vmcp.parked.` and the base64url
 * HMAC-SHA256 of the call ID under a key derived (HKDF) from the binding secret: a client reading
 * the call ID in its state still cannot name the record. Best effort: a store that fails loses
 * only the cancellation on the holder's death.
 */
export class ParkedCallRecords {
  readonly #storage: SessionStorage;
  readonly #key: Buffer;

  /** @param secret the binding secret (replicas must share it); default a fixed key. */
  constructor(storage: SessionStorage, secret?: string) {
    this.#storage = storage;
    this.#key = Buffer.from(
      hkdfSync(
        "sha256",
        Buffer.from(secret ?? "vmcp.parked.v1", "utf8"),
        Buffer.alloc(0),
        "vmcp.parked.v1.id",
        32,
      ),
    );
  }

  /** The record ID of call `callId`. */
  recordId(callId: string): string {
    return `${ParkedCallRecordPrefix}${createHmac("sha256", this.#key).update(callId).digest("base64url")}`;
  }

  /** Records a parked call until `expiresAt` (epoch ms), or moves its deadline there. Never rejects. */
  async write(callId: string, info: ParkedCallInfo, expiresAt: number): Promise<void> {
    const id = this.recordId(callId);
    const created = await this.#storage
      .create({
        id,
        metadata: {
          [MetadataKeyRecordKind]: RecordKind.ParkedCall,
          [Keys.session]: info.sessionId,
          [Keys.workload]: info.workloadId,
          [Keys.request]: JSON.stringify(info.requestId),
        },
        expiresAt,
      })
      .catch(() => true);
    if (!created) await this.#storage.touch(id, expiresAt).catch(() => undefined);
  }

  /** Forgets a call's record. Never rejects. */
  async delete(callId: string): Promise<void> {
    await this.#storage.delete(this.recordId(callId)).catch(() => undefined);
  }

  /** A call's record, if it is there. */
  async read(callId: string): Promise<ParkedCallInfo | undefined> {
    const record = await this.#storage.load(this.recordId(callId));
    const m = record?.metadata;
    if (m?.[MetadataKeyRecordKind] !== RecordKind.ParkedCall) return undefined;
    const sessionId = m[Keys.session];
    const workloadId = m[Keys.workload];
    let requestId: unknown;
    try {
      requestId = JSON.parse(m[Keys.request] ?? "");
    } catch {
      return undefined;
    }
    if (
      sessionId === undefined ||
      workloadId === undefined ||
      (typeof requestId !== "string" && typeof requestId !== "number")
    ) {
      return undefined;
    }
    return { sessionId, workloadId, requestId };
  }
}

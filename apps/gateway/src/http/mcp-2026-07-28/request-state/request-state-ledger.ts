import type { SessionStorage } from "@vmcp/session-core";
import { MetadataKeyRecordKind, RecordKind } from "@vmcp/session-keys";
import type { RequestStateKey } from "./request-state-key.js";

/**
 * Default time a used nonce's record outlives its state's deadline: 60,000 ms. Replicas and the
 * store do not share one clock; a replica whose clock runs behind still accepts a state the store
 * already thinks expired, so the record must still be there to refuse the replay.
 */
export const DefaultRetainAfterExpiryMs = 60_000;

/** Options of {@link RequestStateLedger}. */
export interface RequestStateLedgerOptions {
  /**
   * How long a used nonce's record is kept past its state's deadline, ms: the clock skew between
   * replicas (and the store) the ledger tolerates. Default {@link DefaultRetainAfterExpiryMs}.
   */
  readonly retainAfterExpiryMs?: number;
}

/**
 * Makes every `requestState` single-use across replicas, in the configured `SessionStorage`: the
 * first `consume` of a nonce creates a record (create-if-absent, atomic in every store: `SET NX`
 * in Redis), every later one, on any replica, finds it and is refused. The record's ID is a keyed
 * hash of the nonce (`RequestStateKey.ledgerRecordId`, a valid session ID that a client cannot
 * compute), its metadata only `vmcp.kind: request-state` (so the sessions CLI tells it from a
 * session), and it expires on its own `retainAfterExpiryMs` after the state's deadline.
 */
export class RequestStateLedger {
  readonly #storage: SessionStorage;
  readonly #key: RequestStateKey;
  readonly #retainMs: number;

  /**
   * @param storage the gateway's configured store (shared by every replica).
   * @param key the same key the states are sealed with (the ledger's IDs derive from it).
   * @throws {RangeError} for a negative or non-integer `retainAfterExpiryMs`.
   */
  constructor(
    storage: SessionStorage,
    key: RequestStateKey,
    options: RequestStateLedgerOptions = {},
  ) {
    const retain = options.retainAfterExpiryMs ?? DefaultRetainAfterExpiryMs;
    if (!Number.isSafeInteger(retain) || retain < 0) {
      throw new RangeError(`retainAfterExpiryMs must be a non-negative integer, got ${retain}`);
    }
    this.#storage = storage;
    this.#key = key;
    this.#retainMs = retain;
  }

  /**
   * Records `nonce` as used, atomically. Resolves `true` for the one call (on any replica) that
   * recorded it, `false` for every other: the state was used before. Ask it only after the state
   * opened (so an expired state is refused as expired, never recorded).
   * @param nonce the opened state's nonce.
   * @param expiresAt the opened state's deadline, epoch ms; the record lives `retainAfterExpiryMs`
   *   longer.
   * @throws {StorageUnavailableError} when the store cannot be reached in its bounded time, and
   *   `StorageClosedError` after the store's `close()`, unchanged: the caller answers the request
   *   with the gateway's `rpcErrorOf` mapping (JSON-RPC -32000 "session store unavailable",
   *   `data.code` `VMCP_STORAGE_UNAVAILABLE` or `VMCP_STORAGE_CLOSED`), never as an invalid
   *   state. The nonce may still be recorded (a write that reached the store before its answer
   *   was lost, or that the client library sends from its queue once the store is back), so the
   *   same state may then be refused as `replayed`: single use fails closed, and the client starts
   *   the request over without a state.
   */
  consume(nonce: string, expiresAt: number): Promise<boolean> {
    return this.#storage.create({
      id: this.#key.ledgerRecordId(nonce),
      metadata: { [MetadataKeyRecordKind]: RecordKind.RequestState },
      expiresAt: expiresAt + this.#retainMs,
    });
  }
}

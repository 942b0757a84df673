import { randomBytes } from "node:crypto";
import { generateSessionId } from "@vmcp/session-core";
import { countParkedLoss, parkedInstruments } from "../../../telemetry/parked-instruments.js";
import type { ParkableCall, ParkingLot } from "./parkable-call.js";
import { TooManyParkedCallsError } from "./parked-errors.js";

/** Default bound on the calls one replica holds parked for client input: 256. */
export const DefaultMaxParkedCalls = 256;
/** Default longest wait of a parked call for its client's retry: 60,000 ms. */
export const DefaultParkTimeoutMs = 60_000;
/** Default time the backend requests that arrive together are gathered into one round: 20 ms. */
export const DefaultParkBatchMs = 20;
/** Default bound on the notifications a parked call keeps for its next retry: 64. */
export const DefaultMaxParkedNotifications = 64;

/** Random bytes of a parked call's ID: 16 (128 bits), base64url in 22 characters. */
const CallIdBytes = 16;

/**
 * The calls one replica holds parked for their clients' input: a bounded table (`limit` places;
 * a call takes one at its backend's first mid-call request and gives it back when it ends), each
 * under a random 128-bit call ID, beside this replica's random ID (its bus address). The call ID
 * and the replica ID travel in the client's sealed `requestState`, so only the client holding
 * that state can name the call. The places taken are `vmcp.calls.parked`; a call the replica
 * closes on is counted lost (`vmcp.calls.parked.lost`, `replica_closing`).
 */
export class ParkedCalls implements ParkingLot {
  /** This replica's ID: random, 32 base64url characters, new with each process. */
  readonly replicaId = generateSessionId();
  readonly #limit: number;
  readonly #calls = new Map<string, ParkableCall>();
  #dropped = 0;

  /** @throws {RangeError} for a `limit` that is not a positive integer. */
  constructor(limit: number = DefaultMaxParkedCalls) {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`maxParkedCalls must be a positive integer, got ${String(limit)}`);
    }
    this.#limit = limit;
  }

  /** Calls holding a place now. */
  get size(): number {
    return this.#calls.size;
  }

  /** Notifications of parked calls dropped so far (over `maxBufferedNotifications`). */
  get droppedNotifications(): number {
    return this.#dropped;
  }

  /** @throws {TooManyParkedCallsError} when the table is full. */
  claim(call: ParkableCall): string {
    if (this.#calls.size >= this.#limit) throw new TooManyParkedCallsError(this.#limit);
    const callId = randomBytes(CallIdBytes).toString("base64url");
    this.#calls.set(callId, call);
    parkedInstruments().parked.add(1);
    return callId;
  }

  release(callId: string): void {
    if (this.#calls.delete(callId)) parkedInstruments().parked.add(-1);
  }

  dropped(count: number): void {
    this.#dropped += count;
  }

  /** The call `callId` while it holds a place. */
  get(callId: string): ParkableCall | undefined {
    return this.#calls.get(callId);
  }

  /**
   * Ends every call holding a place as gone (their backend requests get `notifications/cancelled`;
   * a retry waiting on one gets -32004): the replica is closing.
   */
  close(): void {
    for (const call of [...this.#calls.values()]) {
      countParkedLoss("replica_closing");
      call.close("its replica is closing");
    }
    for (const callId of [...this.#calls.keys()]) this.release(callId);
  }
}

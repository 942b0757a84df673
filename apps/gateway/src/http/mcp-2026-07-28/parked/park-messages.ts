/**
 * The messages that resume a parked call across replicas, on the session message bus. Each
 * replica listens on a channel of its own, {@link parkChannel}; a retry's replica sends `resume`
 * to the holder's, and the holder answers on the retry replica's (`replyTo`): at once `ack` (or
 * `gone`), then the call's notifications (`note`), a `beat` every heartbeat while the backend
 * works, and finally `done` with the result (for another round, the parked route beside it) or
 * the JSON-RPC error. `cancel` goes back when the retry's caller leaves.
 */

/** The bus channel (a session ID the bus accepts) of replica `replicaId`'s parked calls. */
export function parkChannel(replicaId: string): string {
  return `vmcp:parked:${replicaId}`;
}

/** A retry's answers for a parked call, to its holder. */
export interface ResumeMessage {
  readonly k: "resume";
  readonly callId: string;
  /** Names this resume in every answer (random). */
  readonly resumeId: string;
  /** The retry replica's ID: the answers go to its channel. */
  readonly replyTo: string;
  readonly inputResponses: Readonly<Record<string, unknown>>;
  /** Whether the retry asked for progress (its own token is put back on the way). */
  readonly progress: boolean;
  /** Whether the retry set a log level. */
  readonly logs: boolean;
}

/** The retry's caller left: the holder cancels the call. */
export interface CancelMessage {
  readonly k: "cancel";
  readonly callId: string;
  readonly resumeId: string;
}

/** A holder's answer to one resume. */
export type HolderMessage =
  | { readonly k: "ack" | "gone" | "beat"; readonly resumeId: string }
  | { readonly k: "note"; readonly resumeId: string; readonly n: Record<string, unknown> }
  | {
      readonly k: "done";
      readonly resumeId: string;
      readonly result: Record<string, unknown>;
      /** For another `input_required` round: the call's route (the same call). */
      readonly parked?: { readonly replicaId: string; readonly callId: string };
    }
  | {
      readonly k: "done";
      readonly resumeId: string;
      readonly error: { readonly code: number; readonly message: string; readonly data?: unknown };
    };

/** Any message on a parked-call channel. */
export type ParkMessage = ResumeMessage | CancelMessage | HolderMessage;

/** A message read off the bus, or `undefined` for one that is not ours (ignored). */
export function readParkMessage(text: string): ParkMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const m = parsed as Record<string, unknown>;
  if (typeof m.resumeId !== "string") return undefined;
  switch (m.k) {
    case "resume":
      return typeof m.callId === "string" &&
        typeof m.replyTo === "string" &&
        typeof m.inputResponses === "object" &&
        m.inputResponses !== null
        ? (m as unknown as ResumeMessage)
        : undefined;
    case "cancel":
      return typeof m.callId === "string" ? (m as unknown as CancelMessage) : undefined;
    case "ack":
    case "gone":
    case "beat":
    case "note":
    case "done":
      return m as unknown as HolderMessage;
    default:
      return undefined;
  }
}

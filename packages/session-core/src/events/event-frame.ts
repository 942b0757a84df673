import { readServerEvent, type ServerEvent } from "./server-event.js";

/** The version of the frame format below; a frame of another version is refused. */
export const EventFrameVersion = 1;

/** The longest source ID a frame may carry, in characters. */
const MaxSourceLength = 64;

/**
 * One message on the server events channel, as JSON:
 * `{"v":1,"source":"<publisher>","seq":<n>,"event":{...}}`. `source` names the publishing
 * adapter (random per instance) and `seq` counts its messages from 1, so a receiver can tell
 * that messages of a source went missing. A frame without `event` is a probe: it only carries the
 * count forward.
 */
export interface EventFrame {
  /** The publishing adapter's ID: 1 to 64 characters. */
  readonly source: string;
  /** The frame's number within its source: 1, 2, 3, ... */
  readonly seq: number;
  /** The event, absent on a probe. */
  readonly event?: ServerEvent;
}

/** The frame as one JSON string. */
export function encodeFrame(frame: EventFrame): string {
  return JSON.stringify({ v: EventFrameVersion, ...frame });
}

/**
 * Reads a frame from a bus message: the frame, with its event rebuilt from the known fields
 * only, or a sentence saying why the message is not a frame.
 */
export function decodeFrame(message: string): EventFrame | string {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return "the message is not JSON";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "the message is not a JSON object";
  }
  const { v, source, seq, event } = value as Record<string, unknown>;
  if (v !== EventFrameVersion)
    return `the frame's version ${String(v)} is not ${EventFrameVersion}`;
  if (typeof source !== "string" || source === "" || source.length > MaxSourceLength) {
    return `the frame's source is not a string of 1 to ${MaxSourceLength} characters`;
  }
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1) {
    return "the frame's seq is not a positive integer";
  }
  if (event === undefined) return { source, seq };
  const read = readServerEvent(event);
  if (typeof read === "string") return read;
  return { source, seq, event: read };
}

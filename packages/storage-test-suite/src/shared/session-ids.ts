import { generateSessionId } from "@vmcp/session-core";

/** A fresh, valid session ID for one test. */
export function newId(): string {
  return generateSessionId();
}

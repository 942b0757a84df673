import { generateSessionId } from "@vmcp/session-core/storage";

/** A fresh, valid session ID for one test. */
export function newId(): string {
  return generateSessionId();
}

import { BusMessageTooLargeError, InvalidSessionInputError } from "./errors.js";

/**
 * Checks a message before a bus publishes it, as every `SessionMessageBus` must before any I/O
 * (after the session ID and the closed check): a string of at most `maxMessageBytes` UTF-8 bytes.
 * @throws {InvalidSessionInputError} when `message` is not a string.
 * @throws {BusMessageTooLargeError} when it is over `maxMessageBytes`.
 */
export function checkBusMessage(message: unknown, maxMessageBytes: number): void {
  if (typeof message !== "string") {
    throw new InvalidSessionInputError(`a bus message must be a string, got ${typeof message}`);
  }
  const bytes = Buffer.byteLength(message, "utf8");
  if (bytes > maxMessageBytes) throw new BusMessageTooLargeError(bytes, maxMessageBytes);
}

/**
 * What a bus does by default when a subscription's handler throws (the contract forbids it): a
 * process warning naming the session. The other subscriptions still get the message.
 */
export function warnBusHandlerError(error: unknown, sessionId: string): void {
  process.emitWarning(
    `a message bus handler for session ${JSON.stringify(sessionId)} threw: ${String(error)}`,
  );
}

import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../error-codes.js";

/**
 * A message on the server events channel that is not a server event frame (not JSON, another
 * frame version, an unknown kind, a `resource_updated` without a URI, over the size bound...).
 * The adapter drops it, hands this error to its `onError`, and goes on.
 */
export class ServerEventDecodeError extends VmcpSessionError {
  readonly code = ErrorCode.ServerEventDecode;
  /** The channel (reserved session ID) the message came on. */
  readonly channelId: string;

  constructor(channelId: string, reason: string) {
    super(`dropped a message on the server events channel ${JSON.stringify(channelId)}: ${reason}`);
    this.channelId = channelId;
  }
}

import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../../error-codes.js";

/**
 * A 2025-era session's `resources/subscribe` to a modern backend that the replica cannot follow:
 * its backend listens follow `modern.maxResourceSubscriptions` distinct URIs already (2026-07-28
 * listen streams' and 2025-era subscriptions' together). -32005; nothing is subscribed.
 */
export class ResourceSubscriptionLimitError extends VmcpSessionError {
  readonly code = ErrorCode.TooManyResourceSubscriptions;
  readonly workloadId: string;
  readonly uri: string;

  constructor(workloadId: string, uri: string) {
    super(
      `resource ${JSON.stringify(uri)} of backend ${JSON.stringify(workloadId)} not subscribed: this replica follows its bound of resource URIs (modern.maxResourceSubscriptions)`,
    );
    this.workloadId = workloadId;
    this.uri = uri;
  }
}

/**
 * `resources/subscribe` or `resources/unsubscribe` sent to a modern backend's connection that
 * declares no `resources.subscribe` (the backend declares none, or the replica has no feed of
 * resource updates), or without a `uri`: `VMCP_UNSUPPORTED_REQUEST` (-32601), nothing followed.
 */
export class SubscriptionNotServedError extends VmcpSessionError {
  readonly code = ErrorCode.UnsupportedRequest;
  readonly workloadId: string;

  constructor(workloadId: string, method: string) {
    super(`${method} is not served for backend ${JSON.stringify(workloadId)}`);
    this.workloadId = workloadId;
  }
}

/**
 * The metadata keys of what a client asked of a session beyond its backends: the logging level it
 * set, the resources it subscribed to and the tasks its calls created. A replica that restores
 * the session reads them to apply the level again, renew the subscriptions and route task
 * requests to the backend that owns the task. One key per subscription and per task, so two
 * replicas writing at once lose neither.
 */

/** The level the client set with `logging/setLevel` (an RFC 5424 name such as `info`). */
export const MetadataKeyLoggingLevel = "vmcp.logging.level";

/**
 * The key prefix of a resource subscription: the full key is the prefix followed by the URI,
 * percent-encoded (see {@link subscriptionKey}); the value is the workload ID of the backend
 * that holds the subscription.
 */
export const MetadataKeySubscriptionPrefix = "vmcp.subscription.";

/**
 * The key prefix of a task route: the full key is the prefix followed by the task ID,
 * percent-encoded (see {@link taskRouteKey}); the value is the workload ID of the backend that
 * owns the task.
 */
export const MetadataKeyTaskRoutePrefix = "vmcp.task.";

/** The metadata key of a subscription to `uri`. */
export function subscriptionKey(uri: string): string {
  return MetadataKeySubscriptionPrefix + encodeURIComponent(uri);
}

/** The metadata key of the route of task `taskId`. */
export function taskRouteKey(taskId: string): string {
  return MetadataKeyTaskRoutePrefix + encodeURIComponent(taskId);
}

/** The URI of a subscription key; `undefined` for any other key or a key that does not decode. */
export function parseSubscriptionKey(key: string): string | undefined {
  return decodeSuffix(key, MetadataKeySubscriptionPrefix);
}

/** The task ID of a task route key; `undefined` for any other key or a key that does not decode. */
export function parseTaskRouteKey(key: string): string | undefined {
  return decodeSuffix(key, MetadataKeyTaskRoutePrefix);
}

function decodeSuffix(key: string, prefix: string): string | undefined {
  if (!key.startsWith(prefix) || key.length === prefix.length) return undefined;
  try {
    return decodeURIComponent(key.slice(prefix.length));
  } catch {
    return undefined;
  }
}

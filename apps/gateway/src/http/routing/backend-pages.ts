import { BackendSessionExpiredError, BackendUnavailableError } from "@vmcp/session-core";
import { type ListSpec, offeringBackends } from "./list-specs.js";
import type { Params } from "./params.js";
import type { ServedSession } from "./session-service.js";

/** Longest pagination walk followed when building a route table, so a looping backend cannot hang it. */
const MaxPages = 1_000;

/**
 * Every item of one list on every backend of the session that offers it, each backend's pages
 * walked in parallel (at most 1,000 pages each), in the session's backend order. A backend that
 * failed for good and left the session meanwhile counts as an empty list.
 */
export async function everyPage(
  session: ServedSession,
  method: string,
  spec: ListSpec,
): Promise<Array<readonly [string, Params[]]>> {
  const backends = offeringBackends(session, spec);
  const lists = await Promise.all(
    backends.map(async (workloadId) => {
      const all: Params[] = [];
      let cursor: string | undefined;
      try {
        for (let i = 0; i < MaxPages; i++) {
          const page = await session.request(
            workloadId,
            method,
            cursor === undefined ? {} : { cursor },
          );
          const items = page[spec.field];
          if (Array.isArray(items)) all.push(...(items as Params[]));
          cursor =
            typeof page.nextCursor === "string" && page.nextCursor !== ""
              ? page.nextCursor
              : undefined;
          if (cursor === undefined) break;
        }
      } catch (error) {
        if (isBackendFailure(error) && !session.backendIds.includes(workloadId)) return [];
        throw error;
      }
      return all;
    }),
  );
  return backends.map((w, i) => [w, lists[i] ?? []] as const);
}

/** Whether `error` is a backend's failure (unreachable, or its session expired). */
export function isBackendFailure(error: unknown): boolean {
  return error instanceof BackendUnavailableError || error instanceof BackendSessionExpiredError;
}

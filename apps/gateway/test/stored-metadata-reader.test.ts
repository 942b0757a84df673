import { ReferenceStorage } from "@vmcp/session-core/testing";
import { subscriptionKey, taskRouteKey } from "@vmcp/session-keys";
import { describe, expect, it } from "vitest";
import type { ServedSession } from "../dist/http/routing/session-service.js";
import { StoredSessionState } from "../dist/http/routing/session-state.js";
import { storedMetadataReader } from "../dist/http/routing/stored-metadata.js";

/** A session on this replica that holds none of the routes: another replica stored them. */
function servedSession(id: string): ServedSession {
  return { id, backendIds: ["jobs"], getMetadata: () => ({}) } as unknown as ServedSession;
}

/** A store holding `id` with a task route and a subscription another replica wrote. */
async function storedByAnotherReplica(id: string): Promise<ReferenceStorage> {
  const storage = new ReferenceStorage();
  await storage.create({
    id,
    metadata: { [taskRouteKey("t-1")]: "jobs", [subscriptionKey("jobs://feed")]: "jobs" },
  });
  return storage;
}

describe("the stored metadata the router reads back", () => {
  it("comes from the manager's last load while the session is live here: no store read", async () => {
    const storage = await storedByAnotherReplica("s-live");
    const lastLoad = (await storage.load("s-live"))?.metadata;
    const manager = { storedMetadata: (id: string) => (id === "s-live" ? lastLoad : undefined) };
    const state = new StoredSessionState(storage, storedMetadataReader(manager, storage));
    const loads = storage.calls.load;
    const session = servedSession("s-live");
    expect(await state.taskOwner(session, "t-1")).toBe("jobs");
    expect(await state.subscriptionOwner(session, "jobs://feed")).toBe("jobs");
    expect(storage.calls.load).toBe(loads);
  });

  it("is loaded from the store when the session is not live here", async () => {
    const storage = await storedByAnotherReplica("s-elsewhere");
    const manager = { storedMetadata: () => undefined };
    const state = new StoredSessionState(storage, storedMetadataReader(manager, storage));
    const loads = storage.calls.load;
    expect(await state.taskOwner(servedSession("s-elsewhere"), "t-1")).toBe("jobs");
    expect(storage.calls.load - loads).toBe(1);
    await expect(state.taskOwner(servedSession("s-elsewhere"), "t-2")).rejects.toMatchObject({
      code: "VMCP_UNKNOWN_TASK",
    });
  });
});

/**
 * How a session names the tools (and prompts) of its backends:
 * - `"prefix-on-conflict"` (default): a name offered by one backend only is exposed as is; a
 *   name offered by two or more backends is exposed as `${workloadId}__${name}` for each of them.
 * - `"always-prefix"`: every name is exposed as `${workloadId}__${name}`.
 */
export type ToolNaming = "prefix-on-conflict" | "always-prefix";

/** The separator between workload ID and name in a prefixed name: two underscores. */
export const ToolNameSeparator = "__";

/** One item offered by a backend, under the name the session exposes. */
export interface ExposedItem<T> {
  /** The name the client sees. */
  readonly exposedName: string;
  /** The backend that offers it. */
  readonly workloadId: string;
  /** The backend's own item (with its own name). */
  readonly item: T;
}

/**
 * Names every item of every backend by `naming`. Backends are taken in the order given (the
 * session passes them sorted by workload ID), items in the backend's order. If an exposed name
 * still collides (a backend's own name happens to equal another's prefixed name), the first wins.
 */
export function exposeNames<T extends { readonly name: string }>(
  byBackend: ReadonlyArray<readonly [workloadId: string, items: readonly T[]]>,
  naming: ToolNaming,
): ExposedItem<T>[] {
  const owners = new Map<string, Set<string>>();
  for (const [workloadId, items] of byBackend) {
    for (const item of items) {
      const set = owners.get(item.name) ?? new Set<string>();
      set.add(workloadId);
      owners.set(item.name, set);
    }
  }
  const exposed: ExposedItem<T>[] = [];
  const taken = new Set<string>();
  for (const [workloadId, items] of byBackend) {
    for (const item of items) {
      const conflict = (owners.get(item.name)?.size ?? 0) > 1;
      const name =
        naming === "always-prefix" || conflict
          ? `${workloadId}${ToolNameSeparator}${item.name}`
          : item.name;
      if (taken.has(name)) continue;
      taken.add(name);
      exposed.push({ exposedName: name, workloadId, item });
    }
  }
  return exposed;
}

/**
 * The session IDs and deadlines every store-redis benchmark writes, so the benches (and the
 * redis-storage bench's seeding script, which writes the same `session-%08d` IDs) agree.
 */

/** The ID of the bench's `i`-th session: `session-` and `i` zero-padded to 8 digits. */
export const idOf = (i: number): string => `session-${String(i).padStart(8, "0")}`;

/** A deadline 30 minutes from now, epoch ms: no bench session expires while it runs. */
export const deadline = (): number => Date.now() + 30 * 60_000;

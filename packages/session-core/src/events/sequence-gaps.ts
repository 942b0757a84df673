/**
 * Remembers the last frame number seen from each source and tells how many frames went missing
 * before a new one. Bounded: past `maxSources`, the source heard from least recently is
 * forgotten (a forgotten source that speaks again counts as new, so no gap is seen for it).
 */
export class SequenceGaps {
  readonly #last = new Map<string, number>();
  readonly #maxSources: number;

  /** @param maxSources the most sources remembered at once (a positive integer). */
  constructor(maxSources: number) {
    this.#maxSources = maxSources;
  }

  /** How many sources are remembered now. */
  get size(): number {
    return this.#last.size;
  }

  /**
   * Records frame `seq` of `source` and returns how many frames of that source were skipped
   * since the last one seen: 0 for the next number, for a source not seen before, and for a
   * number at or below the last one (a late frame: it is not counted twice, and the last number
   * stays).
   */
  observe(source: string, seq: number): number {
    const last = this.#last.get(source);
    if (last !== undefined && seq <= last) return 0;
    // Re-inserted, so the map's order is the order sources were last heard from.
    this.#last.delete(source);
    this.#last.set(source, seq);
    if (this.#last.size > this.#maxSources) {
      const oldest = this.#last.keys().next().value;
      if (oldest !== undefined) this.#last.delete(oldest);
    }
    return last === undefined ? 0 : seq - last - 1;
  }
}

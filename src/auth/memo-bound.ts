/** How many of its own bound a memo that did not pay rests for, in entries it would have taken. */
const REST_BOUNDS = 16;

/**
 * When a memo bounded to `max` entries, started afresh when full (no per-hit bookkeeping), takes
 * a new entry. While it pays (at least as many hits as entries taken since it last started
 * afresh), always. When it filled up mostly unused (more questions go round than it holds, so
 * entries are dropped before they are asked again), it rests, taking none for a while: an entry
 * taken only to be dropped costs its allocation and, living long enough to be promoted, garbage
 * for the old generation; a hit path with such a memo cost twice what it cost without one.
 */
export class MemoBound {
  private hits = 0;
  private taken = 0;
  private resting = 0;

  constructor(
    /** Entries the memo may hold. */
    readonly max: number,
  ) {}

  /** Counts a question the memo answered. */
  hit(): void {
    this.hits += 1;
  }

  /**
   * Whether the memo (holding `size` entries) takes a new one now; when full it is emptied here
   * (`memo.clear()`) first, or left empty to rest if it did not pay.
   */
  admit(size: number, memo: { clear(): void }): boolean {
    if (this.resting > 0) {
      this.resting -= 1;
      return false;
    }
    if (size >= this.max) {
      memo.clear();
      const paid = this.hits >= this.taken;
      this.hits = 0;
      this.taken = 0;
      if (!paid) {
        this.resting = this.max * REST_BOUNDS;
        return false;
      }
    }
    this.taken += 1;
    return true;
  }
}

/**
 * The keys written or deleted for a down server while its traffic went elsewhere. On recovery they
 * are deleted from the server (its copies predate those writes) and from where the fallback wrote
 * them (so no copy outlives the outage). Bounded: past `capacity` the journal only remembers that
 * it overflowed, and recovery must then flush the server instead.
 */
export class OutageJournal {
  private readonly entries = new Map<string, Set<string>>();
  private size = 0;
  /** True once more keys were written than the journal can hold. */
  overflowed = false;

  constructor(private readonly capacity: number) {}

  /** Records that `wireKey` was written for the down server, on `fallbackAddress` if any. */
  record(wireKey: string, fallbackAddress: string | undefined): void {
    if (this.overflowed) return;
    let places = this.entries.get(wireKey);
    if (!places) {
      if (this.size >= this.capacity) {
        this.overflowed = true;
        this.entries.clear();
        this.size = 0;
        return;
      }
      places = new Set();
      this.entries.set(wireKey, places);
      this.size += 1;
    }
    if (fallbackAddress !== undefined) places.add(fallbackAddress);
  }

  /** Number of distinct keys recorded. */
  get keyCount(): number {
    return this.size;
  }

  /** The recorded keys with the fallback servers each was written to. */
  keys(): IterableIterator<[string, ReadonlySet<string>]> {
    return this.entries.entries();
  }

  /** Forgets everything after a successful recovery. */
  clear(): void {
    this.entries.clear();
    this.size = 0;
    this.overflowed = false;
  }
}

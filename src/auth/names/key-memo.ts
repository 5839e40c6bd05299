/**
 * The memo of keys computed by MySQL, bounded in bytes (least recently used first out), so
 * hostile names cannot grow it without limit: an entry costs its name and key as UTF-16 plus a
 * fixed overhead, and an entry larger than a sixteenth of the budget is not kept at all.
 */
export class KeyMemo {
  private readonly entries = new Map<string, string | null>();
  private used = 0;

  constructor(
    /** Most bytes the memo holds. */
    readonly budgetBytes: number,
  ) {}

  /** A memoized key part (`null`: no row can match), or undefined when not memoized. */
  get(name: string): string | null | undefined {
    const value = this.entries.get(name);
    if (value === undefined) return undefined;
    // Most recently used goes last.
    this.entries.delete(name);
    this.entries.set(name, value);
    return value;
  }

  /** Remembers a key part, evicting the least recently used entries beyond the budget. */
  set(name: string, value: string | null): void {
    const cost = entryBytes(name, value);
    if (cost > this.budgetBytes / 16) return;
    const previous = this.entries.get(name);
    if (previous !== undefined) this.used -= entryBytes(name, previous);
    this.entries.delete(name);
    this.entries.set(name, value);
    this.used += cost;
    for (const [oldest, kept] of this.entries) {
      if (this.used <= this.budgetBytes) break;
      this.entries.delete(oldest);
      this.used -= entryBytes(oldest, kept);
    }
  }

  /** Forgets everything (the collation changed). */
  clear(): void {
    this.entries.clear();
    this.used = 0;
  }

  /** Entries and their accounted bytes. */
  stats(): { readonly entries: number; readonly bytes: number } {
    return { entries: this.entries.size, bytes: this.used };
  }
}

/** Map entry overhead, strings' headers included, as V8 lays them out (rounded up). */
const ENTRY_OVERHEAD_BYTES = 96;

function entryBytes(name: string, value: string | null): number {
  return ENTRY_OVERHEAD_BYTES + 2 * (name.length + (value?.length ?? 0));
}

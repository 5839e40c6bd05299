/**
 * The location service: bindings of an address of record to contacts, in this process's memory,
 * each with its expiry (Kamailio's registrar + usrloc with `db_mode` 0). AORs are compared
 * case-insensitively, by user only unless `useDomain` (usrloc's `use_domain`).
 */

/** One contact bound to an AOR. */
export interface Binding {
  /** The Contact URI, as registered. */
  readonly contact: string;
  /** When it expires (ms since the epoch). */
  readonly expiresAt: number;
}

/** Registrar limits, as Kamailio's registrar module parameters. */
export interface RegistrarOptions {
  /** Seconds when the REGISTER names none (`default_expires`). @default 3600 */
  readonly defaultExpiresS?: number;
  /** Non-zero expiries below this are raised to it (`min_expires`). @default 60 */
  readonly minExpiresS?: number;
  /** Expiries above this are lowered to it; 0 for no limit (`max_expires`). @default 0 */
  readonly maxExpiresS?: number;
  /** The clock. @default Date.now */
  readonly now?: () => number;
}

/** A contact change asked for by a REGISTER: `expiresS` 0 removes it. */
export interface ContactUpdate {
  readonly contact: string;
  /** The contact's `expires` parameter or the Expires header, if either was given. */
  readonly expiresS: number | undefined;
}

/** In-memory bindings with expiry. */
export class Registrar {
  private readonly bindings = new Map<string, Map<string, number>>();
  private readonly defaultExpiresS: number;
  private readonly minExpiresS: number;
  private readonly maxExpiresS: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly useDomain: boolean,
    options: RegistrarOptions = {},
  ) {
    this.defaultExpiresS = options.defaultExpiresS ?? 3600;
    this.minExpiresS = options.minExpiresS ?? 60;
    this.maxExpiresS = options.maxExpiresS ?? 0;
    this.now = options.now ?? Date.now;
    // Expired bindings are never returned; the sweep only frees their memory.
    this.sweeper = setInterval(() => this.sweep(), 30_000).unref();
  }

  /** Applies a REGISTER's contacts (or removes all of them for `Contact: *`) and returns the AOR's bindings. */
  update(user: string, domain: string, changes: readonly ContactUpdate[] | 'remove-all'): Binding[] {
    const key = this.key(user, domain);
    if (changes === 'remove-all') {
      this.bindings.delete(key);
      return [];
    }
    const contacts = this.bindings.get(key) ?? new Map<string, number>();
    for (const change of changes) {
      const expiresS = this.expiry(change.expiresS);
      if (expiresS === 0) contacts.delete(change.contact);
      else contacts.set(change.contact, this.now() + expiresS * 1000);
    }
    if (contacts.size === 0) this.bindings.delete(key);
    else this.bindings.set(key, contacts);
    return this.lookup(user, domain);
  }

  /** The AOR's unexpired bindings, the most recently refreshed first. */
  lookup(user: string, domain: string): Binding[] {
    const contacts = this.bindings.get(this.key(user, domain));
    if (!contacts) return [];
    const now = this.now();
    return [...contacts]
      .filter(([, expiresAt]) => expiresAt > now)
      .map(([contact, expiresAt]) => ({ contact, expiresAt }))
      .sort((a, b) => b.expiresAt - a.expiresAt);
  }

  /** Stops the background sweep. */
  close(): void {
    clearInterval(this.sweeper);
  }

  private expiry(requested: number | undefined): number {
    const seconds = requested ?? this.defaultExpiresS;
    if (seconds === 0) return 0;
    const raised = Math.max(seconds, this.minExpiresS);
    return this.maxExpiresS > 0 ? Math.min(raised, this.maxExpiresS) : raised;
  }

  private key(user: string, domain: string): string {
    return (this.useDomain ? `${user}@${domain}` : user).toLowerCase();
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, contacts] of this.bindings) {
      for (const [contact, expiresAt] of contacts) if (expiresAt <= now) contacts.delete(contact);
      if (contacts.size === 0) this.bindings.delete(key);
    }
  }
}

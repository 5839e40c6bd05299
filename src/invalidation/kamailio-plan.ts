/**
 * What a change means for Kamailio's own caches: which htable keys to delete, which tables to
 * flush, whether to reload the permissions module's address table.
 *
 * A table keyed by the name as the database folds it (`names: folded`, which the generated htable
 * route does) gets exact deletes: every spelling the database equates has the one key the
 * collation gives (read from the column, as for authring's own keys). A table keyed by the name as
 * the request spells it (`$fU::ipauth`) cannot be covered key by key, so it is flushed.
 */
import type { AuthCache } from '../auth/auth-cache.js';
import type { KamailioConfig, KamailioHtableConfig } from '../config/types.js';
import { DOMAIN_CLASS, USER_CLASS } from '../kamailio/cfg-text.js';
import type { Change } from './changes.js';

/** One thing to tell a Kamailio node. */
export type KamailioOperation =
  | { readonly kind: 'delete'; readonly table: string; readonly key: string }
  | { readonly kind: 'flush'; readonly table: string }
  | { readonly kind: 'address-reload' };

/** Something that changed, as the invalidation layer knows it. */
export type KamailioIntent =
  /** One membership (a `grp` row, or `invalidate group`). */
  | { readonly kind: 'group'; readonly user: string; readonly domain: string; readonly group: string }
  /** One subscriber (a `subscriber` row). */
  | { readonly kind: 'credentials'; readonly user: string; readonly domain: string }
  /** Everything about a user (`invalidate user`): credentials and every group. */
  | { readonly kind: 'user'; readonly user: string; readonly domain: string }
  /** The address table. */
  | { readonly kind: 'addresses' }
  /** Everything (`invalidate namespace`, or changes the watcher can no longer read). */
  | { readonly kind: 'everything' };

/** Folds a name as one column's collation does (the key part authring's keys hold). */
type Fold = (name: string) => Promise<string | undefined>;
type Folds = { readonly user: Fold; readonly domain: Fold };

/** Turns intents into operations for the configured htables. */
export class KamailioPlanner {
  private constructor(
    private readonly config: KamailioConfig,
    private readonly grp: Folds & { readonly group: Fold },
    private readonly subscriber: Folds,
  ) {}

  /** A planner folding names by the collations of the lookups' columns (as `auth` keys them). */
  static create(auth: AuthCache, config: KamailioConfig): Promise<KamailioPlanner> {
    const fold = (table: string, column: string): Fold => (name) => auth.namePart({ table, column }, name);
    const { group: g, credentials: c } = auth.database.tables;
    return Promise.resolve(
      new KamailioPlanner(
        config,
        { user: fold(g.table, g.userColumn), domain: fold(g.table, g.domainColumn), group: fold(g.table, g.groupColumn) },
        { user: fold(c.table, c.userColumn), domain: fold(c.table, c.domainColumn) },
      ),
    );
  }

  /** The intents of change-log rows. */
  static intentsOf(changes: readonly Change[]): KamailioIntent[] {
    return changes.flatMap((change): KamailioIntent[] => {
      const user = change.username ?? '';
      const domain = change.domain ?? '';
      if (change.tbl === 'grp') return [{ kind: 'group', user, domain, group: change.grp ?? '' }];
      if (change.tbl === 'subscriber') return [{ kind: 'credentials', user, domain }];
      if (change.tbl === 'address') return [{ kind: 'addresses' }];
      return [];
    });
  }

  /** The operations for `intent`, in no particular order. */
  async plan(intent: KamailioIntent): Promise<KamailioOperation[]> {
    const reload: KamailioOperation[] = this.config.addressReload ? [{ kind: 'address-reload' }] : [];
    switch (intent.kind) {
      case 'addresses':
        return reload;
      case 'everything':
        return [...this.config.htables.map((t): KamailioOperation => ({ kind: 'flush', table: t.name })), ...reload];
      case 'credentials':
        return this.forTables('credentials', (t) => this.credentialsKey(t, intent.user, intent.domain));
      case 'group':
        return this.forGroupTables(intent.group, (t) => this.groupKey(t, intent.user, intent.domain));
      case 'user':
        return [
          ...(await this.forTables('credentials', (t) => this.credentialsKey(t, intent.user, intent.domain))),
          ...(await this.forTables('group', (t) => this.groupKey(t, intent.user, intent.domain))),
        ];
    }
  }

  private async forGroupTables(group: string, key: (t: KamailioHtableConfig) => Promise<string | undefined>): Promise<KamailioOperation[]> {
    const changed = await this.grp.group(group);
    const operations: KamailioOperation[] = [];
    for (const table of this.config.htables) {
      // A group no row can equal changes nothing; otherwise the collation decides what is equal.
      if (table.lookup !== 'group' || changed === undefined || (await this.grp.group(table.group ?? '')) !== changed) continue;
      operations.push(...(await this.operation(table, key)));
    }
    return operations;
  }

  private async forTables(lookup: KamailioHtableConfig['lookup'], key: (t: KamailioHtableConfig) => Promise<string | undefined>): Promise<KamailioOperation[]> {
    const operations: KamailioOperation[] = [];
    for (const table of this.config.htables) if (table.lookup === lookup) operations.push(...(await this.operation(table, key)));
    return operations;
  }

  private async operation(table: KamailioHtableConfig, key: (t: KamailioHtableConfig) => Promise<string | undefined>): Promise<KamailioOperation[]> {
    if (table.names === 'as-written') return [{ kind: 'flush', table: table.name }];
    const exact = await key(table);
    // A folded name outside the classes the route keys is never cached under any key.
    return exact === undefined ? [] : [{ kind: 'delete', table: table.name, key: exact }];
  }

  private async groupKey(table: KamailioHtableConfig, user: string, domain: string): Promise<string | undefined> {
    const n = this.grp;
    return render(table.key, await n.user(user), await n.domain(domain), await n.group(table.group ?? ''));
  }

  private async credentialsKey(table: KamailioHtableConfig, user: string, domain: string): Promise<string | undefined> {
    const n = this.subscriber;
    return render(table.key, await n.user(user), await n.domain(domain), '');
  }
}

/**
 * The key for folded names, or undefined when a name is outside the classes a route keys (a key
 * part keyed by weights, `%~…`, or percent-encoded, never is: no name a route caches folds to it).
 */
function render(template: string, user: string | undefined, domain: string | undefined, group: string | undefined): string | undefined {
  if (user === undefined || !USER_CLASS.test(user)) return undefined;
  if (template.includes('{domain}') && (domain === undefined || !DOMAIN_CLASS.test(domain))) return undefined;
  if (template.includes('{group}') && group === undefined) return undefined;
  return template.replace(/\{(user|domain|group)\}/g, (_all, name: string) => (name === 'user' ? user : name === 'domain' ? (domain ?? '') : (group ?? '')));
}

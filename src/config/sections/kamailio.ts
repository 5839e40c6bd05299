import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import { isNode, isScalar, type Node } from 'yaml';
import type { ConfigContext } from '../context.js';
import { bool, int, keysOf, ms, readFields, type Fields } from '../fields.js';
import { MapReader, type ListItem } from '../reader.js';

/** How authring reaches one Kamailio node's RPC interface (Kamailio's jsonrpcs module). */
export type KamailioRpcConfig =
  /** jsonrpcs over xhttp: `rpc: http://host:port/path`. */
  | { readonly transport: 'http'; readonly url: string }
  /**
   * jsonrpcs's FIFO on this host: `rpc: fifo:/path`; replies come through a FIFO authring creates
   * in `replyDir` (jsonrpcs's `fifo_reply_dir`).
   */
  | { readonly transport: 'fifo'; readonly path: string; readonly replyDir: string };

/** One entry of `kamailio.nodes:`. */
export interface KamailioNodeConfig {
  /** `name`: how events, metrics and errors name the node; unique. */
  readonly name: string;
  /** `rpc` (and `reply_dir` for a FIFO). */
  readonly rpc: KamailioRpcConfig;
}

/** What one Kamailio `htable` caches, and how its keys are built. */
export interface KamailioHtableConfig {
  /** `name`: the htable (`$sht(name=>…)`). */
  readonly name: string;
  /** `lookup`: `group` (answers of `is_user_in` for `group`) or `credentials` (a subscriber's HA1 or row). */
  readonly lookup: 'group' | 'credentials';
  /** `group`: the group, for `lookup: group`. */
  readonly group: string | undefined;
  /** `key`: the key with `{user}`, `{domain}`, `{group}` placeholders, e.g. `{user}::ipauth` for `$fU::ipauth`. */
  readonly key: string;
  /**
   * `names`: `folded` when the route keys by the name folded as the database compares it (the
   * generated route does), so one exact delete covers every spelling; `as-written` (`$fU` as the
   * request spells it) makes a change flush the table. @default 'as-written'
   */
  readonly names: 'folded' | 'as-written';
  /** `ttl_s`: the generated route's `autoexpire`. @default cache.ttl_s */
  readonly ttlSeconds: number;
}

/** `kamailio:` — Kamailio nodes whose own in-memory caches authring invalidates over RPC. */
export interface KamailioConfig {
  /** `nodes`: the Kamailio nodes to tell. @default [] */
  readonly nodes: readonly KamailioNodeConfig[];
  /** `htables`: the htables those nodes cache lookups in. @default [] */
  readonly htables: readonly KamailioHtableConfig[];
  /** `rpc_timeout_ms`: milliseconds one RPC may take. @default 1000 */
  readonly rpcTimeoutMs: number;
  /** `rpc_attempts`: tries of one RPC before the node is marked behind (then its tables are flushed once it answers). @default 3 */
  readonly rpcAttempts: number;
  /** `retry_interval_ms`: milliseconds between tries, and between probes of a node marked behind. @default 1000 */
  readonly retryIntervalMs: number;
  /** `address_reload`: run `permissions.addressReload` on every node when the address table changes. @default true */
  readonly addressReload: boolean;
  /** `rpc_clients`: the addresses the generated RPC listener accepts requests from (the watcher's). @default ['127.0.0.1'] */
  readonly rpcClients: readonly string[];
}

/** Defaults of `kamailio:` (no nodes: nothing to tell). An htable's `ttl_s` defaults to `cache.ttl_s`. */
export const KAMAILIO_DEFAULTS: KamailioConfig = {
  nodes: [],
  htables: [],
  rpcTimeoutMs: 1000,
  rpcAttempts: 3,
  retryIntervalMs: 1000,
  addressReload: true,
  rpcClients: ['127.0.0.1'],
};

/** The plain-valued options of `kamailio:`. */
const FIELDS = {
  rpcTimeoutMs: ms('rpc_timeout_ms'),
  rpcAttempts: int('rpc_attempts', { min: 1, max: 100, unit: 'tries' }),
  retryIntervalMs: ms('retry_interval_ms'),
  addressReload: bool('address_reload'),
} satisfies Fields<KamailioConfig>;

/** The keys of `kamailio:`. */
export const KAMAILIO_KEYS = ['nodes', 'htables', ...keysOf(FIELDS), 'rpc_clients'];
/** The keys of one `kamailio.nodes` entry. */
export const KAMAILIO_NODE_KEYS = ['name', 'rpc', 'reply_dir'] as const;
/** The keys of one `kamailio.htables` entry. */
export const KAMAILIO_HTABLE_KEYS = ['name', 'lookup', 'group', 'key', 'names', 'ttl_s'] as const;

type Key = string;

const NODE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const TABLE_NAME = /^[A-Za-z0-9_]{1,64}$/;
/** A group a cfg can carry as a string literal (the generated route writes it). */
const GROUP = /^[\x21\x23\x25-\x5b\x5d-\x7e](?:[\x20\x21\x23\x25-\x5b\x5d-\x7e]*[\x21\x23\x25-\x5b\x5d-\x7e])?$/;
/** Key text: printable ASCII without `"`, `\` or `$` (the generated route writes it), placeholders in braces. */
const KEY_TEXT = /^[\x20\x21\x23\x25-\x5b\x5d-\x7e]{1,200}$/;
const PLACEHOLDER = /\{([^{}]*)\}/g;
const D = KAMAILIO_DEFAULTS;

/**
 * Reads and checks `kamailio:`.
 * @param defaultTtl `cache.ttl_s`, the default `ttl_s` of an htable.
 */
export function readKamailio(ctx: ConfigContext, section: MapReader<Key>, defaultTtl: number): KamailioConfig {
  const names = new Map<string, string>();
  const nodes = (section.list('nodes', 'Kamailio nodes') ?? []).map((item) => readNode(ctx, item, names)).filter((n) => n !== undefined);
  const tables = new Map<string, string>();
  const htables = (section.list('htables', 'htables') ?? []).map((item) => readHtable(ctx, item, tables, defaultTtl)).filter((t) => t !== undefined);
  const clients = section.list('rpc_clients', 'IP addresses');
  const rpcClients =
    clients === undefined
      ? D.rpcClients
      : clients.flatMap(({ node, field }) => {
          const value = scalarString(node);
          if (value !== undefined && isIP(value) !== 0) return [value];
          ctx.invalid(node, field, 'an IPv4 or IPv6 address');
          return [];
        });
  const kamailio: KamailioConfig = {
    nodes,
    htables,
    ...readFields(section, D, FIELDS),
    rpcClients,
  };
  if (htables.length > 0 && nodes.length === 0) {
    ctx.warn(section.node('htables'), section.field('htables'), 'htables are listed but no nodes: no Kamailio is told when they change');
  }
  return kamailio;
}

function readNode(ctx: ConfigContext, item: ListItem, seen: Map<string, string>): KamailioNodeConfig | undefined {
  const node = new MapReader(ctx, mappingNode(ctx, item, KAMAILIO_NODE_KEYS), item.field, KAMAILIO_NODE_KEYS);
  const name = node.string('name', (v) => (NODE_NAME.test(v) ? undefined : '1..64 letters, digits, ".", "_" or "-"'));
  if (!node.has('name')) node.missing('name');
  const rpcText = node.string('rpc', rpcProblem);
  if (!node.has('rpc')) node.missing('rpc');
  const replyDir = node.string('reply_dir', (v) => (isAbsolute(v) && !v.includes('\n') ? undefined : 'an absolute directory path'));
  if (name !== undefined) {
    const first = seen.get(name);
    if (first !== undefined) ctx.problem(node.node('name'), node.field('name'), 'a name not used before', `node name ${JSON.stringify(name)} is used twice (first at ${first})`, node.field('name'));
    seen.set(name, node.field('name'));
  }
  if (name === undefined || rpcText === undefined) return undefined;
  let rpc: KamailioRpcConfig;
  if (rpcText.startsWith('fifo:')) rpc = { transport: 'fifo', path: rpcText.slice('fifo:'.length), replyDir: replyDir ?? '/tmp' };
  else {
    if (replyDir !== undefined) ctx.warn(node.node('reply_dir'), node.field('reply_dir'), 'is only used with rpc: fifo:…');
    rpc = { transport: 'http', url: rpcText };
  }
  return { name, rpc };
}

/** Why an `rpc` value cannot be used, or undefined. */
function rpcProblem(value: string): string | undefined {
  const expected = 'http://host:port/path (jsonrpcs over xhttp) or fifo:/absolute/path (jsonrpcs FIFO)';
  if (value.startsWith('fifo:')) {
    const path = value.slice('fifo:'.length);
    return isAbsolute(path) && !/[\n"]/.test(path) ? undefined : expected;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return expected;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return expected;
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return `${expected}, without credentials, query or fragment`;
  return undefined;
}

function readHtable(ctx: ConfigContext, item: ListItem, seen: Map<string, string>, defaultTtl: number): KamailioHtableConfig | undefined {
  const table = new MapReader(ctx, mappingNode(ctx, item, KAMAILIO_HTABLE_KEYS), item.field, KAMAILIO_HTABLE_KEYS);
  const name = table.string('name', (v) => (TABLE_NAME.test(v) ? undefined : 'an htable name: 1..64 letters, digits or "_"'));
  if (!table.has('name')) table.missing('name');
  if (!table.has('lookup')) table.missing('lookup');
  const lookup = table.oneOf('lookup', ['group', 'credentials'] as const, 'group');
  const group = table.string('group', (v) => (GROUP.test(v) ? undefined : 'printable ASCII without ", \\ or $, no spaces at either end'));
  if (lookup === 'group' && !table.has('group') && table.has('lookup')) table.missing('group', ' (the group this table caches)');
  if (lookup === 'credentials' && table.has('group')) ctx.warn(table.node('group'), table.field('group'), 'is ignored for lookup: credentials');
  if (!table.has('key')) table.missing('key');
  const key = table.string('key', (v) => keyProblem(v, lookup));
  const names = table.oneOf('names', ['folded', 'as-written'] as const, 'as-written');
  const ttlSeconds = table.int('ttl_s', defaultTtl, { min: 1, max: 2_592_000, unit: 'seconds' });
  if (name !== undefined) {
    const first = seen.get(name);
    if (first !== undefined) ctx.problem(table.node('name'), table.field('name'), 'a table not listed before', `htable ${JSON.stringify(name)} is listed twice (first at ${first})`, table.field('name'));
    seen.set(name, table.field('name'));
  }
  if (name === undefined || key === undefined || (lookup === 'group' && group === undefined)) return undefined;
  return { name, lookup, group: lookup === 'group' ? group : undefined, key, names, ttlSeconds };
}

/** Why a key template cannot be used, or undefined. */
function keyProblem(value: string, lookup: 'group' | 'credentials'): string | undefined {
  const allowed = lookup === 'group' ? ['user', 'domain', 'group'] : ['user', 'domain'];
  const expected = `text with ${allowed.map((p) => `{${p}}`).join(', ')} placeholders, {user} among them (printable ASCII without ", \\ or $)`;
  if (!KEY_TEXT.test(value)) return expected;
  const used = [...value.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
  if (!used.includes('user') || used.some((p) => !allowed.includes(p))) return expected;
  if (value.replace(PLACEHOLDER, '').includes('{') || value.replace(PLACEHOLDER, '').includes('}')) return expected;
  return undefined;
}

function scalarString(node: ListItem['node']): string | undefined {
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
}

/** A list item as a node for {@link MapReader} (which reports anything but a mapping). */
function mappingNode(ctx: ConfigContext, item: ListItem, keys: readonly string[]): Node | undefined {
  if (isNode(item.node)) return item.node;
  ctx.invalid(item.node, item.field, `a mapping of ${keys.join(', ')}`);
  return undefined;
}

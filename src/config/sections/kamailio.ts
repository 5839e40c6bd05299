import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import { isNode, isScalar, type Node } from 'yaml';
import type { ConfigContext } from '../context.js';
import { KAMAILIO_DEFAULTS as D } from '../defaults.js';
import { MILLISECONDS, MapReader, type ListItem } from '../reader.js';
import type { KamailioConfig, KamailioHtableConfig, KamailioNodeConfig, KamailioRpcConfig } from '../types.js';

/** The keys of `kamailio:`. */
export const KAMAILIO_KEYS = ['nodes', 'htables', 'rpc_timeout_ms', 'rpc_attempts', 'retry_interval_ms', 'address_reload', 'rpc_clients'] as const;
/** The keys of one `kamailio.nodes` entry. */
export const KAMAILIO_NODE_KEYS = ['name', 'rpc', 'reply_dir'] as const;
/** The keys of one `kamailio.htables` entry. */
export const KAMAILIO_HTABLE_KEYS = ['name', 'lookup', 'group', 'key', 'names', 'ttl_s'] as const;

type Key = (typeof KAMAILIO_KEYS)[number];

const NODE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const TABLE_NAME = /^[A-Za-z0-9_]{1,64}$/;
/** A group a cfg can carry as a string literal (the generated route writes it). */
const GROUP = /^[\x21\x23\x25-\x5b\x5d-\x7e](?:[\x20\x21\x23\x25-\x5b\x5d-\x7e]*[\x21\x23\x25-\x5b\x5d-\x7e])?$/;
/** Key text: printable ASCII without `"`, `\` or `$` (the generated route writes it), placeholders in braces. */
const KEY_TEXT = /^[\x20\x21\x23\x25-\x5b\x5d-\x7e]{1,200}$/;
const PLACEHOLDER = /\{([^{}]*)\}/g;
const MS = MILLISECONDS;

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
    rpcTimeoutMs: section.int('rpc_timeout_ms', D.rpcTimeoutMs, MS),
    rpcAttempts: section.int('rpc_attempts', D.rpcAttempts, { min: 1, max: 100, unit: 'tries' }),
    retryIntervalMs: section.int('retry_interval_ms', D.retryIntervalMs, MS),
    addressReload: section.bool('address_reload', D.addressReload),
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

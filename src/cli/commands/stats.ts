import type { Command } from 'commander';
import { parseServerSpec } from '../../cluster/server-spec.js';
import { loadCliConfig } from '../config.js';
import { partDeadline, withDeadline } from '../deadline.js';
import { CommandFailedError } from '../../errors.js';
import { errorMessage } from '../exit.js';
import { bytes, count, duration, percent } from '../format.js';
import { writeJson, writeLine, type CliIo } from '../io.js';
import { globalOptions } from '../options.js';
import { memcachedStats } from '../probe/memcached-stats.js';
import { renderTable } from '../table.js';

/** The counters `stats` reports, as memcached names them. */
const COUNTERS = ['get_hits', 'get_misses', 'curr_items', 'bytes', 'evictions', 'uptime', 'curr_connections'] as const;

type Counter = (typeof COUNTERS)[number];

/** One server's statistics. */
interface ServerStats {
  readonly server: string;
  /** `memcached` (ring) or `memcached gutter`. */
  readonly kind: string;
  readonly status: 'up' | 'down';
  readonly version?: string;
  readonly stats?: Readonly<Record<Counter, number>>;
  /** get_hits / (get_hits + get_misses); null before the first get. */
  readonly hitRatio?: number | null;
  readonly error?: string;
}

/** Registers `authring stats`: each memcached server's counters and hit ratio. */
export function registerStats(program: Command, io: CliIo): void {
  program
    .command('stats')
    .description("each memcached server's statistics (hits, misses, items, bytes, evictions, uptime, connections) and hit ratio; exit 1 if a server cannot be reached")
    .action(async (_options: unknown, command: Command) => {
      const global = globalOptions(command);
      const config = await loadCliConfig(global, io);
      const { memcached } = config;
      const gutter = typeof memcached.fallback === 'object' ? memcached.fallback.gutter : [];
      const targets = [...memcached.servers.map((s) => ({ spec: s, kind: 'memcached' })), ...gutter.map((s) => ({ spec: s, kind: 'memcached gutter' }))];
      // A stats reply is immediate: allow what a request and its connection may take, within the deadline.
      const perServerMs = Math.min(partDeadline(global.timeout), memcached.timeoutMs + memcached.connectTimeoutMs);
      const results = await withDeadline('stats', global.timeout, () =>
        Promise.all(targets.map((t) => serverStats(parseServerSpec(t.spec).address, t.kind, perServerMs))),
      );
      const total = totals(results);
      if (global.json) await writeJson(io.stdout, { file: config.file, servers: results, total });
      else await writeLine(io.stdout, statsTable(results, total));
      const down = results.filter((r) => r.status === 'down');
      if (down.length > 0) throw new CommandFailedError(`cannot read stats from ${down.map((r) => r.server).join(', ')}`);
    });
}

async function serverStats(server: string, kind: string, timeoutMs: number): Promise<ServerStats> {
  try {
    const raw = await memcachedStats(server, timeoutMs);
    const stats = Object.fromEntries(COUNTERS.map((c) => [c, Number(raw.get(c) ?? 0)])) as Record<Counter, number>;
    return { server, kind, status: 'up', version: raw.get('version') ?? '', stats, hitRatio: ratio(stats.get_hits, stats.get_misses) };
  } catch (error) {
    return { server, kind, status: 'down', error: errorMessage(error) };
  }
}

function ratio(hits: number, misses: number): number | null {
  return hits + misses === 0 ? null : hits / (hits + misses);
}

/** Sums over the servers that answered (uptime: the shortest). */
function totals(results: readonly ServerStats[]): Record<Counter, number> & { hitRatio: number | null } {
  const up = results.flatMap((r) => (r.stats ? [r.stats] : []));
  const sum = (c: Counter): number => up.reduce((s, x) => s + x[c], 0);
  const sums = Object.fromEntries(COUNTERS.map((c) => [c, sum(c)])) as Record<Counter, number>;
  sums.uptime = up.length === 0 ? 0 : Math.min(...up.map((x) => x.uptime));
  return { ...sums, hitRatio: ratio(sums.get_hits, sums.get_misses) };
}

function statsTable(results: readonly ServerStats[], total: ReturnType<typeof totals>): string {
  const row = (name: string, s: Readonly<Record<Counter, number>>, hitRatio: number | null): string[] => [
    name,
    count(s.get_hits),
    count(s.get_misses),
    hitRatio === null ? '-' : percent(hitRatio, 1),
    count(s.curr_items),
    bytes(s.bytes),
    count(s.evictions),
    duration(s.uptime),
    count(s.curr_connections),
  ];
  const rows = results.map((r) => (r.stats ? row(r.server, r.stats, r.hitRatio ?? null) : [r.server, 'down', '', '', '', '', '', '', '', r.error ?? '']));
  const footer = results.length > 1 ? [row('total', total, total.hitRatio)] : [];
  return renderTable(
    [
      { header: 'server' },
      { header: 'hits', align: 'right' },
      { header: 'misses', align: 'right' },
      { header: 'hit ratio', align: 'right' },
      { header: 'items', align: 'right' },
      { header: 'bytes', align: 'right' },
      { header: 'evictions', align: 'right' },
      { header: 'uptime', align: 'right' },
      { header: 'conns', align: 'right' },
      { header: '' },
    ],
    [...rows, ...footer],
  );
}

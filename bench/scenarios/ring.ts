import { ZipfSampler, seededRandom } from '../../tools/random.js';
import { hashOf } from '../clients.js';
import { ratio, type Scenario, type ScenarioResult, type TableRow } from '../scenario.js';
import { library } from '../subject.js';

const { KetamaRing, parseServerSpec } = library;

/** Server counts measured (equal weights). */
const SIZES = [3, 4, 5, 6, 8, 12, 16, 24, 32, 48, 64] as const;
const KEYS = 100_000;
const REQUESTS = 1_000_000;
/** Skew of the request stream over the keys: the demo's default. */
const ZIPF = 1;
const BALANCE_LIMIT = 1.1;
const MOVED_LIMIT = 1.2;

const servers = (n: number): ReturnType<typeof parseServerSpec>[] => Array.from({ length: n }, (_, i) => parseServerSpec(`127.0.0.1:${11311 + i}`));
/** Keys shaped like authring's (`<prefix><generation>:<kind>:<user>:<domain>`). */
const keys = Array.from({ length: KEYS }, (_, i) => `authring:1764000000000:${i % 2 ? 'cred' : 'grp'}:sub${String(i >> 1).padStart(6, '0')}:EXAMPLE.COM`);

function owners(n: number): Uint16Array {
  const ring = new KetamaRing(servers(n));
  const index = new Map(ring.servers.map((s, i) => [s.address, i]));
  return Uint16Array.from(keys, (key) => index.get(ring.serverFor(key).address) ?? 0);
}

function maxOverMean(counts: readonly number[]): number {
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  return Math.max(...counts) / mean;
}

export const scenario: Scenario = {
  name: 'ring',
  title: 'Ring balance and movement',
  defaultRounds: 1,
  description:
    `Placement only, no I/O: authring's ketama ring (libmemcached's weighted ketama, 160 points per equal server) over ` +
    `${KEYS.toLocaleString('en-US')} keys shaped like authring's, for ${SIZES[0]} to ${SIZES.at(-1)} equal servers. ` +
    `Key balance is the most keys on one server over the mean; request balance the same for ${REQUESTS.toLocaleString('en-US')} ` +
    `requests drawn over the keys with the demo's Zipf skew (exponent ${ZIPF}). Moved is the share of keys that change server when ` +
    `one server is added, against the ideal 1/(N+1) and against modulo placement (hash mod N, as memjs and memcache-client place keys).`,
  async run({ log }): Promise<ScenarioResult> {
    const zipf = new ZipfSampler(KEYS, ZIPF);
    const random = seededRandom(0x7269_6e67);
    const draws = Uint32Array.from({ length: REQUESTS }, () => zipf.sample(random));
    const hashes = Uint32Array.from(keys, hashOf);
    const rows: TableRow[] = [];
    const points: { servers: number; measure: string; value: number }[] = [];
    let worst = { keys: 0, requests: 0, moved: 0 };
    for (const n of SIZES) {
      const placed = owners(n);
      const keyCounts = new Array<number>(n).fill(0);
      for (const owner of placed) keyCounts[owner] = (keyCounts[owner] ?? 0) + 1;
      const requestCounts = new Array<number>(n).fill(0);
      for (const draw of draws) requestCounts[placed[draw] ?? 0] = (requestCounts[placed[draw] ?? 0] ?? 0) + 1;
      const next = owners(n + 1);
      // Canonical order may interleave the new server, so compare addresses rather than indexes.
      const before = new KetamaRing(servers(n)).servers.map((s) => s.address);
      const after = new KetamaRing(servers(n + 1)).servers.map((s) => s.address);
      let moved = 0;
      let movedModulo = 0;
      placed.forEach((owner, k) => {
        if (before[owner] !== after[next[k] ?? 0]) moved += 1;
        if ((hashes[k] ?? 0) % n !== (hashes[k] ?? 0) % (n + 1)) movedModulo += 1;
      });
      const [keyBalance, requestBalance] = [maxOverMean(keyCounts), maxOverMean(requestCounts)];
      const [share, ideal] = [moved / KEYS, 1 / (n + 1)];
      worst = { keys: Math.max(worst.keys, keyBalance), requests: Math.max(worst.requests, requestBalance), moved: Math.max(worst.moved, share / ideal) };
      rows.push([String(n), keyBalance.toFixed(3), requestBalance.toFixed(2), `${(100 * share).toFixed(1)} %`, `${(100 * ideal).toFixed(1)} %`, ratio(share / ideal), `${((100 * movedModulo) / KEYS).toFixed(1)} %`]);
      points.push({ servers: n, measure: 'keys, max/mean', value: keyBalance }, { servers: n, measure: 'moved / ideal 1/(N+1)', value: share / ideal });
      log(`  ${n} servers: keys ${keyBalance.toFixed(3)}, requests ${requestBalance.toFixed(2)}, moved ${(100 * share).toFixed(1)} % (ideal ${(100 * ideal).toFixed(1)} %, modulo ${((100 * movedModulo) / KEYS).toFixed(1)} %)`);
    }
    const hottest = zipf.share(0);
    return {
      tables: [{ title: 'Balance (max/mean) and keys moved when one server is added', headers: ['Servers N', 'keys max/mean', 'requests max/mean (Zipf 1)', 'moved to N+1', 'ideal 1/(N+1)', 'moved / ideal', 'modulo moved'], rows }],
      charts: [{ name: 'ring', spec: { title: 'Ketama ring: key balance and movement (target ≤ 1.10 and ≤ 1.2)', width: 520, height: 220, data: { values: points }, mark: { type: 'line', point: true }, encoding: { x: { field: 'servers', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'equal servers' }, y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: 'ratio' }, color: { field: 'measure', type: 'nominal', title: null } } } }],
      targets: [
        { name: `Key balance, ${SIZES[0]}..${SIZES.at(-1)} servers`, criterion: `max/mean ≤ ${BALANCE_LIMIT.toFixed(2)}`, measured: `worst ${worst.keys.toFixed(3)}`, pass: worst.keys <= BALANCE_LIMIT },
        { name: `Request balance (Zipf ${ZIPF}), ${SIZES[0]}..${SIZES.at(-1)} servers`, criterion: `max/mean ≤ ${BALANCE_LIMIT.toFixed(2)}`, measured: `worst ${worst.requests.toFixed(2)}`, pass: worst.requests <= BALANCE_LIMIT },
        { name: 'Keys moved when a server is added', criterion: `≤ ${MOVED_LIMIT}x the ideal 1/(N+1)`, measured: `worst ${ratio(worst.moved)}`, pass: worst.moved <= MOVED_LIMIT },
      ],
      notes: [
        `With Zipf-skewed requests the hottest key alone takes ${(100 * hottest).toFixed(1)} % of them, so the server holding it carries ` +
          `at least that: request balance cannot reach ${BALANCE_LIMIT} once 1/N falls near that share, whatever the ring. A per-node ` +
          `local tier for hot keys (cache.local, docs/local-tier.md) takes the hot keys off the ring.`,
        'Key balance and movement are those of the continuum libmemcached and twemproxy build: 160 points per equal server, ' +
          'which sets the spread (a few points more or less per server move a server\'s share by several percent). authring ' +
          'must place every key where Kamailio nodes (through nutcracker) look for it, so it cannot take more points or ' +
          'another hash to meet these two targets; they are reported, not chased.',
        'Modulo placement moves N/(N+1) of the keys on every change of the server list; the ring moves about 1/(N+1).',
      ],
    };
  },
};

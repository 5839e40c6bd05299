import type { Command } from 'commander';
import { parseServerList } from '../../cluster/server-spec.js';
import { toWireKey } from '../../cluster/wire-key.js';
import { loadCliConfig } from '../config.js';
import { withDeadline } from '../deadline.js';
import { percent } from '../format.js';
import { toJson, write, writeLine, type CliIo } from '../io.js';
import { readLines } from '../lines.js';
import { collect, globalOptions, type GlobalOptions } from '../options.js';
import { applyChange } from '../ring/change.js';
import { keyHash, ownerOf } from '../ring/continuum.js';
import { compareRings, viewRing, type RingComparison, type RingView } from '../ring/report.js';
import { renderTable } from '../table.js';

interface RingOptions {
  readonly add: string[];
  readonly remove: string[];
}

/** One placed key, as `--json` prints it. */
interface KeyPlacement {
  readonly key: string;
  /** The key sent to memcached, when it differs (hashed: long, spaces, control or non-ASCII). */
  readonly wireKey?: string;
  readonly server: string;
  /** With a change: the owner on the changed ring. */
  readonly newServer?: string;
  /** With a change: whether the key changes owner. */
  readonly moves?: boolean;
}

/** Registers `authring ring`: shares of the keyspace, key placement, and what a ring change moves. */
export function registerRing(program: Command, io: CliIo): void {
  program
    .command('ring')
    .description("each server's share of the keyspace and weight; the server of each key; what --add/--remove would move")
    .argument('[keys...]', 'keys to place; "-" reads keys from stdin, one per line')
    .option('--add <host:port[:weight]>', 'a server to add (repeatable)', collect, [])
    .option('--remove <host:port>', 'a server to remove (repeatable)', collect, [])
    .action(async (keys: string[], options: RingOptions, command: Command) => {
      const global = globalOptions(command);
      const fromStdin = keys.includes('-');
      const run = (): Promise<void> => ring(keys, options, global, io);
      // Placing keys read from stdin ends when the input ends; everything else is local and quick.
      await (fromStdin ? run() : withDeadline('ring', global.timeout, run));
    });
}

async function ring(keys: readonly string[], options: RingOptions, global: GlobalOptions, io: CliIo): Promise<void> {
  const { json } = global;
  const config = await loadCliConfig(global, io);
  const servers = parseServerList(config.memcached.servers);
  const before = viewRing(servers);
  const changed = options.add.length > 0 || options.remove.length > 0;
  const comparison = changed ? compareRings(before, applyChange(servers, options)) : undefined;

  const head = json ? jsonHead(config.file, before, comparison) : textHead(config.file, before, comparison);
  await write(io.stdout, head);

  let given = 0;
  let moved = 0;
  for await (const key of keySource(keys, io)) {
    const wireKey = toWireKey(key);
    const server = before.ring.serverFor(wireKey).address;
    let placement: KeyPlacement = { key, ...(wireKey === key ? {} : { wireKey }), server };
    if (comparison) {
      const newServer = ownerOf(comparison.after.continuum, keyHash(wireKey));
      const moves = newServer !== server;
      if (moves) moved += 1;
      placement = { ...placement, newServer, moves };
    }
    const separator = given === 0 ? (json ? '' : '\n') : json ? ',\n' : '';
    await write(io.stdout, json ? `${separator}    ${toJson(placement, 0)}` : `${separator}${keyLine(placement)}\n`);
    given += 1;
  }

  if (json) {
    const tail = { keysGiven: given, ...(comparison ? { keysMoved: moved } : {}) };
    await writeLine(io.stdout, `${given === 0 ? '' : '\n  '}],\n${toJson(tail).slice(2)}`);
  } else if (comparison && given > 0) {
    await writeLine(io.stdout, `\n${given} key${given === 1 ? '' : 's'} given, ${moved} would move (${percent(moved / given)}).`);
  }
}

/** Keys from the arguments, with "-" replaced by the lines of stdin, streamed. */
async function* keySource(keys: readonly string[], io: CliIo): AsyncGenerator<string> {
  for (const key of keys) {
    if (key === '-') yield* readLines(io.stdin);
    else yield key;
  }
}

function jsonHead(file: string, before: RingView, comparison: RingComparison | undefined): string {
  const doc = {
    file,
    servers: before.servers,
    ...(comparison
      ? {
          change: {
            added: comparison.added,
            removed: comparison.removed,
            servers: comparison.after.servers,
            moved: comparison.moved,
            movedPercent: Math.round(comparison.moved * 100 * 1e6) / 1e6,
            flows: comparison.flows,
          },
        }
      : {}),
  };
  // The document stays open: keys stream into its "keys" array, and the counts close it.
  return `${toJson(doc).replace(/\n}$/, '')},\n  "keys": [\n`;
}

function textHead(file: string, before: RingView, comparison: RingComparison | undefined): string {
  const lines: string[] = [];
  const total = before.servers.reduce((sum, s) => sum + s.points, 0);
  lines.push(`${file}: ${before.servers.length} server${before.servers.length === 1 ? '' : 's'}, ${total} points`, '');
  if (!comparison) {
    lines.push(
      renderTable(
        [{ header: 'server' }, { header: 'weight', align: 'right' }, { header: 'points', align: 'right' }, { header: 'share', align: 'right' }],
        before.servers.map((s) => [s.address, String(s.weight), String(s.points), percent(s.share)]),
      ),
    );
  } else {
    const after = new Map(comparison.after.servers.map((s) => [s.address, s]));
    const now = new Map(before.servers.map((s) => [s.address, s]));
    const addresses = [...before.servers.map((s) => s.address), ...comparison.added];
    // Before → after when a server's value changes; one value when it is on one ring only.
    const arrow = (before: string | undefined, after: string | undefined): string =>
      before === undefined || before === after ? (after ?? '') : after === undefined ? before : `${before} → ${after}`;
    lines.push(
      renderTable(
        [
          { header: 'server' },
          { header: 'weight', align: 'right' },
          { header: 'points', align: 'right' },
          { header: 'share', align: 'right' },
          { header: 'after', align: 'right' },
          { header: '' },
        ],
        addresses.map((address) => {
          const b = now.get(address);
          const a = after.get(address);
          return [
            address,
            arrow(b && String(b.weight), a && String(a.weight)),
            arrow(b && String(b.points), a && String(a.points)),
            b ? percent(b.share) : '-',
            a ? percent(a.share) : '-',
            b === undefined ? 'added' : a === undefined ? 'removed' : '',
          ];
        }),
      ),
      '',
      `Keys that would move: ${percent(comparison.moved, 3)} of the keyspace (exact, over all 2^32 hashes)`,
      ...comparison.flows.map((f) => `  ${f.from} → ${f.to}  ${percent(f.fraction, 3)}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

function keyLine(p: KeyPlacement): string {
  const wire = p.wireKey === undefined ? '' : ` (as ${p.wireKey})`;
  if (p.newServer === undefined) return `${p.key}${wire}  ${p.server}`;
  return `${p.key}${wire}  ${p.server}${p.moves ? ` → ${p.newServer}  moves` : '  stays'}`;
}

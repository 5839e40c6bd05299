import type { Command } from 'commander';
import type { AuthringConfig } from '../../config/index.js';
import { loadCliConfig } from '../config.js';
import { partDeadline, withDeadline } from '../deadline.js';
import { CommandFailedError } from '../../errors.js';
import { millis } from '../format.js';
import { writeJson, writeLine, type CliIo } from '../io.js';
import { globalOptions } from '../options.js';
import { probeMemcached } from '../probe/memcached.js';
import { probeMysql } from '../probe/mysql.js';
import type { CheckResult } from '../probe/types.js';
import { renderTable } from '../table.js';

/** Registers `authring check`: validate the config file and reach every server. */
export function registerCheck(program: Command, io: CliIo): void {
  program
    .command('check')
    .description('validate the config file and reach every memcached server and MySQL (with the lookup tables and columns); exit 1 if anything is down')
    .action(async (_options: unknown, command: Command) => {
      const global = globalOptions(command);
      const config = await loadCliConfig(global, io);
      const results = await withDeadline('check', global.timeout, () => runChecks(config, global.timeout));
      const down = results.filter((r) => r.status === 'down');
      if (global.json) await writeJson(io.stdout, { file: config.file, ok: down.length === 0, checks: results });
      else await writeLine(io.stdout, `${config.file}: valid\n\n${checkTable(results)}`);
      if (down.length > 0) {
        throw new CommandFailedError(`${down.length} of ${results.length} checks failed: ${down.map((r) => r.server).join(', ')}`);
      }
    });
}

/** Every check, in parallel, each bounded by part of the command's deadline (and the config's own timeouts). */
async function runChecks(config: AuthringConfig, timeoutMs: number): Promise<CheckResult[]> {
  const { memcached } = config;
  // A probe's request deadline includes connecting.
  const probeMs = Math.min(partDeadline(timeoutMs), Math.max(memcached.timeoutMs, memcached.connectTimeoutMs));
  const gutter = typeof memcached.fallback === 'object' ? memcached.fallback.gutter : [];
  const [ring, gutters, mysql] = await Promise.all([
    Promise.all(memcached.servers.map((s) => probeMemcached(stripWeight(s), 'memcached', memcached, probeMs))),
    Promise.all(gutter.map((s) => probeMemcached(stripWeight(s), 'memcached gutter', memcached, probeMs))),
    probeMysql(config, Math.min(partDeadline(timeoutMs), config.mysql.connectTimeoutMs + config.mysql.queryTimeoutMs)),
  ]);
  return [...ring, ...gutters, ...mysql];
}

/** `host:port` of a `host:port[:weight]` spec (IPv6 in brackets). */
function stripWeight(spec: string): string {
  const match = /^(\[[^\]]+\]:\d+|[^:]+:\d+)(?::\d+)?$/.exec(spec.trim());
  return match?.[1] ?? spec;
}

function checkTable(results: readonly CheckResult[]): string {
  return renderTable(
    [{ header: 'server' }, { header: 'kind' }, { header: 'status' }, { header: 'version / latency' }, { header: 'error' }],
    results.map((r) => [
      r.server,
      r.kind,
      r.status,
      r.kind === 'table' ? (r.status === 'up' ? (r.columns ?? []).join(', ') : '') : [r.version, r.latencyMs === undefined ? undefined : millis(r.latencyMs)].filter((x) => x !== undefined).join(', '),
      r.error ?? '',
    ]),
  );
}

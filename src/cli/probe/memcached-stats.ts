import net from 'node:net';
import { parseServerSpec } from '../../cluster/server-spec.js';
import { StatsRequestError } from '../../errors.js';

/** The raw `STAT name value` pairs one server returned. */
export type RawStats = ReadonlyMap<string, string>;

/** Largest reply accepted; a `stats` reply is a few kilobytes. */
const MAX_REPLY_BYTES = 1 << 20;

/**
 * Sends the text-protocol `stats` command to one memcached server (a `host:port` of the config)
 * over a fresh TCP connection and resolves with its counters. The connection is closed when the
 * reply ends, on an error, or when `timeoutMs` (connecting included) passes.
 * @throws StatsRequestError on a timeout, a connection error, an error reply or an oversized reply.
 */
export function memcachedStats(address: string, timeoutMs: number): Promise<RawStats> {
  const { host, port } = parseServerSpec(address);
  return new Promise<RawStats>((resolve, reject) => {
    const socket = net.connect({ host, port });
    let reply = '';
    let settled = false;
    const finish = (error: Error | undefined, stats?: RawStats): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(stats ?? new Map());
    };
    const timer = setTimeout(() => finish(new StatsRequestError(address, `no stats reply from ${address} within ${timeoutMs} ms`)), timeoutMs);
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write('stats\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.length > MAX_REPLY_BYTES) return finish(new StatsRequestError(address, `stats reply from ${address} is too large`));
      if (/^(ERROR|CLIENT_ERROR|SERVER_ERROR)[^\r\n]*\r\n/m.test(reply)) {
        return finish(new StatsRequestError(address, `${address} answered: ${reply.trim().split('\r\n').pop() ?? ''}`));
      }
      if (reply.endsWith('END\r\n')) finish(undefined, parseStats(reply));
    });
    socket.on('error', (error) => finish(new StatsRequestError(address, `connection to ${address} failed: ${error.message}`, error)));
    socket.on('close', () => finish(new StatsRequestError(address, `${address} closed the connection before the stats reply ended`)));
  });
}

/** `STAT name value` lines into a map. */
export function parseStats(reply: string): RawStats {
  const stats = new Map<string, string>();
  for (const line of reply.split('\r\n')) {
    const match = /^STAT (\S+) (.*)$/.exec(line);
    if (match?.[1] !== undefined) stats.set(match[1], match[2] ?? '');
  }
  return stats;
}

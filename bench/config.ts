/**
 * Where the benchmarks find memcached. `AUTHRING_MEMCACHED` (a comma-separated `host:port` list)
 * wins; otherwise the three servers `scripts/services.sh` starts (127.0.0.1:11311..11313, or from
 * `AUTHRING_MEMCACHED_BASE_PORT`). Benchmarks only ever talk to loopback addresses.
 */
export function benchServers(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = env.AUTHRING_MEMCACHED?.trim();
  let servers: string[];
  if (list) {
    servers = list
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  } else {
    const base = Number(env.AUTHRING_MEMCACHED_BASE_PORT ?? 11311);
    const port = Number.isInteger(base) && base > 0 ? base : 11311;
    servers = [0, 1, 2].map((i) => `127.0.0.1:${port + i}`);
  }
  if (servers.length === 0) throw new Error('AUTHRING_MEMCACHED names no server');
  for (const server of servers) {
    if (!/^127(\.\d{1,3}){3}:\d+$/.test(server)) {
      throw new Error(`benchmarks run against loopback servers only (127.x.x.x:port), got '${server}'`);
    }
  }
  return servers;
}

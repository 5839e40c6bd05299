/**
 * The shared services the demo uses, as scripts/services.sh runs them: three memcached servers
 * on 127.0.0.1:11311-11313 and MariaDB on 127.0.0.1:3306 with the login authring/authring. The
 * ports follow the same environment variables as the script. Loopback only.
 */
import { canConnect } from '../tools/tcp.js';

const HOST = '127.0.0.1';

/** Where the demo's MySQL and memcached servers are. */
export interface DemoServices {
  readonly mysql: { readonly host: string; readonly port: number; readonly user: string; readonly password: string };
  /** `host:port` of each memcached server. */
  readonly memcached: readonly string[];
}

function portFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name} must be a port number, got "${value}"`);
  return port;
}

/**
 * The services' addresses: `AUTHRING_MARIADB_PORT` (default 3306) and
 * `AUTHRING_MEMCACHED_BASE_PORT` (default 11311), as scripts/services.sh reads them.
 */
export function demoServices(env: NodeJS.ProcessEnv = process.env): DemoServices {
  const mysqlPort = portFrom(env.AUTHRING_MARIADB_PORT, 3306, 'AUTHRING_MARIADB_PORT');
  const base = portFrom(env.AUTHRING_MEMCACHED_BASE_PORT, 11311, 'AUTHRING_MEMCACHED_BASE_PORT');
  return {
    mysql: { host: HOST, port: mysqlPort, user: 'authring', password: 'authring' },
    memcached: [0, 1, 2].map((i) => `${HOST}:${base + i}`),
  };
}


/** The services that do not accept connections, as `what host:port` (empty when all do). */
export async function unreachableServices(services: DemoServices): Promise<string[]> {
  const targets = [
    { what: 'MariaDB', host: services.mysql.host, port: services.mysql.port },
    ...services.memcached.map((address) => {
      const [host = HOST, port = '0'] = address.split(':');
      return { what: 'memcached', host, port: Number(port) };
    }),
  ];
  const results = await Promise.all(targets.map(async (t) => ((await canConnect(t.host, t.port, 2000)) ? undefined : `${t.what} ${t.host}:${t.port}`)));
  return results.filter((r): r is string => r !== undefined);
}

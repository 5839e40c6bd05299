import net from 'node:net';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEMO_MEMCACHED,
  IN_CI,
  MemcachedProcess,
  NutcrackerProcess,
  freePort,
  hasBinary,
  mysqlUrl,
  needBinary,
  waitForPort,
} from './services.js';

/**
 * Sends `payload` on a fresh connection to 127.0.0.1:`port` and resolves with everything
 * received once it matches `until`; rejects with "timed out" if no full reply arrives.
 */
function request(port: number, payload: string, until: RegExp, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = '';
    let connected = false;
    const finish = (error: Error | null): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(received);
    };
    const timer = setTimeout(
      () => finish(new Error(`timed out after ${timeoutMs} ms (connected: ${String(connected)})`)),
      timeoutMs,
    );
    socket.on('connect', () => {
      connected = true;
      socket.write(payload);
    });
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (until.test(received)) finish(null);
    });
    socket.on('error', (error) => finish(error));
  });
}

const VERSION = /^VERSION \S+\r\n$/;

describe('helpers', () => {
  it('freePort gives a loopback port waitForPort can wait for', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    await expect(waitForPort(port, '127.0.0.1', 200)).rejects.toThrow(/Nothing accepted/);
    const server = net.createServer().listen(port, '127.0.0.1');
    try {
      await waitForPort(port);
    } finally {
      server.close();
    }
  });

  it('hasBinary finds sh and not nonsense', () => {
    expect(hasBinary('sh')).toBe(true);
    expect(hasBinary('authring-no-such-binary')).toBe(false);
  });

  it('needBinary skips outside CI and fails in CI', async () => {
    if (IN_CI) {
      expect(() => needBinary('authring-no-such-binary')).toThrow(/not installed/);
    } else {
      expect(needBinary('authring-no-such-binary')).toBe(false);
    }
    // The other mode, through a fresh copy of the module.
    vi.stubEnv('CI', IN_CI ? 'false' : 'true');
    vi.resetModules();
    try {
      const other = await import('./services.js');
      if (IN_CI) {
        expect(other.needBinary('authring-no-such-binary')).toBe(false);
        expect(await other.needTcp('127.0.0.1', await freePort(), 'nothing')).toBe(false);
      } else {
        expect(() => other.needBinary('sipp-not-really')).toThrow(/scripts\/services\.sh --interop/);
        await expect(other.needTcp('127.0.0.1', await freePort(), 'Nothing')).rejects.toThrow(/Nothing is not reachable/);
      }
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });

  it('mysqlUrl and DEMO_MEMCACHED', () => {
    vi.stubEnv('AUTHRING_TEST_MYSQL_URL', undefined);
    try {
      expect(mysqlUrl()).toBe('mysql://authring:authring@127.0.0.1:3306');
      expect(mysqlUrl('authring_test')).toBe('mysql://authring:authring@127.0.0.1:3306/authring_test');
      vi.stubEnv('AUTHRING_TEST_MYSQL_URL', 'mysql://u:p@127.0.0.1:3307/other');
      expect(mysqlUrl()).toBe('mysql://u:p@127.0.0.1:3307/other');
      expect(mysqlUrl('x')).toBe('mysql://u:p@127.0.0.1:3307/x');
    } finally {
      vi.unstubAllEnvs();
    }
    if (process.env.AUTHRING_MEMCACHED_BASE_PORT === undefined) {
      expect(DEMO_MEMCACHED).toEqual(['127.0.0.1:11311', '127.0.0.1:11312', '127.0.0.1:11313']);
    }
  });
});

describe.skipIf(!needBinary('memcached'))('MemcachedProcess', () => {
  const servers: MemcachedProcess[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  async function start(): Promise<MemcachedProcess> {
    const server = await MemcachedProcess.start();
    servers.push(server);
    return server;
  }

  it('starts on a free loopback port and answers "version"', async () => {
    const mc = await start();
    expect(mc.running).toBe(true);
    expect(mc.address).toBe(`127.0.0.1:${mc.port}`);
    expect(await request(mc.port, 'version\r\n', VERSION)).toMatch(VERSION);
  });

  it('kill makes it refuse connections; restart brings it back on the same port, empty', async () => {
    const mc = await start();
    const port = mc.port;
    await request(mc.port, 'set k 0 0 1\r\nv\r\n', /STORED\r\n/);
    await mc.kill();
    expect(mc.running).toBe(false);
    await expect(request(port, 'version\r\n', VERSION)).rejects.toThrow(/ECONNREFUSED/);
    await mc.restart();
    expect(mc.running).toBe(true);
    expect(mc.port).toBe(port);
    expect(await request(port, 'version\r\n', VERSION)).toMatch(VERSION);
    expect(await request(port, 'get k\r\n', /END\r\n/)).toBe('END\r\n');
  });

  it('pause accepts connections but never answers; resume answers again', async () => {
    const mc = await start();
    await mc.pause();
    expect(mc.running).toBe(true);
    await expect(request(mc.port, 'version\r\n', VERSION, 300)).rejects.toThrow(/timed out .*connected: true/);
    await mc.resume();
    expect(await request(mc.port, 'version\r\n', VERSION)).toMatch(VERSION);
  });

  it('stop works while paused and is idempotent', async () => {
    const mc = await start();
    await mc.pause();
    await mc.stop();
    expect(mc.running).toBe(false);
    await mc.stop();
    await mc.kill();
  });

  it('start fails clearly when the port is taken', async () => {
    const mc = await start();
    await expect(MemcachedProcess.start({ port: mc.port })).rejects.toThrow(/memcached/);
  });
});

describe.skipIf(!needBinary('memcached') || !needBinary('nutcracker'))('NutcrackerProcess', () => {
  let mc: MemcachedProcess | undefined;
  let proxy: NutcrackerProcess | undefined;
  afterEach(async () => {
    await proxy?.stop();
    await mc?.stop();
    proxy = undefined;
    mc = undefined;
  });

  it('proxies a set to the one memcached in its pool', async () => {
    mc = await MemcachedProcess.start();
    const listen = await freePort();
    proxy = await NutcrackerProcess.start(
      [
        'authring:',
        `  listen: 127.0.0.1:${listen}`,
        '  hash: md5',
        '  distribution: ketama',
        '  timeout: 1000',
        '  redis: false',
        '  auto_eject_hosts: false',
        '  servers:',
        `   - ${mc.address}:1`,
        '',
      ].join('\n'),
    );
    expect(proxy.port).toBe(listen);
    expect(proxy.address).toBe(`127.0.0.1:${listen}`);
    expect(proxy.statsPort).not.toBe(22222);
    expect(await request(listen, 'set greeting 5 0 5\r\nhello\r\n', /\r\n/)).toBe('STORED\r\n');
    expect(await request(mc.port, 'get greeting\r\n', /END\r\n/)).toBe('VALUE greeting 5 5\r\nhello\r\nEND\r\n');
    expect(await proxy.log()).toMatch(/nutcracker/);
    await proxy.stop();
    expect(proxy.running).toBe(false);
  });

  it('rejects a bad config with nutcracker -t output', async () => {
    await expect(NutcrackerProcess.start('authring:\n  listen: 127.0.0.1:1\n  bogus_key: 1\n')).rejects.toThrow(
      /syntax is invalid/,
    );
  });

  it('refuses non-loopback listen addresses', async () => {
    await expect(NutcrackerProcess.start('a:\n  listen: 0.0.0.0:22121\n')).rejects.toThrow(/not a loopback/);
  });
});

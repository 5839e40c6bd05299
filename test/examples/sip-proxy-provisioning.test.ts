/**
 * A provisioning change reaches the example proxy while it runs: with `authring watch` applying
 * the change log (`authring install-triggers`), a new password and a removed `ipauth`
 * membership are enforced within the invalidation bound, although the old answers were cached
 * for 300 s. The bound asserted (5 s from the statement's return to the first new answer) is
 * the watcher's 2 s bound (docs/invalidation.md) plus the time one sipp run takes on a loaded
 * machine.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestHa1, needKamailioDatabase } from '../helpers/kamailio-db.js';
import { useServicesFixture } from '../helpers/services-fixture.js';
import { needBinary } from '../helpers/services.js';
import { playCases, SippCallee, type SipCase } from '../helpers/sip-cases.js';
import { SipProxyProcess } from '../helpers/sip-proxy-process.js';
import { authring, finished, PASSWORD_ENV, spawnAuthring, tempDir, writeConfig } from '../cli/cli.js';
import { CALLEE, loadSipFixtures } from './sip-fixtures.js';

const ready = needBinary('sipp') && needBinary('memcached') && (await needKamailioDatabase());

const BOUND_MS = 5000;

describe.skipIf(!ready)('the example SIP proxy enforces provisioning changes', () => {
  const services = useServicesFixture(2);
  let example: SipProxyProcess;
  let callee: SippCallee;
  let watcher: ChildProcessWithoutNullStreams;
  let watcherDone: ReturnType<typeof finished>;

  beforeAll(async () => {
    await loadSipFixtures(services.db);
    const config = writeConfig(tempDir(), { servers: services.addresses, mysqlUrl: services.db.url, keyPrefix: `sipprov${process.pid}:` });
    expect((await authring(['-c', config, 'install-triggers'])).code).toBe(0);
    watcher = spawnAuthring(['-c', config, 'watch', '--interval', '50']);
    watcherDone = finished(watcher, 300_000);
    watcher.stdin.end();
    await new Promise<void>((resolve) => {
      let stderr = '';
      watcher.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (stderr.includes('SIGINT or SIGTERM stops')) resolve();
      });
    });
    const password = decodeURIComponent(new URL(services.db.url).password);
    [example, callee] = await Promise.all([SipProxyProcess.start({ configPath: config, env: { [PASSWORD_ENV]: password } }), SippCallee.start()]);
    const registration: SipCase = { kind: 'REGISTER', user: CALLEE.user, domain: CALLEE.domain, authUser: CALLEE.user, password: CALLEE.password, contact: callee.contact(CALLEE.user), expires: 3600 };
    expect((await playCases(example, [registration]))[0]?.status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    watcher?.kill('SIGTERM');
    await watcherDone;
    await Promise.all([example?.stop(), callee?.stop()]);
  });

  /** Plays `probe` until its status is `wanted`; the milliseconds from `since` to that answer. */
  async function until(probe: SipCase, wanted: number, since: number): Promise<number> {
    for (;;) {
      const [result] = await playCases(example, [probe]);
      if (result?.status === wanted) return Date.now() - since;
      if (Date.now() - since > 30_000) throw new Error(`still ${String(result?.status)} after 30 s, wanted ${wanted}\n${example.log}`);
    }
  }

  it('a new password: the old one stops working and the new one works', async () => {
    const register = (password: string): SipCase => ({ kind: 'REGISTER', user: 'alice', domain: 'example.com', authUser: 'alice', password });
    expect((await playCases(example, [register('alice-pw'), register('new-pw')])).map((r) => r.status)).toEqual([200, 401]);

    await services.db.query('UPDATE subscriber SET ha1 = ? WHERE username = ? AND domain = ?', [digestHa1('alice', 'example.com', 'new-pw'), 'alice', 'example.com']);
    const changed = Date.now();
    expect(await until(register('new-pw'), 200, changed)).toBeLessThan(BOUND_MS);
    expect((await playCases(example, [register('alice-pw')]))[0]?.status).toBe(401);
  }, 60_000);

  it('a removed ipauth membership: calls are refused', async () => {
    const invite: SipCase = { kind: 'INVITE', from: 'ZED', domain: 'example.com', to: CALLEE.user, authUser: 'ZED', password: 'zed-pw' };
    expect((await playCases(example, [invite]))[0]?.status).toBe(200);

    // The row is "Zed " in "IPAuth": the cached answer is keyed by what the database equates.
    await services.db.query('DELETE FROM grp WHERE username = ? AND grp = ?', ['Zed ', 'IPAuth']);
    const changed = Date.now();
    expect(await until(invite, 403, changed)).toBeLessThan(BOUND_MS);
  }, 60_000);
});

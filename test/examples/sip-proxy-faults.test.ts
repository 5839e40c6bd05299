/**
 * The example proxy when MySQL is gone: what the cache holds is still answered (correctly), a
 * question it does not hold is answered 503 with Retry-After, and nothing is ever let through
 * that MySQL has not vouched for. MariaDB sits behind a TCP proxy the test closes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needKamailioDatabase } from '../helpers/kamailio-db.js';
import { useServicesFixture } from '../helpers/services-fixture.js';
import { mysqlUrl, needBinary } from '../helpers/services.js';
import { playCases, type SipCase } from '../helpers/sip-cases.js';
import { SipProxyProcess } from '../helpers/sip-proxy-process.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { PASSWORD_ENV, tempDir, writeConfig } from '../cli/cli.js';

const ready = needBinary('sipp') && needBinary('memcached') && (await needKamailioDatabase());

const register = (user: string, password: string): SipCase => ({ kind: 'REGISTER', user, domain: 'example.com', authUser: user, password });

describe.skipIf(!ready)('the example SIP proxy with MySQL unreachable', () => {
  const services = useServicesFixture(1);
  let mysqlProxy: TcpProxy;
  let example: SipProxyProcess;

  beforeAll(async () => {
    const server = new URL(mysqlUrl());
    mysqlProxy = await TcpProxy.start(server.port === '' ? 3306 : Number(server.port));
    const url = new URL(services.db.url);
    url.port = String(mysqlProxy.port);
    const config = writeConfig(tempDir(), { servers: services.addresses, mysqlUrl: url.toString(), keyPrefix: `sipfault${process.pid}:` });
    example = await SipProxyProcess.start({ configPath: config, env: { [PASSWORD_ENV]: decodeURIComponent(url.password) }, args: ['--retry-after', '7'] });
  }, 60_000);

  afterAll(async () => {
    await example?.stop();
    await mysqlProxy?.stop();
  });

  it('answers from the cache, and 503 with Retry-After for what only MySQL could answer', async () => {
    // Cached while MySQL is up: alice's credentials.
    expect(await playCases(example, [register('alice', 'alice-pw')])).toEqual([{ status: 200, retryAfter: undefined }]);
    await mysqlProxy.stop();

    const results = await playCases(example, [
      register('alice', 'alice-pw'),
      register('alice', 'wrong-pw'),
      register('erin', 'erin-pw'),
      // Untrusted INVITE: the address table and alice's membership are not cached.
      { kind: 'INVITE', from: 'alice', domain: 'example.com', to: 'callee', authUser: 'alice', password: 'alice-pw' },
      { kind: 'MESSAGE', from: 'bob', domain: 'example.com', to: 'callee', authUser: 'bob', password: 'bob-com-pw' },
    ]);
    expect(results, example.log).toEqual([
      { status: 200, retryAfter: undefined },
      { status: 401, retryAfter: undefined },
      { status: 503, retryAfter: 7 },
      { status: 503, retryAfter: 7 },
      { status: 503, retryAfter: 7 },
    ]);

    // MySQL back: the same questions are answered again.
    await mysqlProxy.resume();
    expect((await playCases(example, [register('erin', 'erin-pw')]))[0]?.status).toBe(200);
  }, 120_000);
});

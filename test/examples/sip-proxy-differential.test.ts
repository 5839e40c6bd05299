/**
 * The example SIP proxy (examples/sip-proxy) against Kamailio 5.6 running the standard
 * auth_db + group + permissions cfg (test/helpers/sip-proxy/kamailio-proxy.cfg.tmpl) on the same
 * database: the same sipp cases, the same final status for every case. Each case also states
 * the status Kamailio is expected to give, so a harness that broke both sides alike would fail.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KamailioProcess, needKamailio } from '../helpers/kamailio.js';
import { needKamailioDatabase } from '../helpers/kamailio-db.js';
import { useServicesFixture } from '../helpers/services-fixture.js';
import { needBinary } from '../helpers/services.js';
import { playCases, SIP_PROXY_HELPER_DIR, SippCallee, type SipCase, type SipTarget } from '../helpers/sip-cases.js';
import { SipProxyProcess } from '../helpers/sip-proxy-process.js';
import { PASSWORD_ENV, tempDir, writeConfig } from '../cli/cli.js';
import { CALLEE, loadSipFixtures } from './sip-fixtures.js';

const ready = needKamailio() && needBinary('sipp') && needBinary('memcached') && (await needKamailioDatabase());

/** A case and the status Kamailio gives it. */
type Expected = readonly [SipCase, number, string];

const reg = (user: string, authUser: string, password: string, domain = 'example.com'): SipCase => ({ kind: 'REGISTER', user, domain, authUser, password });
const call = (kind: 'INVITE' | 'MESSAGE' | 'OPTIONS', from: string, to: string, authUser: string, password: string, domain = 'example.com'): SipCase => ({ kind, from, domain, to, authUser, password });

const REGISTER_CASES: readonly Expected[] = [
  [reg('alice', 'alice', 'alice-pw'), 200, 'right password'],
  [reg('alice', 'alice', 'wrong-pw'), 401, 'wrong password: challenged again'],
  [reg('mallory', 'mallory', 'alice-pw'), 401, 'unknown user'],
  [reg('ALICE', 'ALICE', 'alice-pw'), 401, 'the collation finds alice, but her HA1 was made for "alice"'],
  [reg('carol', 'carol', 'carol-pw'), 200, 'row "carol " (trailing space) found as "carol"'],
  [reg('ZED', 'ZED', 'zed-pw'), 200, 'row "zed" found as "ZED", HA1 made for "ZED"'],
  [reg('alice', 'alice@example.com', 'alice-pw'), 200, 'ha1b form'],
  [reg('heidi', 'heidi@example.com', 'heidi-pw'), 200, 'ha1b form, domain stored in mixed case'],
  [reg('bob', 'bob@example.com', 'bob-com-pw'), 401, 'ha1b form with an empty ha1b'],
  [reg('bob', 'bob', 'bob-com-pw'), 200, 'same user in two domains: the first row'],
  [reg('bob', 'bob', 'bob-org-pw', 'example.org'), 401, 'same user in two domains: not the second row'],
  [reg('dave', 'dave', 'dave-pw'), 401, 'empty ha1'],
  [reg('grace', 'grace', 'grace-pw'), 401, 'ha1 in upper case'],
  [reg('frank', 'frank', 'frank-pw'), 200, 'empty domain column'],
  [reg('alice', 'erin', 'erin-pw'), 403, 'authenticated as someone else than the To user'],
];

const UNTRUSTED_CASES: readonly Expected[] = [
  [call('INVITE', 'alice', CALLEE.user, 'alice', 'alice-pw'), 200, 'ipauth member calls a registered user'],
  [call('INVITE', 'alice', 'nobody', 'alice', 'alice-pw'), 404, 'ipauth member calls an unregistered user'],
  [call('INVITE', 'alice', CALLEE.user, 'alice', 'wrong-pw'), 407, 'wrong password'],
  [call('INVITE', 'mallory', CALLEE.user, 'mallory', 'x-pw'), 407, 'unknown user'],
  [call('INVITE', 'bob', CALLEE.user, 'bob', 'bob-com-pw'), 403, 'authenticated, not in ipauth'],
  [call('INVITE', 'erin', CALLEE.user, 'erin', 'erin-pw'), 403, 'in "ops", not in ipauth'],
  [call('INVITE', 'carol', CALLEE.user, 'carol', 'carol-pw'), 200, 'member as "carol " (trailing space)'],
  [call('INVITE', 'ZED', CALLEE.user, 'ZED', 'zed-pw'), 200, 'member as "Zed " in "IPAuth"'],
  [call('INVITE', 'frank', CALLEE.user, 'frank', 'frank-pw'), 200, 'member with an empty domain'],
  [call('INVITE', 'alice', CALLEE.user, 'alice@example.com', 'alice-pw'), 200, 'ha1b form'],
  [call('INVITE', 'heidi', CALLEE.user, 'heidi@example.com', 'heidi-pw'), 403, 'ha1b form, not in ipauth'],
  [call('INVITE', 'alice', CALLEE.user, 'erin', 'erin-pw'), 403, 'authenticated as someone else than the From user'],
  [call('MESSAGE', 'alice', CALLEE.user, 'alice', 'alice-pw'), 200, 'MESSAGE to a registered user'],
  [call('MESSAGE', 'alice', 'nobody', 'alice', 'alice-pw'), 404, 'MESSAGE to an unregistered user'],
  [call('MESSAGE', 'bob', CALLEE.user, 'bob', 'bob-com-pw'), 403, 'MESSAGE from a non-member'],
  [call('OPTIONS', 'alice', CALLEE.user, 'alice', 'alice-pw'), 200, 'OPTIONS to a registered user'],
  [call('OPTIONS', 'alice', CALLEE.user, 'alice', 'wrong-pw'), 407, 'OPTIONS with a wrong password'],
];

/** From a trusted source nobody is challenged: unknown users and wrong passwords pass. */
const TRUSTED_CASES: readonly Expected[] = [
  [call('INVITE', 'mallory', CALLEE.user, 'mallory', 'x-pw'), 200, 'unknown user from a trusted source'],
  [call('INVITE', 'bob', CALLEE.user, 'bob', 'wrong-pw'), 200, 'non-member from a trusted source'],
  [call('INVITE', 'mallory', 'nobody', 'mallory', 'x-pw'), 404, 'trusted source, unregistered callee'],
  [call('MESSAGE', 'mallory', CALLEE.user, 'mallory', 'x-pw'), 200, 'MESSAGE from a trusted source'],
  [call('OPTIONS', 'mallory', CALLEE.user, 'mallory', 'x-pw'), 200, 'OPTIONS from a trusted source'],
];

describe.skipIf(!ready)('the example SIP proxy answers as Kamailio does', () => {
  const services = useServicesFixture(2);
  let example: SipProxyProcess;
  let kamailio: KamailioProcess;
  let callee: SippCallee;

  beforeAll(async () => {
    await loadSipFixtures(services.db);
    const config = writeConfig(tempDir(), { servers: services.addresses, mysqlUrl: services.db.url, keyPrefix: `sipdiff${process.pid}:` });
    const password = decodeURIComponent(new URL(services.db.url).password);
    [example, kamailio, callee] = await Promise.all([
      SipProxyProcess.start({ configPath: config, env: { [PASSWORD_ENV]: password } }),
      KamailioProcess.start({ dbUrl: services.db.url, useDomainGroup: false, useDomainAuth: false, template: await readFile(path.join(SIP_PROXY_HELPER_DIR, 'kamailio-proxy.cfg.tmpl'), 'utf8') }),
      SippCallee.start(),
    ]);
    // The callee registers with both, as a phone registers with its proxy.
    const registration: SipCase = { kind: 'REGISTER', user: CALLEE.user, domain: CALLEE.domain, authUser: CALLEE.user, password: CALLEE.password, contact: callee.contact(CALLEE.user), expires: 3600 };
    for (const target of [example, kamailio]) expect(await playCases(target, [registration])).toEqual([{ status: 200, retryAfter: undefined }]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([example?.stop(), kamailio?.stop(), callee?.stop()]);
  });

  /** Plays the cases against both; the two answers and the expected status per case, side by side. */
  async function compare(cases: readonly Expected[], localIp: string): Promise<void> {
    const play = (target: SipTarget) => playCases(target, cases.map(([c]) => c), { localIp });
    const [fromExample, fromKamailio] = [await play(example), await play(kamailio)];
    const rows = cases.map(([c, expected, why], i) => ({ case: `${c.kind} ${why}`, expected, kamailio: fromKamailio[i]?.status, example: fromExample[i]?.status }));
    expect(rows.filter((r) => r.kamailio !== r.example), example.log).toEqual([]);
    expect(rows.filter((r) => r.kamailio !== r.expected)).toEqual([]);
  }

  it('REGISTER: right and wrong passwords, unknown users, spellings the collation equates, ha1b', async () => {
    await compare(REGISTER_CASES, '127.0.0.1');
  }, 120_000);

  it('INVITE, MESSAGE, OPTIONS from an untrusted source: 407, ipauth membership, registered and unregistered callees', async () => {
    // 127.0.0.1 is in address group 1 for port 5060 only; sipp sends from another port.
    await compare(UNTRUSTED_CASES, '127.0.0.1');
  }, 120_000);

  it('INVITE, MESSAGE, OPTIONS from trusted sources (address group 1: a host, a subnet)', async () => {
    await compare(TRUSTED_CASES, '127.0.0.2');
    await compare(TRUSTED_CASES, '127.10.20.30');
  }, 120_000);
});

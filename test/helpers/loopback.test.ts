import dgram from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeOnExit } from './exit-cleanup.js';
import { MemcachedProcess, NutcrackerProcess, findBinary, freePort, needBinary } from './services.js';
import { boundSockets, isLoopback, pidsWithArgument, type BoundSocket } from './sockets.js';
import { runSippProcess } from './sipp-process.js';
import { waitFor } from './wait.js';

/** Every socket the helpers' child processes bind is on loopback: the kernel's word, from /proc. */
function expectLoopbackOnly(sockets: readonly BoundSocket[]): void {
  expect(sockets.filter((s) => s.listening).length).toBeGreaterThan(0);
  expect(sockets.filter((s) => !isLoopback(s.address))).toEqual([]);
}

describe.skipIf(!needBinary('memcached') || !needBinary('nutcracker'))('memcached and nutcracker bind loopback only', () => {
  const servers: MemcachedProcess[] = [];
  let proxy: NutcrackerProcess | undefined;
  afterAll(async () => {
    await proxy?.stop();
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('memcached', async () => {
    const mc = await MemcachedProcess.start();
    servers.push(mc);
    expectLoopbackOnly(await boundSockets(mc.pid ?? 0));
  });

  it('nutcracker, with its stats port', async () => {
    const mc = await MemcachedProcess.start();
    servers.push(mc);
    proxy = await NutcrackerProcess.start(
      ['authring:', `  listen: 127.0.0.1:${await freePort()}`, '  hash: md5', '  distribution: ketama', '  servers:', `   - ${mc.address}:1`, ''].join('\n'),
    );
    const [pid] = await pidsWithArgument(proxy.configPath);
    const sockets = await boundSockets(pid ?? 0);
    expect(sockets.map((s) => s.port)).toEqual(expect.arrayContaining([proxy.port, proxy.statsPort]));
    expectLoopbackOnly(sockets);
  });
});

describe.skipIf(!needBinary('sipp'))('sipp binds loopback only: SIP, media and control sockets', () => {
  it('as the Kamailio harness runs it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'authring-sipp-'));
    removeOnExit(dir);
    // A SIP target that never answers; the scenario sends once and waits, long enough to look.
    const target = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => target.bind({ address: '127.0.0.1', port: 0 }, () => resolve()));
    let received = 0;
    target.on('message', () => (received += 1));
    const scenario = path.join(dir, 'options.xml');
    writeFileSync(
      scenario,
      `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="options">
  <send><![CDATA[
OPTIONS sip:[field0]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:probe@[local_ip]>;tag=[call_number]
To: <sip:[field0]@[remote_ip]>
Call-ID: [call_id]
CSeq: 1 OPTIONS
Max-Forwards: 70
Content-Length: 0

  ]]></send>
  <pause milliseconds="30000"/>
</scenario>
`,
    );
    const csvPath = path.join(dir, 'rows.csv');
    writeFileSync(csvPath, 'SEQUENTIAL\nprobe;\n');
    try {
      const run = runSippProcess({
        sipp: findBinary('sipp') ?? 'sipp',
        kamailio: { host: '127.0.0.1', port: target.address().port },
        scenario,
        dir,
        csvPath,
        calls: 1,
        rate: 1,
        limit: 1,
        timeoutMs: 30_000,
      });
      // Once the request has arrived, sipp has opened everything it will.
      await waitFor(() => received > 0, 'the OPTIONS request');
      const [pid] = await pidsWithArgument(scenario);
      const sockets = await boundSockets(pid ?? 0);
      process.kill(pid ?? 0, 'SIGKILL');
      await run;
      expect(sockets.length).toBeGreaterThanOrEqual(3); // SIP, media, control
      expectLoopbackOnly(sockets);
    } finally {
      target.close();
    }
  });
});

/**
 * Readiness of a SIP endpoint on loopback: OPTIONS sent every 200 ms from a throwaway UDP
 * socket until any response comes back (its status does not matter: 200, 404 and 407 all mean
 * a SIP stack is reading the port). Shared by the example proxy, the sipp callee and the
 * benchmark.
 */
import dgram from 'node:dgram';
import net from 'node:net';

/** Resolves once `host:port` answers an OPTIONS; rejects after `timeoutMs` or when `alive()` turns false. */
export async function waitForSipAnswer(host: string, port: number, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: host, port: 0 }, () => resolve());
  });
  const localPort = socket.address().port;
  let answered: () => void = () => undefined;
  const answer = new Promise<void>((resolve) => (answered = resolve));
  socket.on('message', (message) => {
    if (message.toString('latin1').startsWith('SIP/2.0 ')) answered();
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (let n = 1; ; n++) {
      if (!alive()) throw new Error(`the SIP endpoint on ${host}:${port} exited before answering`);
      if (Date.now() > deadline) throw new Error(`nothing answered an OPTIONS on ${host}:${port} within ${timeoutMs} ms`);
      const request =
        `OPTIONS sip:probe@${host}:${port} SIP/2.0\r\n` +
        `Via: SIP/2.0/UDP ${host}:${localPort};branch=z9hG4bK-probe-${n}-${process.pid}\r\n` +
        `From: <sip:probe@${host}:${localPort}>;tag=probe${n}\r\n` +
        `To: <sip:probe@${host}:${port}>\r\n` +
        `Call-ID: probe-${n}-${process.pid}-${localPort}@${host}\r\n` +
        `CSeq: ${n} OPTIONS\r\nMax-Forwards: 10\r\nContent-Length: 0\r\n\r\n`;
      socket.send(request, port, host);
      const tick = new Promise<'tick'>((resolve) => setTimeout(() => resolve('tick'), 200));
      if ((await Promise.race([answer.then(() => 'answered' as const), tick])) === 'answered') return;
    }
  } finally {
    socket.close();
  }
}

/** A port free for both UDP and TCP on `host` (bound, then released). */
export async function freeSipPort(host = '127.0.0.1'): Promise<number> {
  for (;;) {
    const udp = dgram.createSocket('udp4');
    const port = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ address: host, port: 0, exclusive: true }, () => resolve(udp.address().port));
    });
    const tcpFree = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (tcpFree) return port;
  }
}

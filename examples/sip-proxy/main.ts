/**
 * A SIP registrar and stateful proxy node on authring.
 *
 *   npx tsx examples/sip-proxy/main.ts -c authring.yaml --listen 127.0.0.1:5060
 *
 * Several processes started on one cluster file share one cache (the memcached ring) and one
 * database; each keeps the registrations it received in its own memory. Walkthrough:
 * docs/node-proxy.md.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { Command, InvalidArgumentError } from 'commander';
import sip from 'sip';
import { ProxyNode, loadConfig, resolveConfigPath } from '../../src/index.js';
import { DigestAuth } from './digest.js';
import { DirectLookups } from './direct-lookups.js';
import { Forwarder } from './forwarder.js';
import { SipProxy, type AuthLookups } from './proxy.js';
import { Registrar } from './registrar.js';

interface Options {
  readonly config?: string;
  readonly listen: { address: string; port: number };
  readonly direct?: boolean;
  readonly trustedGroup: number;
  readonly callerGroup: string;
  readonly retryAfter: number;
  readonly nonceExpire: number;
  readonly verbose?: boolean;
}

const program = new Command('sip-proxy')
  .description('SIP registrar and stateful proxy answering auth questions through authring')
  .option('-c, --config <file>', 'cluster config file (default: $AUTHRING_CONFIG or ./authring.yaml)')
  .requiredOption('--listen <address:port>', 'UDP and TCP address to listen on, e.g. 127.0.0.1:5060 or [::1]:5060', parseListen)
  .option('--direct', 'ask MySQL directly instead of through authring (for comparison)')
  .option('--trusted-group <n>', 'address group whose sources skip authentication', positiveInteger, 1)
  .option('--caller-group <name>', 'group a caller must be in', 'ipauth')
  .option('--retry-after <s>', 'Retry-After of a 503 when MySQL cannot answer', positiveInteger, 5)
  .option('--nonce-expire <s>', 'seconds a digest nonce stays valid', positiveInteger, 300)
  .option('--verbose', 'one line per answer on stderr');

async function main(): Promise<void> {
  const options = program.parse().opts<Options>();
  const log = (line: string): void => void process.stderr.write(`sip-proxy: ${line}\n`);
  await checkFree(options.listen);

  // The public entry point: reads the cluster file, connects, applies edits of the file live.
  const node = options.direct ? undefined : await ProxyNode.start(options.config === undefined ? {} : { configPath: options.config });
  node?.on('config-error', (error) => log(`config: ${error.message}`));
  node?.on('reload', (_config, restartNeeded) => log(`config reloaded${restartNeeded.length > 0 ? `; restart to apply ${restartNeeded.join(', ')}` : ''}`));
  const config = node?.config ?? (await loadConfig(resolveConfigPath(options.config)));
  const direct = node ? undefined : await DirectLookups.start(config);
  const lookups: AuthLookups = node?.auth ?? direct!;

  const registrar = new Registrar(config.lookups.credentials.useDomain);
  const proxy = new SipProxy(lookups, registrar, new Forwarder(options.listen), new DigestAuth(options.nonceExpire), {
    trustedGroup: options.trustedGroup,
    callerGroup: options.callerGroup,
    retryAfterS: options.retryAfter,
    ...(options.verbose ? { log } : {}),
  });
  const { address, port } = options.listen;
  sip.start({ address, port, publicAddress: address, udp: true, tcp: true, logger: { error: (error) => log(`stack: ${String(error)}`) } }, proxy.onRequest);
  process.stdout.write(`sip-proxy: listening on udp+tcp ${net.isIPv6(address) ? `[${address}]` : address}:${port} (${node ? 'authring' : 'MySQL directly'})\n`);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    sip.stop();
    registrar.close();
    await (node ? node.close() : direct?.close());
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

/** `host:port` or `[v6]:port`. */
function parseListen(value: string): { address: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const address = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!address || net.isIP(address) === 0 || !(port > 0 && port < 65536)) throw new InvalidArgumentError('expected an IP address and port, e.g. 127.0.0.1:5060');
  return { address, port };
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/**
 * Binds the UDP and TCP port once and lets go, so a port in use is reported here in one line
 * (the stack would crash on it later with an unhandled socket error).
 */
async function checkFree({ address, port }: { address: string; port: number }): Promise<void> {
  const udp = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind({ address, port, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => udp.close(() => resolve()));
  const tcp = net.createServer();
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen({ host: address, port, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => tcp.close(() => resolve()));
}

main().catch((error: unknown) => {
  process.stderr.write(`sip-proxy: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

/**
 * A real Kamailio 5.6 run per test as a child process, configured (from
 * test/helpers/kamailio/kamailio.cfg.tmpl) to answer auth questions asked in SIP headers
 * with the group, auth_db and permissions modules on a given database. Ask it questions
 * with `askKamailio()` from ./sipp.ts.
 *
 * It listens on `udp:127.0.0.1:<free port>` only, with 2 worker children, in the
 * foreground (`-DD`), logging to stderr (`-E`), which is kept in {@link KamailioProcess.log}.
 *
 * Outside CI a test is skipped when kamailio is missing (`needKamailio()`); with `CI=true`
 * it fails.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forgetDir, killOnExit, removeOnExit } from './exit-cleanup.js';
import { findBinary, needBinary } from './services.js';

/** The only address Kamailio listens on. */
const LOOPBACK = '127.0.0.1';

/** Directory of the cfg template and sipp scenarios. */
export const KAMAILIO_HELPER_DIR: string = fileURLToPath(new URL('./kamailio/', import.meta.url));

const TEMPLATE = path.join(KAMAILIO_HELPER_DIR, 'kamailio.cfg.tmpl');

/** Keep at most this much of Kamailio's output. */
const MAX_LOG = 2 * 1024 * 1024;

const LOOPBACK_DB_HOST = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost)$/;

/**
 * Group names that can appear in the cfg: printable ASCII without `"` and `\`, which
 * would need escaping in a Kamailio string literal.
 */
const GROUP_NAME = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;

/** Options for {@link KamailioProcess.start}. */
export interface KamailioOptions {
  /** The database, `mysql://user:password@127.0.0.1:3306/name` (loopback only). */
  dbUrl: string;
  /** group module `use_domain`: match `grp.domain` too. */
  useDomainGroup: boolean;
  /** auth_db module `use_domain`: match `subscriber.domain` (against the realm) too. */
  useDomainAuth: boolean;
  /**
   * Every group name `is_user_in` may be asked about. The group module takes the group as
   * a fixed string in the cfg (never a variable), so the cfg gets one branch per name and
   * a question about any other name is refused by askKamailio.
   */
  groups?: readonly string[];
  /** Kamailio `debug` level (2 = info, 3 = debug); 2 when omitted. */
  debug?: number;
  /** How long to wait for the first answer to an OPTIONS; 15 s when omitted. */
  startTimeoutMs?: number;
  /**
   * A cfg template to use instead of test/helpers/kamailio/kamailio.cfg.tmpl, rendered with the
   * same double-brace placeholders (DEBUG, PORT, DB_URL, GROUP_USE_DOMAIN, AUTH_USE_DOMAIN,
   * GROUP_CASES; unused ones are fine). It must listen on udp:127.0.0.1:{{PORT}} and answer an
   * OPTIONS without X-Check headers with any reply (the readiness probe).
   */
  template?: string;
}

/**
 * Gate for tests that need Kamailio: `describe.skipIf(!needKamailio())(...)`.
 *
 * @returns true when kamailio is installed; false outside CI when it is missing (skip).
 * @throws Error when it is missing and `CI=true`.
 */
export function needKamailio(): boolean {
  return needBinary('kamailio');
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A free UDP port on 127.0.0.1 (bound to port 0, then released). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind({ address: LOOPBACK, port: 0, exclusive: true }, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** Checks that `name` can be written as it is inside a cfg string literal. */
function assertGroupName(name: string): void {
  if (!GROUP_NAME.test(name)) {
    throw new Error(
      `group name ${JSON.stringify(name)} cannot be put in the Kamailio cfg: ` +
        'only printable ASCII without " and \\ is supported',
    );
  }
}

/** The `switch` cases for route[GROUP_SWITCH]: case i runs is_user_in with groups[i]. */
function groupCases(groups: readonly string[]): string {
  return groups
    .map(
      (group, index) =>
        `\t\tcase ${index}:\n` +
        `\t\t\tis_user_in("$avp(uri)", "${group}");\n` +
        '\t\t\t$var(rc) = $rc;\n' +
        '\t\t\tbreak;\n',
    )
    .join('');
}

/** Fills the template's {{NAME}} placeholders; throws on one without a value. */
function render(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`kamailio.cfg.tmpl: no value for {{${name}}}`);
    return value;
  });
}

/** Checks the db URL is a mysql:// URL on a loopback host. */
function assertDbUrl(dbUrl: string): void {
  const url = new URL(dbUrl);
  if (url.protocol !== 'mysql:') throw new Error(`KamailioProcess: dbUrl must be mysql://…, got ${url.protocol}`);
  if (!LOOPBACK_DB_HOST.test(url.hostname)) {
    throw new Error(`KamailioProcess: the database must be on a loopback address, not "${url.hostname}"`);
  }
  if (url.pathname.length <= 1) throw new Error('KamailioProcess: dbUrl names no database');
}

/**
 * A Kamailio 5.6 child process answering group, address and credentials questions (see
 * the header of test/helpers/kamailio/kamailio.cfg.tmpl for the protocol).
 */
export class KamailioProcess {
  /** UDP port on 127.0.0.1. */
  readonly port: number;
  /** Always 127.0.0.1. */
  readonly host: string = LOOPBACK;
  /** The group names the cfg can check, in branch order. */
  readonly groups: readonly string[];
  /** The options it was started with. */
  readonly options: Readonly<KamailioOptions>;
  /** Temp dir holding the cfg (removed by {@link stop}). */
  readonly dir: string;
  /** Path of the generated kamailio.cfg. */
  readonly configPath: string;
  /** The generated cfg text. */
  readonly config: string;

  private readonly child: ChildProcess;
  private output = '';
  private exitDescription: string | undefined;
  private readonly exited: Promise<void>;
  private readonly groupIndexes: ReadonlyMap<string, number>;

  private constructor(
    child: ChildProcess,
    port: number,
    options: KamailioOptions,
    groups: readonly string[],
    dir: string,
    configPath: string,
    config: string,
  ) {
    this.child = child;
    this.port = port;
    this.options = { ...options };
    this.groups = groups;
    this.groupIndexes = new Map(groups.map((g, i) => [g, i]));
    this.dir = dir;
    this.configPath = configPath;
    this.config = config;
    const collect = (chunk: Buffer): void => {
      this.output += chunk.toString('utf8');
      if (this.output.length > MAX_LOG) this.output = this.output.slice(-MAX_LOG);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => {
      const finish = (description: string): void => {
        if (this.exitDescription !== undefined) return;
        this.exitDescription = description;
        resolve();
      };
      child.once('exit', (code, signal) => finish(signal ? `signal ${signal}` : `exit code ${String(code)}`));
      child.once('error', (error) => finish(`spawn error: ${error.message}`));
    });
  }

  /**
   * Writes a kamailio.cfg into a temp dir, checks it with `kamailio -c`, starts
   * `kamailio -DD -E -f cfg` and resolves once it answers an OPTIONS.
   *
   * @throws Error when kamailio is missing, rejects the cfg, exits, or does not answer
   *   within `startTimeoutMs` (with its log).
   */
  static async start(options: KamailioOptions): Promise<KamailioProcess> {
    const binary = findBinary('kamailio');
    if (binary === undefined) {
      throw new Error('"kamailio" is not installed; install the Debian package "kamailio" (bash scripts/services.sh --interop)');
    }
    assertDbUrl(options.dbUrl);
    const groups = [...new Set(options.groups ?? [])];
    for (const group of groups) assertGroupName(group);
    const debug = options.debug ?? 2;
    if (!Number.isInteger(debug) || debug < -5 || debug > 5) throw new Error(`bad debug level ${debug}`);

    const dir = await mkdtemp(path.join(os.tmpdir(), 'authring-kamailio-'));
    removeOnExit(dir);
    const removeDir = async (): Promise<void> => {
      await rm(dir, { recursive: true, force: true });
      forgetDir(dir);
    };
    let port: number;
    let config: string;
    let configPath: string;
    try {
      port = await freeUdpPort();
      config = render(options.template ?? (await readFile(TEMPLATE, 'utf8')), {
        DEBUG: String(debug),
        PORT: String(port),
        DB_URL: options.dbUrl,
        GROUP_USE_DOMAIN: options.useDomainGroup ? '1' : '0',
        AUTH_USE_DOMAIN: options.useDomainAuth ? '1' : '0',
        GROUP_CASES: groupCases(groups),
      });
      configPath = path.join(dir, 'kamailio.cfg');
      await writeFile(configPath, config, 'utf8');
      const check = spawnSync(binary, ['-c', '-f', configPath], { encoding: 'utf8', timeout: 20_000 });
      if (check.error !== undefined || check.status !== 0) {
        throw new Error(
          `kamailio -c rejected the generated cfg (${check.error?.message ?? `exit code ${String(check.status)}`}):\n` +
            `${check.stdout}${check.stderr}\n--- ${configPath} ---\n${numbered(config)}`,
        );
      }
    } catch (error) {
      await removeDir();
      throw error;
    }

    const args = ['-DD', '-E', '-f', configPath, '-Y', dir, '-w', dir, '-m', '64', '-M', '8'];
    // detached: its own process group, so stop() can reach the worker children too.
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, cwd: dir });
    child.once('exit', killOnExit(() => killGroup(child, 'SIGKILL')));
    const kamailio = new KamailioProcess(child, port, options, groups, dir, configPath, config);
    try {
      await kamailio.waitReady(options.startTimeoutMs ?? 15_000);
    } catch (error) {
      await kamailio.stop();
      throw new Error(`${(error as Error).message}\n--- kamailio log ---\n${kamailio.log}`, { cause: error });
    }
    return kamailio;
  }

  /** Everything Kamailio wrote to stdout/stderr so far (the last 2 MB). */
  get log(): string {
    return this.output;
  }

  /** The last `lines` lines of {@link log}. */
  logTail(lines = 60): string {
    return this.output.split('\n').slice(-lines - 1).join('\n');
  }

  /** True while the main process is alive. */
  get running(): boolean {
    return this.exitDescription === undefined;
  }

  /** The main process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Freezes every process of this Kamailio (SIGSTOP to its process group): sockets stay open, the
   * kernel still accepts connections and queues requests, nothing is answered.
   */
  pause(): void {
    killGroup(this.child, 'SIGSTOP');
  }

  /** Thaws what {@link pause} froze (SIGCONT to the process group). */
  resume(): void {
    killGroup(this.child, 'SIGCONT');
  }

  /** Index of `group` in {@link groups} (the X-GI header value), or undefined. */
  groupIndex(group: string): number | undefined {
    return this.groupIndexes.get(group);
  }

  /** Sends OPTIONS every 200 ms until one is answered. */
  private async waitReady(timeoutMs: number): Promise<void> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: LOOPBACK, port: 0 }, () => resolve());
    });
    const localPort = socket.address().port;
    let answered = false;
    socket.on('message', (message) => {
      if (message.toString('latin1').startsWith('SIP/2.0 ')) answered = true;
    });
    try {
      const deadline = Date.now() + timeoutMs;
      for (let n = 1; !answered; n++) {
        if (!this.running) throw new Error(`kamailio exited (${this.exitDescription ?? '?'}) before answering`);
        if (Date.now() > deadline) throw new Error(`kamailio did not answer an OPTIONS on ${LOOPBACK}:${this.port} within ${timeoutMs} ms`);
        const request =
          `OPTIONS sip:ready@${LOOPBACK}:${this.port} SIP/2.0\r\n` +
          `Via: SIP/2.0/UDP ${LOOPBACK}:${localPort};branch=z9hG4bK-ready-${n}-${process.pid}\r\n` +
          `From: <sip:authring@${LOOPBACK}:${localPort}>;tag=ready${n}\r\n` +
          `To: <sip:ready@${LOOPBACK}:${this.port}>\r\n` +
          `Call-ID: ready-${n}-${process.pid}@${LOOPBACK}\r\n` +
          `CSeq: ${n} OPTIONS\r\nMax-Forwards: 10\r\nContent-Length: 0\r\n\r\n`;
        socket.send(request, this.port, LOOPBACK);
        await sleep(200);
      }
    } finally {
      socket.close();
    }
  }

  /**
   * SIGTERM to Kamailio's main process (which stops its children), SIGKILL to the whole
   * process group after 5 s, then removes the temp dir. The log stays readable.
   */
  async stop(): Promise<void> {
    if (this.running) {
      this.resume();
      try {
        this.child.kill('SIGTERM');
      } catch {
        // already gone
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), 5000);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        killGroup(this.child, 'SIGKILL');
        await this.exited;
      }
    }
    // Any worker that outlived the main process.
    killGroup(this.child, 'SIGKILL');
    await rm(this.dir, { recursive: true, force: true });
    forgetDir(this.dir);
  }
}

/** `text` with line numbers, for cfg error messages. */
function numbered(text: string): string {
  return text
    .split('\n')
    .map((line, i) => `${String(i + 1).padStart(4)}  ${line}`)
    .join('\n');
}

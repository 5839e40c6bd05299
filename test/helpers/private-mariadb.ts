/**
 * A private MariaDB server for one test file: its own data directory (made by
 * mariadb-install-db), its own unix socket, a free port on 127.0.0.1, optionally TLS with the
 * test's own certificates. It is a child process, killed when the test process exits. Use it for
 * server settings the shared MariaDB on :3306 must not get (TLS, `require_secure_transport`).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql, { type Connection } from 'mysql2/promise';
import { killOnExit, removeOnExit } from './exit-cleanup.js';
import { findBinary, freePort, waitForPort } from './services.js';

const run = promisify(execFile);

/** Options of {@link PrivateMariadb.start}. */
export interface PrivateMariadbOptions {
  /** Server certificate files (PEM paths): the server then offers TLS. */
  readonly tls?: { readonly ca: string; readonly cert: string; readonly key: string };
  /** Milliseconds to wait for the server to accept connections. @default 60000 */
  readonly startTimeoutMs?: number;
}

/** A running private MariaDB; `root` has no password and is reachable only over the socket and loopback. */
export class PrivateMariadb {
  private constructor(
    /** The TCP port on 127.0.0.1. */
    readonly port: number,
    /** Its directory: data, socket, logs. */
    readonly dir: string,
    private readonly child: ChildProcess,
    private readonly forget: () => void,
  ) {}

  /** The unix socket, for `root`. */
  get socket(): string {
    return path.join(this.dir, 'mysqld.sock');
  }

  /**
   * Initialises a data directory and starts the server.
   * @throws Error with the server's error log when it does not come up.
   */
  static async start(options: PrivateMariadbOptions = {}): Promise<PrivateMariadb> {
    const mariadbd = findBinary('mariadbd') ?? findBinary('mysqld');
    const installDb = findBinary('mariadb-install-db') ?? findBinary('mysql_install_db');
    if (mariadbd === undefined || installDb === undefined) throw new Error('mariadbd and mariadb-install-db are needed (Debian package mariadb-server)');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'authring-mariadb-'));
    removeOnExit(dir);
    const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
    const datadir = path.join(dir, 'data');
    await run(installDb, ['--no-defaults', `--datadir=${datadir}`, ...asRoot, '--auth-root-authentication-method=normal', '--skip-test-db'], { timeout: 120_000 });
    const port = await freePort();
    const tls = options.tls === undefined ? [] : [`--ssl-ca=${options.tls.ca}`, `--ssl-cert=${options.tls.cert}`, `--ssl-key=${options.tls.key}`];
    const child = spawn(
      mariadbd,
      [
        '--no-defaults',
        ...asRoot,
        `--datadir=${datadir}`,
        `--socket=${path.join(dir, 'mysqld.sock')}`,
        `--pid-file=${path.join(dir, 'mysqld.pid')}`,
        `--log-error=${path.join(dir, 'error.log')}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        '--skip-name-resolve',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=16M',
        ...tls,
      ],
      { stdio: 'ignore' },
    );
    const forget = killOnExit(() => child.kill('SIGKILL'));
    const server = new PrivateMariadb(port, dir, child, forget);
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`mariadbd exited (${String(code)}): ${server.errorLog()}`))));
    exited.catch(() => undefined); // also rejects on a normal stop
    try {
      await Promise.race([waitForPort(port, '127.0.0.1', options.startTimeoutMs ?? 60_000), exited]);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** A connection as `root` over the unix socket; the caller ends it. */
  root(): Promise<Connection> {
    return mysql.createConnection({ socketPath: this.socket, user: 'root', multipleStatements: true });
  }

  /** Runs SQL as `root` (several statements allowed). */
  async sql(text: string): Promise<void> {
    const connection = await this.root();
    try {
      await connection.query(text);
    } finally {
      await connection.end();
    }
  }

  /** The server's error log, for failure messages. */
  errorLog(): string {
    try {
      return readFileSync(path.join(this.dir, 'error.log'), 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '(no error log)';
    }
  }

  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and removes its directory. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const gone = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    this.forget();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Runs the real `authring` command as a child process (`node --import tsx src/cli/main.ts …`) and
 * writes temporary cluster config files for it. Everything is on 127.0.0.1.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/run.js';
import { mysqlUrl } from '../helpers/services.js';

/** The repository root (the command runs from here, so tsx resolves). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The environment variable the test configs read the MySQL password from. */
export const PASSWORD_ENV = 'AUTHRING_CLI_TEST_MYSQL_PASSWORD';

/** How one run ended. */
export interface CliResult {
  /** Exit status (null if killed by a signal). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link authring}. */
export interface RunOptions {
  /** Written to stdin, which is then closed; stdin is empty otherwise. */
  readonly stdin?: string;
  /** Extra environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Kill (SIGKILL) after this many ms; the test fails on a hang instead of hanging. @default 60000 */
  readonly killAfterMs?: number;
}

/** Spawns the command without waiting, for tests that signal it. */
export function spawnAuthring(args: readonly string[], options: RunOptions = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, [PASSWORD_ENV]: mysqlPassword(), ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Collects a spawned command's output until it exits. */
export function finished(child: ChildProcessWithoutNullStreams, killAfterMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', (error) => {
      clearTimeout(killer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs `authring ARGS…` to completion. */
export async function authring(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const child = spawnAuthring(args, options);
  const done = finished(child, options.killAfterMs);
  child.stdin.end(options.stdin ?? '');
  return done;
}

/** Runs with `--json` and parses stdout (which must be exactly one JSON document). */
export async function authringJson<T = Record<string, unknown>>(args: readonly string[], options: RunOptions = {}): Promise<{ result: CliResult; json: T }> {
  const result = await authring(['--json', ...args], options);
  try {
    return { result, json: JSON.parse(result.stdout) as T };
  } catch (error) {
    throw new Error(`stdout is not one JSON document (exit ${String(result.code)}): ${String(error)}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`, { cause: error });
  }
}

/**
 * Runs the command in this process (`runCli`, what `main.ts` calls) and times it: for tests whose
 * subject is how long the command itself takes, which a child's start-up time on a loaded machine
 * would swamp. Exit codes and output are as the real command's.
 */
export async function authringInProcess(args: readonly string[], options: Pick<RunOptions, 'env'> = {}): Promise<CliResult & { elapsedMs: number }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const io = {
    stdin: Readable.from([]),
    stdout: sink((text) => (stdout += text)),
    stderr: sink((text) => (stderr += text)),
    env: { ...process.env, [PASSWORD_ENV]: mysqlPassword(), ...options.env },
    cwd: REPO_ROOT,
  };
  const started = performance.now();
  const code = await runCli(args, io);
  return { code, signal: null, stdout, stderr, elapsedMs: performance.now() - started };
}

/** What a test config holds. */
export interface TestConfig {
  /** memcached `host:port[:weight]`. */
  readonly servers: readonly string[];
  /** `mysql://user:password@127.0.0.1:port/database` (the password goes to {@link PASSWORD_ENV}). */
  readonly mysqlUrl: string;
  /** `cache.key_prefix`. */
  readonly keyPrefix: string;
  /** Extra YAML appended verbatim (more sections). */
  readonly extra?: string;
  /** Extra keys for the `lookups.group` section. */
  readonly group?: Readonly<Record<string, string>>;
  /** `cache.lookup_deadline_ms`. @default 3000 */
  readonly deadlineMs?: number;
}

/** The test MariaDB's password (every test database shares the login). */
function mysqlPassword(): string {
  return decodeURIComponent(new URL(mysqlUrl()).password);
}

/** A temporary directory, removed when the test process exits. */
export function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'authring-cli-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes a config file into `dir` and returns its path. */
export function writeConfig(dir: string, config: TestConfig, name = 'authring.yaml'): string {
  const url = new URL(config.mysqlUrl);
  const group = Object.entries(config.group ?? {}).map(([k, v]) => `    ${k}: ${v}`);
  const yaml = [
    'memcached:',
    '  servers:',
    ...config.servers.map((s) => `    - ${s}`),
    '  timeout_ms: 500',
    '  socket_timeout_ms: 2000',
    'mysql:',
    `  host: ${url.hostname}`,
    `  port: ${url.port === '' ? 3306 : url.port}`,
    `  user: ${decodeURIComponent(url.username)}`,
    `  password_env: ${PASSWORD_ENV}`,
    `  database: ${decodeURIComponent(url.pathname.replace(/^\//, ''))}`,
    '  query_timeout_ms: 3000',
    'cache:',
    `  key_prefix: "${config.keyPrefix}"`,
    `  lookup_deadline_ms: ${config.deadlineMs ?? 3000}`,
    '  lease_ms: 4000',
    ...(group.length > 0 ? ['lookups:', '  group:', ...group] : []),
    config.extra ?? '',
  ].join('\n');
  const file = path.join(dir, name);
  writeFileSync(file, `${yaml}\n`, 'utf8');
  return file;
}

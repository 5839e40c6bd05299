/**
 * Builds and runs test/interop/ketama-placement.c, the oracle that asks libmemcached itself which
 * server weighted ketama picks for a key.
 *
 * The binary goes to test/interop/bin/ (gitignored) and is rebuilt only when it is missing or
 * older than its source, so a test run compiles it at most once.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The C source of the placement oracle. */
export const PLACEMENT_SOURCE = join(here, 'ketama-placement.c');
/** Where the compiled oracle lives. */
export const PLACEMENT_BINARY = join(here, 'bin', 'ketama-placement');
/** The header libmemcached-dev installs; without it the oracle cannot be built. */
export const LIBMEMCACHED_HEADER = '/usr/include/libmemcached/memcached.h';

/** Compiler and linker flags for libmemcached: pkg-config's answer, or the plain library. */
function libmemcachedFlags(): string[] {
  const result = spawnSync('pkg-config', ['--cflags', '--libs', 'libmemcached'], { encoding: 'utf8' });
  if (result.status === 0 && result.stdout.trim() !== '') return result.stdout.trim().split(/\s+/);
  return ['-lmemcached'];
}

function isFresh(binary: string, source: string): boolean {
  if (!existsSync(binary)) return false;
  return statSync(binary).mtimeMs >= statSync(source).mtimeMs;
}

/**
 * Compiles the oracle with `cc` unless an up-to-date binary exists; returns its path.
 * @throws Error with the compiler's output when compilation fails.
 */
export function buildPlacementTool(): string {
  if (isFresh(PLACEMENT_BINARY, PLACEMENT_SOURCE)) return PLACEMENT_BINARY;
  mkdirSync(dirname(PLACEMENT_BINARY), { recursive: true });
  // Compile to a private name and rename, so a concurrent run never executes a half-written file.
  const temporary = `${PLACEMENT_BINARY}.${process.pid}.tmp`;
  const args = ['-O2', '-Wall', '-Wextra', '-o', temporary, PLACEMENT_SOURCE, ...libmemcachedFlags()];
  try {
    execFileSync('cc', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    rmSync(temporary, { force: true });
    const output = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`cc ${args.join(' ')} failed:\n${output || String(error)}`, { cause: error });
  }
  renameSync(temporary, PLACEMENT_BINARY);
  return PLACEMENT_BINARY;
}

/**
 * Asks libmemcached (weighted ketama, MD5) which server owns each key.
 *
 * @param servers `host:port:weight` (IPv6 as `[addr]:port:weight`), in ring order.
 * @param keys wire keys; none may contain a newline.
 * @returns for each key, the server as `host:port` (`[addr]:port` for IPv6), in key order.
 */
export function libmemcachedPlacement(binary: string, servers: readonly string[], keys: readonly string[]): string[] {
  for (const key of keys) {
    if (key.includes('\n')) throw new Error(`key ${JSON.stringify(key)} holds a newline`);
  }
  const result = spawnSync(binary, servers, {
    input: keys.length === 0 ? '' : `${keys.join('\n')}\n`,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${binary} ${servers.join(' ')} exited with ${String(result.status)}: ${result.stderr}`);
  }
  const lines = result.stdout.split('\n');
  lines.pop(); // the text after the last newline, which is empty
  if (lines.length !== keys.length) {
    throw new Error(`${binary} answered ${lines.length} lines for ${keys.length} keys: ${result.stderr}`);
  }
  return lines;
}

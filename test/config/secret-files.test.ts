/**
 * `password_file` and `secret_file` are read from a regular file only, at most
 * MAX_SECRET_FILE_BYTES, and never block: a device, a FIFO or a directory is refused at once.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_SECRET_FILE_BYTES, parseConfig } from '../../src/config/index.js';
import { configError, MINIMAL, yaml } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'authring-secret-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CONFIG = join(dir, 'authring.yaml');

function secretFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, 0o600);
  return path;
}

const withPasswordFile = (path: string): string => yaml(...MINIMAL, `  password_file: ${path}`);

describe('secret files', () => {
  it('documents a bound of 4 KiB', () => {
    expect(MAX_SECRET_FILE_BYTES).toBe(4096);
  });

  it('reads a file of exactly the bound, and refuses one byte more without reading it all', () => {
    const full = secretFile('full.pw', 'x'.repeat(MAX_SECRET_FILE_BYTES));
    expect(parseConfig(withPasswordFile(full), CONFIG, {}).mysql.password).toHaveLength(MAX_SECRET_FILE_BYTES);
    const over = secretFile('over.pw', 'x'.repeat(1024 * 1024));
    const error = configError(withPasswordFile(over), {}, CONFIG);
    expect(error).toMatchObject({ line: 6, field: 'mysql.password_file', expected: `a file of at most ${MAX_SECRET_FILE_BYTES} bytes` });
    expect(error.message).toContain(`cannot read the MySQL password file: ${over} is larger than 4096 bytes`);
  });

  it('refuses /dev/zero at once (it used to be read until memory ran out)', () => {
    const error = configError(withPasswordFile('/dev/zero'), {}, CONFIG);
    expect(error).toMatchObject({ field: 'mysql.password_file', expected: 'a regular file' });
    expect(error.message).toContain('/dev/zero is a character device, not a regular file');
  });

  it('refuses a FIFO without waiting for a writer (it used to hang)', () => {
    const fifo = join(dir, 'secret.fifo');
    execFileSync('mkfifo', [fifo]);
    const started = performance.now();
    const error = configError(yaml(...MINIMAL, 'cache:', '  codec: signed', `  secret_file: ${fifo}`), {}, CONFIG);
    // parseConfig is synchronous: had it blocked on the FIFO, this line would never run.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(error).toMatchObject({ field: 'cache.secret_file', expected: 'a regular file' });
    expect(error.message).toContain(`the cache secret file: ${fifo} is a FIFO (named pipe), not a regular file`);
  });

  it('refuses a directory', () => {
    mkdirSync(join(dir, 'adir'));
    expect(configError(withPasswordFile(join(dir, 'adir')), {}, CONFIG).message).toContain('is a directory, not a regular file');
  });

  it('follows a symbolic link to a regular file (Kubernetes mounts secrets so)', () => {
    const target = secretFile('target.pw', 'linked\n');
    symlinkSync(target, join(dir, 'link.pw'));
    expect(parseConfig(withPasswordFile(join(dir, 'link.pw')), CONFIG, {}).mysql.password).toBe('linked');
    symlinkSync('/dev/zero', join(dir, 'zero-link.pw'));
    expect(configError(withPasswordFile(join(dir, 'zero-link.pw')), {}, CONFIG).expected).toBe('a regular file');
  });
});

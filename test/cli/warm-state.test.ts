/**
 * `warm --state FILE` replaces FILE atomically through a temporary file that nobody can plant in
 * advance, and refuses a FILE that is not a regular file: a planted symbolic link, a device, a
 * FIFO or a directory is never written through, replaced or read.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { freshState, readState, writeState } from '../../src/cli/warm/state.js';
import { authring, tempDir } from './cli.js';

const SOURCE = '127.0.0.1:3306/authring_demo';
const state = freshState(SOURCE, 'authring:');

describe('warm state file', () => {
  let dir: string;
  let victim: string;

  beforeEach(() => {
    dir = path.join(tempDir(), 'state');
    mkdirSync(dir);
    victim = path.join(tempDir(), 'victim.txt');
    writeFileSync(victim, 'precious\n');
  });

  it('writes a regular file atomically and leaves no temporary file behind', async () => {
    const file = path.join(dir, 'warm.json');
    await writeState(file, state);
    await writeState(file, { ...state, credentials: { lastId: 7, warmed: 7, done: false } });
    expect(readdirSync(dir)).toEqual(['warm.json']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ source: SOURCE, credentials: { lastId: 7 } });
    expect(await readState(file, SOURCE, 'authring:')).toMatchObject({ credentials: { lastId: 7 } });
  });

  it('never follows a link planted at the temporary name it used to predict (FILE.<pid>.tmp)', async () => {
    const file = path.join(dir, 'warm.json');
    symlinkSync(victim, `${file}.${process.pid}.tmp`);
    await writeState(file, state);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(file).isFile()).toBe(true);
  });

  it('refuses a symbolic link as FILE, and leaves the link and its target alone', async () => {
    const file = path.join(dir, 'warm.json');
    symlinkSync(victim, file);
    const error = await writeState(file, state).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(`--state ${file} is a symbolic link, not a regular file; pass the path of a regular file or of none yet`);
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    await expect(readState(file, SOURCE, 'authring:')).rejects.toThrow('is a symbolic link');
    expect(readdirSync(dir)).toEqual(['warm.json']);
  });

  it('refuses a device, and does not replace it', async () => {
    // A private device node when root (so the real /dev/full is never at stake), /dev/full otherwise.
    let device = '/dev/full';
    if (process.getuid?.() === 0) {
      device = path.join(dir, 'full');
      execFileSync('mknod', [device, 'c', '1', '7']);
    }
    await expect(writeState(device, state)).rejects.toThrow(`--state ${device} is a character device, not a regular file`);
    expect(lstatSync(device).isCharacterDevice()).toBe(true);
    await expect(readState(device, SOURCE, 'authring:')).rejects.toThrow('is a character device');
  });

  it('refuses a FIFO without blocking on it, for writing and for --resume', async () => {
    const fifo = path.join(dir, 'warm.fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(writeState(fifo, state)).rejects.toThrow(`--state ${fifo} is a FIFO (named pipe), not a regular file`);
    await expect(readState(fifo, SOURCE, 'authring:')).rejects.toThrow('is a FIFO (named pipe)');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('refuses a directory', async () => {
    await expect(writeState(dir, state)).rejects.toThrow(`--state ${dir} is a directory, not a regular file`);
  });

  it('the command refuses such a FILE before it connects to anything (exit 2)', async () => {
    const fifo = path.join(dir, 'cli.fifo');
    execFileSync('mkfifo', [fifo]);
    const config = path.join(dir, 'authring.yaml');
    // Nothing listens on port 1: had the command connected first, it would fail otherwise.
    writeFileSync(config, 'memcached:\n  servers: [127.0.0.1:1]\nmysql:\n  port: 1\n  user: a\n  database: b\n');
    for (const args of [['warm', '--state', fifo], ['warm', '--resume', '--state', fifo]]) {
      const result = await authring(['-c', config, ...args]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`--state ${fifo} is a FIFO (named pipe), not a regular file`);
      expect(lstatSync(fifo).isFIFO()).toBe(true);
    }
  });
});

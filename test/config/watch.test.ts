import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchConfig, type AuthringConfig, type ConfigWatcher } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { MINIMAL, yaml } from './fixtures.js';

const withTtl = (ttl: number) => yaml(...MINIMAL, 'cache:', `  ttl_s: ${ttl}`);
const INVALID = yaml(...MINIMAL, 'cache:', '  ttl_s: soon'); // line 7

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Resource types Node reports for fs.watch handles and timers. */
function openResources(): { watchers: number; timers: number } {
  const info = process.getActiveResourcesInfo();
  return { watchers: info.filter((t) => t === 'FSEventWrap').length, timers: info.filter((t) => t === 'Timeout').length };
}

describe('watchConfig', () => {
  let dir: string;
  let file: string;
  let watcher: ConfigWatcher | undefined;
  let changes: AuthringConfig[];
  let errors: ConfigError[];

  const start = () => {
    watcher = watchConfig(file, { onChange: (c) => changes.push(c), onError: (e) => errors.push(e) }, { env: {}, debounceMs: 30 });
    return watcher;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'authring-watch-'));
    file = join(dir, 'authring.yaml');
    writeFileSync(file, withTtl(300));
    changes = [];
    errors = [];
  });

  afterEach(() => {
    watcher?.close();
    watcher = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts from the current file without calling back', async () => {
    const w = start();
    expect(w.current?.cache.ttlSeconds).toBe(300);
    await sleep(100);
    expect(changes).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('calls onChange with the new config after a valid edit', async () => {
    const w = start();
    writeFileSync(file, withTtl(120));
    await waitFor(() => changes.length === 1, 'onChange');
    expect(changes[0]?.cache.ttlSeconds).toBe(120);
    expect(w.current?.cache.ttlSeconds).toBe(120);
    expect(errors).toEqual([]);
  });

  it('calls onError on an invalid edit and keeps the previous config', async () => {
    const w = start();
    writeFileSync(file, INVALID);
    await waitFor(() => errors.length === 1, 'onError');
    expect(errors[0]).toBeInstanceOf(ConfigError);
    expect(errors[0]).toMatchObject({ file, line: 7, field: 'cache.ttl_s' });
    expect(changes).toEqual([]);
    expect(w.current?.cache.ttlSeconds).toBe(300);
    writeFileSync(file, withTtl(90));
    await waitFor(() => changes.length === 1, 'onChange after the fix');
    expect(w.current?.cache.ttlSeconds).toBe(90);
  });

  it('sees an editor-style save: write a new file, rename it over the old one', async () => {
    start();
    const temp = join(dir, '.authring.yaml.swp');
    writeFileSync(temp, withTtl(45));
    renameSync(temp, file);
    await waitFor(() => changes.length === 1, 'onChange after rename');
    expect(changes[0]?.cache.ttlSeconds).toBe(45);
    // The new inode is watched too: a second replace is seen as well.
    writeFileSync(temp, withTtl(46));
    renameSync(temp, file);
    await waitFor(() => changes.length === 2, 'onChange after a second rename');
    expect(changes[1]?.cache.ttlSeconds).toBe(46);
  });

  it('debounces bursts and ignores events that leave the text unchanged', async () => {
    start();
    for (const ttl of [10, 20, 30]) writeFileSync(file, withTtl(ttl));
    await waitFor(() => changes.length >= 1, 'onChange');
    await sleep(150);
    expect(changes.map((c) => c.cache.ttlSeconds)).toEqual([30]);
    utimesSync(file, new Date(), new Date());
    writeFileSync(join(dir, 'unrelated.txt'), 'x');
    await sleep(150);
    expect(changes).toHaveLength(1);
  });

  it('reports a deleted file once, and the file coming back', async () => {
    start();
    rmSync(file);
    await waitFor(() => errors.length === 1, 'onError for the missing file');
    expect(errors[0]?.message).toContain('cannot read config file');
    expect(errors[0]?.line).toBeUndefined();
    writeFileSync(join(dir, 'unrelated.txt'), 'x');
    await sleep(150);
    expect(errors).toHaveLength(1);
    writeFileSync(file, withTtl(300));
    await waitFor(() => changes.length === 1, 'onChange when the file is back');
  });

  it('reload() re-reads on demand: resolves and calls onChange, or rejects and keeps the old config', async () => {
    const w = start();
    const same = await w.reload();
    expect(same.cache.ttlSeconds).toBe(300);
    expect(changes).toHaveLength(1);
    writeFileSync(file, INVALID);
    const rejected = await w.reload().catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(ConfigError);
    expect(rejected).toMatchObject({ line: 7, field: 'cache.ttl_s' });
    expect(w.current?.cache.ttlSeconds).toBe(300);
    await sleep(150);
    expect(errors).toEqual([]); // the rejection is the report; the same text is not reported again
  });

  it('close() releases its watch and timer, and stops calling back', async () => {
    const before = openResources();
    const w = start();
    expect(openResources().watchers).toBe(before.watchers + 1);
    writeFileSync(file, withTtl(1)); // leaves a debounce timer pending
    await sleep(5);
    w.close();
    w.close();
    expect(openResources()).toEqual(before);
    writeFileSync(file, withTtl(2));
    await sleep(150);
    expect(changes).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('reports a directory it cannot watch through onError instead of throwing', async () => {
    file = join(dir, 'no-such-dir', 'authring.yaml');
    start();
    await waitFor(() => errors.length === 1, 'onError');
    expect(errors[0]?.message).toContain('cannot watch the config directory');
  });
});

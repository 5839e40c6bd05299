import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { kindOf, readSmallRegularFile } from '../../config/small-file.js';
import { UsageError } from '../../errors.js';
import { errorMessage } from '../exit.js';

/** Largest state file `--resume` reads; one is about 400 bytes. */
const MAX_STATE_BYTES = 64 * 1024;

/** Progress through one keyset-paginated table. */
export interface TableProgress {
  /** Primary key (`id`) of the last row warmed; 0 before the first. */
  readonly lastId: number;
  /** Rows warmed so far, over every run of this warm-up. */
  readonly warmed: number;
  /** Whether the table has been read to its end. */
  readonly done: boolean;
}

/** What `warm` records after every batch, so `--resume` continues where a run stopped. */
export interface WarmState {
  readonly version: 1;
  /** `host:port/database` the rows come from; a resume against another database is refused. */
  readonly source: string;
  /** `cache.key_prefix` the entries were written under. */
  readonly keyPrefix: string;
  /** The subscriber table (credentials). */
  readonly credentials: TableProgress;
  /** The grp table (group membership). */
  readonly groups: TableProgress;
  /** Whether the address table has been loaded. */
  readonly addresses: { readonly done: boolean };
  /** ISO time of the last write. */
  readonly updatedAt: string;
}

/** The state of a warm-up that has not started. */
export function freshState(source: string, keyPrefix: string): WarmState {
  const start: TableProgress = { lastId: 0, warmed: 0, done: false };
  return { version: 1, source, keyPrefix, credentials: start, groups: start, addresses: { done: false }, updatedAt: new Date().toISOString() };
}

/**
 * Reads a state file; `undefined` when there is none. Only a regular file is read (never through a
 * link, never blocking on a FIFO), and at most 64 KiB of it.
 * @throws UsageError when it is unreadable, not a regular file, not a state file, or for another
 *   source or key prefix.
 */
export async function readState(file: string, source: string, keyPrefix: string): Promise<WarmState | undefined> {
  await checkStateTarget(file);
  const read = readSmallRegularFile(file, MAX_STATE_BYTES, { noFollow: true });
  if (!read.ok) {
    if (/^ENOENT\b/.test(read.reason)) return undefined;
    throw new UsageError(`cannot read the warm state file ${file}: ${read.reason}`);
  }
  let state: unknown;
  try {
    state = JSON.parse(read.text);
  } catch (error) {
    throw new UsageError(`${file}: not a warm state file: ${errorMessage(error)}`);
  }
  if (!isWarmState(state)) throw new UsageError(`${file}: not a warm state file (version 1)`);
  if (state.source !== source || state.keyPrefix !== keyPrefix) {
    throw new UsageError(
      `${file} records a warm-up of ${state.source} with key prefix "${state.keyPrefix}", not ${source} with "${keyPrefix}"; ` +
        'run without --resume to start over, or pass another --state',
    );
  }
  return state;
}

/**
 * Refuses a `--state` path that exists and is not a regular file: a symbolic link (which could
 * point anywhere the user can write), a device (`/dev/full`), a FIFO, a directory.
 * @throws UsageError naming what the path is.
 */
export async function checkStateTarget(file: string): Promise<void> {
  const stats = await lstat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new UsageError(`cannot use the warm state file ${file}: ${errorMessage(error)}`);
  });
  if (stats === undefined || stats.isFile()) return;
  throw new UsageError(`--state ${file} is ${kindOf(stats)}, not a regular file; pass the path of a regular file or of none yet`);
}

/**
 * Writes the state file atomically, so a crash never leaves half a file: a new temporary file
 * with an unpredictable name in the same directory, created exclusively and never through a link
 * (`O_CREAT | O_EXCL | O_NOFOLLOW`), written, flushed to disk and renamed over the target. A
 * target that is not a regular file is refused, not replaced.
 * @throws UsageError when the target is not a regular file; the system's error when the
 *   directory is not writable.
 */
export async function writeState(file: string, state: WarmState): Promise<void> {
  await checkStateTarget(file);
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(12).toString('hex')}.tmp`);
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    try {
      await handle.writeFile(`${JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2)}\n`, 'utf8');
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

function isWarmState(value: unknown): value is WarmState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v['version'] === 1 &&
    typeof v['source'] === 'string' &&
    typeof v['keyPrefix'] === 'string' &&
    isProgress(v['credentials']) &&
    isProgress(v['groups']) &&
    typeof v['addresses'] === 'object' &&
    v['addresses'] !== null &&
    typeof (v['addresses'] as Record<string, unknown>)['done'] === 'boolean'
  );
}

function isProgress(value: unknown): value is TableProgress {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return Number.isSafeInteger(v['lastId']) && Number.isSafeInteger(v['warmed']) && typeof v['done'] === 'boolean';
}

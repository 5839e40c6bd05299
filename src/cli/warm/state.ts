import { readFile, rename, writeFile } from 'node:fs/promises';
import { UsageError, errorMessage } from '../errors.js';

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
 * Reads a state file; `undefined` when there is none.
 * @throws UsageError when it is unreadable, not a state file, or for another source or key prefix.
 */
export async function readState(path: string, source: string, keyPrefix: string): Promise<WarmState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read the warm state file ${path}: ${errorMessage(error)}`);
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path}: not a warm state file: ${errorMessage(error)}`);
  }
  if (!isWarmState(state)) throw new UsageError(`${path}: not a warm state file (version 1)`);
  if (state.source !== source || state.keyPrefix !== keyPrefix) {
    throw new UsageError(
      `${path} records a warm-up of ${state.source} with key prefix "${state.keyPrefix}", not ${source} with "${keyPrefix}"; ` +
        'run without --resume to start over, or pass another --state',
    );
  }
  return state;
}

/** Writes the state file atomically (a temporary file renamed over it), so a crash never leaves half a file. */
export async function writeState(path: string, state: WarmState): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2)}\n`, 'utf8');
  await rename(temporary, path);
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

import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Env } from './context.js';
import { ConfigError } from '../errors.js';
import { fileError } from './issues.js';
import { readConfigText } from './load.js';
import { parseConfig } from './parse.js';
import type { AuthringConfig } from './types.js';

/** What {@link watchConfig} calls. Exceptions they throw are not caught by the watcher. */
export interface ConfigWatchHandlers {
  /** The file changed and is valid: apply `config`. */
  onChange(config: AuthringConfig): void;
  /** The file changed and is invalid or unreadable: keep the config in force and report `error`. */
  onError(error: ConfigError): void;
}

/** Options of {@link watchConfig}. */
export interface ConfigWatchOptions {
  /** Milliseconds of quiet after the last file event before the file is re-read. @default 100 */
  readonly debounceMs?: number;
  /** Where `*_env` keys are looked up. @default process.env */
  readonly env?: Env;
}

/** A running watch on one config file. */
export interface ConfigWatcher {
  /** Stops watching: closes the directory watch and cancels a pending re-read. Idempotent. */
  close(): void;
  /**
   * Re-reads the file now, even if its text did not change (to pick up a changed `password_file`
   * or `secret_file`). On success calls `onChange` (unless closed) and resolves with the config.
   * @throws ConfigError (as a rejection, without calling `onError`) when the file is invalid; the
   *   previous config stays in force.
   */
  reload(): Promise<AuthringConfig>;
  /** The last valid config this watcher read, or `undefined` if it has read none. */
  readonly current: AuthringConfig | undefined;
}

/**
 * Watches a config file and re-parses it when it changes. The file's directory is watched, not
 * the file, so editors that save by writing a new file and renaming it over the old one (and
 * Kubernetes ConfigMap symlink swaps) are seen. Events are debounced; a re-read whose text equals
 * the last one read is ignored. A valid change calls `onChange`; an invalid one calls `onError`
 * and nothing else happens, so the previous config stays in force. The watcher itself never
 * throws, including when the directory cannot be watched (reported through `onError`).
 */
export function watchConfig(path: string, handlers: ConfigWatchHandlers, options: ConfigWatchOptions = {}): ConfigWatcher {
  const env = options.env ?? process.env;
  const debounceMs = options.debounceMs ?? 100;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let lastText: string | undefined;
  let lastReadError: string | undefined;
  let current: AuthringConfig | undefined;
  let tail: Promise<unknown> = Promise.resolve();

  /** Runs tasks one at a time, so an older read never overwrites a newer one. */
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const result = tail.then(task);
    tail = result.catch(() => undefined);
    return result;
  };

  const check = async (): Promise<void> => {
    let text: string;
    try {
      text = await readConfigText(path);
    } catch (error) {
      const configError = asConfigError(path, error);
      lastText = undefined;
      if (configError.message === lastReadError || closed) return;
      lastReadError = configError.message;
      handlers.onError(configError);
      return;
    }
    lastReadError = undefined;
    if (text === lastText || closed) return;
    lastText = text;
    let config: AuthringConfig;
    try {
      config = parseConfig(text, path, env);
    } catch (error) {
      handlers.onError(asConfigError(path, error));
      return;
    }
    current = config;
    handlers.onChange(config);
  };

  const schedule = (): void => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void serial(check);
    }, debounceMs);
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: true }, schedule);
    watcher.on('error', (error) => {
      if (!closed) handlers.onError(fileError(path, error, 'watching the config directory failed'));
    });
  } catch (error) {
    process.nextTick(() => {
      if (!closed) handlers.onError(fileError(path, error, 'cannot watch the config directory'));
    });
  }
  try {
    lastText = readFileSync(path, 'utf8');
    current = parseConfig(lastText, path, env);
  } catch {
    // Not readable or not valid yet: the caller's own load reported it; the next change is news.
  }

  return {
    close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      watcher?.close();
    },
    reload: () =>
      serial(async () => {
        const text = await readConfigText(path);
        lastText = text;
        lastReadError = undefined;
        const config = parseConfig(text, path, env);
        current = config;
        if (!closed) handlers.onChange(config);
        return config;
      }),
    get current() {
      return current;
    },
  };
}

function asConfigError(file: string, error: unknown): ConfigError {
  return error instanceof ConfigError ? error : fileError(file, error, 'cannot load config file');
}

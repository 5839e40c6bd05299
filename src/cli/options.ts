import { InvalidArgumentError as CommanderArgumentError, type Command } from 'commander';
import { MAX_TIMER_MS } from '../config/index.js';

/** Options every subcommand accepts (declared once on the program). */
export interface GlobalOptions {
  /** `-c, --config PATH`: the cluster config file; else `AUTHRING_CONFIG`, else `./authring.yaml`. */
  readonly config?: string;
  /** `--json`: one JSON document on stdout instead of text for people. */
  readonly json: boolean;
  /** `--timeout MS`: the command's deadline. */
  readonly timeout: number;
}

/** The default of `--timeout`, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** The global options as seen from a subcommand's action. */
export function globalOptions(command: Command): GlobalOptions {
  const all = command.optsWithGlobals<{ config?: string; json?: boolean; timeout?: number }>();
  return {
    ...(all.config === undefined ? {} : { config: all.config }),
    json: all.json === true,
    timeout: all.timeout ?? DEFAULT_TIMEOUT_MS,
  };
}

/** Commander argument parser: an integer within bounds (a usage error otherwise). */
export function integerOption(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string): number => {
    const n = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new CommanderArgumentError(`expected an integer ${min}..${max === Number.MAX_SAFE_INTEGER ? '' : max}, got "${value}"`);
    }
    return n;
  };
}

/**
 * Commander argument parser: milliseconds, 1 to {@link MAX_TIMER_MS} (24.8 days), the longest
 * delay Node's timers keep (a longer one would fire after 1 ms).
 */
export function millisecondsOption(): (value: string) => number {
  return integerOption(1, MAX_TIMER_MS);
}

/** Commander parser for a repeatable option: collects every value in order. */
export function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Command-line options of demo/demo.ts. */

/** What the demo runs. */
export interface DemoOptions {
  /** Print only the report, as JSON. */
  readonly json: boolean;
  /** Proxy node processes. */
  readonly nodes: number;
  /** SIP requests each node replays per phase. */
  readonly requests: number;
  /** Requests in flight per node. */
  readonly concurrency: number;
  /** Subscribers in the demo database. */
  readonly subscribers: number;
}

/** The defaults: a run of well under a minute on a small machine. */
export const DEFAULT_OPTIONS: DemoOptions = { json: false, nodes: 3, requests: 20_000, concurrency: 16, subscribers: 5_000 };

/** The `--help` text. */
export const USAGE = `Usage: npm run demo [-- options]      (or: npx tsx demo/demo.ts [options])

Shows authring at work: N proxy-node processes replay the same Kamailio auth workload, first
against MySQL directly, then through authring, and the SQL queries, latencies and answers of
the two phases are compared. Needs scripts/services.sh's services (npm run demo starts them).

Options:
  --json               print only the report, as JSON
  --nodes N            proxy node processes (1-8; default ${DEFAULT_OPTIONS.nodes})
  --requests N         SIP requests per node and phase (default ${DEFAULT_OPTIONS.requests})
  --concurrency N      requests in flight per node (default ${DEFAULT_OPTIONS.concurrency})
  --subscribers N      subscribers in the demo database (default ${DEFAULT_OPTIONS.subscribers})
  -h, --help           show this help
`;

const LIMITS: Record<string, { readonly key: 'nodes' | 'requests' | 'concurrency' | 'subscribers'; readonly min: number; readonly max: number }> = {
  '--nodes': { key: 'nodes', min: 1, max: 8 },
  '--requests': { key: 'requests', min: 1, max: 1_000_000 },
  '--concurrency': { key: 'concurrency', min: 1, max: 256 },
  '--subscribers': { key: 'subscribers', min: 1, max: 99_999 },
};

/**
 * Parses the arguments.
 *
 * @returns the options, or `'help'` for `-h`/`--help`.
 * @throws Error naming the bad argument.
 */
export function parseOptions(args: readonly string[]): DemoOptions | 'help' {
  const options: { -readonly [K in keyof DemoOptions]: DemoOptions[K] } = { ...DEFAULT_OPTIONS };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (arg === '-h' || arg === '--help') return 'help';
    if (arg === '--json') {
      options.json = true;
      continue;
    }
    const [name = '', inline] = arg.split('=', 2);
    const limit = LIMITS[name];
    if (!limit) throw new Error(`unknown option "${arg}" (see --help)`);
    const text = inline ?? args[++i];
    const value = Number(text);
    if (text === undefined || !Number.isInteger(value) || value < limit.min || value > limit.max) {
      throw new Error(`${name} expects a whole number from ${limit.min} to ${limit.max}, got "${text ?? ''}"`);
    }
    options[limit.key] = value;
  }
  return options;
}

/** The demo's command line. */
import { parseArgs } from 'node:util';
import { MODES, type Mode } from './answerers.js';

/** What the demo runs. */
export interface DemoOptions {
  /** Print only the report as one JSON document on stdout. */
  readonly json: boolean;
  /** Where the HTML report goes. */
  readonly report: string;
  readonly subscribers: number;
  readonly nodes: number;
  /** Steady-state SIP requests per node and phase, after the warm-up pass. */
  readonly requests: number;
  /** SIP requests per second per node. */
  readonly rate: number;
  /** Requests in flight per node (a Kamailio instance's workers). */
  readonly concurrency: number;
  /** Provisioning changes per second. */
  readonly churn: number;
  /** The htable phase's autoexpire, in seconds. */
  readonly htableTtl: number;
  /** Zipf exponent of user popularity. */
  readonly zipf: number;
  /** The phases to run, in run order. */
  readonly phases: readonly Mode[];
}

const NUMBERS = {
  subscribers: { min: 100, max: 1_000_000, default: 6000, help: 'subscribers in the demo database' },
  nodes: { min: 1, max: 8, default: 3, help: 'proxy node processes' },
  requests: { min: 100, max: 10_000_000, default: 12_000, help: 'SIP requests per node and phase after the warm-up pass' },
  rate: { min: 10, max: 20_000, default: 400, help: 'SIP requests per second per node' },
  concurrency: { min: 1, max: 256, default: 16, help: 'requests in flight per node' },
  churn: { min: 0, max: 1000, default: 5, help: 'provisioning changes per second' },
  'htable-ttl': { min: 1, max: 86_400, default: 10, help: "the htable phase's autoexpire, seconds (operators run 300-1800)" },
  zipf: { min: 0, max: 3, default: 1, help: 'Zipf exponent of user popularity (0: uniform)' },
} as const;

/** The `--help` text. */
export const USAGE = `Usage: npm run demo [-- options]

Runs the same SIP auth workload through N proxy-node processes, once per phase (no cache,
per-node htable, authring, authring with its local tier), while a separate process changes the
database as a provisioning system would; judges every answer against the database and compares
the SQL load. Prints the report and writes it as HTML with charts.

Options:
${Object.entries(NUMBERS).map(([name, o]) => `  --${`${name} N`.padEnd(16)} ${o.help} (${o.min}-${o.max}; default ${o.default})`).join('\n')}
  --phases LIST      comma-separated phases to run (default all: ${MODES.join(',')})
  --report PATH      the HTML report (default .services/demo-report.html)
  --json             print only the report as JSON on stdout (progress stays on stderr)
  -h, --help         show this help
`;

/**
 * Parses the arguments.
 *
 * @returns the options, or `'help'`.
 * @throws Error naming the bad argument.
 */
export function parseOptions(args: readonly string[], defaultReport: string): DemoOptions | 'help' {
  const { values } = parseArgs({
    args: [...args],
    options: {
      ...Object.fromEntries(Object.keys(NUMBERS).map((name) => [name, { type: 'string' as const }])),
      report: { type: 'string' },
      phases: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const number = (name: keyof typeof NUMBERS): number => {
    const { min, max, default: fallback } = NUMBERS[name];
    const text = (values as Record<string, string | boolean | undefined>)[name];
    const value = text === undefined ? fallback : Number(text);
    const whole = name !== 'zipf';
    if (typeof text === 'boolean' || !Number.isFinite(value) || (whole && !Number.isInteger(value)) || value < min || value > max) {
      throw new Error(`--${name} expects a ${whole ? 'whole ' : ''}number from ${min} to ${max}, got "${String(text)}"`);
    }
    return value;
  };
  const phases = typeof values.phases === 'string' ? values.phases.split(',').map((p) => p.trim()) : [...MODES];
  const unknown = phases.filter((p) => !(MODES as readonly string[]).includes(p));
  if (unknown.length > 0 || phases.length === 0) throw new Error(`--phases takes names from ${MODES.join(', ')}, got "${String(values.phases)}"`);
  return {
    phases: MODES.filter((mode) => phases.includes(mode)),
    json: values.json === true,
    report: typeof values.report === 'string' ? values.report : defaultReport,
    subscribers: number('subscribers'),
    nodes: number('nodes'),
    requests: number('requests'),
    rate: number('rate'),
    concurrency: number('concurrency'),
    churn: number('churn'),
    htableTtl: number('htable-ttl'),
    zipf: number('zipf'),
  };
}

/** The demo's command line (commander, as the `authring` CLI uses), declared as one table of numbers. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { MODES, type Mode } from './answerers.js';

/** The numeric options: name, range, default, meaning. */
const NUMBERS = [
  ['subscribers', 100, 1_000_000, 6000, 'subscribers in the demo database'],
  ['nodes', 1, 8, 3, 'proxy node processes'],
  ['requests', 100, 10_000_000, 12_000, 'SIP requests per node and phase after the warm-up pass'],
  ['rate', 10, 20_000, 400, 'SIP requests per second per node'],
  ['concurrency', 1, 256, 16, 'requests in flight per node (a Kamailio instance\'s workers)'],
  ['churn', 0, 1000, 5, 'provisioning changes per second'],
  ['htable-ttl', 1, 86_400, 10, "the htable phase's autoexpire, seconds (operators run 300-1800)"],
  ['zipf', 0, 3, 1, 'Zipf exponent of user popularity (0: uniform)'],
] as const;

type Camel<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;

/** What the demo runs: each of {@link NUMBERS} (camel-cased), the phases in run order, `--json` (only the report, as JSON on stdout) and the HTML report's path. */
export type DemoOptions = { readonly [N in (typeof NUMBERS)[number][0] as Camel<N>]: number } & { readonly phases: readonly Mode[]; readonly json: boolean; readonly report: string };

/**
 * Parses the arguments (`--help` prints the usage and exits 0; a bad argument exits 2 naming it).
 */
export function parseOptions(args: readonly string[], defaultReport: string): DemoOptions {
  const program = new Command('npm run demo --')
    .description('Replays one SIP auth workload through N proxy-node processes once per phase, under provisioning churn; judges every answer against the database; prints the report and writes it as HTML with charts (demo/README.md).')
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
    .addOption(
      new Option('--phases <list>', 'comma-separated phases to run').default([...MODES], MODES.join(',')).argParser((text) => {
        const phases = text.split(',').map((p) => p.trim());
        if (phases.some((p) => !(MODES as readonly string[]).includes(p))) throw new InvalidArgumentError(`takes names from ${MODES.join(', ')}`);
        return MODES.filter((mode) => phases.includes(mode));
      }),
    )
    .option('--report <path>', 'the HTML report', defaultReport)
    .option('--json', 'print only the report as JSON on stdout (progress stays on stderr)', false);
  for (const [name, min, max, fallback, help] of NUMBERS) {
    const whole = name !== 'zipf';
    const parse = (text: string): number => {
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value) || (whole && !Number.isInteger(value)) || value < min || value > max) throw new InvalidArgumentError(`expects a ${whole ? 'whole ' : ''}number from ${min} to ${max}`);
      return value;
    };
    program.addOption(new Option(`--${name} <n>`, `${help} (${min}-${max})`).default(fallback).argParser(parse));
  }
  return program.parse([...args], { from: 'user' }).opts<DemoOptions>();
}

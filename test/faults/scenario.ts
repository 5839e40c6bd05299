import { expect } from 'vitest';
import type { AuthCache } from '../../src/auth/auth-cache.js';
import { waitFor } from '../helpers/wait.js';
import type { FaultRig } from './rig.js';
import { runLookups, tableRow, untilRecovered, warmHalf, type PhaseFigures, type RunOptions } from './workload.js';

/** The lookup deadline the nodes run with (authring's default). */
export const DEADLINE_MS = 500;
/**
 * Added to the deadline, and to how late the event loop was at worst during the phase (a blocked
 * loop, or a loaded shared machine, delays every callback), before a lookup counts as late.
 */
export const MARGIN_MS = 1500;
/** Lookups run while the fault lasts. */
export const LOOKUPS_DURING = 200;

/** One fault: how to cause it, and what it must have done. */
export interface Fault {
  /** Names the table row, e.g. `memcached stalled`. */
  readonly name: string;
  /** Turns the fault on (the rig heals it afterwards). */
  readonly apply: (rig: FaultRig) => void;
  /** Runs as each lookup of the fault phase starts (to block the event loop at set points). */
  readonly onStart?: RunOptions['onStart'];
}

/** What {@link measure} found. */
export interface Measured {
  /** During the fault. */
  readonly during: PhaseFigures;
  /** From the end of the fault to a clean pass over every question with every server up, ms. */
  readonly recoveredMs: number;
  /** After recovery. */
  readonly after: PhaseFigures;
  /** memcached servers the node marked down during the fault. */
  readonly markedDown: readonly string[];
  /** The row for docs/reliability.md. */
  readonly row: string;
}

/**
 * Runs one fault through a fresh node: warms half the answers, turns the fault on, runs
 * {@link LOOKUPS_DURING} lookups, heals it, waits for recovery (a clean pass over every question,
 * every server up) and runs more; then checks what holds under every fault: no wrong answer, no
 * untyped error, no lookup past its deadline, and full recovery.
 */
export async function measure(rig: FaultRig, fault: Fault, test: string): Promise<Measured> {
  const auth = await rig.node({ cache: { deadlineMs: DEADLINE_MS } });
  const markedDown: string[] = [];
  auth.cluster.on('server-down', (address) => markedDown.push(address));
  try {
    await warmHalf(auth, rig.questions);
    markedDown.length = 0;
    fault.apply(rig);
    let during: PhaseFigures;
    try {
      during = await runLookups(auth, rig.questions, { count: LOOKUPS_DURING, onStart: fault.onStart });
    } finally {
      rig.heal();
    }
    const healed = performance.now();
    await untilRecovered(auth, rig.questions);
    await waitFor(() => allUp(auth), 'every memcached server to be up again', 60_000);
    const recoveredMs = performance.now() - healed;
    const after = await runLookups(auth, rig.questions, { count: 100 });

    expect(during.wrong, 'wrong answers during the fault').toBe(0);
    expect(during.untyped, `untyped errors during the fault: ${JSON.stringify(during.codes)}`).toBe(0);
    expect(during.worstMs).toBeLessThanOrEqual(DEADLINE_MS + during.loopDelayMs + MARGIN_MS);
    // A loaded machine may still cost a lookup its deadline now and then; never its correctness.
    expect(after).toMatchObject({ wrong: 0, untyped: 0 });
    return { during, recoveredMs, after, markedDown, row: tableRow(fault.name, test, during, recoveredMs) };
  } finally {
    await auth.close();
  }
}

function allUp(auth: AuthCache): boolean {
  return auth.cluster.stats().servers.every((s) => s.state === 'up');
}

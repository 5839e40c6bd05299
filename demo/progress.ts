/**
 * Console output while the demo runs: one line per step, and a progress line per phase
 * (rewritten in place on a terminal; a line per quarter otherwise). Silent with `--json`.
 */
import { count, duration } from './format.js';

/** Prints the demo's steps and progress. */
export class Progress {
  private lastDraw = 0;
  private quarter = 0;
  private open = false;

  constructor(
    private readonly enabled: boolean,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {}

  /** A line of output. */
  say(text = ''): void {
    if (!this.enabled) return;
    this.close();
    this.out.write(`${text}\n`);
  }

  /** Reports `done` of `total` requests of a phase that started at `startedAt` (performance.now()). */
  update(label: string, done: number, total: number, elapsedMs: number): void {
    if (!this.enabled || total === 0) return;
    const text = `  ${label}: ${count(done)} / ${count(total)} requests (${Math.floor((100 * done) / total)} %), ${duration(elapsedMs)}`;
    if (this.out.isTTY) {
      const now = Date.now();
      if (now - this.lastDraw < 100 && done < total) return;
      this.lastDraw = now;
      this.out.write(`\r\x1b[2K${text}`);
      this.open = true;
      return;
    }
    const reached = Math.floor((4 * done) / total);
    if (reached > this.quarter && done < total) {
      this.quarter = reached;
      this.out.write(`${text}\n`);
    }
  }

  /** Ends a phase's progress line. */
  close(): void {
    if (this.open) this.out.write('\n');
    this.open = false;
    this.quarter = 0;
  }
}

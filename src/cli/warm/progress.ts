import { Presets, SingleBar } from 'cli-progress';
import { count } from '../format.js';
import type { CliWritable } from '../io.js';

/** Reports warm-up progress on stderr. */
export interface Progress {
  /** Starts with the number of rows to do. */
  start(total: number): void;
  /** `rows` more done in `phase`. */
  advance(phase: string, rows: number): void;
  /** Ends the display (a final line). */
  stop(): void;
}

/**
 * A progress bar (cli-progress) when stderr is a terminal; otherwise one line of progress at most
 * every `intervalMs`, and one at the end. Shows count/total, percentage and rate.
 */
export function createProgress(stderr: CliWritable, intervalMs: number): Progress {
  return stderr.isTTY === true ? new BarProgress(stderr) : new LineProgress(stderr, intervalMs);
}

class BarProgress implements Progress {
  private readonly bar: SingleBar;
  private startedAt = 0;
  private done = 0;

  constructor(stream: CliWritable) {
    this.bar = new SingleBar(
      {
        stream,
        format: 'warm {phase} [{bar}] {value}/{total} {percentage}% | {rate} rows/s | ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 200,
      },
      Presets.shades_classic,
    );
  }

  start(total: number): void {
    this.startedAt = performance.now();
    this.bar.start(total, 0, { phase: '', rate: '0' });
  }

  advance(phase: string, rows: number): void {
    this.done += rows;
    this.bar.increment(rows, { phase, rate: count(Math.round(rate(this.done, this.startedAt))) });
  }

  stop(): void {
    this.bar.stop();
  }
}

class LineProgress implements Progress {
  private total = 0;
  private done = 0;
  private phase = '';
  private startedAt = 0;
  private printedAt = 0;

  constructor(
    private readonly stream: CliWritable,
    private readonly intervalMs: number,
  ) {}

  start(total: number): void {
    this.total = total;
    this.startedAt = performance.now();
    this.printedAt = this.startedAt;
  }

  advance(phase: string, rows: number): void {
    this.done += rows;
    this.phase = phase;
    const now = performance.now();
    if (now - this.printedAt >= this.intervalMs) {
      this.printedAt = now;
      this.print();
    }
  }

  stop(): void {
    this.print();
  }

  private print(): void {
    const pct = this.total === 0 ? 100 : (this.done / this.total) * 100;
    const phase = this.phase === '' ? '' : ` ${this.phase}`;
    this.stream.write(`warm:${phase} ${count(this.done)}/${count(this.total)} (${pct.toFixed(1)}%), ${count(Math.round(rate(this.done, this.startedAt)))} rows/s\n`);
  }
}

/** Rows per second since `startedAt`. */
function rate(rows: number, startedAt: number): number {
  const seconds = (performance.now() - startedAt) / 1000;
  return seconds > 0 ? rows / seconds : 0;
}

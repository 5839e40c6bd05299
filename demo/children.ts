/**
 * The demo's child processes (proxy nodes, the churn) over Node's own IPC channel: the input is
 * argv[2] as JSON; the child says `ready`, is told when to `go` (a shared start time) and, for the
 * churn, when to `stop`; it reports `progress` and ends with its `result` (typed arrays pass
 * as-is: the channel uses structured-clone serialization). A child that fails exits non-zero and
 * its stderr becomes the parent's error. Children never outlive the demo (also on Ctrl-C).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';

type ToChild = { go: number } | { stop: true };
type FromChild = { ready: true } | { progress: unknown } | { result: unknown };

const live = new Set<ChildProcess>();

/** A forked child, seen from the parent. */
export class Child<R> {
  /** Resolves when the child is ready for `go`. */
  readonly ready: Promise<void>;
  /** Resolves with the child's result; rejects when it exits without one. */
  readonly result: Promise<R>;
  private readonly process: ChildProcess;

  constructor(file: URL, input: unknown, onProgress: (progress: unknown) => void = () => undefined) {
    this.process = fork(file, [JSON.stringify(input)], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    live.add(this.process);
    let stderr = '';
    this.process.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const exited = new Promise<number | null>((resolve) => this.process.once('exit', (code) => { live.delete(this.process); resolve(code); }));
    const failed = exited.then((code) => Promise.reject(new Error(`${file.pathname.split('/').pop()} exited (code ${code}) early${stderr ? `:\n${stderr.trim()}` : ''}`)));
    this.ready = Promise.race([new Promise<void>((resolve) => this.process.on('message', (m: FromChild) => 'ready' in m && resolve())), failed]);
    this.result = Promise.race([new Promise<R>((resolve) => this.process.on('message', (m: FromChild) => 'result' in m && resolve(m.result as R))), failed]);
    this.process.on('message', (m: FromChild) => 'progress' in m && onProgress(m.progress));
    this.ready.catch(() => undefined);
    this.result.catch(() => undefined);
  }

  /** Tells the child to start at `at` (ms since the epoch), or to stop. */
  send(message: ToChild): void {
    if (this.process.connected) this.process.send(message);
  }
}

/** SIGKILLs every child still running (each by its own pid). */
export function killChildren(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** The child's side: what it was given and how it talks back. */
export interface ChildControl {
  /** Says ready; resolves with the start time the parent chose. */
  ready(): Promise<number>;
  /** Resolves when the parent says stop. */
  readonly stopped: Promise<void>;
  progress(progress: unknown): void;
}

/**
 * Runs `main` as a forked child of {@link Child} when `moduleUrl` (the caller's `import.meta.url`)
 * is the process's entry; does nothing when the module is merely imported.
 */
export function runChild<I, R>(moduleUrl: string, main: (input: I, control: ChildControl) => Promise<R>): void {
  if (process.argv[1] === undefined || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  const send = process.send?.bind(process);
  if (send === undefined) {
    console.error('this file is started by demo/demo.ts (npm run demo), not directly');
    process.exit(2);
  }
  process.on('disconnect', () => process.exit(1));
  const messages = (test: (m: ToChild) => boolean): Promise<ToChild> => new Promise((resolve) => process.on('message', (m: ToChild) => test(m) && resolve(m)));
  const go = messages((m) => 'go' in m);
  const control: ChildControl = {
    ready: async () => { send({ ready: true }); return ((await go) as { go: number }).go; },
    stopped: messages((m) => 'stop' in m).then(() => undefined),
    progress: (progress) => send({ progress }),
  };
  main(JSON.parse(process.argv[2] ?? '{}') as I, control).then(
    (result) => send({ result } satisfies FromChild, undefined, undefined, () => process.exit(0)),
    (error: unknown) => { console.error(error instanceof Error ? (error.stack ?? error.message) : String(error)); process.exit(1); },
  );
}

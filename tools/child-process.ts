/**
 * Worker processes driven by their parent over Node's IPC channel, shared by the demo (proxy nodes,
 * the provisioning churn) and the soak (its nodes). The child gets its input as argv[2] (JSON);
 * messages either way are objects with a `type`, sent with structured-clone serialization (typed
 * arrays pass as they are). A child that exits before a message the parent waits for rejects that
 * wait with the end of its stderr; children never outlive the parent process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';

/** Children still running, SIGKILLed when this process exits (also on Ctrl-C, if it exits then). */
const live = new Set<ChildProcess>();
process.once('exit', () => live.forEach((child) => child.kill('SIGKILL')));

/** A message between parent and child. */
export type Message = { readonly type: string; readonly [field: string]: unknown };

/** Consumes queued messages by type and lets callers wait for the next one of a type. */
class Inbox {
  private readonly queued: Message[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly listeners = new Map<string, (message: never) => void>();
  private ended: Error | undefined;

  put(message: Message): void {
    const listener = this.listeners.get(message.type);
    if (listener) listener(message as never);
    else this.queued.push(message);
    this.wake();
  }

  end(error: Error): void {
    this.ended = error;
    this.wake();
  }

  on<T>(type: string, listener: (message: T) => void): void {
    this.listeners.set(type, listener as (message: never) => void);
  }

  async next<T>(type: string): Promise<T> {
    for (;;) {
      const at = this.queued.findIndex((m) => m.type === type);
      if (at >= 0) return this.queued.splice(at, 1)[0] as T;
      if (this.ended) throw this.ended;
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
  }

  private wake(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
}

/** A child process seen from its parent. */
export class WorkerProcess {
  private readonly child: ChildProcess;
  private readonly inbox = new Inbox();
  private readonly exited: Promise<number | null>;

  /**
   * Forks `file` (TypeScript, run through tsx) with `input` as argv[2].
   *
   * @param nodeOptions more options for Node, e.g. `--expose-gc`.
   */
  constructor(readonly file: URL, input: unknown, nodeOptions: readonly string[] = []) {
    this.child = fork(file, [JSON.stringify(input)], { execArgv: [...nodeOptions, '--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    live.add(this.child);
    let stderr = '';
    this.child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    this.child.on('message', (message: Message) => this.inbox.put(message));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        live.delete(this.child);
        this.inbox.end(new Error(`${file.pathname.split('/').pop()} exited (code ${code})${stderr ? `:\n${stderr.trim()}` : ''}`));
        resolve(code);
      }),
    );
  }

  /** Resolves with the child's next message of `type`; rejects when it exits first. */
  next<T = Message>(type: string): Promise<T> {
    return this.inbox.next<T>(type);
  }

  /** Hands every message of `type` to `listener` instead of queueing it. */
  on<T = Message>(type: string, listener: (message: T) => void): void {
    this.inbox.on(type, listener);
  }

  send(message: Message): void {
    if (this.child.connected) this.child.send(message);
  }

  /** Resolves true when the child exits within `ms` (without being told to); SIGKILLs it otherwise. */
  async exitsWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const exited = await Promise.race([this.exited.then(() => true), late]);
    clearTimeout(timer);
    if (!exited) this.child.kill('SIGKILL');
    return exited;
  }
}

/** The child's side: its input and its channel to the parent. */
export interface ParentChannel<I> {
  readonly input: I;
  /** Resolves with the parent's next message of `type`. */
  next<T = Message>(type: string): Promise<T>;
  /** Resolves once the message is handed to the channel. */
  send(message: Message): Promise<void>;
  /** Closes the channel; the process then exits when nothing else keeps it alive. */
  close(): void;
}

/** Whether the module at `moduleUrl` (its `import.meta.url`) is the process's entry, not merely imported. */
export function isEntry(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
}

/**
 * The channel of a process forked by {@link WorkerProcess}. If the parent goes away first, the
 * child exits (code 1) rather than run on unwatched.
 */
export function parentChannel<I>(): ParentChannel<I> {
  const send = process.send?.bind(process);
  if (send === undefined) {
    console.error(`${process.argv[1] ?? 'this file'} is started by its runner (npm run demo, npm run soak), not directly`);
    process.exit(2);
  }
  const inbox = new Inbox();
  let closing = false;
  process.on('message', (message: Message) => inbox.put(message));
  process.on('disconnect', () => closing || process.exit(1));
  return {
    input: JSON.parse(process.argv[2] ?? '{}') as I,
    next: <T>(type: string) => inbox.next<T>(type),
    send: (message) => new Promise((resolve) => send(message, undefined, undefined, () => resolve())),
    close: () => {
      closing = true;
      process.disconnect();
    },
  };
}

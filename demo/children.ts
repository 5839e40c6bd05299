/**
 * Forks the proxy-node children and talks to them: `node --import tsx demo/proxy-node.ts` with an
 * IPC channel. Children are always ended by the demo, on success, failure or Ctrl-C.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isChildMessage, type ChildMessage, type ParentMessage } from './protocol.js';

const NODE_FILE = fileURLToPath(new URL('./proxy-node.ts', import.meta.url));

/** Every child not yet exited, so an interrupted demo can end them. */
const live = new Set<NodeChild>();

/** One forked proxy node. */
export class NodeChild {
  private readonly exited: Promise<void>;
  private exitedFlag = false;
  private stderrTail = '';

  private constructor(
    /** The node's index. */
    readonly index: number,
    private readonly child: ChildProcess,
    onMessage: (message: ChildMessage) => void,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        this.exitedFlag = true;
        live.delete(this);
        resolve();
      });
    });
    child.on('message', (message: unknown) => {
      if (isChildMessage(message)) onMessage(message);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4000);
    });
  }

  /** Forks a node; `onMessage` receives everything it sends. */
  static fork(index: number, onMessage: (message: ChildMessage) => void): NodeChild {
    const child = fork(NODE_FILE, [], {
      execPath: process.execPath,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const node = new NodeChild(index, child, onMessage);
    live.add(node);
    return node;
  }

  /** What the child wrote to stderr lately (for error reports). */
  get stderr(): string {
    return this.stderrTail.trim();
  }

  /** Resolves when the child has exited. */
  get done(): Promise<void> {
    return this.exited;
  }

  /** The child's exit code (`null` while running or when killed by a signal). */
  get exitCode(): number | null {
    return this.child.exitCode;
  }

  /** Sends a message; false when the channel is closed. */
  send(message: ParentMessage): boolean {
    if (!this.child.connected) return false;
    return this.child.send(message);
  }

  /** SIGKILLs the child now (only this child, by its pid). */
  kill(): void {
    if (!this.exitedFlag) this.child.kill('SIGKILL');
  }

  /** Waits up to `graceMs` for the exit, then SIGKILLs (only this child, by its pid). */
  async end(graceMs = 3000): Promise<void> {
    if (this.exitedFlag) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const outcome = await Promise.race([this.exited.then(() => 'exited' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.kill();
      await this.exited;
    }
  }
}

/** SIGKILLs every child still running (on Ctrl-C or a fatal error); synchronous. */
export function killAllChildren(): void {
  for (const node of live) node.kill();
}

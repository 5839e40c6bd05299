/**
 * Kamailio's RPC interface (the jsonrpcs module) as authring reaches it: JSON-RPC 2.0 over HTTP
 * (xhttp) or over jsonrpcs's FIFO on the same host. One call at a time per node; every call has a
 * deadline, and a node that does not answer (down, or frozen) costs that deadline, never more.
 *
 * jsonrpcs's datagram transport is not offered: Node.js has no UNIX datagram sockets, and the
 * FIFO serves the same local use.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KamailioRpcConfig } from '../config/types.js';
import { KamailioRpcError } from '../errors.js';

/** A parameter of a Kamailio RPC command. */
export type RpcParam = string | number;

/** Calls one Kamailio node's RPC commands. */
export interface KamailioRpc {
  /**
   * Runs `method` and resolves with its result.
   * @throws KamailioRpcError on a fault answer (with `fault`), no answer within `timeoutMs`, or a
   *   transport failure.
   */
  call(method: string, params: readonly RpcParam[], timeoutMs: number): Promise<unknown>;
}

/** The RPC client for a node's `rpc` setting. */
export function kamailioRpc(node: string, config: KamailioRpcConfig): KamailioRpc {
  return config.transport === 'http' ? new HttpRpc(node, config.url) : new FifoRpc(node, config.path, config.replyDir);
}

let nextId = 1;

/** The JSON-RPC request document. */
function request(method: string, params: readonly RpcParam[], extra: Record<string, string> = {}): { id: number; body: string } {
  const id = nextId++;
  return { id, body: JSON.stringify({ jsonrpc: '2.0', method, params, id, ...extra }) };
}

/** The result of a JSON-RPC response, or the fault it carries as a typed error. */
function resultOf(node: string, method: string, text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new KamailioRpcError(node, method, `answered something that is not JSON: ${JSON.stringify(text.slice(0, 120))}`, { cause: error });
  }
  const response = parsed as { result?: unknown; error?: { code?: unknown; message?: unknown } };
  if (response.error !== undefined) {
    const fault = { code: Number(response.error.code ?? 500), message: String(response.error.message ?? '') };
    throw new KamailioRpcError(node, method, `fault ${fault.code} ${fault.message}`, { fault });
  }
  return response.result;
}

/** jsonrpcs over xhttp: a POST of the request to the node's URL. */
class HttpRpc implements KamailioRpc {
  constructor(
    private readonly node: string,
    private readonly url: string,
  ) {}

  async call(method: string, params: readonly RpcParam[], timeoutMs: number): Promise<unknown> {
    const { body } = request(method, params);
    let text: string;
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
      if (!response.ok && !text.trimStart().startsWith('{')) {
        throw new KamailioRpcError(this.node, method, `HTTP ${response.status} from ${this.url}`);
      }
    } catch (error) {
      if (error instanceof KamailioRpcError) throw error;
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new KamailioRpcError(this.node, method, timedOut ? `no answer within ${timeoutMs} ms` : `cannot reach ${this.url}: ${reason(error)}`, { cause: error });
    }
    return resultOf(this.node, method, text);
  }
}

const mkfifo = promisify(execFile);

/**
 * jsonrpcs's FIFO: the request (with `reply_name`) is written to the node's FIFO, and jsonrpcs
 * writes the answer into a FIFO authring creates in the node's `fifo_reply_dir`. The reply FIFO
 * is opened read-write, so waiting on it never blocks a thread and never sees end-of-file before
 * the answer; it is removed after each call.
 */
class FifoRpc implements KamailioRpc {
  constructor(
    private readonly node: string,
    private readonly path: string,
    private readonly replyDir: string,
  ) {}

  async call(method: string, params: readonly RpcParam[], timeoutMs: number): Promise<unknown> {
    const replyName = `authring_${process.pid}_${randomBytes(6).toString('hex')}`;
    const replyPath = join(this.replyDir, replyName);
    const { body } = request(method, params, { reply_name: replyName });
    const fail = (message: string, cause?: unknown): KamailioRpcError => new KamailioRpcError(this.node, method, message, { cause });
    try {
      // Owner and group only: whoever can write it could forge the answer.
      await mkfifo('mkfifo', ['-m', '0620', replyPath]);
    } catch (error) {
      throw fail(`cannot create the reply FIFO ${replyPath}: ${reason(error)}`, error);
    }
    let socket: Socket | undefined;
    try {
      // Both opens return at once (read-write, and non-blocking), so they need no thread.
      socket = new Socket({ fd: openSync(replyPath, constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
      const answer = readDocument(socket, timeoutMs);
      answer.catch(() => undefined);
      try {
        // A FIFO nobody reads (Kamailio not running) fails at once with ENXIO; the request is
        // below PIPE_BUF, so it is written whole or not at all.
        const fifo = openSync(this.path, constants.O_WRONLY | constants.O_NONBLOCK);
        try {
          writeSync(fifo, `${body}\n`);
        } finally {
          closeSync(fifo);
        }
      } catch (error) {
        throw fail(`cannot write to ${this.path}: ${reason(error)}`, error);
      }
      let text: string;
      try {
        text = await answer;
      } catch (error) {
        throw fail(error instanceof Error ? error.message : String(error), error);
      }
      return resultOf(this.node, method, text);
    } finally {
      socket?.destroy();
      await unlink(replyPath).catch(() => undefined);
    }
  }
}

/** Reads one JSON object from `socket` (braces counted outside strings), or rejects at the deadline. */
function readDocument(socket: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const finish = (outcome: string | Error): void => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      if (typeof outcome === 'string') resolve(outcome);
      else reject(outcome);
    };
    socket.on('error', (error) => finish(error));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const end = documentEnd(text);
      if (end !== undefined) finish(text.slice(0, end));
    });
  });
}

/** The index after the first complete top-level JSON object in `text`, if there is one. */
function documentEnd(text: string): number | undefined {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return i + 1;
  }
  return undefined;
}

function reason(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

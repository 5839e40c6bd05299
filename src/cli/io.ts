import { once } from 'node:events';

/** A writable stream as the CLI uses it (process.stdout and process.stderr fit); `isTTY` is set for a terminal. */
export type CliWritable = NodeJS.WritableStream & { readonly isTTY?: boolean };

/** The streams and environment a run uses; `process`'s own in the real command. */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly stdout: CliWritable;
  readonly stderr: CliWritable;
  readonly env: NodeJS.ProcessEnv;
  /** The working directory relative paths are resolved against. */
  readonly cwd: string;
}

/** The real process's streams and environment. */
export function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Writes text, waiting for the stream to drain when its buffer is full (so output of any size streams). */
export async function write(stream: CliWritable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/** Writes one line (a newline is added). */
export function writeLine(stream: CliWritable, line = ''): Promise<void> {
  return write(stream, `${line}\n`);
}

/** JSON text of a value, bigints as decimal strings; `indent` 0 gives one line. */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), indent);
}

/** Writes a value as one JSON document on its own line. */
export function writeJson(stream: CliWritable, value: unknown): Promise<void> {
  return writeLine(stream, toJson(value));
}

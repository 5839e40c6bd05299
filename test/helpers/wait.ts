import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';

/**
 * Waits for things tests cannot be told about by an event: re-checks `condition` every few
 * milliseconds until it holds. Use it for state kept elsewhere (a child's report list, a counter),
 * never as a pause: the wait ends the moment the condition holds.
 *
 * @param what named in the error, so a timeout says what never happened.
 * @throws Error after `timeoutMs` (generous: a loaded machine is slow, never wrong).
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Resolves with everything `stream` has sent from now on, once it satisfies `accept`; checked on
 * each chunk as it arrives.
 *
 * @throws Error after `timeoutMs`, or when the stream ends first, with what it did send.
 */
export function untilOutput(stream: Readable, accept: (text: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: Buffer | string): void => {
      text += chunk.toString();
      if (accept(text)) finish();
    };
    const onEnd = (): void => finish(new Error(`the stream ended before ${what}: ${JSON.stringify(text)}`));
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(text)}`)), timeoutMs);
    stream.on('data', onData);
    stream.on('end', onEnd);
  });
}

/**
 * Resolves with the arguments of the first `event` that `accept` takes.
 *
 * @throws Error after `timeoutMs`.
 */
export function nextEvent<A extends unknown[]>(
  emitter: EventEmitter,
  event: string,
  accept: (...args: A) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<A> {
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      if (!accept(...(args as A))) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args as A);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`));
    }, timeoutMs);
    emitter.on(event, listener);
  });
}

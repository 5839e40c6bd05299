import { createInterface } from 'node:readline';

/**
 * The lines of a stream, one at a time as they arrive (`\n` or `\r\n` ended, the last line
 * possibly unterminated), without holding more than the current line; blank lines are skipped.
 */
export async function* readLines(input: NodeJS.ReadableStream): AsyncGenerator<string> {
  const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
  try {
    for await (const line of lines) {
      if (line !== '') yield line;
    }
  } finally {
    lines.close();
  }
}

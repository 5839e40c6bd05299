import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** A small file's contents, or why it was not read. */
export type SmallFile =
  | { readonly ok: true; readonly text: string; /** The file's mode bits. */ readonly mode: number }
  | { readonly ok: false; /** Why, in words: `… is a FIFO (named pipe), not a regular file`. */ readonly reason: string; /** What would have been accepted. */ readonly expected: string };

/**
 * Reads a whole small regular file as UTF-8, never more than `maxBytes`, and never blocking: the
 * file is opened non-blocking (a FIFO without a writer would otherwise wait forever) and checked
 * with `fstat` on the opened descriptor, so a FIFO, a device (`/dev/zero`), a socket or a
 * directory is refused before a byte is read. Symbolic links are followed unless `noFollow`
 * (Kubernetes mounts secrets as links). Synchronous: for files read at load time.
 */
export function readSmallRegularFile(path: string, maxBytes: number, options: { noFollow?: boolean } = {}): SmallFile {
  let fd: number;
  try {
    const noFollow = options.noFollow === true ? constants.O_NOFOLLOW : 0;
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | noFollow);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // O_NOFOLLOW on a link fails with ELOOP.
    if (code === 'ELOOP' && options.noFollow === true) return refused(`${path} is a symbolic link`, 'a regular file, not a link');
    return refused(error instanceof Error ? error.message : String(error), 'a readable file');
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return refused(`${path} is ${kindOf(stats)}, not a regular file`, 'a regular file');
    // Read one byte past the bound: the size fstat gives is not trusted (/proc files report 0).
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) return refused(`${path} is larger than ${maxBytes} bytes`, `a file of at most ${maxBytes} bytes`);
    }
    return { ok: true, text: buffer.subarray(0, length).toString('utf8'), mode: stats.mode };
  } catch (error) {
    return refused(error instanceof Error ? error.message : String(error), 'a readable file');
  } finally {
    closeSync(fd);
  }
}

function refused(reason: string, expected: string): SmallFile {
  return { ok: false, reason, expected };
}

/** What a file that is not a regular file is, for messages: `a FIFO (named pipe)`, `a directory`. */
export function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'a special file';
}

import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';

/** Keys this long or longer are hashed, as Kamailio's memcached module does (`len < 250` passes). */
export const MAX_VERBATIM_KEY_BYTES = 249;

/**
 * Maps any caller key to a legal memcached key, deterministically:
 *
 * - a key of 1..249 bytes (UTF-8) made only of printable ASCII (0x21..0x7e) is used verbatim;
 * - any other non-empty key (250 bytes or longer, or holding a space, a control character or a
 *   non-ASCII character) becomes the lowercase hex MD5 of its UTF-8 bytes (32 characters).
 *
 * For keys of 250+ bytes this is exactly what Kamailio's memcached module does (`$mct()` hashes
 * keys whose length is not below 250), so both sides meet on the same entry. Keys with spaces or
 * control bytes are hashed as well, so no input can ever inject a protocol command into a
 * text-protocol peer (twemproxy, Kamailio) sharing the servers.
 *
 * @throws InvalidArgumentError for an empty key.
 */
export function toWireKey(key: string): string {
  if (key.length === 0) throw new InvalidArgumentError('a key must not be empty', { key });
  if (key.length <= MAX_VERBATIM_KEY_BYTES && isPrintableAscii(key)) return key;
  return createHash('md5').update(key, 'utf8').digest('hex');
}

function isPrintableAscii(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';
import { MARKER_DOMAIN, canonicalBase64url, type ValueCodec } from './codec.js';

const PREFIX = 'e1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SALT = 'authring cache';
const ENTRY = /^e1:(\d{1,12}):([A-Za-z0-9_-]+)$/;

/**
 * AES-256-GCM: `e1:<expiry seconds>:<base64url of IV, ciphertext and tag>`. The value (and
 * whether it is a negative entry) is hidden from anyone who can read memcached; the cache key and
 * the expiry are the associated data, so an entry altered, extended, moved to another key, or
 * written without the secret reads as `forged` (a miss, counted). Keys come from the secret by
 * HKDF-SHA256, one for values and one for lease-marker MACs. Each write draws a random 96-bit IV:
 * stay under 2^32 writes per secret (rotate the secret long before).
 *
 * Kamailio cannot read these entries: for deployments that do not share credential entries with it.
 */
export function encryptedCodec(secret: string | Buffer): ValueCodec {
  const material = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (material.length < 16) throw new InvalidArgumentError('the encryption secret must be at least 16 bytes');
  const valueKey = Buffer.from(hkdfSync('sha256', material, SALT, 'authring value encryption v1', 32));
  const markerKey = Buffer.from(hkdfSync('sha256', material, SALT, 'authring lease marker mac v1', 32));
  const associated = (cacheKey: string, expiry: string): Buffer => Buffer.from(`${PREFIX}\n${cacheKey}\n${expiry}`, 'utf8');
  return {
    name: 'encrypted',
    encode(cacheKey, value, expiresAt) {
      const expiry = String(Math.ceil(expiresAt / 1000));
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', valueKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(associated(cacheKey, expiry));
      const payload = value === null ? 'n' : `v${value}`;
      const sealed = Buffer.concat([iv, cipher.update(payload, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${PREFIX}:${expiry}:${sealed.toString('base64url')}`;
    },
    decode(cacheKey, stored) {
      const parts = ENTRY.exec(stored);
      const sealed = parts ? canonicalBase64url(parts[2] ?? '') : undefined;
      if (!parts || !sealed || sealed.length <= IV_BYTES + TAG_BYTES) return { kind: 'forged' };
      const expiry = parts[1] ?? '';
      const decipher = createDecipheriv('aes-256-gcm', valueKey, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(associated(cacheKey, expiry));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      let payload: string;
      try {
        payload = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        return { kind: 'forged' };
      }
      if (payload !== 'n' && !payload.startsWith('v')) return { kind: 'forged' };
      return { kind: 'value', value: payload === 'n' ? null : payload.slice(1), expiresAt: Number(expiry) * 1000 };
    },
    markerTag: (cacheKey, text) => createHmac('sha256', markerKey).update(`${MARKER_DOMAIN}${cacheKey}\n${text}`, 'utf8').digest('base64url'),
  };
}

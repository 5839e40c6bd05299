/**
 * The library under test, loaded from the compiled `dist/` that applications run (`npm run bench`
 * builds it first), so it is measured as plain JavaScript like the clients it is compared with.
 * Without a build it falls back to `src/` through tsx and says so, since tsx's transform adds a
 * little per-closure cost.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Library = typeof import('../src/index.js');

const dist = new URL('../dist/index.js', import.meta.url);

/** Where the library was loaded from: `dist` or `src`. */
export const SUBJECT_SOURCE: 'dist' | 'src' = existsSync(fileURLToPath(dist)) ? 'dist' : 'src';

if (SUBJECT_SOURCE === 'src') {
  console.warn('bench: no build in dist/ (run `npm run build`); measuring src/ through tsx instead');
}

/** authring's public entry. */
export const library: Library = (await import(SUBJECT_SOURCE === 'dist' ? dist.href : '../src/index.js')) as Library;

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as entry from '../src/index.js';
import { AuthringError, errors } from '../src/errors.js';

const root = join(import.meta.dirname, '..');
const CODE = /\bE_[A-Z][A-Z_]*[A-Z]\b/g;

/** Every `E_*` code a text names. */
function codesIn(text: string): Set<string> {
  return new Set(text.match(CODE) ?? []);
}

/** The docs users read: README.md and every page of docs/. */
function docs(): { name: string; text: string }[] {
  const pages = readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md'));
  return [{ name: 'README.md', text: readFileSync(join(root, 'README.md'), 'utf8') }, ...pages.map((name) => ({ name: `docs/${name}`, text: readFileSync(join(root, 'docs', name), 'utf8') }))];
}

/** Every TypeScript file under src/. */
function sources(dir = join(root, 'src')): { name: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((item) => {
    const path = join(dir, item.name);
    if (item.isDirectory()) return sources(path);
    return item.name.endsWith('.ts') ? [{ name: path.slice(root.length + 1), text: readFileSync(path, 'utf8') }] : [];
  });
}

describe('errors', () => {
  it('every code the docs name is in the exported errors map', () => {
    const unknown = docs().flatMap(({ name, text }) => [...codesIn(text)].filter((code) => !(code in errors)).map((code) => `${name}: ${code}`));
    expect(unknown).toEqual([]);
  });

  it('every class in the map is an AuthringError subclass whose static and instance code is its key', () => {
    for (const [code, ErrorClass] of Object.entries(errors)) {
      expect(ErrorClass.code, ErrorClass.name).toBe(code);
      expect(ErrorClass.prototype, ErrorClass.name).toBeInstanceOf(AuthringError);
    }
    // Instances carry the code too (a subclass passing another code would be caught here).
    const samples: AuthringError[] = [
      new errors.E_INVALID_ARGUMENT('x'),
      new errors.E_TIMEOUT('127.0.0.1:1', 5),
      new errors.E_CONNECTION('127.0.0.1:1', new Error('x')),
      new errors.E_PROTOCOL('127.0.0.1:1', 'x'),
      new errors.E_AUTH('127.0.0.1:1', 'x'),
      new errors.E_SERVER_DOWN('127.0.0.1:1'),
      new errors.E_SERVER('127.0.0.1:1', 0x81, 'x'),
      new errors.E_VALUE_TOO_LARGE('127.0.0.1:1', 'k'),
      new errors.E_CLOSED(),
      new errors.E_PARTIAL(new Map(), []),
      new errors.E_SOURCE_UNAVAILABLE('k', new Error('x')),
      new errors.E_DEADLINE('k', 5),
      new errors.E_TRIGGER_PRIVILEGE('u@h', []),
      new errors.E_KAMAILIO_RPC('n', 'm', 'x'),
      new errors.E_SCHEMA([]),
      new errors.E_LOOKUP_DISABLED('group'),
      new errors.E_CONFIG([{ file: 'f', line: 1, column: 1, field: 'a', expected: 'b', message: 'f:1:1: a: b' }]),
      new errors.E_INVALIDATION(['k'], new Error('x')),
      new errors.E_KAMAILIO_CONFIG('f', 'x'),
      new errors.E_STATS('127.0.0.1:1', 'x'),
      new errors.E_UNKNOWN(new Error('x')),
      new errors.E_USAGE('x'),
      new errors.E_COMMAND_FAILED('x'),
      new errors.E_COMMAND_TIMEOUT('x', 5),
      new errors.E_INTERRUPTED('x'),
    ];
    expect(samples.map((error) => error.code).sort()).toEqual(Object.keys(errors).sort());
    for (const error of samples) {
      expect(error).toBeInstanceOf(errors[error.code as keyof typeof errors]);
      expect(error.name).toBe(errors[error.code as keyof typeof errors].name);
    }
  });

  it('docs/errors.md documents every code in the map, with its class', () => {
    const page = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
    for (const [code, ErrorClass] of Object.entries(errors)) {
      expect(page, code).toMatch(new RegExp(`\\| \`${code}\` \\| \`${ErrorClass.name}\` \\|`));
    }
  });

  it('every error class in src/ is declared in src/errors.ts and listed in the map; no code is made up elsewhere', () => {
    const declaredElsewhere: string[] = [];
    const codesElsewhere: string[] = [];
    for (const { name, text } of sources()) {
      if (name === join('src', 'errors.ts')) continue;
      for (const match of text.matchAll(/class (\w+) extends (\w*Error)\b/g)) declaredElsewhere.push(`${name}: ${match[1]}`);
      for (const code of codesIn(text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''))) if (!(code in errors)) codesElsewhere.push(`${name}: ${code}`);
      if (/new AuthringError\(/.test(text)) codesElsewhere.push(`${name}: new AuthringError(...)`);
    }
    expect(declaredElsewhere).toEqual([]);
    expect(codesElsewhere).toEqual([]);
    const declared = [...readFileSync(join(root, 'src', 'errors.ts'), 'utf8').matchAll(/export class (\w+) extends/g)].map((m) => m[1]);
    const listed = new Set(Object.values(errors).map((ErrorClass) => ErrorClass.name));
    expect(declared.filter((name) => name !== 'AuthringError' && !listed.has(name ?? ''))).toEqual([]);
  });

  it('the public entry exports the map and every class in it', () => {
    expect(entry.errors).toBe(errors);
    for (const ErrorClass of Object.values(errors)) expect((entry as Record<string, unknown>)[ErrorClass.name], ErrorClass.name).toBe(ErrorClass);
  });
});

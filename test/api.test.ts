/**
 * The public surface is deliberate: src/index.ts exports exactly the names docs/api.md lists, and
 * every page api.md points to exists. The exports are read by the TypeScript compiler, types
 * included, so a type exported by accident counts as much as a value.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

let memo: string[] | undefined;

function indexExports(): string[] {
  if (memo) return memo;
  const entry = join(root, 'src/index.ts');
  const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const module = source && checker.getSymbolAtLocation(source);
  if (!module) throw new Error('src/index.ts did not compile to a module');
  memo = checker.getExportsOfModule(module).map((symbol) => symbol.getName()).sort();
  return memo;
}

/** Rows of api.md's tables: `| \`name\` | kind | what | [page](page) |`. */
function documented(): Array<{ name: string; page: string }> {
  const text = readFileSync(join(root, 'docs/api.md'), 'utf8');
  return [...text.matchAll(/^\| `([A-Za-z_$][\w$]*)` \|[^\n]*\[[^\]]+\]\(([^)]+)\) \|$/gm)].map((m) => ({ name: m[1] ?? '', page: m[2] ?? '' }));
}

describe('the public entry', () => {
  it('exports exactly the names docs/api.md lists', () => {
    const exported = indexExports();
    const listed = documented().map((row) => row.name);
    expect(new Set(listed).size, 'a name listed twice in docs/api.md').toBe(listed.length);
    expect(exported.filter((name) => !listed.includes(name)), 'exported but not in docs/api.md').toEqual([]);
    expect(listed.filter((name) => !exported.includes(name)), 'in docs/api.md but not exported').toEqual([]);
    expect(exported.length).toBeGreaterThan(100);
  }, 60_000);

  it('points every listed name at a page that exists', () => {
    for (const { name, page } of documented()) expect(existsSync(join(root, 'docs', page)), `${name}: docs/${page}`).toBe(true);
  });

  it('leaves internals out', () => {
    const exported = indexExports();
    for (const internal of ['readChanges', 'keysOfChanges', 'CHANGELOG_TABLE', 'WATCHER_TABLE', 'KamailioPlanner', 'GROUP_LOOKUP_DEFAULTS', 'TOP_LEVEL_KEYS']) {
      expect(exported, internal).not.toContain(internal);
    }
  }, 60_000);
});

import { dirname } from 'node:path';
import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { ConfigError, formatIssue, type ConfigIssue } from './errors.js';

/** Environment variables, as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

interface Located<T> {
  readonly offset: number;
  readonly item: T;
}

/**
 * One parse of one file: the YAML document, its line index, and the problems and warnings found
 * so far, each located at a node. Validation collects every issue and throws once at the end.
 */
export class ConfigContext {
  /** The file, as the caller named it; relative `*_file` paths resolve against its directory. */
  readonly file: string;
  /** Where `password_env` and `secret_env` are looked up. */
  readonly env: Env;
  /** The parsed document's root node, aliases resolved; `undefined` for an empty file. */
  readonly root: Node | undefined;
  private readonly doc: Document;
  private readonly lines = new LineCounter();
  private readonly issues: Located<ConfigIssue>[] = [];
  private readonly warnings: Located<string>[] = [];

  /** @throws ConfigError on a YAML syntax error, located at its line. */
  constructor(text: string, file: string, env: Env) {
    this.file = file;
    this.env = env;
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    for (const error of this.doc.errors) {
      const text = error.message.split('\n')[0] ?? error.message;
      this.addIssue(error.pos[0], undefined, 'valid YAML', `YAML syntax error: ${text}`);
    }
    this.throwIfIssues();
    this.root = this.resolve(this.doc.contents);
  }

  /** The directory relative paths in the file are taken from. */
  get baseDir(): string {
    return dirname(this.file);
  }

  /** Follows a YAML alias (`*name`) to the node it names; other values pass through. */
  resolve(value: unknown): Node | undefined {
    if (isAlias(value)) return this.resolve(value.resolve(this.doc));
    return isNode(value) ? value : undefined;
  }

  /** Records `field: expected X, got Y` at `node`. */
  invalid(node: Node | undefined, field: string, expected: string): void {
    this.addIssue(this.offset(node), field, expected, `expected ${expected}, got ${describe(node)}`, field);
  }

  /** Records a problem with its own wording; `prefix` is put before the text (usually the field). */
  problem(node: Node | undefined, field: string | undefined, expected: string, text: string, prefix?: string): void {
    this.addIssue(this.offset(node), field, expected, text, prefix);
  }

  /** Records a warning: legal but risky. */
  warn(node: Node | undefined, field: string, text: string): void {
    const offset = this.offset(node);
    const { line, col } = this.lines.linePos(offset);
    this.warnings.push({ offset, item: formatIssue(this.file, line, col, field, text) });
  }

  /** @throws ConfigError listing every issue recorded, if any. */
  throwIfIssues(): void {
    const sorted = [...this.issues].sort((a, b) => a.offset - b.offset).map((entry) => entry.item);
    const [first, ...rest] = sorted;
    if (first) throw new ConfigError([first, ...rest]);
  }

  /** The warnings recorded, in file order. */
  warningList(): string[] {
    return [...this.warnings].sort((a, b) => a.offset - b.offset).map((entry) => entry.item);
  }

  private offset(node: Node | undefined): number {
    return node?.range?.[0] ?? 0;
  }

  private addIssue(offset: number, field: string | undefined, expected: string, text: string, prefix?: string): void {
    const { line, col } = this.lines.linePos(offset);
    const lineNo = Math.max(line, 1);
    const message = formatIssue(this.file, lineNo, col, prefix, text);
    this.issues.push({ offset, item: { file: this.file, line: lineNo, column: col, field, expected, message } });
  }
}

/** How a value is named in "got ...": a quoted string, a number, or the kind of node. */
export function describe(node: Node | undefined): string {
  if (node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const { value } = node;
    if (value === null || value === undefined) return 'nothing (null)';
    if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  }
  return 'an unsupported YAML value';
}

import { dirname } from 'node:path';
import {
  LineCounter,
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Alias,
  type Document,
  type Node,
  type Pair,
} from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { formatIssue } from './issues.js';
import { yamlErrorText } from './yaml-errors.js';

/** Environment variables, as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Most YAML aliases (`*name`) a config file may use, as the `yaml` package's own `maxAliasCount`
 * default: a real config needs a handful, and an alias bomb needs thousands.
 */
export const MAX_ALIASES = 100;

/** What a message may point at: a node, or a `key: value` pair inside an `!!omap`/`!!pairs` list. */
export type Located = Node | Pair<unknown, unknown> | undefined;

interface Entry<T> {
  readonly offset: number;
  /** Built when the parse ends, so a value later found to be a secret is never described. */
  readonly build: () => T;
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
  private readonly issues: Entry<ConfigIssue>[] = [];
  private readonly warnings: Entry<string>[] = [];
  /** Each alias's target, found in one pass (the `yaml` package searches the whole file per alias). */
  private readonly aliases = new Map<Alias, Node>();
  /** Values that are secrets, with what may be shown of each (nothing when `undefined`). */
  private readonly secrets = new Map<Node, string | undefined>();

  /** @throws ConfigError on a YAML syntax error, or on more than {@link MAX_ALIASES} aliases. */
  constructor(text: string, file: string, env: Env) {
    this.file = file;
    this.env = env;
    // Duplicate keys are found by MapReader in linear time; the parser's own check compares every
    // key with every other (seconds for a file of 10,000 keys).
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: false });
    for (const error of this.doc.errors) {
      this.addIssue(error.pos[0], undefined, 'valid YAML', () => `YAML syntax error: ${yamlErrorText(error)}`);
    }
    this.throwIfIssues();
    this.indexAliases();
    this.throwIfIssues();
    this.root = this.resolve(this.doc.contents);
  }

  /** The directory relative paths in the file are taken from. */
  get baseDir(): string {
    return dirname(this.file);
  }

  /**
   * Follows a YAML alias (`*name`) to the node it names; other values pass through. An alias
   * whose anchor is not defined before it stays itself, so messages can point at it.
   */
  resolve(value: unknown): Node | undefined {
    if (isAlias(value)) return this.aliases.get(value) ?? value;
    return isNode(value) ? value : undefined;
  }

  /**
   * Marks a value as a secret: no message describes it, wherever it appears (an alias may repeat
   * it under another key). `shown` is what may be said of it instead, e.g. a URI without its password.
   */
  markSecret(node: Node | undefined, shown?: string): void {
    if (node !== undefined) this.secrets.set(node, shown);
  }

  /** Records `field: expected X, got Y` at `node`. */
  invalid(node: Located, field: string, expected: string): void {
    this.addIssue(this.offset(node), field, expected, () => `expected ${expected}, got ${this.describe(node)}`, field);
  }

  /** Records a problem with its own wording; `prefix` is put before the text (usually the field). */
  problem(node: Located, field: string | undefined, expected: string, text: string, prefix?: string): void {
    this.addIssue(this.offset(node), field, expected, () => text, prefix);
  }

  /** Records a warning: legal but risky. */
  warn(node: Located, field: string, text: string): void {
    const offset = this.offset(node);
    const { line, col } = this.lines.linePos(offset);
    this.warnings.push({ offset, build: () => formatIssue(this.file, line, col, field, text) });
  }

  /** @throws ConfigError listing every issue recorded, if any. */
  throwIfIssues(): void {
    const sorted = [...this.issues].sort((a, b) => a.offset - b.offset).map((entry) => entry.build());
    const [first, ...rest] = sorted;
    if (first) throw new ConfigError([first, ...rest]);
  }

  /** The warnings recorded, in file order. */
  warningList(): string[] {
    return [...this.warnings].sort((a, b) => a.offset - b.offset).map((entry) => entry.build());
  }

  /** `line:column` of a node, for messages that point at a second place. */
  position(node: unknown): string {
    const { line, col } = this.lines.linePos(this.offset(this.resolve(node)));
    return `${Math.max(line, 1)}:${col}`;
  }

  /** How a value is named in "got ...": never a secret's text. */
  describe(node: Located): string {
    const target = isAlias(node) ? this.resolve(node) : node;
    if (target !== undefined && !isPair(target) && this.secrets.has(target)) {
      const shown = this.secrets.get(target);
      return shown === undefined ? `${kindOf(target)} (not shown: a secret)` : JSON.stringify(shown);
    }
    return describeValue(target);
  }

  private indexAliases(): void {
    const anchors = new Map<string, Node>();
    let count = 0;
    visit(this.doc, {
      Node: (_key, node) => {
        if (isAlias(node)) {
          count += 1;
          if (count > MAX_ALIASES) {
            const text = `too many YAML aliases: more than ${MAX_ALIASES} (a guard against alias bombs); write the values out`;
            this.addIssue(this.offset(node), undefined, `at most ${MAX_ALIASES} aliases`, () => text);
            return visit.BREAK;
          }
          const target = anchors.get(node.source);
          if (target !== undefined) this.aliases.set(node, target);
        } else if (node.anchor !== undefined) {
          // The last anchor of a name before an alias is the one it means (YAML 1.2, 3.2.2.2).
          anchors.set(node.anchor, node);
        }
        return undefined;
      },
    });
  }

  private offset(node: Located): number {
    if (isPair(node)) return this.offset(this.resolve(node.key) ?? this.resolve(node.value));
    return node?.range?.[0] ?? 0;
  }

  private addIssue(offset: number, field: string | undefined, expected: string, text: () => string, prefix?: string): void {
    const { line, col } = this.lines.linePos(offset);
    const lineNo = Math.max(line, 1);
    this.issues.push({
      offset,
      build: () => ({ file: this.file, line: lineNo, column: col, field, expected, message: formatIssue(this.file, lineNo, col, prefix, text()) }),
    });
  }
}

/** How a value is named in "got ...": a quoted string, a number, or the kind of node. */
function describeValue(node: Located): string {
  if (node === undefined) return 'nothing';
  if (isPair(node)) return 'a `key: value` pair';
  if (isAlias(node)) return `an alias (*${node.source}) with no anchor of that name before it`;
  if (isScalar(node)) {
    const { value } = node;
    if (value === null || value === undefined) return 'nothing (null)';
    if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  }
  return kindOf(node);
}

/** The kind of a value, without its content: `a string`, `a number`, `a mapping`. */
function kindOf(node: Node): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isAlias(node)) return 'an alias';
  const value: unknown = node.value;
  if (value === null || value === undefined) return 'nothing (null)';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return 'an unsupported YAML value';
}

import type { CachedValue } from './codec.js';
import type { Validator } from './options.js';

/** What a loader is handed: the milliseconds left of the lookup's deadline. */
export interface LoadContext {
  readonly deadlineMs: number;
}

/**
 * One kind of question the read-through engine answers (`ReadThroughCache.answer`): how its
 * values load and how they read as answers. Made once per kind, so that a hit allocates nothing
 * for it: the question's own arguments (`A`, its SQL parameters say) are handed to {@link load}
 * rather than caught in a closure per lookup, and a hit's text is read straight into the answer
 * (`T`) in the read's own callback, not in a second promise.
 */
export interface LookupKind<T, A> {
  /** Loads a question's value from the source; `null` means "no such row". */
  load(args: A, context: LoadContext): Promise<CachedValue>;
  /**
   * The answer a cached value (not a negative entry) at `key` stands for, or undefined when the
   * value is malformed: then it is counted, read as a miss and replaced, as
   * `ReadThroughOptions.validate` says. Called on every hit, so it should decode once and
   * cheaply (the key lets it remember what an unchanged entry decoded to).
   */
  read(text: string, key: string): T | undefined;
  /**
   * The answer of a value served without {@link read}'s result: a negative entry (`null`), a
   * value just loaded (never validated), or one the full path accepted (a peer's, a stale one).
   */
  answer(value: CachedValue): T;
}

/** The answer of `text` by `kind`, undefined for a malformed value (a reader that throws included). */
export function readAnswer<T, A>(kind: LookupKind<T, A>, text: string, key: string): T | undefined {
  try {
    return kind.read(text, key);
  } catch {
    return undefined;
  }
}

/** The loader of one question of `kind` (its arguments `args`), for the paths that take a plain loader. */
export function loaderOf<T, A>(kind: LookupKind<T, A>, args: A): (context: LoadContext) => Promise<CachedValue> {
  return (context) => kind.load(args, context);
}

/** The validator the full path checks entries at `key` with: what `kind` reads is well formed. */
export function validatorOf<T, A>(kind: LookupKind<T, A>, key: string): Validator {
  return (text) => readAnswer(kind, text, key) !== undefined;
}

/**
 * The kind `getOrLoad` answers: the value itself, loaded by the caller's loader (the argument),
 * checked by `validate` when cached.
 */
export function valueKind(validate: Validator): LookupKind<CachedValue, (context: LoadContext) => Promise<CachedValue>> {
  return {
    load: (loader, context) => loader(context),
    read: (text) => (validate(text) ? text : undefined),
    answer: (value) => value,
  };
}

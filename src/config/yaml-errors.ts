import type { YAMLError } from 'yaml';

/**
 * Messages of the `yaml` package that quote a piece of the file: an alias or tag name, a
 * block-scalar header, an escape sequence, a key. That piece may be a password written without
 * quotes (`password: *x9…` is read as an alias), so it is cut out; the line and column still
 * point at it.
 */
const QUOTING: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(Invalid escape sequence)\b.*$/, '$1'],
  [/^The .* tag has no suffix$/, 'A tag has no suffix'],
  [/^Verbatim tags aren't resolved, so .* is invalid\.?$/, "Verbatim tags aren't resolved"],
  [/^(Unresolved plain scalar)\b.*$/, '$1'],
  [/^(Unknown directive)\b.*$/, '$1'],
  [/^(Unsupported YAML version)\b.*$/, '$1'],
  [/^([^:"'`]*?): .*$/, '$1'],
];

/** The first line of a YAML parse error's message, with any quoted piece of the file removed. */
export function yamlErrorText(error: YAMLError): string {
  const first = error.message.split('\n')[0] ?? error.message;
  for (const [pattern, replacement] of QUOTING) {
    if (pattern.test(first)) return first.replace(pattern, replacement);
  }
  return first;
}

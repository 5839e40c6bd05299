/**
 * Reading authring's namespace generation from a Kamailio route: every key contains it, and a
 * route that cannot read it (no authring node created it yet, memcached failing) caches nothing.
 */

/**
 * Lines that read `<prefix>ns` into `$vn(authring_gen)` and run `body` (indented one level more)
 * only when it holds a generation.
 *
 * @param prefix the key prefix, already escaped for a cfg string literal.
 * @param indent the indentation of the first line.
 */
export function generationLines(prefix: string, indent: string, body: readonly string[]): string[] {
  return [
    `${indent}$var(authring_nskey) = "${prefix}ns";`,
    `${indent}$vn(authring_gen) = $mct($var(authring_nskey));`,
    `${indent}if ($vn(authring_gen) != $null && $vn(authring_gen) =~ "^[0-9]+$") {`,
    ...body.map((line) => `${indent}\t${line}`),
    `${indent}}`,
  ];
}

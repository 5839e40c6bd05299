import { rmSync } from 'node:fs';

/** What to do when the test process exits: kill stray children, remove temp dirs. */
const killers = new Set<() => void>();
const dirs = new Set<string>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', () => {
    for (const kill of killers) {
      try {
        kill();
      } catch {
        // already gone
      }
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Runs `kill` if the test process exits first; call the returned function once it is gone. */
export function killOnExit(kill: () => void): () => void {
  install();
  killers.add(kill);
  return () => killers.delete(kill);
}

/** Removes `dir` if the test process exits first. */
export function removeOnExit(dir: string): void {
  install();
  dirs.add(dir);
}

/** `dir` has been removed (or is kept on purpose): the exit hook leaves it alone. */
export function forgetDir(dir: string): void {
  dirs.delete(dir);
}

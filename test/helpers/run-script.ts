import { spawn } from 'node:child_process';

/**
 * Runs an ES module snippet in a fresh Node process with tsx (imports relative to the repository
 * root) and resolves with its trimmed stdout; rejects on a non-zero exit or after `timeoutMs`.
 */
export function runScript(script: string, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(killer);
      if (code === 0) resolve(out.trim());
      else reject(new Error(`script exited ${code}: ${out}`));
    });
  });
}

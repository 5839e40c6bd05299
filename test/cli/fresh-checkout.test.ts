/**
 * A new user's checkout: `npm ci` in a fresh clone builds `dist/` (the `prepare` script), so
 * `npx authring` and `import 'authring'` work at once, and the install is quiet: every
 * dependency install script is covered by `allowScripts` (npm 11 blocks and warns about the
 * others). Installs offline from npm's cache, which the checkout's own install filled.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './cli.js';

describe('a fresh clone', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'authring-clone-'));
  const clone = path.join(dir, 'authring');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('npm ci builds dist/ quietly; npx authring and import "authring" work', () => {
    execFileSync('git', ['clone', '--quiet', REPO_ROOT, clone]);
    expect(existsSync(path.join(clone, 'dist'))).toBe(false);
    const install = spawnSync('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: clone, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    const output = `${install.stdout}\n${install.stderr}`;
    expect(install.status, output).toBe(0);
    expect(output).not.toMatch(/install-scripts|not yet covered by allowScripts/);
    expect(existsSync(path.join(clone, 'dist', 'index.js'))).toBe(true);
    expect(existsSync(path.join(clone, 'dist', 'cli', 'main.js'))).toBe(true);

    const help = spawnSync('npx', ['--no-install', 'authring', '--help'], { cwd: clone, encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: authring');

    const imported = spawnSync(process.execPath, ['--input-type=module', '-e', "const m = await import('authring'); console.log(typeof m.createAuthCache, m.errors.E_CONFIG.code)"], { cwd: clone, encoding: 'utf8' });
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stdout.trim()).toBe('function E_CONFIG');
  });
});

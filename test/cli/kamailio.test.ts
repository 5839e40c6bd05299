import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kamailioConfig, nutcrackerConfig } from '../../src/kamailio/index.js';
import { loadConfig } from '../../src/config/index.js';
import { authring, authringJson, tempDir, writeConfig } from './cli.js';

// Generating the files reaches no server.
describe('authring kamailio', () => {
  let dir: string;
  let file: string;

  beforeAll(() => {
    dir = tempDir();
    file = writeConfig(dir, { servers: ['127.0.0.1:21311', '127.0.0.1:21312:2'], mysqlUrl: 'mysql://authring:authring@127.0.0.1:3306/unused', keyPrefix: 'kam:' });
  });

  async function expected(groups: string[], listen = '127.0.0.1:22121'): Promise<{ cfg: string; yml: string }> {
    const config = await loadConfig(file, { AUTHRING_CLI_TEST_MYSQL_PASSWORD: 'x' });
    return { cfg: kamailioConfig(config, { twemproxyListen: listen, groups }), yml: nutcrackerConfig(config, { listen }) };
  }

  it('prints the cfg fragment and nutcracker.yml (default listen 127.0.0.1:22121, group ipauth)', async () => {
    const result = await authring(['-c', file, 'kamailio']);
    expect(result.code).toBe(0);
    const { cfg, yml } = await expected(['ipauth']);
    expect(result.stdout).toContain('# ---- kamailio-authring.cfg ----\n');
    expect(result.stdout).toContain(cfg);
    expect(result.stdout).toContain('# ---- nutcracker.yml ----\n');
    expect(result.stdout).toContain(yml);
    expect(yml).toContain('listen: "127.0.0.1:22121"');
  });

  it('--json carries both texts; --group is repeatable; --listen is used by both files', async () => {
    const { result, json } = await authringJson<{ kamailio: string; nutcracker: string; groups: string[]; listen: string }>([
      '-c', file, 'kamailio', '--group', 'ipauth', '--group', 'voicemail', '--listen', '127.0.0.1:22999',
    ]);
    expect(result.code).toBe(0);
    const { cfg, yml } = await expected(['ipauth', 'voicemail'], '127.0.0.1:22999');
    expect(json).toEqual({ listen: '127.0.0.1:22999', groups: ['ipauth', 'voicemail'], kamailio: cfg, nutcracker: yml });
  });

  it('--out writes kamailio-authring.cfg and nutcracker.yml into the directory', async () => {
    const out = path.join(dir, 'generated');
    const result = await authring(['-c', file, 'kamailio', '--out', out]);
    expect(result.code).toBe(0);
    const { cfg, yml } = await expected(['ipauth']);
    expect(readFileSync(path.join(out, 'kamailio-authring.cfg'), 'utf8')).toBe(cfg);
    expect(readFileSync(path.join(out, 'nutcracker.yml'), 'utf8')).toBe(yml);
    expect(result.stdout).toContain(`wrote ${path.join(out, 'kamailio-authring.cfg')}`);
  });

  it('a setting Kamailio cannot use is a usage error (exit 2)', async () => {
    const result = await authring(['-c', file, 'kamailio', '--listen', '[::1]:22121']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('twemproxyListen');
  });
});

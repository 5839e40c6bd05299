/**
 * The one collation fact authring takes from a name instead of probing it at start-up
 * (src/auth/names/probe.ts): MariaDB's `utf8mb4_general_ci` gives every character exactly one
 * 16-bit weight, and only U+0020 the weight of a space. Checked here over the whole BMP (and a
 * sample of the other planes, which all weigh U+FFFD), so a server upgrade that changes it fails
 * this test instead of silently answering long names wrongly.
 */
import type { RowDataPacket } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { createKamailioDatabase, needKamailioDatabase } from '../helpers/kamailio-db.js';

const ready = await needKamailioDatabase();

describe.skipIf(!ready)('utf8mb4_general_ci weighs one unit per character', () => {
  it('over the whole BMP, and U+FFFD for every astral character sampled', async () => {
    // The sequence engine's tables need a database: a throwaway one.
    const db = await createKamailioDatabase();
    try {
      const weight = (n: string): string => `WEIGHT_STRING(CONVERT(CHAR(${n} USING utf32) USING utf8mb4) COLLATE utf8mb4_general_ci)`;
      const [bmp] = await db.query<RowDataPacket[]>(
        `SELECT COUNT(*) AS n, SUM(LENGTH(${weight('seq')}) <> 2) AS notOneUnit, ` +
          `SUM(${weight('seq')} = WEIGHT_STRING(_utf8mb4' ' COLLATE utf8mb4_general_ci) AND seq <> 32) AS spaceLike ` +
          'FROM seq_0_to_65535 WHERE seq NOT BETWEEN 55296 AND 57343',
      );
      expect(bmp).toMatchObject({ n: 63488, notOneUnit: '0', spaceLike: '0' });
      const [astral] = await db.query<RowDataPacket[]>(
        `SELECT COUNT(*) AS n, SUM(HEX(${weight('seq')}) <> 'FFFD') AS other FROM seq_65536_to_1114111_step_97`,
      );
      expect(Number(astral?.['n'])).toBeGreaterThan(10_000);
      expect(astral?.['other']).toBe('0');
    } finally {
      await db.drop();
    }
  });
});

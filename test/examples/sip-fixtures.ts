/**
 * Rows the SIP proxy tests add to the shared fixtures (test/helpers/kamailio-db.ts): a callee
 * to register, and a subscriber whose digest only matches through the collation (the row says
 * `zed`, the HA1 was made for `ZED`, and `ZED` is in `IPAuth` as `Zed `).
 */
import { digestHa1, type KamailioDatabase } from '../helpers/kamailio-db.js';

/** The callee every call case calls. */
export const CALLEE = { user: 'callee', domain: 'example.com', password: 'callee-pw' } as const;

/** Inserts the extra rows. */
export async function loadSipFixtures(db: KamailioDatabase): Promise<void> {
  await db.query('INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)', [
    CALLEE.user, CALLEE.domain, CALLEE.password, digestHa1(CALLEE.user, CALLEE.domain, CALLEE.password), '',
    'zed', 'example.com', 'zed-pw', digestHa1('ZED', 'example.com', 'zed-pw'), '',
  ]);
  await db.query('INSERT INTO grp (username, domain, grp) VALUES (?, ?, ?)', ['Zed ', 'example.com', 'IPAuth']);
}

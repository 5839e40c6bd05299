import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needKamailioDatabase } from '../helpers/kamailio-db.js';
import { needBinary } from '../helpers/services.js';
import { FaultRig } from './rig.js';
import { measure } from './scenario.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

const BLOCK_MS = 1000;

/** Holds the event loop for `ms`, as a long synchronous task in the proxy's own code would. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/**
 * The node's own event loop is blocked for a second, three times, with lookups in flight: replies
 * that arrived meanwhile look late, so requests may time out and servers be marked down. Lookups
 * must end right after each block (by their deadline plus the block), answer right, and the node
 * must recover on its own.
 */
describe.skipIf(!ready)('the node’s event loop blocked', () => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await FaultRig.start();
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it('three 1 s blocks amid lookups: nothing wrong, nothing stuck', async () => {
    const blocks = new Set([20, 80, 140]);
    let blocked = 0;
    const m = await measure(
      rig,
      {
        name: `event loop blocked ${BLOCK_MS} ms, 3 times`,
        apply: () => undefined,
        onStart: (started) => {
          if (!blocks.has(started)) return;
          blocked += 1;
          // After this lookup has been sent, so blocks hit requests in flight.
          setImmediate(() => block(BLOCK_MS));
        },
      },
      'faults/event-loop',
    );
    console.log(`fault table rows:\n${m.row}`);
    expect(blocked).toBe(3);
    expect(m.during.worstMs).toBeGreaterThanOrEqual(BLOCK_MS);
  });
});

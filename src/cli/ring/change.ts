import { parseServerSpec, type ServerSpec } from '../../cluster/server-spec.js';
import { UsageError } from '../../errors.js';
import { errorMessage } from '../exit.js';

/** A ring change asked for on the command line. */
export interface RingChange {
  /** `--add host:port[:weight]`, in order. */
  readonly add: readonly string[];
  /** `--remove host:port`, in order. */
  readonly remove: readonly string[];
}

/**
 * The server list after a change: removals first, then additions, so `--remove a --add a:3`
 * re-weights `a`.
 * @throws UsageError for a malformed spec, removing a server not on the ring, adding one already
 *   on it, or removing every server.
 */
export function applyChange(servers: readonly ServerSpec[], change: RingChange): ServerSpec[] {
  let result = [...servers];
  for (const spec of change.remove) {
    const server = parse(spec, '--remove');
    if (!result.some((s) => s.canonical === server.canonical)) {
      throw new UsageError(`--remove ${spec}: ${server.address} is not on the ring (servers: ${result.map((s) => s.address).join(', ')})`);
    }
    result = result.filter((s) => s.canonical !== server.canonical);
  }
  for (const spec of change.add) {
    const server = parse(spec, '--add');
    if (result.some((s) => s.canonical === server.canonical)) {
      throw new UsageError(`--add ${spec}: ${server.address} is already on the ring (to change its weight, --remove it too)`);
    }
    result.push(server);
  }
  if (result.length === 0) throw new UsageError('the change removes every server from the ring');
  return result;
}

function parse(spec: string, option: string): ServerSpec {
  try {
    return parseServerSpec(spec);
  } catch (error) {
    throw new UsageError(`${option}: ${errorMessage(error)}`);
  }
}

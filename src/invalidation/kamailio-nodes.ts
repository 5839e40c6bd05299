/**
 * The Kamailio nodes of the cluster config (`kamailio.nodes`), told to drop from their own
 * memory what changed: htable keys, whole htables, the permissions module's address table.
 * Callers hand over intents and go on; planning and delivery run in the background, per node
 * (./kamailio-node.ts), so a node that is down or slow never holds up the watcher or the others.
 */
import { EventEmitter } from 'node:events';
import type { AuthCache } from '../auth/auth-cache.js';
import type { KamailioConfig } from '../config/types.js';
import { AuthringError, SourceUnavailableError } from '../errors.js';
import { KamailioNode, type KamailioNodeEvents, type KamailioNodeStats } from './kamailio-node.js';
import { KamailioPlanner, type KamailioIntent, type KamailioOperation } from './kamailio-plan.js';
import { kamailioRpc, type KamailioRpc } from './kamailio-rpc.js';

/** Events of {@link KamailioNodes}: every node's, plus planning failures. */
export interface KamailioNodesEvents extends KamailioNodeEvents {
  /**
   * An intent's keys could not be worked out (MySQL failed folding a name through its collation);
   * the tables it concerns are flushed instead.
   */
  'plan-error': [info: { readonly intent: KamailioIntent; readonly error: AuthringError }];
}

/** Options of {@link KamailioNodes.create}. */
export interface KamailioNodesOptions {
  /** The RPC client of a node; jsonrpcs over the node's `rpc` setting when omitted. */
  readonly rpc?: (node: KamailioConfig['nodes'][number]) => KamailioRpc;
}

/** Every configured Kamailio node, told about changes in the background. */
export class KamailioNodes extends EventEmitter<KamailioNodesEvents> {
  private planning: Promise<void> = Promise.resolve();

  private constructor(
    private readonly config: KamailioConfig,
    private readonly planner: KamailioPlanner,
    private readonly nodes: readonly KamailioNode[],
  ) {
    super();
    for (const node of nodes) {
      node.on('delivered', (info) => this.emit('delivered', info));
      node.on('rpc-error', (info) => this.emit('rpc-error', info));
      node.on('node-down', (info) => this.emit('node-down', info));
      node.on('node-up', (info) => this.emit('node-up', info));
    }
  }

  /** Reads the collations the configured tables need and sets up a queue per node. */
  static async create(auth: AuthCache, config: KamailioConfig, options: KamailioNodesOptions = {}): Promise<KamailioNodes> {
    const planner = await KamailioPlanner.create(auth, config);
    const rpc = options.rpc ?? ((node) => kamailioRpc(node.name, node.rpc));
    return new KamailioNodes(config, planner, config.nodes.map((node) => new KamailioNode(node.name, rpc(node), config)));
  }

  /** True when there is a node to tell. */
  get enabled(): boolean {
    return this.nodes.length > 0;
  }

  /** Tells every node about `intents`, in order; returns at once. */
  tell(intents: readonly KamailioIntent[]): void {
    if (!this.enabled || intents.length === 0) return;
    this.planning = this.planning.then(async () => {
      const operations: KamailioOperation[] = [];
      for (const intent of intents) operations.push(...(await this.planOrFlush(intent)));
      for (const node of this.nodes) node.enqueue(operations);
    });
  }

  /**
   * Resolves when everything told so far has been delivered to every node, or a node has been
   * marked behind (it will get flushes when it answers); with each node's state and counters.
   */
  async settled(): Promise<KamailioNodeStats[]> {
    await this.planning;
    await Promise.all(this.nodes.map((node) => node.settled()));
    return this.stats();
  }

  /** Every node's counters and state. */
  stats(): KamailioNodeStats[] {
    return this.nodes.map((node) => node.stats());
  }

  /** Stops every node's delivery. */
  async close(): Promise<void> {
    await this.planning.catch(() => undefined);
    await Promise.all(this.nodes.map((node) => node.close()));
  }

  private async planOrFlush(intent: KamailioIntent): Promise<KamailioOperation[]> {
    try {
      return await this.planner.plan(intent);
    } catch (error) {
      const typed = error instanceof AuthringError ? error : new SourceUnavailableError(`Kamailio keys of ${JSON.stringify(intent)}`, error);
      this.emit('plan-error', { intent, error: typed });
      const lookup = intent.kind === 'group' ? 'group' : intent.kind === 'credentials' ? 'credentials' : undefined;
      return this.config.htables
        .filter((table) => lookup === undefined || table.lookup === lookup)
        .map((table): KamailioOperation => ({ kind: 'flush', table: table.name }));
    }
  }
}

/**
 * The RPC listener a Kamailio node needs so authring can tell it what changed (htable deletes and
 * flushes, `permissions.addressReload`): jsonrpcs over xhttp on the address of the node's `rpc`
 * URL, answering only the configured clients (the watcher's address; loopback by default), or
 * jsonrpcs's FIFO.
 */
import { isIP } from 'node:net';
import type { KamailioConfig, KamailioNodeConfig } from '../config/types.js';
import { cfgString } from './cfg-text.js';
import { KamailioConfigError } from '../errors.js';

/** The node `name` names (or the only node), or a typed error saying which to pick. */
export function pickNode(config: KamailioConfig, name: string | undefined): KamailioNodeConfig {
  if (name !== undefined) {
    const node = config.nodes.find((n) => n.name === name);
    if (node === undefined) throw new KamailioConfigError('node', `${JSON.stringify(name)} is not in kamailio.nodes (${config.nodes.map((n) => n.name).join(', ') || 'none listed'})`);
    return node;
  }
  const [only, ...others] = config.nodes;
  if (only === undefined) throw new KamailioConfigError('kamailio.nodes', 'lists no node: add the node and how authring reaches its RPC interface');
  if (others.length > 0) throw new KamailioConfigError('node', `name the node to generate for: one of ${config.nodes.map((n) => n.name).join(', ')}`);
  return only;
}

/** The cfg lines of the listener for `node`. @throws KamailioConfigError for an address it cannot bind. */
export function rpcListenerLines(config: KamailioConfig, node: KamailioNodeConfig): string[] {
  if (node.rpc.transport === 'fifo') {
    const replyDir = node.rpc.replyDir.endsWith('/') ? node.rpc.replyDir : `${node.rpc.replyDir}/`;
    return [
      `# ---- RPC listener of node ${node.name}: jsonrpcs FIFO (authring invalidates this node's caches) ----`,
      'loadmodule "jsonrpcs.so"',
      'modparam("jsonrpcs", "transport", 2)',
      `modparam("jsonrpcs", "fifo_name", "${cfgString(node.rpc.path)}")`,
      '# Owner and group only: whoever may write to it may run any RPC command.',
      'modparam("jsonrpcs", "fifo_mode", 0660)',
      `modparam("jsonrpcs", "fifo_reply_dir", "${cfgString(replyDir)}")`,
      '',
    ];
  }
  const url = new URL(node.rpc.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol !== 'http:' || isIP(host) === 0 || host === '0.0.0.0' || host === '::') {
    throw new KamailioConfigError(
      `kamailio.nodes[${node.name}].rpc`,
      `${JSON.stringify(node.rpc.url)}: the generated listener binds one address, so the URL needs http:// and an IP address (loopback, or the one the watcher reaches)`,
    );
  }
  const port = Number(url.port === '' ? 80 : url.port);
  const path = url.pathname;
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(path)) throw new KamailioConfigError(`kamailio.nodes[${node.name}].rpc`, `path ${JSON.stringify(path)} must be letters, digits and ./_~-`);
  const listen = isIP(host) === 6 ? `tcp:[${host}]:${port}` : `tcp:${host}:${port}`;
  const clients = config.rpcClients.map((ip) => `$si == "${ip}"`).join(' || ');
  return [
    `# ---- RPC listener of node ${node.name}: jsonrpcs over xhttp (authring invalidates this node's caches) ----`,
    '# Needs TCP (no disable_tcp=yes) and sl.so. Answers only on this address and port, only',
    `# to ${config.rpcClients.join(', ')} (kamailio.rpc_clients), only at ${path}.`,
    'loadmodule "xhttp.so"',
    'loadmodule "jsonrpcs.so"',
    `listen=${listen}`,
    'modparam("jsonrpcs", "transport", 1)',
    'modparam("jsonrpcs", "pretty_format", 0)',
    '',
    'event_route[xhttp:request] {',
    `\tif ($Rp != ${port} || $Ri != "${host}") {`,
    '\t\txhttp_reply("404", "Not Found", "text/plain", "");',
    '\t\texit;',
    '\t}',
    `\tif (!(${clients})) {`,
    '\t\txhttp_reply("403", "Forbidden", "text/plain", "");',
    '\t\texit;',
    '\t}',
    `\tif ($hu == "${path}") {`,
    '\t\tjsonrpc_dispatch();',
    '\t\texit;',
    '\t}',
    '\txhttp_reply("404", "Not Found", "text/plain", "");',
    '\texit;',
    '}',
    '',
  ];
}

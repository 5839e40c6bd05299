import { readdir, readFile, readlink } from 'node:fs/promises';

/** A socket a process has bound, as the kernel reports it. */
export interface BoundSocket {
  readonly protocol: 'tcp' | 'tcp6' | 'udp' | 'udp6';
  /** Local address, e.g. `127.0.0.1` or `::1` or `0.0.0.0`. */
  readonly address: string;
  readonly port: number;
  /** TCP: listening (not a connection); UDP: always true (bound sockets receive). */
  readonly listening: boolean;
}

const TCP_LISTEN = '0A';

/** The socket inodes among a process's open file descriptors. */
async function socketInodes(pid: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match?.[1]) inodes.add(match[1]);
  }
  return inodes;
}

/** `0100007F:2B67` (IPv4, little-endian words) or 32 hex digits (IPv6) → address and port. */
function decode(hex: string, v6: boolean): { address: string; port: number } {
  const [ip = '', port = '0'] = hex.split(':');
  if (!v6) {
    const bytes = (ip.match(/../g) ?? []).map((b) => parseInt(b, 16)).reverse();
    return { address: bytes.join('.'), port: parseInt(port, 16) };
  }
  // Four 32-bit words, each in host (little-endian) order.
  const words = (ip.match(/.{8}/g) ?? []).map((w) => (w.match(/../g) ?? []).reverse().join(''));
  const groups = words.join('').match(/.{4}/g) ?? [];
  if (groups.slice(0, 5).every((g) => g === '0000') && groups[5] === 'ffff') {
    const v4 = (groups.slice(6).join('').match(/../g) ?? []).map((b) => parseInt(b, 16)).join('.');
    return { address: `::ffff:${v4}`, port: parseInt(port, 16) };
  }
  const text = groups.map((g) => parseInt(g, 16).toString(16)).join(':');
  return { address: text.replace(/(^|:)0(:0)+(:|$)/, '::').replace(/^:::/, '::'), port: parseInt(port, 16) };
}

/**
 * Every socket `pid` has bound (from /proc), so a test can check a child listens on loopback
 * only. Connections a process made (TCP, not listening) are listed too, marked `listening: false`.
 */
export async function boundSockets(pid: number): Promise<BoundSocket[]> {
  const inodes = await socketInodes(pid);
  const found: BoundSocket[] = [];
  for (const protocol of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
    const table = await readFile(`/proc/${pid}/net/${protocol}`, 'utf8').catch(() => '');
    for (const line of table.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, , state, inode] = [fields[1], fields[2], fields[3], fields[9]];
      if (!local || !inode || !inodes.has(inode)) continue;
      const { address, port } = decode(local, protocol.endsWith('6'));
      found.push({ protocol, address, port, listening: protocol.startsWith('udp') || state === TCP_LISTEN });
    }
  }
  return found;
}

/** Whether an address is loopback: 127.0.0.0/8 or ::1 (or ::ffff:127.x). */
export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);
}

/** The pids of running processes whose command line contains `text`. */
export async function pidsWithArgument(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').some((arg) => arg.includes(text))) pids.push(Number(entry));
  }
  return pids;
}

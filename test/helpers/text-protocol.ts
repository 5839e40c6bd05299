import { connect } from 'node:net';

/**
 * Sends one text-protocol command straight to a memcached server and resolves with the reply up to
 * `terminator`, bypassing authring so tests can see what is really stored where.
 */
export function textCommand(port: number, command: string, terminator = /\r\n(END|STORED|NOT_STORED|DELETED|NOT_FOUND|OK|EN|HD|NF|ERROR)\r\n$|^(END|STORED|NOT_STORED|DELETED|NOT_FOUND|OK|EN|ERROR)\r\n$|^(HD|VA)[^\r]*\r\n/): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${JSON.stringify(command)} from port ${port}: ${JSON.stringify(reply)}`));
    }, 3000);
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (terminator.test(reply)) {
        clearTimeout(timer);
        socket.end();
        resolve(reply);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.write(`${command}\r\n`);
  });
}

/** The value stored under `key` on one server (text `get`), or undefined. */
export async function rawGet(port: number, key: string): Promise<{ value: string; flags: number } | undefined> {
  const reply = await textCommand(port, `get ${key}`, /END\r\n$/);
  const match = /^VALUE \S+ (\d+) \d+\r\n([\s\S]*)\r\nEND\r\n$/.exec(reply);
  return match ? { value: match[2] ?? '', flags: Number(match[1]) } : undefined;
}

/** Seconds left before `key` expires on one server (-1 = never), via the meta command `mg`. */
export async function rawTtl(port: number, key: string): Promise<number | undefined> {
  const reply = await textCommand(port, `mg ${key} t`, /\r\n$/);
  const match = /^HD t(-?\d+)/.exec(reply);
  return match ? Number(match[1]) : undefined;
}

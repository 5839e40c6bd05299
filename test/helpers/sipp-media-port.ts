import dgram from 'node:dgram';

/** Binds a UDP socket on 127.0.0.1 (`port` 0: any free port); rejects when the port is taken. */
function bindUdp(port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', (error) => {
      socket.close();
      reject(error);
    });
    socket.bind({ address: '127.0.0.1', port, exclusive: true }, () => resolve(socket));
  });
}

function close(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

/**
 * A port for sipp's `-mp` on 127.0.0.1: sipp binds its audio RTP socket there and its video RTP
 * socket two above, and exits (status 254, no call made) when the second is taken. Both are
 * checked free, holding the first while the second is tried.
 */
export async function freeSippMediaPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const audio = await bindUdp(0);
    const port = audio.address().port;
    try {
      if (port + 2 > 65535) continue;
      const video = await bindUdp(port + 2).catch(() => undefined);
      if (video === undefined) continue;
      await close(video);
      return port;
    } finally {
      await close(audio);
    }
  }
  throw new Error('no UDP port N on 127.0.0.1 with N + 2 free too, for sipp -mp, in 50 attempts');
}
